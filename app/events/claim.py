"""The inbox claim of one attempt, made lazily: just before the handler's first statement on its
database, or, when the handler never runs one, after it, alone in autocommit.

Claiming before any effect keeps what claiming first gives: the claim takes the inbox row's lock,
so a racing duplicate waits there before doing any database work, then finds the entry taken and
stops. Claiming lazily spares a handler that leaves nothing to commit on its database (it only
calls out, say) the transaction: one statement instead of BEGIN, INSERT and COMMIT (psycopg
opens the PostgreSQL transaction only with the block's first statement).
"""

from collections.abc import Callable
from contextlib import AbstractContextManager
from types import TracebackType
from typing import Any

from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from app.events.rows import transaction_pending

Claim = Callable[[BaseDatabaseWrapper], bool]  # True: the entry is ours; False: taken already


class AlreadyClaimed(BaseException):
    """Stops a handler whose attempt found its inbox entry taken. A BaseException, so that a
    handler's own ``except Exception`` cannot swallow it and carry on."""


class LazyClaim:
    """Runs ``claim`` once in the handler's atomic block, before its first statement: entered
    inside the block, it watches the statements as an execute wrapper."""

    def __init__(self, connection: BaseDatabaseWrapper, claim: Claim) -> None:
        self._connection = connection
        self._claim = claim
        self.claimed: bool | None = None  # None: not tried yet
        self._watching: AbstractContextManager[None] | None = None

    def __enter__(self) -> "LazyClaim":
        """Entered inside the handler's atomic block: claims at once when the block's transaction
        is open already (SQLite sends BEGIN with the block: nothing to spare), else watches for
        the first statement."""
        if transaction_pending(self._connection):
            self._try()
        else:
            self._watching = self._connection.execute_wrapper(self)
            self._watching.__enter__()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        if self._watching is not None:
            self._watching.__exit__(kind, error, traceback)

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]) -> Any:
        if self.claimed is None:
            self._try()
        return execute(sql, params, many, context)

    def settle(self) -> None:
        """At the end of the handler, inside its block: claim there if the block has something
        to commit (on-commit work, or statements run around Django); else leave it for
        ``claim_alone``."""
        if self.claimed is None and transaction_pending(self._connection):
            self._try()

    def claim_alone(self) -> bool:
        """After the block: the claim of a handler that left nothing to commit, in autocommit."""
        if self.claimed is None:
            self.claimed = self._claim(self._connection)
        return self.claimed

    def _try(self) -> None:
        self.claimed = False  # set first: the claim's own statement passes through this wrapper
        self.claimed = self._claim(self._connection)
        if not self.claimed:
            transaction.set_rollback(True, using=self._connection.alias)
            raise AlreadyClaimed
