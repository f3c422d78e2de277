#!/usr/bin/env python3
"""A fake payment provider for development and tests (standard library only, 127.0.0.1 only).

Run it as a process::

    python scripts/fake_payment_provider.py --port 8010 --decline-over 1000 --failure-rate 0.0 --latency 0.0

or in-process from tests::

    with FakePaymentProvider(failure_rate=0.0) as provider:   # a free port, in a thread
        ... provider.url, provider.received, provider.authorizations(), provider.configure(...)

The API (JSON in, JSON out; every POST needs an ``Idempotency-Key`` header):

    POST /v1/authorizations              {amount, currency, reference, customer_email}
         201 {id, status: "authorized", amount, currency, reference}
         402 {id, status: "declined", reason, amount, currency, reference}
    POST /v1/authorizations/{id}/capture 200 {..., status: "captured"}, 409 when voided or declined
    POST /v1/authorizations/{id}/void    200 {..., status: "voided"}, 409 when captured or declined
    GET  /v1/authorizations[?reference=] {"authorizations": [...]} (lookup, and money reconciliation)
    GET  /v1/authorizations/{id}         one authorization
    GET  /v1/health                      {"status": "ok", ...}
    GET|POST /_control                   read or change failure_rate, latency, decline_over at run time

Idempotency: the same key with the same request returns the stored response (nothing happens
twice, also when the two requests overlap); the same key with a different request is a 422.
Capturing a captured authorization, or voiding a voided one, is also a 200, whatever the key.

Behaviour: an authorization is declined when its amount is over ``decline_over`` or the customer's
email starts with "decline". With probability ``failure_rate`` a request to /v1/authorizations...
is answered 503 without being processed (health and control never fail). Every such request first
waits ``latency`` seconds (plus up to 10% jitter), then is processed: a caller that gives up early
may still find it done, as with a real provider.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import random
import re
import signal
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import parse_qs, urlsplit

HOST = "127.0.0.1"  # never anything else: a fake that takes money must not be reachable from outside
MAX_BODY = 64 * 1024
JITTER = 0.1  # extra latency, as a fraction of it, at most
CURRENCY = re.compile(r"^[A-Z]{3}$")
REFERENCE = re.compile(r"^\S{1,200}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
AUTHORIZATION_PATH = re.compile(r"^/v1/authorizations/(?P<id>[A-Za-z0-9_-]+)(?:/(?P<action>capture|void))?$")

Reply = tuple[int, dict[str, Any]]


class BadRequestError(Exception):
    def __init__(self, status: int, error: str, detail: str) -> None:
        super().__init__(detail)
        self.reply: Reply = (status, {"error": error, "detail": detail})


# --- behaviour ---------------------------------------------------------------------------------


@dataclass
class Behaviour:
    decline_over: Decimal = Decimal("1000")
    failure_rate: float = 0.0  # 0..1: the share of API requests answered 503, unprocessed
    latency: float = 0.0  # seconds before each API request is processed

    def as_json(self) -> dict[str, Any]:
        return {"decline_over": str(self.decline_over), "failure_rate": self.failure_rate, "latency": self.latency}

    def update(self, changes: dict[str, Any]) -> None:
        """Apply a /_control body; raises BadRequestError naming the first bad field."""
        unknown = sorted(set(changes) - {"decline_over", "failure_rate", "latency"})
        if unknown:
            raise BadRequestError(422, "invalid_control", f"unknown field(s): {', '.join(unknown)}")
        checked = {name: _control_value(name, value) for name, value in changes.items()}
        for name, value in checked.items():
            setattr(self, name, value)

    def decline_reason(self, *, amount: Decimal, customer_email: str) -> str:
        if amount > self.decline_over:
            return f"amount {amount} is over the limit of {self.decline_over}"
        if customer_email.lower().startswith("decline"):
            return "card declined by the issuer"
        return ""


def _control_value(name: str, value: Any) -> Any:
    if name == "decline_over":
        return _non_negative_decimal(value, name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadRequestError(422, "invalid_control", f"{name} must be a number")
    if name == "failure_rate" and not 0.0 <= value <= 1.0:
        raise BadRequestError(422, "invalid_control", "failure_rate must be between 0 and 1")
    if name == "latency" and not 0.0 <= value <= 60.0:
        raise BadRequestError(422, "invalid_control", "latency must be between 0 and 60 seconds")
    return float(value)


def _non_negative_decimal(value: Any, name: str) -> Decimal:
    try:
        number = Decimal(str(value)) if not isinstance(value, bool) else Decimal("NaN")
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite() or number < 0:
        raise BadRequestError(422, "invalid_control", f"{name} must be a non-negative number")
    return number


# --- the ledger: authorizations and idempotency records, optionally kept in a file ------------


class Ledger:
    """Everything the provider remembers. One lock makes each request's check-then-act atomic,
    so two overlapping requests with one Idempotency-Key are processed once."""

    def __init__(self, state_file: Path | None = None) -> None:
        self._lock = threading.Lock()
        self._state_file = state_file
        self.authorizations: dict[str, dict[str, Any]] = {}
        self._keys: dict[str, dict[str, Any]] = {}
        if state_file is not None and state_file.exists():
            self._load(state_file)

    def idempotent(self, key: str, fingerprint: str, act: Callable[[], Reply]) -> Reply:
        with self._lock:
            stored = self._keys.get(key)
            if stored is not None:
                if stored["fingerprint"] != fingerprint:
                    detail = "this Idempotency-Key was used with a different request"
                    return 422, {"error": "idempotency_key_reused", "detail": detail}
                return stored["status"], stored["body"]
            status, body = act()
            self._keys[key] = {"fingerprint": fingerprint, "status": status, "body": body}
            self._save()
            return status, body

    def listing(self, reference: str | None) -> list[dict[str, Any]]:
        with self._lock:
            found = [a for a in self.authorizations.values() if reference is None or a["reference"] == reference]
        return [public(a) for a in sorted(found, key=lambda a: a["created_at"])]

    def get(self, authorization_id: str) -> dict[str, Any] | None:
        with self._lock:
            found = self.authorizations.get(authorization_id)
            return dict(found) if found else None

    def _load(self, path: Path) -> None:
        try:
            state = json.loads(path.read_text())
            self.authorizations = dict(state["authorizations"])
            self._keys = dict(state["idempotency_keys"])
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise ValueError(f"cannot read the state file {path}: {error}") from None

    def _save(self) -> None:
        if self._state_file is None:
            return
        state = {"authorizations": self.authorizations, "idempotency_keys": self._keys}
        partial = self._state_file.with_name(self._state_file.name + ".tmp")
        partial.write_text(json.dumps(state, indent=1, sort_keys=True))
        os.replace(partial, self._state_file)  # a crash leaves the old state or the new, never half


def public(authorization: dict[str, Any]) -> dict[str, Any]:
    shown = {key: authorization[key] for key in ("id", "status", "amount", "currency", "reference")}
    if authorization["status"] == "declined":
        shown["reason"] = authorization["reason"]
    return shown


# --- the operations ----------------------------------------------------------------------------


@dataclass(frozen=True)
class AuthorizationRequest:
    amount: Decimal
    currency: str
    reference: str
    customer_email: str

    @classmethod
    def parse(cls, body: Any) -> AuthorizationRequest:
        if not isinstance(body, dict):
            raise BadRequestError(422, "invalid_request", "the body must be a JSON object")
        missing = [name for name in ("amount", "currency", "reference", "customer_email") if name not in body]
        if missing:
            raise BadRequestError(422, "invalid_request", f"missing field(s): {', '.join(missing)}")
        return cls(
            amount=_amount(body["amount"]),
            currency=_text(body["currency"], "currency", CURRENCY, "a 3-letter upper-case ISO 4217 code"),
            reference=_text(body["reference"], "reference", REFERENCE, "1 to 200 characters"),
            customer_email=_text(body["customer_email"], "customer_email", EMAIL, "an email"),
        )


def _amount(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise BadRequestError(422, "invalid_request", 'amount must be a decimal string such as "12.50"')
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise BadRequestError(422, "invalid_request", f"amount is not a number: {value!r}") from None
    if not amount.is_finite() or amount <= 0 or amount.as_tuple().exponent < -2:  # type: ignore[operator]
        raise BadRequestError(422, "invalid_request", "amount must be positive with at most 2 decimals")
    return amount


def _text(value: Any, name: str, pattern: re.Pattern[str], expected: str) -> str:
    if not isinstance(value, str) or not pattern.match(value):
        raise BadRequestError(422, "invalid_request", f"{name} must be {expected}")
    return value


def authorize(ledger: Ledger, behaviour: Behaviour, request: AuthorizationRequest) -> Reply:
    """Runs under the ledger's lock (from ``Ledger.idempotent``)."""
    reason = behaviour.decline_reason(amount=request.amount, customer_email=request.customer_email)
    authorization_id = f"auth_{uuid.uuid4().hex}"
    authorization: dict[str, Any] = {
        "id": authorization_id,
        "status": "declined" if reason else "authorized",
        "amount": str(request.amount),
        "currency": request.currency,
        "reference": request.reference,
        "customer_email": request.customer_email,
        "reason": reason,
        "created_at": time.time(),
    }
    ledger.authorizations[authorization_id] = authorization
    return (402 if reason else 201), public(authorization)


