"""The subscription table: event type -> the subscriptions that consume it."""

from collections import defaultdict
from collections.abc import Iterable, Iterator

from contracts.kernel.subscriptions import Subscription


class DuplicateSubscriptionError(ValueError):
    pass


class UnknownSubscriberError(LookupError):
    pass


class SubscriptionRegistry:
    def __init__(self, subscriptions: Iterable[Subscription] = ()) -> None:
        self._by_id: dict[str, Subscription] = {}
        self._by_type: dict[str, list[Subscription]] = defaultdict(list)
        for subscription in subscriptions:
            self.add(subscription)

    def add(self, subscription: Subscription) -> None:
        if subscription.id in self._by_id:
            raise DuplicateSubscriptionError(f"subscriber id {subscription.id!r} is used twice")
        self._by_id[subscription.id] = subscription
        self._by_type[subscription.event_type.event_type()].append(subscription)

    def for_type(self, event_type: str) -> tuple[Subscription, ...]:
        return tuple(self._by_type.get(event_type, ()))

    def get(self, subscriber_id: str) -> Subscription:
        try:
            return self._by_id[subscriber_id]
        except KeyError:
            raise UnknownSubscriberError(f"no subscriber {subscriber_id!r}") from None

    def __iter__(self) -> Iterator[Subscription]:
        return iter(self._by_id.values())
