"""The persistence layer's own errors, and how it tells database errors apart.

Database errors are told apart by SQLSTATE (the psycopg error class) and, for a unique
violation, by the constraint's name -- never by message text, which the server words (and
translates, ``lc_messages``) as it likes. eventsourcing wraps the driver's errors in its own
(``raise DataError(str(e)) from e``), so the driver's error is found on the ``__cause__``
chain.

The one exception is a *refused connection*: libpq reports a failed connection attempt
without the SQLSTATE the server sent (psycopg's ``sqlstate`` is None), so ``server_busy`` has
nothing but the message to go on. It looks at the SQLSTATE first, should a driver ever give
one.

SQLite decides nothing here: it does not name the constraint a write broke, so the SQLite
recorder checks what it must tell apart in the same transaction instead (a subject's stored
key is read back; an erasure counts the rows it changed; ``ledger/persistence/sqlite.py``).
"""

from __future__ import annotations

import psycopg
from psycopg import errors as pg

from ledger.errors import LedgerError
from ledger.persistence.schema import CHECKPOINTS, LEAVES, NODES


class SubjectKeyMissingError(LedgerError):
    """An erasure named a data subject whose key does not exist or is already destroyed."""

    code = "erasure"


class LogNotConfiguredError(LedgerError):
    """The recorder was asked to store events without a signer or log origin."""

    code = "log_not_configured"


# The sequencer's own SQLSTATEs (``sequencer.sql``; class "LD" is not PostgreSQL's).
SEQUENCER_STALE_KEY = "LDG01"
"""The batch is not signed by the ledger's active key."""
SEQUENCER_KEY_CONFLICT = "LDG02"
"""A data subject already has another data key."""
SEQUENCER_NO_HEAD = "LDG03"
"""The log head row is missing."""

# A sequencer created by an earlier release (``auxledger init`` creates it; an upgrade does
# not replace it) raised its refusals with PostgreSQL's generic codes, which nothing else in
# the function raises: RAISE's default, raise_exception (P0001), for the stale key and the
# missing head, and data_exception (22000) for a key conflict.
_LEGACY_REFUSED = pg.RaiseException.sqlstate
_LEGACY_KEY_CONFLICT = pg.DataException.sqlstate

# The append statement's key guard casts a text to int when a subject already has another
# key (plain SQL has no RAISE): invalid_text_representation. Every other value in that
# statement is a parameter bound with its type, so nothing else in it converts text.
_KEY_GUARD = pg.InvalidTextRepresentation.sqlstate

# Primary keys that only a write on a stale view of the log head can collide with.
STALE_HEAD_CONSTRAINTS = frozenset(f"{table}_pkey" for table in (LEAVES, NODES, CHECKPOINTS))

TOO_MANY_CONNECTIONS = pg.TooManyConnections.sqlstate
_BUSY_MESSAGES = ("too many connections", "too many clients", "connection slots are reserved")


def driver_error(error: BaseException) -> psycopg.Error | None:
    """The psycopg error behind ``error`` (itself, or on its ``__cause__`` chain), if any."""
    seen: BaseException | None = error
    for _ in range(8):
        if seen is None:
            return None
        if isinstance(seen, psycopg.Error):
            return seen
        seen = seen.__cause__
    return None


def sqlstate(error: BaseException) -> str | None:
    """The SQLSTATE the server gave for ``error``, or None (not a server's error)."""
    cause = driver_error(error)
    return None if cause is None else cause.sqlstate


def stale_head(error: BaseException) -> bool:
    """True if a write failed only because this process's view of the log head was stale.

    The optimistic append divides by zero when the head is no longer the one it names (or
    the database numbered the batch in another order than it was hashed in), and stores
    nothing; a collision on a log table's primary key means the same.
    """
    cause = driver_error(error)
    if isinstance(cause, pg.DivisionByZero):
        return True
    return (
        isinstance(cause, pg.UniqueViolation)
        and cause.diag.constraint_name in STALE_HEAD_CONSTRAINTS
    )


def subject_key_conflict(error: BaseException) -> bool:
    """True if a write was refused because a data subject already has another data key
    (the append statement's guard, or the sequencer, of this release or an earlier one)."""
    return sqlstate(error) in (SEQUENCER_KEY_CONFLICT, _KEY_GUARD, _LEGACY_KEY_CONFLICT)


def sequencer_refused(error: BaseException) -> bool:
    """True if the sequencer refused the batch (a signer other than the active key, or no
    head row): the locked path judges it, with the whole key rule and a clear error."""
    return sqlstate(error) in (SEQUENCER_STALE_KEY, SEQUENCER_NO_HEAD, _LEGACY_REFUSED)


def sequencer_missing(error: BaseException) -> bool:
    """True if the database has no sequencer function (a ledger created before it)."""
    return isinstance(driver_error(error), pg.UndefinedFunction)


def server_busy(error: BaseException) -> bool:
    """Did the server refuse a connection for lack of slots (it is up, only full)?

    psycopg reports a failed connection without its SQLSTATE (libpq keeps the server's
    error fields of a failed connection attempt to itself), so the server's message is read:
    the only decision in this package made on message text.
    """
    if sqlstate(error) == TOO_MANY_CONNECTIONS:
        return True
    text = str(error).lower()
    return any(message in text for message in _BUSY_MESSAGES)
