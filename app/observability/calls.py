"""Contract calls: one span and two metric samples (count by outcome, latency) per call, for
every binding (``in-process`` facade or ``remote`` client); and the provider's side of a remote
call, one SERVER span (``served_span``).

The composition root passes each implementation it binds through ``observe_contract``, which
replaces the contract's methods *on that instance* with thin wrappers: the implementation keeps
its type, and callers keep resolving and calling it as before. Labelled metric children are
looked up once, here, not per call.
"""

from collections.abc import Callable
from contextlib import suppress
from functools import wraps
from time import perf_counter
from typing import Any, TypeVar

from django.http import HttpRequest
from opentelemetry import context, trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode

from app.observability import metrics
from app.observability.tracing import ENABLED, parent_from
from app.remote.contract import contract_methods
from app.remote.server import URL_PREFIX
from contracts.kernel.errors import DomainError

T = TypeVar("T")

_tracer = trace.get_tracer(__name__)
INTERNAL_PATH = f"/{URL_PREFIX}"  # the internal contract endpoints


def observe_contract(implementation: T, *, interface: type[Any], contract: str, binding: str) -> T:
    """``implementation`` with each of ``interface``'s methods observed (in place)."""
    for name in contract_methods(interface):
        method = getattr(implementation, name, None)
        if method is None:
            continue
        with suppress(AttributeError):  # __slots__ or a frozen implementation: left unobserved
            setattr(implementation, name, observed(method, contract=contract, method=name, binding=binding))
    return implementation


def observed(function: Callable[..., Any], *, contract: str, method: str, binding: str) -> Callable[..., Any]:
    span_name = f"contract {contract}.{method}"
    kind = SpanKind.CLIENT if binding == "remote" else SpanKind.INTERNAL
    attributes = {"rpc.system": "contract", "rpc.service": contract, "rpc.method": method, "contract.binding": binding}
    ok, domain_error, error = (
        metrics.CONTRACT_CALLS.labels(contract, method, binding, outcome) for outcome in ("ok", "domain_error", "error")
    )
    latency = metrics.CONTRACT_LATENCY.labels(contract, method, binding)

    @wraps(function)
    def call(*args: Any, **kwargs: Any) -> Any:
        start = perf_counter()
        # A span only inside a recorded trace (a request, a handler): a call from a shell or a
        # command is not worth a trace of its own, and costs only the metrics.
        traced = ENABLED and trace.get_current_span().is_recording()
        if traced:
            span = _tracer.start_span(span_name, kind=kind, attributes=attributes)
            token = context.attach(trace.set_span_in_context(span))  # by hand: cheaper than a `with`
        try:
            result = function(*args, **kwargs)
        except DomainError:  # an answer of the contract, not a failure of the call
            domain_error.inc()
            raise
        except BaseException as failure:
            error.inc()
            if traced:
                span.record_exception(failure)
                span.set_status(Status(StatusCode.ERROR, f"{type(failure).__name__}: {failure}"))
            raise
        finally:
            if traced:
                context.detach(token)
                span.end()
            latency.observe(perf_counter() - start)
        ok.inc()
        return result

    return call


def served_span(request: HttpRequest) -> Span | None:
    """The SERVER span of an internal contract call (``POST /internal/<module>/<method>``), a
    child of the caller's span named in the call's ``traceparent``; None for any other request
    or with tracing off. The request middleware keeps it current around the whole request, its
    access log line included. The Django instrumentation leaves these paths out
    (``app.observability.tracing``): one span named and attributed as an RPC is all the trace
    needs from this side, at a fraction of what the instrumentation costs per request."""
    if not ENABLED or not request.path_info.startswith(INTERNAL_PATH):
        return None
    module, _, method = request.path_info[len(INTERNAL_PATH) :].strip("/").partition("/")
    attributes = {"rpc.system": "contract", "rpc.service": module, "rpc.method": method}
    return _tracer.start_span(
        f"contract {module}.{method}" if module and method else "contract (no method)",
        context=parent_from(request.headers),
        kind=SpanKind.SERVER,
        attributes=attributes,
    )
