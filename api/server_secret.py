"""The intake server secret: the HMAC key behind idempotent complaint intake.

Kept in ``AUXLEDGER_KEY_DIR/intake.secret`` (mode 0600), never in the database, created with
64 random hex digits on first use. A retry of an intake with the same ``Idempotency-Key``
needs the same secret in every worker and after a restart, which is why it is a file beside
the signing keys rather than a per-process random value.

Invariants:
- The file is created exclusively (two workers starting together end up with one secret),
  only in a key folder that exists: a missing folder is refused with one line naming the
  setting (``auxledger init`` makes it), never created here.
- A file looser than 0600, shorter than 32 bytes of entropy (64 hex digits) or holding a
  known placeholder is refused outside development, with one line naming the setting.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from ledger.config import KEY_DIR
from ledger.errors import ConfigurationError

SECRET_FILE = "intake.secret"  # noqa: S105 - a file name, not a secret
SECRET_HEX_DIGITS = 64
PLACEHOLDERS = frozenset({"changeme", "change-me", "secret", "placeholder", "x" * 64, "0" * 64})


def load_server_secret(key_dir: Path, *, development: bool) -> bytes:
    """Read (creating if missing) the intake secret from the key folder."""
    if not key_dir.is_dir():
        raise ConfigurationError(KEY_DIR, f"folder {key_dir} does not exist (run `auxledger init`)")
    path = key_dir / SECRET_FILE
    if not path.exists():
        _create(key_dir, path)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise ConfigurationError(KEY_DIR, f"{SECRET_FILE} has mode {mode:04o}; it must be 0600")
    text = path.read_text(encoding="ascii", errors="replace").strip()
    weak = text.lower() in PLACEHOLDERS or len(text) < SECRET_HEX_DIGITS
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        weak = True
        raw = text.encode("utf-8")
    if weak and not development:
        raise ConfigurationError(
            KEY_DIR,
            f"{SECRET_FILE} holds a placeholder or a secret shorter than 32 random bytes; "
            "delete it to have a new one created",
        )
    return raw


def _create(key_dir: Path, path: Path) -> None:
    """Write the secret to a private temporary file, then link it into place atomically."""
    try:
        temporary = key_dir / f".{SECRET_FILE}.{secrets.token_hex(8)}"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(secrets.token_hex(SECRET_HEX_DIGITS // 2) + "\n")
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # another worker was first: its secret stands
        finally:
            temporary.unlink()
    except OSError as e:
        raise ConfigurationError(KEY_DIR, f"cannot create {SECRET_FILE}: {e.strerror}") from None
