"""Key rotation as outsiders see it: the newest checkpoint and the witness across rotations.

The checkpoints are checked by an outside verifier written here from the C2SP signed-note
spec (c2sp.org/signed-note), independently of ``ledger/note.py``: the note text, a blank
line, then signature lines ``— <name> <base64(keyhash || signature)>``, keyhash = the first
4 bytes of SHA-256(name || 0x0A || 0x01 || 32-byte public key), the Ed25519 signature over
the note text. It knows only the keys it is given, as an outside verifier configured with
the ledger's published active key would.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from api.cli import main
from ledger.application import LedgerApplication
from ledger.config import Settings
from ledger.keyring import REGISTRY_ID, KeyRegistry
from ledger.log import MerkleLog
from ledger.persistence import LogNotConfiguredError
from ledger.records import AuxLedger
from ledger.verification_record import LATEST_FILE
from ledger.verify import verify_ledger
from tests.conftest import initialised
from tests.integration.aggregates import Notebook
from tests.integration.tamper import Tamperer


class OutsideVerifierError(Exception):
    """The outside verifier rejects the note."""


def outside_verify(note: str, vkeys: list[str]) -> list[str]:
    """The checkpoint lines of ``note`` if one of ``vkeys`` signed it; else raise.

    Like golang.org/x/mod/sumdb/note's ``Open``: signatures by unknown keys are skipped, a
    signature by a known key must verify, and at least one known key must have signed.
    """
    known: dict[tuple[str, bytes], bytes] = {}
    for vkey in vkeys:
        name, hex_hash, encoded = vkey.split("+", 2)
        raw = base64.b64decode(encoded, validate=True)
        if len(raw) != 33 or raw[0] != 0x01:
            raise OutsideVerifierError(f"not an Ed25519 vkey: {vkey}")
        keyhash = hashlib.sha256(name.encode() + b"\n" + raw).digest()[:4]
        if keyhash.hex() != hex_hash:
            raise OutsideVerifierError(f"vkey hash mismatch: {vkey}")
        known[(name, keyhash)] = raw[1:]
    if "\n\n" not in note or not note.endswith("\n"):
        raise OutsideVerifierError("not a signed note")
    text, signatures = note.split("\n\n", 1)
    text += "\n"
    verified = 0
    for line in signatures[:-1].split("\n"):
        if not line.startswith("\u2014 "):
            raise OutsideVerifierError(f"bad signature line {line!r}")
        name, encoded = line[2:].split(" ")
        blob = base64.b64decode(encoded, validate=True)
        public = known.get((name, blob[:4]))
        if public is None:
            continue  # an unknown key's signature
        try:
            Ed25519PublicKey.from_public_bytes(public).verify(blob[4:], text.encode())
        except InvalidSignature:
            raise OutsideVerifierError(f"signature by {name} does not verify") from None
        verified += 1
    if not verified:
        raise OutsideVerifierError("note is not signed by any known key")
    return text[:-1].split("\n")


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out


def _write(settings: Settings, text: str) -> None:
    ledger = AuxLedger(settings)
    book = Notebook.open(text)
    book.write("page")
    ledger.save(book)
    ledger.close()


def _active_vkeys(capsys: pytest.CaptureFixture[str]) -> list[str]:
    code, out = _cli(capsys, "keys", "list", "--json")
    assert code == 0
    keys: list[dict[str, Any]] = json.loads(out)
    active = [k["vkey"] for k in keys if k["status"] == "active"]
    assert len(active) == 1
    return active


def _newest_checkpoint(capsys: pytest.CaptureFixture[str]) -> str:
    code, note = _cli(capsys, "log", "checkpoint")
    assert code == 0
    return note


def test_outside_verifier_rejects_what_it_should() -> None:
    """The test verifier is a real one: wrong keys, altered text and bad lines fail."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (  # noqa: PLC0415
        Ed25519PrivateKey,
    )

    def vkey_and_line(name: str, text: str) -> tuple[str, str]:
        private = Ed25519PrivateKey.generate()
        raw = b"\x01" + private.public_key().public_bytes_raw()
        keyhash = hashlib.sha256(name.encode() + b"\n" + raw).digest()[:4]
        vkey = f"{name}+{keyhash.hex()}+{base64.b64encode(raw).decode()}"
        blob = keyhash + private.sign(text.encode())
        return vkey, f"\u2014 {name} {base64.b64encode(blob).decode()}\n"

    text = "example.org/log\n3\n" + base64.b64encode(bytes(32)).decode() + "\n"
    vkey, line = vkey_and_line("example.org/log", text)
    other, other_line = vkey_and_line("example.org/log", text)
    note = text + "\n" + line
    assert outside_verify(note, [vkey]) == text[:-1].split("\n")
    assert outside_verify(text + "\n" + other_line + line, [vkey])
    with pytest.raises(OutsideVerifierError, match="any known key"):
        outside_verify(note, [other])
    with pytest.raises(OutsideVerifierError, match="does not verify"):
        outside_verify(note.replace("\n3\n", "\n4\n"), [vkey])


