"""Structured logs: every line, from structlog or from the standard ``logging`` module, carries
service, module, trace_id, span_id, correlation_id and request_id, and passes a redaction step.

JSON lines in production (``DJANGO_DEBUG=0`` or ``LOG_FORMAT=json``), readable console lines in
development. ``logging_settings()`` is Django's ``LOGGING``; ``configure()`` sets structlog up to
render through the same handler. The request and correlation ids live in context variables,
bound by the request middleware and restored at every boundary by ``LogContextPropagator``
(sent as ``x-request-id`` and ``correlation_id`` headers).
"""

import re
from collections.abc import Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import structlog
from opentelemetry import trace

_request_id: ContextVar[str | None] = ContextVar("log_request_id", default=None)
_correlation_id: ContextVar[str | None] = ContextVar("log_correlation_id", default=None)
_module: ContextVar[str | None] = ContextVar("log_module", default=None)

EventDict = MutableMapping[str, Any]


# --- context -------------------------------------------------------------------------------


def current_correlation_id() -> str | None:
    return _correlation_id.get()


@contextmanager
def log_context(
    *, request_id: str | None = None, correlation_id: str | None = None, module: str | None = None
) -> Iterator[None]:
    """Bind the given ids (None: keep the current value) for the duration of the block."""
    tokens = [
        (var, var.set(value))
        for var, value in ((_request_id, request_id), (_correlation_id, correlation_id), (_module, module))
        if value is not None
    ]
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


class LogContextPropagator:
    """Carries the request and correlation ids across events and remote calls."""

    def capture(self) -> dict[str, str]:
        headers = {}
        if request_id := _request_id.get():
            headers["x-request-id"] = request_id
        if correlation_id := _correlation_id.get():
            headers["correlation_id"] = correlation_id
        return headers

    def restore(self, headers: Mapping[str, str]) -> Any:
        return log_context(
            request_id=headers.get("x-request-id"),
            correlation_id=headers.get("correlation_id") or headers.get("x-correlation-id"),
        )


# --- processors ----------------------------------------------------------------------------


def _module_of(logger_name: str) -> str | None:
    if logger_name.startswith("modules."):
        return logger_name.split(".", 2)[1]
    return None


class AddContext:
    """service, module, trace_id, span_id, correlation_id, request_id on every line."""

    def __init__(self, service: str) -> None:
        self.service = service

    def __call__(self, logger: Any, method_name: str, event_dict: EventDict) -> EventDict:
        event_dict.setdefault("service", self.service)
        event_dict["module"] = (
            _module_of(str(event_dict.get("logger", ""))) or event_dict.get("module") or _module.get() or "platform"
        )
        span_context = trace.get_current_span().get_span_context()
        if span_context.is_valid:
            event_dict["trace_id"] = format(span_context.trace_id, "032x")
            event_dict["span_id"] = format(span_context.span_id, "016x")
        else:
            event_dict.setdefault("trace_id", None)
            event_dict.setdefault("span_id", None)
        event_dict.setdefault("correlation_id", _correlation_id.get())
        event_dict.setdefault("request_id", _request_id.get())
        return event_dict


REDACTED = "[REDACTED]"
SENSITIVE_KEY = re.compile(
    r"pass(word|wd|phrase)?|secret|token|authori[sz]ation|api[-_]?key|cookie|credential|private[-_]?key|jwt",
    re.IGNORECASE,
)
_VALUE_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    # Authorization header values: "Bearer <token>", "Basic <credentials>"
    (re.compile(r"\b(Bearer|Basic|Token)\s+[A-Za-z0-9\-._~+/]+=*", re.IGNORECASE), rf"\1 {REDACTED}"),
    # a JWT anywhere (header.payload.signature, base64url)
    (re.compile(r"\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), REDACTED),
    # key=value / "key": "value" pairs inside a message
    (
        re.compile(
            r"""(?i)\b((?:pass(?:word|wd)?|secret|token|api[-_]?key|access_token|refresh_token)["']?\s*[:=]\s*["']?)"""
            r"""[^\s"'&,;]+"""
        ),
        rf"\1{REDACTED}",
    ),
    # emails: keep the first character and the domain (a***@example.com)
    (re.compile(r"\b([A-Za-z0-9])[A-Za-z0-9._%+-]*@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)"), r"\1***@\2"),
)


def redact_text(text: str) -> str:
    for pattern, replacement in _VALUE_RULES:
        text = pattern.sub(replacement, text)
    return text


def _redact(value: Any) -> Any:
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        return {k: REDACTED if isinstance(k, str) and SENSITIVE_KEY.search(k) else _redact(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_redact(item) for item in value]
    return value


_ID_KEYS = frozenset({"service", "module", "trace_id", "span_id", "correlation_id", "request_id", "level", "logger"})


def redact(logger: Any, method_name: str, event_dict: EventDict) -> EventDict:
    """No tokens, passwords, Authorization headers or full emails, in keys, values or messages."""
    for key, value in list(event_dict.items()):
        if key in _ID_KEYS or key.startswith("_"):
            continue
        event_dict[key] = REDACTED if SENSITIVE_KEY.search(key) else _redact(value)
    return event_dict


def _drop_empty(logger: Any, method_name: str, event_dict: EventDict) -> EventDict:
    return {key: value for key, value in event_dict.items() if value is not None}


# --- wiring --------------------------------------------------------------------------------


def _shared(service: str) -> list[Any]:
    """What both structlog and standard-library records go through before rendering."""
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(),
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        AddContext(service),
    ]


def formatter(*, json: bool, service: str) -> structlog.stdlib.ProcessorFormatter:
    """The one formatter of the log handlers (``logging_settings``)."""
    final: list[Any] = [structlog.stdlib.ProcessorFormatter.remove_processors_meta]
    if json:
        final += [
            structlog.processors.dict_tracebacks,
            redact,
            structlog.processors.EventRenamer("message"),
            structlog.processors.JSONRenderer(),
        ]
    else:
        final += [
            structlog.processors.format_exc_info,
            redact,
            _drop_empty,
            structlog.dev.ConsoleRenderer(colors=False, exception_formatter=structlog.dev.plain_traceback),
        ]
    return structlog.stdlib.ProcessorFormatter(processors=final, foreign_pre_chain=_shared(service))


def logging_settings(*, json: bool, level: str, service: str) -> dict[str, Any]:
    """Django's ``LOGGING``: one stream handler, every record through ``formatter``."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"structured": {"()": f"{__name__}.formatter", "json": json, "service": service}},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "structured"}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {"django.db.backends": {"level": "WARNING"}},
    }


def configure(*, service: str) -> None:
    """structlog loggers (``structlog.get_logger()``) render through the standard handlers."""
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_shared(service),
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
