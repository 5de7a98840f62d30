"""A local stand-in for an EasyPost-style carrier API, for the HTTP adapter's tests.

It keeps the public API's shapes (https://docs.easypost.com/docs): Shipment with rates
inline, Rate, PostageLabel (label_url, label_zpl_url), Tracker with tracking_details,
Refund; HTTP basic auth with the API key as the user name; errors as
{"error": {"code", "message", "errors": [{"field", "message"}]}} — 401 for a bad key, 422
for bad input, 404 for an unknown object, 429 with Retry-After when rate limited. Shipments
can be looked up by their reference in place of the id, as the API allows.

Faults a test can ask for: `rate_limit(n, retry_after)` answers the next n requests 429;
`hang_requests()` keeps each request waiting (until `release()`), to show timeouts;
`drop_after_buy = n` performs the next n purchases and then closes the connection without
an answer (the "provider acted, reply lost" fault), and `lost_lookups = n` leaves the
next n look-ups of a shipment after a purchase unanswered too. `purchases` counts labels bought.
"""

from __future__ import annotations

import base64
import itertools
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from returns_portal.shipping.easypost import sign_webhook

API_KEY = "EZTK_test_standin_key"
WEBHOOK_SECRET = "whsec_standin"

# Services each carrier account quotes: (carrier, service, rate in major units, days).
SERVICES = (
    ("USPS", "GroundAdvantage", "5.93", 5),
    ("USPS", "Priority", "8.25", 2),
    ("UPS", "NextDayAir", "29.75", 1),
)

