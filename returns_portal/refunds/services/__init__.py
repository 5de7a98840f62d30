"""The refunds domain's services, one module per job; callers import them from here.

- approvals: proposals from a settlement, approve / adjust / deny / retry, auto-approval;
- payouts: the exactly-once core that pays an approved refund through the provider;
- reconcile: settle lost outcomes, retry failures, compare the books with the provider;
- provider_events: the payment provider's webhooks;
- queries: read-only answers (a return's refunds, the customer's money, balances).
"""

from returns_portal.refunds.services.approvals import (
    adjust_refund,
    approvals_needed,
    approve_refund,
    auto_approve,
    deny_refund,
    propose_settlement,
    retry_refund,
)
from returns_portal.refunds.services.common import (
    APPROVERS,
    HOLDING,
    RECONCILE_AFTER,
    WAITING_FOR_FINANCE,
    RefundError,
    actor_of,
    refund_order_email,
    refundable,
)
from returns_portal.refunds.services.payouts import submit_refund
from returns_portal.refunds.services.provider_events import handle_provider_event
from returns_portal.refunds.services.queries import (
    MoneyPart,
    customer_money,
    get_refund,
    return_refunds,
    store_credit_balance,
)
from returns_portal.refunds.services.reconcile import (
    Mismatch,
    ReconcileReport,
    reconcile,
    reconciliation_report,
)

__all__ = [
    "APPROVERS",
    "HOLDING",
    "RECONCILE_AFTER",
    "WAITING_FOR_FINANCE",
    "Mismatch",
    "MoneyPart",
    "ReconcileReport",
    "RefundError",
    "actor_of",
    "adjust_refund",
    "approvals_needed",
    "approve_refund",
    "auto_approve",
    "customer_money",
    "deny_refund",
    "get_refund",
    "handle_provider_event",
    "propose_settlement",
    "reconcile",
    "reconciliation_report",
    "refund_order_email",
    "refundable",
    "retry_refund",
    "return_refunds",
    "store_credit_balance",
    "submit_refund",
]
