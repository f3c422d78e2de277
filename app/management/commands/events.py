"""`manage.py events`: outbox lag, dead letters, replay and purge across every module database."""

from argparse import ArgumentParser, ArgumentTypeError, RawDescriptionHelpFormatter
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from app.bootstrap import runtime
from app.events import operations
from app.events.envelope import SOURCE_PREFIX
from app.events.subscriptions import UnknownSubscriberError

HELP = """Operate the event system.

  status                          outbox lag, pending and retrying deliveries, dead letters
  dead-letters [--subscriber S]   list dead letters (id, subscriber, event, attempts, error)
  show ID                         one dead letter with its envelope and error (ID as listed: alias:number)
  replay-dead-letter ID           put a dead letter back in the outbox for its subscriber
  replay --since T [--until T] [--subscriber S]
                                  re-send events published in [since, until) (ISO 8601 times);
                                  consumers that already processed them ignore the duplicates
  purge [--older-than-days N]     delete delivered events and processed inbox entries older than
                                  the retention period (never undelivered ones or dead letters)
"""


class Command(BaseCommand):
    help = HELP

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        return super().create_parser(prog_name, subcommand, formatter_class=RawDescriptionHelpFormatter, **kwargs)

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        sub.add_parser("status")
        sub.add_parser("dead-letters").add_argument("--subscriber")
        sub.add_parser("show").add_argument("id")
        sub.add_parser("replay-dead-letter").add_argument("id")
        replay = sub.add_parser("replay")
        replay.add_argument("--since", required=True, type=_time)
        replay.add_argument("--until", type=_time)
        replay.add_argument("--subscriber")
        purge = sub.add_parser("purge")
        purge.add_argument("--older-than-days", type=float, default=settings.EVENTS_RETENTION_DAYS)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, "do_" + options["action"].replace("-", "_"))(**options)
        except (operations.OperationError, UnknownSubscriberError) as error:
            raise CommandError(str(error)) from error

    def do_status(self, **options: Any) -> None:
        now = timezone.now()
        self.stdout.write(f"{'database':<16}{'lag (s)':>10}{'new':>8}{'pending':>9}{'retrying':>10}{'dead':>7}")
        for alias in runtime().aliases:
            s = operations.status(alias)
            self.stdout.write(
                f"{alias:<16}{s.lag_seconds(now):>10.1f}{s.unexpanded:>8}{s.pending:>9}{s.retrying:>10}{s.dead_letters:>7}"
            )

    def do_dead_letters(self, subscriber: str | None = None, **options: Any) -> None:
        letters = [(a, d) for a in runtime().aliases for d in operations.dead_letter_list(a, subscriber=subscriber)]
        if not letters:
            self.stdout.write("no dead letters")
        for alias, letter in letters:
            error = letter.error.splitlines()[0][:80] if letter.error else ""
            self.stdout.write(
                f"{alias}:{letter.pk}  {letter.subscriber}  {letter.event_type} {letter.event_id}  "
                f"attempts={letter.attempts}  {error}"
            )

    def do_show(self, id: str, **options: Any) -> None:
        letter = operations.dead_letter_get(*_dead_letter_id(id))
        self.stdout.write(f"subscriber: {letter.subscriber}\nevent: {letter.event_type} {letter.event_id}")
        self.stdout.write(f"attempts: {letter.attempts}\ndead since: {letter.created_at.isoformat()}")
        self.stdout.write(f"replayed at: {letter.replayed_at.isoformat() if letter.replayed_at else '-'}")
        self.stdout.write(f"error: {letter.error}\nenvelope: {letter.envelope}")

    def do_replay_dead_letter(self, id: str, **options: Any) -> None:
        alias, pk = _dead_letter_id(id)
        letter = operations.dead_letter_get(alias, pk)
        # The module that wrote it: an event's owner, or a command's sender (the envelope's source).
        publisher = runtime().alias_for_module(str(letter.envelope.get("source", "")).removeprefix(SOURCE_PREFIX))
        operations.dead_letter_replay(consumer_alias=alias, pk=pk, publisher_alias=publisher)
        sent = runtime().relay.drain(publisher)
        self.stdout.write(f"requeued {letter.event_type} {letter.event_id} for {letter.subscriber}; relay sent {sent}")

    def do_replay(self, since: datetime, until: datetime | None, subscriber: str | None, **options: Any) -> None:
        if subscriber:
            runtime().subscriptions.get(subscriber)
        until = until or timezone.now()
        for alias in runtime().aliases:
            count = operations.replay_range(alias, since=since, until=until, subscriber=subscriber)
            self.stdout.write(f"{alias}: {count} deliveries requeued")

    def do_purge(self, older_than_days: float, **options: Any) -> None:
        if older_than_days < 0:
            raise CommandError("--older-than-days must not be negative")
        for alias in runtime().aliases:
            events, inbox = operations.purge(alias, older_than=timedelta(days=older_than_days))
            self.stdout.write(f"{alias}: purged {events} outbox rows and {inbox} inbox entries")


def _time(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise ArgumentTypeError(f"not an ISO 8601 time: {text!r}") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _dead_letter_id(text: str) -> tuple[str, int]:
    alias, _, number = text.partition(":")
    if alias not in runtime().aliases or not number.isdigit():
        raise CommandError(f"dead letter ids look like <database>:<number> (e.g. orders:3), not {text!r}")
    return alias, int(number)
