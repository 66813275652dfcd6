"""Signing keys on disk, outside the database.

Invariants:
- Private keys live only in ``AUXLEDGER_KEY_DIR``: the folder is mode 0700 and every private
  key file 0600; anything looser is refused at start-up with one line naming the setting.
- A key is named (C2SP key name = the log origin at creation) and identified by its C2SP key
  id (4 bytes); the public half is kept beside it as a C2SP vkey line, so a retired key's
  private half can be destroyed while its signatures stay verifiable.
- Key ids are unique inside one folder; creation re-draws on a collision.
- Nothing here writes a private key anywhere but its own file, or prints or logs it.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from ledger.config import KEY_DIR
from ledger.errors import ConfigurationError, KeyStoreError
from ledger.note import NoteSigner, Verifier, format_vkey, key_id, parse_vkey

PRIVATE_SUFFIX = ".key"
_NOTE_SIGNERS: dict[bytes, NoteSigner] = {}
PUBLIC_SUFFIX = ".vkey"


@dataclass(frozen=True)
class PublicKey:
    """A verifying key with its C2SP name and id."""

    name: str
    key_id: bytes
    raw: bytes
    ed25519: Ed25519PublicKey

    @classmethod
    def from_raw(cls, name: str, raw: bytes) -> PublicKey:
        """Build from a 32-byte Ed25519 public key."""
        return cls(
            name=name,
            key_id=key_id(name, raw),
            raw=raw,
            ed25519=Ed25519PublicKey.from_public_bytes(raw),
        )

    @classmethod
    def from_vkey(cls, text: str) -> PublicKey:
        """Parse a C2SP vkey line."""
        verifier = parse_vkey(text.strip())
        return cls.from_raw(verifier.name, verifier.public_key)

    @property
    def key_id_hex(self) -> str:
        """The key id as 8 lower-case hex digits (what the API and CLI show)."""
        return self.key_id.hex()

    @property
    def vkey(self) -> str:
        """The C2SP vkey line."""
        return format_vkey(self.name, self.raw)

    @property
    def verifier(self) -> Verifier:
        """The note verifier for checkpoints."""
        return Verifier(name=self.name, key_id=self.key_id, public_key=self.raw)

    def verify(self, signature: bytes, message: bytes) -> bool:
        """True if ``signature`` is this key's Ed25519 signature over ``message``."""
        try:
            self.ed25519.verify(signature, message)
        except InvalidSignature:
            return False
        return True


@dataclass(frozen=True)
class SigningKey:
    """A private key with its public half."""

    public: PublicKey
    private: Ed25519PrivateKey

    @property
    def key_id(self) -> bytes:
        """The C2SP key id."""
        return self.public.key_id

    def sign(self, message: bytes) -> bytes:
        """Ed25519 signature over ``message``."""
        return self.private.sign(message)

    def note_signer(self) -> NoteSigner:
        """A C2SP note signer using this key (made once per key)."""
        signer = _NOTE_SIGNERS.get(self.public.key_id)
        if signer is None or signer.public_key_bytes != self.public.raw:
            signer = NoteSigner(self.public.name, self.private)
            _NOTE_SIGNERS[self.public.key_id] = signer
        return signer

    def __repr__(self) -> str:
        return f"SigningKey({self.public.key_id_hex})"


class KeyDirectory:
    """The folder of signing keys (``AUXLEDGER_KEY_DIR``)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def ensure(self) -> None:
        """Create the folder (0700) if it does not exist, then check it."""
        if not self.path.exists():
            try:
                self.path.mkdir(mode=0o700, parents=True)
            except OSError as e:
                raise ConfigurationError(KEY_DIR, f"cannot create the folder: {e.strerror}") from e
            os.chmod(self.path, 0o700)
        self.check()

    def check(self) -> None:
        """Refuse a missing, unreadable or too-open key folder or key file."""
        if not self.path.exists():
            raise ConfigurationError(
                KEY_DIR, f"folder {self.path} does not exist (run `auxledger init`)"
            )
        if not self.path.is_dir():
            raise ConfigurationError(KEY_DIR, f"{self.path} is not a folder")
        if not os.access(self.path, os.R_OK | os.X_OK):
            raise ConfigurationError(KEY_DIR, f"folder {self.path} is not readable")
        mode = stat.S_IMODE(self.path.stat().st_mode)
        if mode & 0o077:
            raise ConfigurationError(
                KEY_DIR, f"folder {self.path} has mode {mode:04o}; it must be 0700"
            )
        for file in self.path.glob(f"*{PRIVATE_SUFFIX}"):
            file_mode = stat.S_IMODE(file.stat().st_mode)
            if file_mode & 0o077:
                raise ConfigurationError(
                    KEY_DIR, f"key file {file.name} has mode {file_mode:04o}; it must be 0600"
                )

    def create(self, name: str) -> SigningKey:
        """Generate a new Ed25519 key named ``name`` and write both halves."""
        self.ensure()
        existing = {p.stem for p in self.path.glob(f"*{PUBLIC_SUFFIX}")}
        while True:
            private = Ed25519PrivateKey.generate()
            raw = private.public_key().public_bytes(
                serialization.Encoding.Raw, serialization.PublicFormat.Raw
            )
            public = PublicKey.from_raw(name, raw)
            if public.key_id_hex not in existing:
                break
        pem = private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        private_path = self.path / f"{public.key_id_hex}{PRIVATE_SUFFIX}"
        fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
        os.chmod(private_path, 0o600)
        public_path = self.path / f"{public.key_id_hex}{PUBLIC_SUFFIX}"
        public_path.write_text(public.vkey + "\n", encoding="utf-8")
        return SigningKey(public=public, private=private)

    def public_keys(self) -> dict[bytes, PublicKey]:
        """Every public key in the folder, by key id."""
        self.check()
        keys: dict[bytes, PublicKey] = {}
        for file in sorted(self.path.glob(f"*{PUBLIC_SUFFIX}")):
            try:
                public = PublicKey.from_vkey(file.read_text(encoding="utf-8"))
            except (OSError, ValueError) as e:
                raise KeyStoreError(f"{KEY_DIR}: cannot read public key {file.name}: {e}") from e
            if public.key_id_hex != file.stem:
                raise KeyStoreError(
                    f"{KEY_DIR}: public key file {file.name} holds key {public.key_id_hex}"
                )
            keys[public.key_id] = public
        return keys

    def signing_key(self, public: PublicKey) -> SigningKey | None:
        """The private half of ``public`` if this folder holds it, else None."""
        path = self.path / f"{public.key_id_hex}{PRIVATE_SUFFIX}"
        if not path.exists():
            return None
        try:
            loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except (OSError, ValueError, TypeError) as e:
            raise KeyStoreError(f"{KEY_DIR}: cannot read private key {path.name}") from e
        if not isinstance(loaded, Ed25519PrivateKey):
            raise KeyStoreError(f"{KEY_DIR}: {path.name} is not an Ed25519 private key")
        raw = loaded.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        if raw != public.raw:
            raise KeyStoreError(
                f"{KEY_DIR}: private key {path.name} does not match its public key file"
            )
        return SigningKey(public=public, private=loaded)

    def destroy_private(self, public: PublicKey) -> bool:
        """Delete the private half of a key (after retirement); True if one was deleted."""
        path = self.path / f"{public.key_id_hex}{PRIVATE_SUFFIX}"
        if not path.exists():
            return False
        path.unlink()
        return True
