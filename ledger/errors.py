"""One error hierarchy for the ledger, caught once at the edges (CLI exit code, HTTP problem).

Every message says what went wrong and why, and never carries personal data: record
identities (originator id, version, log position, key id) are fine; payload contents are not.
"""

from __future__ import annotations

from uuid import UUID


class LedgerError(Exception):
    """Base class of every error the ledger raises on purpose."""

    code = "ledger_error"


class ConfigurationError(LedgerError):
    """A setting is present but invalid, or a required one is missing."""

    code = "configuration"

    def __init__(self, setting: str, reason: str) -> None:
        super().__init__(f"{setting}: {reason}")
        self.setting = setting
        self.reason = reason


class KeyStoreError(LedgerError):
    """The signing-key folder or a key file cannot be used."""

    code = "key_store"


class StorageUnavailableError(LedgerError):
    """The database cannot be reached or used."""

    code = "storage_unavailable"


class NotFoundError(LedgerError):
    """A record asked for by id does not exist."""

    code = "not_found"


class ConcurrencyConflictError(LedgerError):
    """Another writer changed the record first (optimistic concurrency)."""

    code = "conflict"


class StaleSigningKeyError(LedgerError):
    """This process signed with a key that is no longer the ledger's active key."""

    code = "stale_signing_key"


class ProofRequestError(LedgerError):
    """A proof was asked for outside the tree (index >= size, first > second, ...)."""

    code = "proof_request"


class IntegrityViolation(LedgerError):  # noqa: N818 - the name says what it is
    """A stored record failed a check: it was altered, removed, inserted or reordered.

    ``kind`` is a stable machine name (``bad_signature``, ``chain_broken`` ...); the record
    is named by originator id, version and log position where they are known.
    """

    code = "integrity"
    kind = "integrity"

    def __init__(
        self,
        detail: str,
        *,
        originator_id: UUID | str | None = None,
        originator_version: int | None = None,
        position: int | None = None,
        kind: str | None = None,
    ) -> None:
        where = []
        if originator_id is not None:
            where.append(f"originator {originator_id}")
        if originator_version is not None:
            where.append(f"version {originator_version}")
        if position is not None:
            where.append(f"position {position}")
        suffix = f" ({', '.join(where)})" if where else ""
        super().__init__(f"{detail}{suffix}")
        self.detail = detail
        self.originator_id = str(originator_id) if originator_id is not None else None
        self.originator_version = originator_version
        self.position = position
        if kind is not None:
            self.kind = kind


class MalformedRecordError(IntegrityViolation):
    """The stored bytes are not a well-formed signed record."""

    kind = "malformed_record"


class RecordMismatchError(IntegrityViolation):
    """The row's columns disagree with the signed record header."""

    kind = "record_mismatch"


class UnknownKeyError(IntegrityViolation):
    """The record names a signing key the key ring does not know."""

    kind = "unknown_key"


class KeyNotValidError(IntegrityViolation):
    """The record was signed by a key that was not valid at its log position."""

    kind = "key_not_valid"


class BadSignatureError(IntegrityViolation):
    """The Ed25519 signature does not verify."""

    kind = "bad_signature"


class ChainBrokenError(IntegrityViolation):
    """The record does not point at the hash of its aggregate's previous record."""

    kind = "chain_broken"


class VersionGapError(IntegrityViolation):
    """An aggregate's versions are not the contiguous sequence 1, 2, 3, ..."""

    kind = "version_gap"