# From each status, what capture and void lead to (None: refused with 409).
TRANSITIONS: dict[str, dict[str, str | None]] = {
    "capture": {"authorized": "captured", "captured": "captured", "voided": None, "declined": None},
    "void": {"authorized": "voided", "voided": "voided", "captured": None, "declined": None},
}


def transition(ledger: Ledger, authorization_id: str, action: str) -> Reply:
    """Capture or void; runs under the ledger's lock (from ``Ledger.idempotent``)."""
    authorization = ledger.authorizations.get(authorization_id)
    if authorization is None:
        return 404, {"error": "not_found", "detail": f"no authorization {authorization_id}"}
    target = TRANSITIONS[action][authorization["status"]]
    if target is None:
        detail = f"cannot {action} an authorization that is {authorization['status']}"
        return 409, {"error": "conflict", "detail": detail, "status": authorization["status"]}
    authorization["status"] = target
    return 200, public(authorization)


# --- HTTP --------------------------------------------------------------------------------------


class FakePaymentProvider:
    """The provider as an object: ``start()`` serves it on 127.0.0.1 in a thread (a free port
    unless ``port`` is given), ``stop()`` stops it; the ledger survives a stop and a new start
    (on the same port), like a provider that was down for a while."""

    def __init__(
        self,
        *,
        port: int = 0,
        decline_over: Decimal | str | int = Decimal("1000"),
        failure_rate: float = 0.0,
        latency: float = 0.0,
        state_file: Path | str | None = None,
        quiet: bool = True,
    ) -> None:
        self.port = port
        self.behaviour = Behaviour()
        self.behaviour.update({"decline_over": str(decline_over), "failure_rate": failure_rate, "latency": latency})
        self.ledger = Ledger(Path(state_file) if state_file else None)
        self.quiet = quiet
        self.received: list[tuple[str, str]] = []  # (method, path) of every API request, in order
        self._received_lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def bind(self) -> _Server:
        server = _Server((HOST, self.port), _handler_for(self))
        self.port = server.server_address[1]
        self._server = server
        return server

    def start(self) -> FakePaymentProvider:
        server = self.bind()
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-payment-provider", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.close_connections()  # kept-alive ones too: a stopped provider answers nothing
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> FakePaymentProvider:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def configure(self, **changes: Any) -> None:
        """Change ``failure_rate``, ``latency`` or ``decline_over`` while running."""
        self.behaviour.update({k: (str(v) if isinstance(v, Decimal) else v) for k, v in changes.items()})

    def authorizations(self, reference: str | None = None) -> list[dict[str, Any]]:
        return self.ledger.listing(reference)

    def total(self, status: str) -> Decimal:
        """The sum of the amounts of the authorizations now in ``status`` (money reconciliation)."""
        return sum((Decimal(a["amount"]) for a in self.authorizations() if a["status"] == status), Decimal(0))

    def count(self, method: str = "", prefix: str = "/v1/authorizations") -> int:
        with self._received_lock:
            return sum(1 for m, path in self.received if path.startswith(prefix) and (not method or m == method))

    def record(self, method: str, path: str) -> None:
        with self._received_lock:
            self.received.append((method, path))


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a request still sleeping its latency does not hold up a stop

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(address, handler)
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a caller hanging up is no error
            super().handle_error(request, client_address)

    def close_connections(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):  # already closed by the other side
                connection.shutdown(socket.SHUT_RDWR)


