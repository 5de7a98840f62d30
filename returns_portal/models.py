"""Import every domain's models so the metadata (and Alembic) sees all tables."""

from returns_portal.accounts.models import ApiToken, User
from returns_portal.audit.models import AuditEvent
from returns_portal.events.models import OutboxMessage
from returns_portal.notifications.models import CustomerMail
from returns_portal.orders.models import (
    Order,
    OrderLine,
    Parcel,
    ParcelItem,
    Payment,
    StockLevel,
)
from returns_portal.receiving.models import (
    Inspection,
    InspectionItem,
    InspectionStaff,
    UnidentifiedParcel,
)
from returns_portal.refunds.models import ProviderEvent, Refund, RefundApproval, StoreCreditEntry
from returns_portal.returns.models import (
    ReplacementLine,
    ReplacementOrder,
    Return,
    ReturnItem,
    ReturnNote,
)
from returns_portal.shipping.models import Shipment, TrackingEvent
from returns_portal.store.models import PolicyVersion, StoreSettings

__all__ = [
    "ApiToken",
    "AuditEvent",
    "CustomerMail",
    "Inspection",
    "InspectionItem",
    "InspectionStaff",
    "Order",
    "OrderLine",
    "OutboxMessage",
    "Parcel",
    "ParcelItem",
    "Payment",
    "PolicyVersion",
    "ProviderEvent",
    "Refund",
    "RefundApproval",
    "ReplacementLine",
    "ReplacementOrder",
    "Return",
    "ReturnItem",
    "ReturnNote",
    "Shipment",
    "StockLevel",
    "StoreCreditEntry",
    "StoreSettings",
    "TrackingEvent",
    "UnidentifiedParcel",
    "User",
]  # fmt: skip
