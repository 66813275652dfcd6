"""The persistence layer's own errors, and how it tells database errors apart."""

from __future__ import annotations

from ledger.errors import LedgerError
from ledger.persistence.schema import CHECKPOINTS, LEAVES, NODES, SEQUENCER


class SubjectKeyMissingError(LedgerError):
    """An erasure named a data subject whose key does not exist or is already destroyed."""

    code = "erasure"


class LogNotConfiguredError(LedgerError):
    """The recorder was asked to store events without a signer or log origin."""

    code = "log_not_configured"


STALE_KEY_MESSAGE = "auxledger: the batch is not signed by the ledger's active key"
TOO_MANY_CONNECTIONS = "53300"
_BUSY_MESSAGES = ("too many connections", "too many clients", "connection slots are reserved")


def stale_head(error: Exception) -> bool:
    """True if a write failed only because this process's view of the log head was stale."""
    text = str(error)
    return "division by zero" in text or any(
        f"{table}_pkey" in text for table in (LEAVES, NODES, CHECKPOINTS)
    )


def subject_key_conflict(error: Exception) -> bool:
    """True if a write was refused because a data subject already has another data key."""
    return "subject key conflict" in str(error)


def sequencer_refused(error: Exception) -> bool:
    """True if the sequencer refused the batch's signer (the locked path judges it)."""
    return STALE_KEY_MESSAGE in str(error)


def sequencer_missing(error: Exception) -> bool:
    """True if the database has no sequencer function (a ledger created before it)."""
    text = str(error)
    return "does not exist" in text and SEQUENCER in text


def server_busy(error: Exception) -> bool:
    """Did the server refuse a connection for lack of slots (it is up, only full)?

    psycopg reports a failed connection without its SQLSTATE, so the server's message is read.
    """
    if getattr(error, "sqlstate", None) == TOO_MANY_CONNECTIONS:
        return True
    text = str(error).lower()
    return any(message in text for message in _BUSY_MESSAGES)