def _handler_for(provider: FakePaymentProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as a pooled client expects
        server_version = "FakePaymentProvider/1"

        def setup(self) -> None:
            super().setup()
            # Headers and body leave in two writes: without this, Nagle's algorithm holds the body
            # back until the client's delayed ACK, ~40 ms on every kept-alive request.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def do_GET(self) -> None:
            self._serve()

        def do_POST(self) -> None:
            self._serve()

        def do_PUT(self) -> None:
            self._serve()

        def do_DELETE(self) -> None:
            self._serve()

        def log_message(self, format: str, *args: Any) -> None:
            if not provider.quiet:
                sys.stderr.write(f"fake-payment-provider: {format % args}\n")

        def _serve(self) -> None:
            try:
                status, body = self._route()
            except BadRequestError as error:
                status, body = error.reply
            except Exception as error:  # a bug here must still answer, as JSON, and keep serving
                status, body = 500, {"error": "internal", "detail": f"{type(error).__name__}: {error}"}
            self._send(status, body)

        def _route(self) -> Reply:
            url = urlsplit(self.path)
            body = self._body()  # read it always, so the connection stays usable
            if url.path == "/v1/health":
                return self._only("GET") or (200, {"status": "ok", **provider.behaviour.as_json()})
            if url.path == "/_control":
                return self._control(body)
            if url.path == "/v1/authorizations" or AUTHORIZATION_PATH.match(url.path):
                provider.record(self.command, url.path)
                return self._api(url.path, parse_qs(url.query), body)
            return 404, {"error": "not_found", "detail": f"no such endpoint: {url.path}"}

        def _api(self, path: str, query: dict[str, list[str]], raw: bytes) -> Reply:
            behaviour = provider.behaviour
            if behaviour.latency:
                time.sleep(behaviour.latency * (1 + random.uniform(0, JITTER)))
            if random.random() < behaviour.failure_rate:
                return 503, {"error": "unavailable", "detail": "injected failure (failure_rate)"}
            if path == "/v1/authorizations":
                if self.command == "GET":
                    return 200, {"authorizations": provider.ledger.listing(_one(query, "reference"))}
                return self._only("POST") or self._create(raw)
            match = AUTHORIZATION_PATH.match(path)
            assert match is not None
            if match["action"] is None:
                return self._only("GET") or self._one_authorization(match["id"])
            return self._only("POST") or self._transition(path, raw, match["id"], match["action"])

        def _create(self, raw: bytes) -> Reply:
            key = self._idempotency_key()
            request = AuthorizationRequest.parse(_json(raw))
            return provider.ledger.idempotent(
                key,
                _fingerprint("POST /v1/authorizations", raw),
                lambda: authorize(provider.ledger, provider.behaviour, request),
            )

        def _transition(self, path: str, raw: bytes, authorization_id: str, action: str) -> Reply:
            key = self._idempotency_key()
            if raw.strip():
                _json(raw)  # any JSON is accepted (and ignored), but it must be JSON
            return provider.ledger.idempotent(
                key, _fingerprint(f"POST {path}", raw), lambda: transition(provider.ledger, authorization_id, action)
            )

        def _one_authorization(self, authorization_id: str) -> Reply:
            found = provider.ledger.get(authorization_id)
            if found is None:
                return 404, {"error": "not_found", "detail": f"no authorization {authorization_id}"}
            return 200, public(found)

        def _control(self, raw: bytes) -> Reply:
            if self.command not in ("GET", "POST"):
                return 405, {"error": "method_not_allowed", "detail": f"{self.command} is not allowed here"}
            if self.command == "POST":
                changes = _json(raw) if raw.strip() else {}
                if not isinstance(changes, dict):
                    raise BadRequestError(422, "invalid_control", "the body must be a JSON object")
                provider.behaviour.update(changes)
            return 200, {**provider.behaviour.as_json(), "requests": provider.count()}

        def _only(self, method: str) -> Reply | None:
            if self.command == method:
                return None
            return 405, {"error": "method_not_allowed", "detail": f"{self.command} is not allowed here, use {method}"}

        def _idempotency_key(self) -> str:
            key = (self.headers.get("Idempotency-Key") or "").strip()
            if not key or len(key) > 255:
                raise BadRequestError(
                    400, "idempotency_key_required", "an Idempotency-Key header (1-255 chars) is required"
                )
            return key

        def _body(self) -> bytes:
            try:
                length = int(self.headers.get("Content-Length") or 0)
            except ValueError:
                raise BadRequestError(400, "invalid_request", "Content-Length is not a number") from None
            if length > MAX_BODY:
                raise BadRequestError(413, "too_large", f"the body is over {MAX_BODY} bytes")
            return self.rfile.read(length) if length > 0 else b""

        def _send(self, status: int, body: dict[str, Any]) -> None:
            payload = json.dumps(body).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except ConnectionError:  # the caller gave up (timed out): its loss, nothing to report
                self.close_connection = True

    return Handler


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw or b"null")
    except ValueError as error:
        raise BadRequestError(400, "invalid_json", f"the body is not valid JSON: {error}") from None


