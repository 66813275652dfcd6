"""The command line (docs/contract.md): verbs, outputs, exit codes and one-line errors."""

from __future__ import annotations

import base64
import json
import os
import socket
import sqlite3
from contextlib import closing
from pathlib import Path
from uuid import uuid4

import pytest

from domain.commands.holds import PlaceLegalHold
from domain.values import Actor
from ledger import merkle
from ledger.config import Settings
from ledger.cosignature import Cosigner
from ledger.keys import PublicKey
from ledger.log import MerkleLog
from ledger.note import open_checkpoint
from ledger.privacy import ErasureRecord
from ledger.records import AuxLedger, Envelope
from tests.holds import end_erasure_blockers
from tests.integration.conftest import run_cli
from tests.integration.tamper import Tamperer


def _one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def test_init_is_safe_to_run_twice(cli_env: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    code, first, _ = run_cli(capsys, "init")
    assert code == 0 and len(first.strip()) == 8
    code, second, _ = run_cli(capsys, "init")
    assert code == 0 and second == first
    key_dir = cli_env.key_dir
    assert oct(key_dir.stat().st_mode & 0o777) == "0o700"
    assert all(oct(p.stat().st_mode & 0o777) == "0o600" for p in key_dir.glob("*.key"))


def test_demo_verify_log_and_keys(cli_env: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(capsys, "init")[0] == 0
    code, out, _ = run_cli(capsys, "demo", "--officers", "12", "--seed", "2")
    assert code == 0 and "auxiliaries: 12" in out
    code, _, err = run_cli(capsys, "demo", "--officers", "12")
    assert code == 1 and "already holds organs" in _one_line(err)

    code, out, _ = run_cli(capsys, "verify", "--full", "--json")
    report = json.loads(out)
    assert code == 0 and report["ok"] and report["failures"] == []
    assert set(report) >= {"ok", "events_checked", "tree_size", "checkpoint", "failures"}
    size = report["tree_size"]

    code, note, _ = run_cli(capsys, "log", "checkpoint")
    keys = json.loads(run_cli(capsys, "keys", "list", "--json")[1])
    verifiers = [PublicKey.from_vkey(k["vkey"]).verifier for k in keys]
    checkpoint = open_checkpoint(note, verifiers, origin=cli_env.log_origin)
    assert checkpoint.size == size

    code, out, _ = run_cli(capsys, "log", "entries", "--start", "3", "--end", "6")
    entries = [json.loads(line) for line in out.splitlines()]
    assert [e["index"] for e in entries] == [3, 4, 5]
    leaf = merkle.leaf_hash(base64.b64decode(entries[1]["leaf"]))
    code, out, _ = run_cli(capsys, "log", "inclusion", "--index", "4", "--size", str(size))
    proof = json.loads(out)
    assert proof["index"] == 4 and proof["tree_size"] == size
    merkle.verify_inclusion(
        leaf, 4, size, [base64.b64decode(h) for h in proof["hashes"]], checkpoint.root
    )
    code, out, _ = run_cli(capsys, "log", "consistency", "--first", "7", "--second", str(size))
    consistency = json.loads(out)
    assert consistency["first"] == 7 and consistency["second"] == size

    code, _, err = run_cli(capsys, "log", "inclusion", "--index", str(size), "--size", str(size))
    assert code == 1 and "outside a tree" in _one_line(err)
    code, _, err = run_cli(capsys, "log", "consistency", "--first", "9", "--second", "3")
    assert code == 1 and "larger than" in _one_line(err)
    code, _, err = run_cli(capsys, "log", "inclusion", "--index", "1", "--size", str(size + 5))
    assert code == 1 and "beyond the log" in _one_line(err)

    old = keys[0]["key_id"]
    code, _, err = run_cli(capsys, "keys", "revoke", old, "--reason", "test")
    assert code == 1 and "rotate first" in _one_line(err)
    code, new, _ = run_cli(capsys, "keys", "rotate")
    assert code == 0 and new.strip() != old
    # A reason with a bidi control, or made only of zero-width characters, is refused and
    # records nothing (the key stays retired).
    code, _, err = run_cli(capsys, "keys", "revoke", old, "--reason", "laptop \u202etsol")
    assert code == 1 and "bidirectional controls" in _one_line(err)
    code, _, err = run_cli(capsys, "keys", "revoke", old, "--reason", "\u200b\u200d")
    assert code == 1 and "needs a reason" in _one_line(err)
    statuses = {
        k["key_id"]: k["status"] for k in json.loads(run_cli(capsys, "keys", "list", "--json")[1])
    }
    assert statuses[old] == "retired"
    code, out, _ = run_cli(capsys, "keys", "revoke", old, "--reason", "laptop lost")
    assert code == 0 and "revoked" in out
    statuses = {
        k["key_id"]: k["status"] for k in json.loads(run_cli(capsys, "keys", "list", "--json")[1])
    }
    assert statuses == {old: "revoked", new.strip(): "active"}
    code, out, _ = run_cli(capsys, "verify", "--json")
    assert code == 0 and json.loads(out)["mode"] == "incremental"


def test_verify_reports_tampering_with_exit_1(
    cli_env: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    run_cli(capsys, "init")
    run_cli(capsys, "demo", "--officers", "6")
    ledger = AuxLedger(cli_env)
    rows = ledger.recorder.select_notifications(start=None, limit=40)
    victim = rows[30]
    Tamperer(ledger).flip_payload_byte(victim.originator_id, victim.originator_version)
    code, out, _ = run_cli(capsys, "verify", "--full", "--json")
    report = json.loads(out)
    assert code == 1 and not report["ok"]
    kinds = {(f["kind"], f["originator_id"], f["originator_version"]) for f in report["failures"]}
    assert ("bad_signature", str(victim.originator_id), victim.originator_version) in kinds
    code, out, _ = run_cli(capsys, "verify", "--full")
    assert code == 1 and "bad_signature" in out and "integrity failure(s)" in out


def test_verify_cannot_run_exits_2_with_one_line(
    cli_env: Settings,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    run_cli(capsys, "init")
    # An unreadable (malformed) witness.
    cli_env.witness_dir.mkdir(parents=True, exist_ok=True)
    (cli_env.witness_dir / "checkpoint").write_text("not a checkpoint\n")
    code, _, err = run_cli(capsys, "verify")
    assert code == 2 and "AUXLEDGER_WITNESS_DIR" in _one_line(err)
    (cli_env.witness_dir / "checkpoint").unlink()
    # A key folder that is too open.
    os.chmod(cli_env.key_dir, 0o755)
    code, _, err = run_cli(capsys, "verify")
    assert code == 2 and "AUXLEDGER_KEY_DIR" in _one_line(err)
    os.chmod(cli_env.key_dir, 0o700)
    # A missing key folder.
    monkeypatch.setenv("AUXLEDGER_KEY_DIR", str(tmp_path / "nowhere"))
    code, _, err = run_cli(capsys, "verify")
    assert code == 2 and "AUXLEDGER_KEY_DIR" in _one_line(err)


def test_a_damaged_database_file_exits_2_with_one_line(
    cli_env: Settings,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    database = tmp_path / "ledger.sqlite"
    monkeypatch.setenv("AUXLEDGER_DATABASE_URL", f"sqlite:///{database}")
    assert run_cli(capsys, "init")[0] == 0
    with closing(sqlite3.connect(database)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # every page in the file itself
    whole = database.read_bytes()
    # Cut short (a damaged disk or copy), then not a database at all.
    for damaged, said in ((whole[: len(whole) // 2], "malformed"), (b"hello\n", "not a database")):
        database.write_bytes(damaged)
        code, out, err = run_cli(capsys, "verify", "--full")
        assert code == 2 and said in _one_line(err) and "database error" in err
        code, out, err = run_cli(capsys, "verify", "--json")
        answer = json.loads(out)  # one object even when it could not verify (docs/contract.md)
        assert code == 2 and answer["ok"] is False and answer["failures"] == []
        assert said in answer["error"] and said in _one_line(err)


def test_invalid_settings_stop_with_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("AUXLEDGER_DATABASE_URL", "mysql://root@localhost/x")
    code, _, err = run_cli(capsys, "verify")
    assert code == 2 and "AUXLEDGER_DATABASE_URL" in _one_line(err)
    monkeypatch.setenv("AUXLEDGER_DATABASE_URL", f"sqlite:///{tmp_path / 'none.sqlite'}")
    monkeypatch.setenv("AUXLEDGER_KEY_DIR", str(tmp_path / "keys"))
    code, _, err = run_cli(capsys, "verify")
    assert code == 2 and "no ledger" in _one_line(err)
    monkeypatch.setenv("AUXLEDGER_LOG_ORIGIN", "has space")
    code, _, err = run_cli(capsys, "init")
    assert code == 2 and "AUXLEDGER_LOG_ORIGIN" in _one_line(err)


def test_a_database_path_that_is_a_folder_exits_2_with_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    folder = tmp_path / "ledger"
    folder.mkdir()
    monkeypatch.setenv("AUXLEDGER_DATABASE_URL", f"sqlite:///{folder}")
    monkeypatch.setenv("AUXLEDGER_KEY_DIR", str(tmp_path / "keys"))
    code, _, err = run_cli(capsys, "init")
    assert code == 2 and _one_line(err).startswith("auxledger: database error: ")


PG = "postgresql://postgres@127.0.0.1/x"


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"AUXLEDGER_DATABASE_URL": "postgresql://u@[::1/db"}, "AUXLEDGER_DATABASE_URL"),
        ({"AUXLEDGER_DATABASE_URL": "postgresql://u@h:0/db"}, "AUXLEDGER_DATABASE_URL"),
        (
            {"AUXLEDGER_DATABASE_URL": PG, "AUXLEDGER_READ_DATABASE_URL": "postgresql://u@[::1/db"},
            "AUXLEDGER_READ_DATABASE_URL",
        ),
        ({"AUXLEDGER_WITNESSES": "{vkey} http://[::1"}, "AUXLEDGER_WITNESSES"),
        ({"AUXLEDGER_WITNESSES": "{vkey} http://w.example:99999"}, "AUXLEDGER_WITNESSES"),
        ({"AUXLEDGER_DATABASE_CONNECT_TIMEOUT": "nan"}, "AUXLEDGER_DATABASE_CONNECT_TIMEOUT"),
        ({"AUXLEDGER_DATABASE_CONNECT_TIMEOUT": "inf"}, "AUXLEDGER_DATABASE_CONNECT_TIMEOUT"),
        ({"AUXLEDGER_DATABASE_CONNECT_TIMEOUT": "1e400"}, "AUXLEDGER_DATABASE_CONNECT_TIMEOUT"),
        ({"AUXLEDGER_DATABASE_STATEMENT_TIMEOUT": "inf"}, "AUXLEDGER_DATABASE_STATEMENT_TIMEOUT"),
        ({"AUXLEDGER_DATABASE_STATEMENT_TIMEOUT": "1e-4"}, "AUXLEDGER_DATABASE_STATEMENT_TIMEOUT"),
    ],
)
def test_malformed_settings_stop_with_one_line_naming_them(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    env: dict[str, str],
    named: str,
) -> None:
    vkey = Cosigner.generate("w1.example").key.vkey
    monkeypatch.setenv("AUXLEDGER_KEY_DIR", str(tmp_path / "keys"))
    monkeypatch.setenv("AUXLEDGER_DATABASE_URL", f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    for name, value in env.items():
        monkeypatch.setenv(name, value.format(vkey=vkey))
    code, _, err = run_cli(capsys, "init")
    assert code == 2 and _one_line(err).startswith(f"auxledger: {named}: ")


def test_unreachable_postgres_exits_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again below: nothing listens there
    monkeypatch.setenv("AUXLEDGER_DATABASE_URL", f"postgresql://postgres@127.0.0.1:{port}/x")
    monkeypatch.setenv("AUXLEDGER_KEY_DIR", str(tmp_path / "keys"))
    code, _, err = run_cli(capsys, "verify")
    assert code == 2 and "cannot reach PostgreSQL" in _one_line(err)


def test_erase_verb(cli_env: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    run_cli(capsys, "init")
    run_cli(capsys, "demo", "--officers", "3")
    ledger = AuxLedger(cli_env)
    hired = ledger.recorder.select_notifications(
        start=None, limit=5, topics=["domain.auxiliary:Auxiliary.Hired"]
    )[0]
    subject = hired.originator_id
    organ = ledger.auxiliary(subject).organ
    end_erasure_blockers(ledger, subject)
    ledger.command_legal_hold(
        subject,
        PlaceLegalHold(hold_id="LH-1", reason="诉讼保全", reference="(2026)民初1号"),
        Envelope(Actor(actor_id="insp", role="inspector", organ=organ, unit=None)),
    )
    code, _, err = run_cli(capsys, "erase", "--subject", str(subject), "--reason", "PIPL")
    assert code == 1 and "legal hold stands: legal_hold LH-1" in _one_line(err)
    end_erasure_blockers(ledger, subject)
    code, out, _ = run_cli(
        capsys, "erase", "--subject", str(hired.originator_id), "--reason", "PIPL"
    )
    assert code == 0 and "erased" in out
    code, _, err = run_cli(capsys, "erase", "--subject", str(hired.originator_id), "--reason", "x")
    assert code == 1 and "already erased" in _one_line(err)
    code, _, err = run_cli(capsys, "erase", "--subject", "not-a-uuid", "--reason", "x")
    assert code == 2 and "UUID" in _one_line(err) and "not-a-uuid" not in err
    assert AuxLedger(cli_env).auxiliary(hired.originator_id).phone == "[erased]"


def test_erase_verb_by_complaint(cli_env: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    """`erase --complaint` erases that complaint's complainant, as the HTTP route does."""
    run_cli(capsys, "init")
    run_cli(capsys, "demo", "--officers", "10")  # 6 officers (seed 1) file no complaint any more
    ledger = AuxLedger(cli_env)
    received = ledger.recorder.select_notifications(
        start=None, limit=1, topics=["domain.complaint:Complaint.Received"]
    )
    assert received, "the demo holds complaints"
    complaint_id = received[0].originator_id
    complaint = ledger.complaint(complaint_id)
    complainant = complaint.complainant_id
    assert complaint.complainant_phone not in (None, "[erased]")
    size = MerkleLog(ledger.ledger_recorder).tree_size()

    # Refused requests record nothing.
    hired = ledger.recorder.select_notifications(
        start=None, limit=1, topics=["domain.auxiliary:Auxiliary.Hired"]
    )[0]
    for wrong in (str(uuid4()), str(hired.originator_id)):
        code, _, err = run_cli(capsys, "erase", "--complaint", wrong, "--reason", "x")
        assert code == 1 and f"no complaint with id {wrong}" in _one_line(err)
    code, _, err = run_cli(capsys, "erase", "--complaint", "13900001111", "--reason", "x")
    assert code == 2 and "--complaint takes a complaint id" in _one_line(err)
    assert "13900001111" not in err
    both = ("--complaint", str(complaint_id), "--subject", str(complainant))
    code, _, err = run_cli(capsys, "erase", *both, "--reason", "x")
    assert code == 2 and "not allowed with" in _one_line(err)
    assert MerkleLog(ledger.ledger_recorder).tree_size() == size

    code, out, _ = run_cli(capsys, "erase", "--complaint", str(complaint_id), "--reason", "PIPL")
    assert code == 0 and f"erased the complainant of complaint {complaint_id}" in out
    assert MerkleLog(ledger.ledger_recorder).tree_size() == size + 3  # and its holds record
    # The same event as the HTTP route: an ErasureRecord for the complainant, not the complaint.
    assert ledger.exists(ErasureRecord.id_for(complainant))
    assert not ledger.exists(ErasureRecord.id_for(complaint_id))
    fresh = AuxLedger(cli_env)
    assert fresh.complaint(complaint_id).complainant_phone == "[erased]"
    code, _, err = run_cli(capsys, "erase", "--complaint", str(complaint_id), "--reason", "x")
    assert code == 1 and "already erased" in _one_line(err)
