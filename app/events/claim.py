"""The inbox claim of one attempt, made lazily: just before the handler's first statement on its
database, or, when the handler never runs one, after it, alone in autocommit.

Claiming before any effect keeps what claiming first gives: the claim takes the inbox row's lock,
so a racing duplicate waits there before doing any database work, then finds the entry taken and
stops. Claiming lazily spares a handler that leaves nothing to commit on its database (it only
calls out, say) the transaction: one statement instead of BEGIN, INSERT and COMMIT (psycopg
opens the PostgreSQL transaction only with the block's first statement).
"""

from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from app.events.rows import transaction_pending

Claim = Callable[[BaseDatabaseWrapper], bool]  # True: the entry is ours; False: taken already


class AlreadyClaimed(BaseException):
    """Stops a handler whose attempt found its inbox entry taken. A BaseException, so that a
    handler's own ``except Exception`` cannot swallow it and carry on."""


class LazyClaim:
    """An execute wrapper (``connection.execute_wrapper(claim)``) around the handler's atomic
    block: runs ``claim`` once, before the first statement of the block."""

    def __init__(self, connection: BaseDatabaseWrapper, claim: Claim) -> None:
        self._connection = connection
        self._claim = claim
        self.claimed: bool | None = None  # None: not tried yet

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