@pytest.mark.parametrize("rotations", [1, 2])
def test_newest_checkpoint_verifies_with_the_active_key_after_rotation(
    cli_env: Settings, capsys: pytest.CaptureFixture[str], rotations: int
) -> None:
    assert _cli(capsys, "init")[0] == 0
    _write(cli_env, "before the rotation")
    for _ in range(rotations):
        assert _cli(capsys, "keys", "rotate")[0] == 0
        # Right after the rotation: the newest checkpoint, with only the active key.
        note = _newest_checkpoint(capsys)
        origin, size, _root = outside_verify(note, _active_vkeys(capsys))
        code, out = _cli(capsys, "verify", "--full", "--json")
        assert code == 0, out
        assert origin == cli_env.log_origin and int(size) == json.loads(out)["tree_size"]
    # Each rotation's checkpoint is signed by the outgoing key too (vouched for by it).
    code, out = _cli(capsys, "keys", "list", "--json")
    keys = json.loads(out)
    retired = [k["vkey"] for k in keys if k["status"] == "retired"]
    assert len(retired) == rotations
    assert outside_verify(_newest_checkpoint(capsys), [retired[-1]])
    # After the next write, the active key alone signs, and the active key alone verifies.
    _write(cli_env, "after the rotation")
    note = _newest_checkpoint(capsys)
    assert outside_verify(note, _active_vkeys(capsys))
    with pytest.raises(OutsideVerifierError):
        outside_verify(note, retired)
    # Both signatures are checked, also by the range workers of a large log's full run.
    ranges = verify_ledger(
        LedgerApplication(cli_env), full=True, workers=2, range_threshold=0, range_length=2
    )
    assert ranges.ok and ranges.events_checked == ranges.tree_size, ranges.failures


def test_a_rotation_whose_checkpoint_the_incoming_key_cannot_sign_is_refused(
    settings: Settings,
) -> None:
    """The recorder will not store a rotation unless its checkpoint carries both keys."""
    app = initialised(LedgerApplication, settings)
    old = app.active_signer()
    new = app.key_dir.create(settings.log_origin)
    registry: KeyRegistry = app.repository.get(REGISTRY_ID)
    registry.rotate(new.public, "test")
    size = MerkleLog(app.ledger_recorder).tree_size()
    with pytest.raises(LogNotConfiguredError, match="needs that key's private half"):
        app.save(registry, signer=old, activate_key=new.key_id)
    assert MerkleLog(app.ledger_recorder).tree_size() == size
    assert app.reload_keys().active == old.key_id


# --------------------------------------------------------------------------- the witness


def _verify(capsys: pytest.CaptureFixture[str], *flags: str) -> tuple[int, dict[str, Any], str]:
    code = main(["verify", "--json", *flags])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, (json.loads(out) if out else {}), err.strip()


def _kinds(report: dict[str, Any]) -> set[str]:
    return {f["kind"] for f in report["failures"]}


def _rotate_and_witness(
    cli_env: Settings, capsys: pytest.CaptureFixture[str], rotations: int
) -> tuple[object, Tamperer]:
    """init, a write, a backup; then rotations, a write, and a clean run that moves the witness.

    The witness then holds a checkpoint signed only by a key the backup does not know.
    """
    assert _cli(capsys, "init")[0] == 0
    _write(cli_env, "before the backup")
    tamper = Tamperer(LedgerApplication(cli_env))
    backup = tamper.backup()
    for _ in range(rotations):
        assert _cli(capsys, "keys", "rotate")[0] == 0
    _write(cli_env, "after the rotations")
    code, report, _ = _verify(capsys)
    assert code == 0 and report["witness_updated"], report
    return backup, tamper


def _witness_files(settings: Settings) -> tuple[str, list[str]]:
    folder = settings.witness_dir
    return (folder / "checkpoint").read_text(), (folder / "keys").read_text().splitlines()


@pytest.mark.parametrize("rotations", [1, 2])
def test_rollback_across_rotations_is_an_integrity_failure(
    cli_env: Settings, capsys: pytest.CaptureFixture[str], rotations: int
) -> None:
    backup, tamper = _rotate_and_witness(cli_env, capsys, rotations)
    witnessed = (cli_env.witness_dir / "checkpoint").read_text()
    active = _active_vkeys(capsys)
    tamper.restore(backup)
    for flags in (("--full",), ()):
        code, report, err = _verify(capsys, *flags)
        assert code == 1, err
        assert "witness_rollback" in _kinds(report)
        assert not report["witness_updated"]
    # The witness kept the key it trusted: the active one, which the backup never knew.
    assert _witness_files(cli_env) == (witnessed, active)


