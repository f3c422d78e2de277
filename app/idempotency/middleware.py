"""Idempotency-Key for the public API of the modules this service hosts.

An unsafe request (POST, PUT, PATCH, DELETE) to ``/api/<module>/...`` that carries the header
runs at most once per (caller, key): the first one runs and its response is stored; a retry
with the same request gets that response back (``Idempotent-Replayed: true``) and runs nothing;
the same key with a different request is refused (422). Without the header, nothing changes.

Claim, request and stored response are one transaction on the module's database, so:
- a twin racing the first request waits for it, then replays its response;
- a crash or a 5xx rolls back the claim together with whatever the request wrote: the retry
  runs again, as it must;
- events the request publishes commit (and are delivered) with the response that reports them.
"""

import logging
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.utils import timezone

from app.idempotency import services
from app.idempotency.models import IdempotencyRecord
from app.idempotency.request import (
    HEADER,
    UNSAFE_METHODS,
    IdempotentRequest,
    InvalidIdempotencyKeyError,
    idempotency_key_parse,
    request_fingerprint,
    request_module_alias,
    request_scope,
)

logger = logging.getLogger(__name__)

REPLAYED_HEADER = "Idempotent-Replayed"
# Answers that mean "try again" (authenticate first, or later) are not remembered: the retry must
# run again. So are 5xx.
_TRY_AGAIN = frozenset({401, 408, 429})


class IdempotencyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        value = request.headers.get(HEADER)
        alias = request_module_alias(request) if value is not None and request.method in UNSAFE_METHODS else None
        if value is None or alias is None:
            return self.get_response(request)
        try:
            key = idempotency_key_parse(value)
        except InvalidIdempotencyKeyError as error:
            return JsonResponse({"detail": str(error), "code": "invalid_idempotency_key"}, status=400)
        scope = request_scope(request)
        if scope is None:  # credentials that do not verify: authentication refuses it, nothing to keep
            return self.get_response(request)
        idempotent = IdempotentRequest(scope=scope, key=key, fingerprint=request_fingerprint(request))
        return self._at_most_once(request, idempotent=idempotent, alias=alias)

    def _at_most_once(self, request: HttpRequest, *, idempotent: IdempotentRequest, alias: str) -> HttpResponseBase:
        ttl = timedelta(seconds=settings.IDEMPOTENCY_KEY_TTL)
        with transaction.atomic(using=alias):
            record = services.idempotency_claim(alias=alias, request=idempotent, now=timezone.now(), ttl=ttl)
            stored = record.response_status
            if stored is not None:
                same = record.fingerprint == idempotent.fingerprint
                return _replay(record, status=stored) if same else _reused(idempotent.key)
            response = self.get_response(request)
            _keep(response, record=record, alias=alias)
            return response


def _keep(response: HttpResponseBase, *, record: IdempotencyRecord, alias: str) -> None:
    """Store the response with the claim, or undo the claim (and the request) when it failed."""
    if response.status_code >= 500 or response.status_code in _TRY_AGAIN:
        transaction.set_rollback(True, using=alias)
    elif isinstance(response, HttpResponse):
        services.idempotency_response_store(
            alias=alias,
            record=record,
            status=response.status_code,
            content_type=response.get("Content-Type", ""),
            body=response.content,
        )
    else:  # a streaming response cannot be stored without consuming it: keep its effects, not the key
        logger.warning("idempotency: a %s response cannot be replayed; key released", type(response).__name__)
        services.idempotency_claim_release(alias=alias, record=record)


def _replay(record: IdempotencyRecord, *, status: int) -> HttpResponse:
    response = HttpResponse(
        bytes(record.response_body),
        status=status,
        content_type=record.response_content_type or None,
    )
    response[REPLAYED_HEADER] = "true"
    return response


def _reused(key: str) -> JsonResponse:
    return JsonResponse(
        {"detail": f"{HEADER} {key!r} was used with a different request", "code": "idempotency_key_reused"},
        status=422,
    )
