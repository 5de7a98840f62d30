"""Finance's read side of refunds, one module per page or file: amounts as finance types
them, the approval queue, one refund's file, the accounting CSV.

Nothing here changes a refund; approving, adjusting and denying go through services. These
are queries for pages and exports, kept out of the views so they stay thin.
"""

from returns_portal.refunds.exports.accounting import (
    HEADER,
    ExportRangeError,
    _cell,
    export_csv,
    export_rows,
    parse_range,
    store_zone,
)
from returns_portal.refunds.exports.amounts import to_major, to_minor
from returns_portal.refunds.exports.queue import (
    METHODS,
    QUEUE_DEFAULT,
    QUEUE_LIMIT,
    Queue,
    QueueFilter,
    QueueRow,
    refund_queue,
)
from returns_portal.refunds.exports.refund_file import RefundFile, reason_of, refund_file

__all__ = [
    "HEADER",
    "METHODS",
    "QUEUE_DEFAULT",
    "QUEUE_LIMIT",
    "ExportRangeError",
    "Queue",
    "QueueFilter",
    "QueueRow",
    "RefundFile",
    "_cell",
    "export_csv",
    "export_rows",
    "parse_range",
    "reason_of",
    "refund_file",
    "refund_queue",
    "store_zone",
    "to_major",
    "to_minor",
]