REQUIRED_ADDRESS = ("street1", "city", "zip", "country")


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class StandIn:
    """The stand-in's state; `url` is its API base (…/v2)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.ids = itertools.count(1)
        self.shipments: dict[str, dict[str, Any]] = {}
        self.trackers: dict[str, dict[str, Any]] = {}  # by tracking code
        self.files: dict[str, bytes] = {}
        self.purchases = 0
        self.refunds: list[dict[str, Any]] = []
        self.requests: list[tuple[str, str]] = []
        self.hang = False
        self.drop_after_buy = 0
        self.lost_lookups = 0  # after a dropped purchase, this many look-ups get no answer
        self._limited = 0
        self._retry_after = "1"
        self._released = threading.Event()
        self.server = _QuietServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def root(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def url(self) -> str:
        return f"{self.root}/v2"

    def start(self) -> StandIn:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.release()
        self.server.shutdown()
        self.server.server_close()

    def rate_limit(self, count: int, retry_after: str = "1") -> None:
        self._limited, self._retry_after = count, retry_after

    def hang_requests(self) -> None:
        self._released.clear()
        self.hang = True

    def release(self) -> None:
        self.hang = False
        self._released.set()

    def _id(self, prefix: str) -> str:
        return f"{prefix}_{next(self.ids):032x}"

    # --- the carrier's side of a journey ------------------------------------------------------

    def advance(
        self, tracking_code: str, status: str, message: str = "", at: datetime | None = None
    ) -> dict[str, Any]:
        """The carrier scans the parcel: add a tracking detail; return the webhook Event."""
        with self.lock:
            tracker = self.trackers[tracking_code]
            previous = tracker["status"]
            when = at or _now()
            tracker["tracking_details"].append(
                {
                    "object": "TrackingDetail",
                    "message": message or status.replace("_", " ").capitalize(),
                    "status": status,
                    "status_detail": status,
                    "datetime": _iso(when),
                    "source": tracker["carrier"],
                    "tracking_location": {
                        "object": "TrackingLocation",
                        "city": "Shanghai",
                        "state": None,
                        "country": "CN",
                        "zip": "200120",
                    },
                }
            )
            tracker["status"] = status
            tracker["updated_at"] = _iso(when)
            return {
                "id": self._id("evt"),
                "object": "Event",
                "mode": "test",
                "description": "tracker.updated",
                "previous_attributes": {"status": previous},
                "result": json.loads(json.dumps(tracker)),
                "status": "pending",
                "created_at": _iso(when),
                "updated_at": _iso(when),
            }

    @staticmethod
    def signed(event: dict[str, Any], secret: str = WEBHOOK_SECRET) -> tuple[bytes, dict[str, str]]:
        """Return a webhook delivery of `event`: the body and its headers, as EasyPost signs."""
        body = json.dumps(event).encode()
        return body, {
            "Content-Type": "application/json",
            "X-Hmac-Signature": sign_webhook(body, secret),
        }

    # --- the API -----------------------------------------------------------------------------

    def create_shipment(self, body: dict[str, Any]) -> tuple[int, Any]:
        shipment = body.get("shipment")
        if not isinstance(shipment, dict):
            return _error(
                422,
                "PARAMETER.REQUIRED",
                "Missing required parameter.",
                [{"field": "shipment", "message": "cannot be blank"}],
            )
        problems = [
            {"field": f"{side}.{key}", "message": "cannot be blank"}
            for side in ("to_address", "from_address")
            for key in REQUIRED_ADDRESS
            if not str((shipment.get(side) or {}).get(key) or "").strip()
        ]
        weight = (shipment.get("parcel") or {}).get("weight")
        if not isinstance(weight, int | float) or weight <= 0:
            problems.append({"field": "parcel.weight", "message": "must be greater than 0"})
        if problems:
            return _error(
                422,
                "SHIPMENT.INVALID_PARAMS",
                "Unable to create shipment, one or more parameters were invalid.",
                problems,
            )
        reference = shipment.get("reference")
        with self.lock:
            if reference and any(s.get("reference") == reference for s in self.shipments.values()):
                return _error(
                    422,
                    "SHIPMENT.REFERENCE.EXISTS",
                    f"A shipment with reference {reference} exists.",
                    [],
                )
            currency = (shipment.get("options") or {}).get("currency", "USD")
            shipment_id = self._id("shp")
            record = {
                "id": shipment_id,
                "object": "Shipment",
                "mode": "test",
                "reference": reference,
                "is_return": bool(shipment.get("is_return")),
                "to_address": {"object": "Address", **shipment["to_address"]},
                "from_address": {"object": "Address", **shipment["from_address"]},
                "parcel": {"object": "Parcel", **shipment["parcel"]},
                "options": shipment.get("options") or {},
                "rates": [
                    {
                        "id": self._id("rate"),
                        "object": "Rate",
                        "mode": "test",
                        "shipment_id": shipment_id,
                        "carrier": carrier,
                        "service": service,
                        "rate": rate,
                        "currency": currency,
                        "retail_rate": rate,
                        "retail_currency": currency,
                        "delivery_days": days,
                        "est_delivery_days": days,
                        "carrier_account_id": f"ca_{carrier.lower()}",
                    }
                    for carrier, service, rate, days in SERVICES
                ],
                "selected_rate": None,
                "postage_label": None,
                "tracker": None,
                "tracking_code": None,
                "refund_status": None,
                "created_at": _iso(_now()),
            }
            self.shipments[shipment_id] = record
            return 201, record

    def shipment(self, key: str) -> dict[str, Any] | None:
        with self.lock:
            found = self.shipments.get(key)
            if found is None:
                found = next(
                    (s for s in self.shipments.values() if s.get("reference") == key), None
                )
            return found

    def buy(self, shipment_id: str, body: dict[str, Any]) -> tuple[int, Any]:
        with self.lock:
            shipment = self.shipments.get(shipment_id)
            if shipment is None:
                return _error(404, "NOT_FOUND", "The requested resource could not be found.", [])
            if shipment["postage_label"] is not None:
                return _error(
                    422, "SHIPMENT.POSTAGE.EXISTS", "This shipment already has a label.", []
                )
            rate_id = (body.get("rate") or {}).get("id")
            rate = next((r for r in shipment["rates"] if r["id"] == rate_id), None)
            if rate is None:
                return _error(
                    422,
                    "SHIPMENT.RATE.INVALID",
                    "The rate is not one of this shipment's rates.",
                    [{"field": "rate.id", "message": "is invalid"}],
                )
            self.purchases += 1
            serial = next(self.ids)
            tracking_code = f"9400{serial:018d}"
            label_id = self._id("pl")
            self.files[f"{label_id}.pdf"] = b"%PDF-1.4 stand-in label " + tracking_code.encode()
            self.files[f"{label_id}.zpl"] = f"^XA^FO50,50^BCN,100^FD{tracking_code}^FS^XZ".encode()
            now = _iso(_now())
            shipment["selected_rate"] = rate
            shipment["tracking_code"] = tracking_code
            shipment["postage_label"] = {
                "id": label_id,
                "object": "PostageLabel",
                "label_file_type": "application/pdf",
                "label_url": f"{self.root}/files/{label_id}.pdf",
                "label_pdf_url": f"{self.root}/files/{label_id}.pdf",
                "label_zpl_url": f"{self.root}/files/{label_id}.zpl",
                "created_at": now,
            }
            tracker = {
                "id": self._id("trk"),
                "object": "Tracker",
                "mode": "test",
                "tracking_code": tracking_code,
                "status": "pre_transit",
                "carrier": rate["carrier"],
                "shipment_id": shipment_id,
                "tracking_details": [
                    {
                        "object": "TrackingDetail",
                        "message": "Shipping label created",
                        "status": "pre_transit",
                        "status_detail": "label_created",
                        "datetime": now,
                        "source": rate["carrier"],
                        "tracking_location": {
                            "object": "TrackingLocation",
                            "city": None,
                            "state": None,
                            "country": None,
                            "zip": None,
                        },
                    }
                ],
                "created_at": now,
                "updated_at": now,
            }
            self.trackers[tracking_code] = tracker
            shipment["tracker"] = tracker
            return 200, shipment

    def refund(self, shipment_id: str) -> tuple[int, Any]:
        with self.lock:
            shipment = self.shipments.get(shipment_id)
            if shipment is None:
                return _error(404, "NOT_FOUND", "The requested resource could not be found.", [])
            if shipment["postage_label"] is None:
                return _error(
                    422, "SHIPMENT.REFUND.UNAVAILABLE", "This shipment has no label to refund.", []
                )
            tracker = self.trackers[shipment["tracking_code"]]
            if tracker["status"] != "pre_transit":
                return _error(
                    422,
                    "SHIPMENT.REFUND.UNAVAILABLE",
                    "This label has been used and cannot be refunded.",
                    [],
                )
            shipment["refund_status"] = "submitted"
            self.refunds.append(
                {
                    "id": self._id("rfnd"),
                    "object": "Refund",
                    "tracking_code": shipment["tracking_code"],
                    "status": "submitted",
                    "carrier": tracker["carrier"],
                    "shipment_id": shipment_id,
                }
            )
            return 200, shipment

    def trackers_for(self, code: str) -> tuple[int, Any]:
        with self.lock:
            found = self.trackers.get(code)
            return 200, {"trackers": [found] if found else [], "has_more": False}


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that gave up waiting (the timeout tests) is no error of the stand-in


def _error(status: int, code: str, message: str, errors: list[dict[str, str]]) -> tuple[int, Any]:
    return status, {"error": {"code": code, "message": message, "errors": errors}}


def _handler(state: StandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def _send(self, status: int, data: Any, headers: dict[str, str] | None = None) -> None:
            raw = json.dumps(data).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(raw)

        def _body(self) -> dict[str, Any]:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                data = json.loads(raw or b"{}")
            except ValueError:
                return {}
            return data if isinstance(data, dict) else {}

        def _authorised(self) -> bool:
            header = self.headers.get("Authorization", "")
            if not header.startswith("Basic "):
                return False
            try:
                user = base64.b64decode(header[6:]).decode().split(":", 1)[0]
            except ValueError:
                return False
            return user == API_KEY

        def _serve(self, method: str) -> None:
            path = urlsplit(self.path)
            state.requests.append((method, path.path))
            if path.path.startswith("/files/"):
                data = state.files.get(path.path.removeprefix("/files/"))
                if data is None:
                    self._send(
                        404,
                        {"error": {"code": "NOT_FOUND", "message": "No such file.", "errors": []}},
                    )
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return
            body = self._body() if method == "POST" else {}
            if state.hang:
                state._released.wait(10)
            if not self._authorised():
                self._send(
                    401,
                    {
                        "error": {
                            "code": "APIKEY.INACTIVE",
                            "message": "The API key provided is not valid.",
                            "errors": [],
                        }
                    },
                )
                return
            if state._limited > 0:
                state._limited -= 1
                self._send(
                    429,
                    {
                        "error": {
                            "code": "RATE_LIMITED",
                            "message": "You have exceeded the rate limit. Please try again later.",
                            "errors": [],
                        }
                    },
                    {"Retry-After": state._retry_after},
                )
                return
            parts = path.path.strip("/").split("/")
            if parts[:1] != ["v2"]:
                self._send(
                    404,
                    {
                        "error": {
                            "code": "NOT_FOUND",
                            "message": "The requested resource could not be found.",
                            "errors": [],
                        }
                    },
                )
                return
            parts = parts[1:]
            status, data = (
                404,
                {
                    "error": {
                        "code": "NOT_FOUND",
                        "message": "The requested resource could not be found.",
                        "errors": [],
                    }
                },
            )
            if method == "POST" and parts == ["shipments"]:
                status, data = state.create_shipment(body)
            elif method == "GET" and len(parts) == 2 and parts[0] == "shipments":
                if state.lost_lookups > 0 and state.purchases:
                    state.lost_lookups -= 1
                    self.close_connection = True
                    return
                found = state.shipment(parts[1])
                if found is not None:
                    status, data = 200, found
            elif (
                method == "POST"
                and len(parts) == 3
                and parts[0] == "shipments"
                and parts[2] == "buy"
            ):
                status, data = state.buy(parts[1], body)
                if status == 200 and state.drop_after_buy > 0:
                    state.drop_after_buy -= 1
                    self.close_connection = True
                    return  # bought, and no answer goes back
            elif (
                method == "POST"
                and len(parts) == 3
                and parts[0] == "shipments"
                and parts[2] == "refund"
            ):
                status, data = state.refund(parts[1])
            elif method == "GET" and parts == ["trackers"]:
                code = (parse_qs(path.query).get("tracking_code") or [""])[0]
                status, data = state.trackers_for(code)
            self._send(status, data)

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

    return Handler


@contextmanager
def running() -> Iterator[StandIn]:
    server = StandIn().start()
    try:
        yield server
    finally:
        server.stop()


def carrier_config(server: StandIn, **overrides: Any) -> dict[str, Any]:
    """A carrier entry for the stand-in, as the merchant's CARRIERS would list it."""
    config: dict[str, Any] = {
        "type": "easypost",
        "code": "ep",
        "name": "EasyPost Test",
        "api_key": API_KEY,
        "base_url": server.url,
        "carrier_accounts": ["ca_usps", "ca_ups"],
        "webhook_secret": WEBHOOK_SECRET,
        "timeout": 2,
        "max_retries": 2,
        "max_retry_after": 2,
        "trust_env": False,
    }
    config.update(overrides)
    return config


def later(minutes: int) -> datetime:
    return _now() + timedelta(minutes=minutes)