def test_fork_across_a_rotation_is_an_integrity_failure(
    cli_env: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    """Restored, then written past the witnessed size with the old key: a fork."""
    backup, tamper = _rotate_and_witness(cli_env, capsys, 1)
    witnessed = _witness_files(cli_env)
    tamper.restore(backup)
    # The old key writes again (its private half is still in the key folder).
    for n in range(4):
        _write(cli_env, f"forked history {n}")
    code, report, err = _verify(capsys)
    assert code == 1, err
    assert "witness_inconsistent" in _kinds(report)
    assert _witness_files(cli_env) == witnessed


def test_the_witness_keeps_both_keys_of_a_rotation_checkpoint(
    cli_env: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _cli(capsys, "init")[0] == 0
    assert _verify(capsys)[0] == 0
    note, keys = _witness_files(cli_env)
    assert keys == _active_vkeys(capsys)
    assert outside_verify(note, keys)
    assert _cli(capsys, "keys", "rotate")[0] == 0
    assert _verify(capsys)[0] == 0
    note, keys = _witness_files(cli_env)
    listed = json.loads(_cli(capsys, "keys", "list", "--json")[1])
    assert keys == [k["vkey"] for k in listed]  # outgoing, then incoming
    for key in keys:
        assert outside_verify(note, [key])
    assert oct(cli_env.witness_dir.stat().st_mode & 0o777) == "0o700"
    # The witness is its two files; `verify` also leaves the summary of its last run beside
    # them for the console (ledger.verification_record), which is no part of the witness.
    assert sorted(p.name for p in cli_env.witness_dir.iterdir()) == [
        "checkpoint",
        "keys",
        LATEST_FILE,
    ]


def test_an_old_witness_folder_without_keys_is_upgraded(
    cli_env: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _cli(capsys, "init")[0] == 0
    _write(cli_env, "something")
    assert _verify(capsys)[0] == 0
    note, keys = _witness_files(cli_env)
    (cli_env.witness_dir / "keys").unlink()  # as an earlier version left it
    # Verified with the ledger's keys, its keys written beside it, the run goes on.
    code, report, err = _verify(capsys)
    assert code == 0 and report["mode"] == "incremental", err
    assert _witness_files(cli_env) == (note, keys)


def test_an_old_witness_folder_after_a_rollback_needs_its_key(
    cli_env: Settings,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The upgrade path when neither the ledger nor the key folder knows the witnessed key."""
    backup, tamper = _rotate_and_witness(cli_env, capsys, 2)
    note, keys = _witness_files(cli_env)
    (cli_env.witness_dir / "keys").unlink()  # as an earlier version left it
    tamper.restore(backup)
    # An auditor's key folder: the genesis key's public half only.
    audit_keys = tmp_path / "audit-keys"
    audit_keys.mkdir(mode=0o700)
    genesis = json.loads(_cli(capsys, "keys", "list", "--json")[1])[0]
    (audit_keys / f"{genesis['key_id']}.vkey").write_text(genesis["vkey"] + "\n")
    monkeypatch.setenv("AUXLEDGER_KEY_DIR", str(audit_keys))
    code, _, err = _verify(capsys, "--full")
    assert code == 2 and "AUXLEDGER_WITNESS_DIR" in err and "\n" not in err
    assert "not signed by any known key" in err and "put that key's vkey in" in err
    assert not (cli_env.witness_dir / "keys").exists()
    # The operator puts the witnessed key's vkey (kept, published or from the key folder) there.
    (cli_env.witness_dir / "keys").write_text("\n".join(keys) + "\n")
    code, report, err = _verify(capsys, "--full")
    assert code == 1 and "witness_rollback" in _kinds(report), err
    assert _witness_files(cli_env) == (note, keys)


def test_witness_keys_that_do_not_verify_its_checkpoint_cannot_verify(
    cli_env: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _cli(capsys, "init")[0] == 0
    assert _verify(capsys)[0] == 0
    note, _ = _witness_files(cli_env)
    keys_file = cli_env.witness_dir / "keys"
    # Another key, even one the ledger holds and trusts, does not stand in for the kept one.
    assert _cli(capsys, "keys", "rotate")[0] == 0
    active = _active_vkeys(capsys)
    keys_file.write_text(active[0] + "\n")
    code, _, err = _verify(capsys)
    assert code == 2 and "does not verify with the keys kept beside it" in err
    keys_file.write_text("not a vkey\n")
    code, _, err = _verify(capsys)
    assert code == 2 and "line 1" in err and "is not a vkey" in err and "\n" not in err
    assert (cli_env.witness_dir / "checkpoint").read_text() == note
