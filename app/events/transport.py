"""How an envelope reaches one subscriber. In-process: call its handler right here.

A subscriber that raises must not affect the publisher or the other subscribers, so failures
are logged with the event and subscriber ids and swallowed. (The durable outbox and the Celery
transport plug in here: a transport is anything with ``deliver``.)
"""

import logging
from typing import Protocol

from app.events.envelope import Envelope
from contracts.kernel.subscriptions import Subscription

logger = logging.getLogger(__name__)


class Transport(Protocol):
    def deliver(self, *, envelope: Envelope, subscription: Subscription) -> None: ...


class InProcessTransport:
    def deliver(self, *, envelope: Envelope, subscription: Subscription) -> None:
        try:
            subscription.handler(envelope.data)
        except Exception:
            logger.exception(
                "subscriber %s failed on event %s (%s)", subscription.id, envelope.id, envelope.type
            )