def _one(query: dict[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    return values[0] if values else None


def _fingerprint(request_line: str, raw: bytes) -> str:
    """What "the same request" means: the method, path and body, the body's key order aside."""
    try:
        body = json.dumps(json.loads(raw), sort_keys=True) if raw.strip() else ""
    except ValueError:
        body = raw.decode(errors="replace")
    return hashlib.sha256(f"{request_line}\n{body}".encode()).hexdigest()


# --- the command line --------------------------------------------------------------------------


class OneLineParser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse's own prints the whole usage first
        self.exit(2, f"{self.prog}: {message}\n")


def _fraction(text: str) -> float:
    value = _number(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, not {text}")
    return value


def _seconds(text: str) -> float:
    value = _number(text)
    if not 0.0 <= value <= 60.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 60 seconds, not {text}")
    return value


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None


def _amount_limit(text: str) -> Decimal:
    try:
        return _non_negative_decimal(text, "--decline-over")
    except BadRequestError:
        raise argparse.ArgumentTypeError(f"must be a non-negative amount, not {text!r}") from None


def _port(text: str) -> int:
    if not text.isdigit() or not 0 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"must be a port number (0-65535), not {text!r}")
    return int(text)


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = OneLineParser(prog="fake_payment_provider", description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default=HOST, help="must be 127.0.0.1 (the only address it binds)")
    parser.add_argument("--port", type=_port, default=8010, help="default 8010; 0 picks a free one")
    parser.add_argument("--decline-over", type=_amount_limit, default=Decimal("1000"), help="decline amounts over this")
    parser.add_argument("--failure-rate", type=_fraction, default=0.0, help="share of requests answered 503 (0..1)")
    parser.add_argument("--latency", type=_seconds, default=0.0, help="seconds before each request is processed")
    parser.add_argument("--state", type=Path, default=None, help="keep authorizations in this JSON file")
    parser.add_argument("--quiet", action="store_true", help="do not log each request")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    if arguments.host != HOST:
        print(f"fake_payment_provider: refusing to bind {arguments.host}: only {HOST} is allowed", file=sys.stderr)
        return 2
    if arguments.state is not None and not arguments.state.parent.is_dir():
        print(f"fake_payment_provider: no folder for the state file: {arguments.state.parent}", file=sys.stderr)
        return 2
    try:
        provider = FakePaymentProvider(
            port=arguments.port,
            decline_over=arguments.decline_over,
            failure_rate=arguments.failure_rate,
            latency=arguments.latency,
            state_file=arguments.state,
            quiet=arguments.quiet,
        )
        server = provider.bind()
    except (OSError, ValueError) as error:
        print(f"fake_payment_provider: cannot start on {HOST}:{arguments.port}: {error}", file=sys.stderr)
        return 1
    signal.signal(signal.SIGTERM, _interrupt)
    settings = provider.behaviour.as_json()
    print(f"fake payment provider on {provider.url} {json.dumps(settings)}", file=sys.stderr, flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
