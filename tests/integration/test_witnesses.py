"""Independent witnesses (C2SP tlog-witness) and the log's submitter, on both backends.

Witnesses are real ``auxledger witness serve`` processes on loopback ports; the ledger is a
real SQLite file or PostgreSQL schema. Cosignatures are checked with the independent,
spec-only check of ``tests/unit/ledger/test_cosignature.py``.
"""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from api.cli import main
from ledger.application import LedgerApplication
from ledger.config import Settings, WitnessEndpoint, parse_witnesses
from ledger.cosignature import Cosigner, note_text, parse_cosigner_vkey, require_quorum
from ledger.errors import ConfigurationError
from ledger.log import MerkleLog
from ledger.witnessing import CosignatureStore, WitnessSubmitter, published_checkpoint
from tests.conftest import initialised, make_settings, new_schema
from tests.integration.aggregates import Notebook
from tests.integration.witnesses import WitnessProcess, start_witness, wait_for
from tests.serving import free_port
from tests.unit.ledger.test_cosignature import independent_check


@pytest.fixture
def app(settings: Settings) -> Iterator[LedgerApplication]:
    with closing(initialised(LedgerApplication, settings)) as ledger:
        yield ledger


@pytest.fixture
def witnesses(app: LedgerApplication, tmp_path: Path) -> Iterator[list[WitnessProcess]]:
    log_vkey = _log_vkey(app)
    started = [
        start_witness(tmp_path / "witnesses", name, [log_vkey])
        for name in ("jcy.nantong.example/w1", "jw.nantong.example/w2")
    ]
    try:
        yield started
    finally:
        for w in started:
            w.kill()


def _log_vkey(app: LedgerApplication) -> str:
    status = app.keyring().active_key
    assert status is not None
    return status.public.vkey


def _write(app: LedgerApplication, n: int, title: str = "book") -> None:
    for i in range(n):
        book = Notebook.open(f"{title} {i}")
        book.write("page")
        app.save(book)


def _endpoints(procs: list[WitnessProcess]) -> list[WitnessEndpoint]:
    return parse_witnesses(" ".join(f"{w.vkey} {w.url}" for w in procs))


def _submitter(app: LedgerApplication, endpoints: list[WitnessEndpoint]) -> WitnessSubmitter:
    submitter = WitnessSubmitter(
        MerkleLog(app.ledger_recorder),
        CosignatureStore(app.ledger_recorder),
        endpoints,
        poll_seconds=0.05,
        every_seconds=0.05,
        timeout_seconds=2.0,
        max_backoff_seconds=0.5,
    )
    submitter.start()
    return submitter


def _cosigned_latest(app: LedgerApplication, count: int) -> bool:
    latest = MerkleLog(app.ledger_recorder).latest_checkpoint()
    assert latest is not None
    return len(CosignatureStore(app.ledger_recorder).for_size(latest.tree_size)) >= count


def test_two_witnesses_cosign_and_the_checkpoint_is_published_with_both(
    app: LedgerApplication, witnesses: list[WitnessProcess]
) -> None:
    endpoints = _endpoints(witnesses)
    submitter = _submitter(app, endpoints)
    try:
        _write(app, 5)
        wait_for(lambda: _cosigned_latest(app, 2), what="two cosignatures")
        _write(app, 3)
        wait_for(lambda: _cosigned_latest(app, 2), what="two cosignatures after growth")
    finally:
        submitter.stop()
    log, store = MerkleLog(app.ledger_recorder), CosignatureStore(app.ledger_recorder)
    note = published_checkpoint(log, store, endpoints)
    assert note is not None
    latest = log.latest_checkpoint()
    assert latest is not None and note.startswith(latest.note)
    text, lines = note_text(note)
    cosignature_lines = lines[1:]
    assert len(cosignature_lines) == 2
    for w in witnesses:
        [line] = [x for x in cosignature_lines if x.startswith(f"\u2014 {w.name} ")]
        assert abs(independent_check(w.vkey, text, line) - time.time()) < 120
    assert len(require_quorum(note, [e.key for e in endpoints], 2)) == 2


def test_a_fork_with_the_same_key_is_refused_by_a_witness_that_saw_the_other(
    app: LedgerApplication,
    witnesses: list[WitnessProcess],
    settings: Settings,
    tmp_path: Path,
    database_url: str,
    request: pytest.FixtureRequest,
) -> None:
    w1 = witnesses[0]
    _write(app, 6, "true history")
    submitter = _submitter(app, _endpoints([w1]))
    try:
        wait_for(lambda: _cosigned_latest(app, 1), what="the true history cosigned")
    finally:
        submitter.stop()
    # Another database, the same signing key (the same key folder) and origin: a fork.
    other_url = (
        f"sqlite:///{tmp_path / 'fork.sqlite'}"
        if database_url.startswith("sqlite")
        else request.getfixturevalue("postgres_server").url(new_schema())
    )
    fork_settings = make_settings(tmp_path, other_url)
    assert fork_settings.key_dir == settings.key_dir
    fork = LedgerApplication(fork_settings, create_tables=True)
    try:
        fork.initialise("test")
        assert _log_vkey(fork) == _log_vkey(app)
        _write(fork, 9, "forged history")
        fork_submitter = _submitter(fork, _endpoints([w1]))
        try:
            wait_for(lambda: "inconsistent" in w1.evidence(), what="the witness to record the fork")
            time.sleep(0.3)
        finally:
            fork_submitter.stop()
        fork_latest = MerkleLog(fork.ledger_recorder).latest_checkpoint()
        assert fork_latest is not None
        assert CosignatureStore(fork.ledger_recorder).for_size(fork_latest.tree_size) == []
        assert fork_submitter.failures[w1.name] > 0
        # Same size, other root: refused with 422 (c2sp.org/tlog-witness) and kept as evidence.
        same_size = MerkleLog(fork.ledger_recorder).checkpoint_at(_size(app))
        if same_size is not None:
            status, _, _ = w1.post(f"old {_size(app)}\n\n{same_size.note}".encode())
            assert status == 422
    finally:
        fork.close()
    held = w1.post(b"old 0\n\n" + _latest_note(app).encode())
    assert held[0] == 409 and held[2] == f"{_size(app)}\n"


def _size(app: LedgerApplication) -> int:
    latest = MerkleLog(app.ledger_recorder).latest_checkpoint()
    assert latest is not None
    return latest.tree_size


def _latest_note(app: LedgerApplication) -> str:
    latest = MerkleLog(app.ledger_recorder).latest_checkpoint()
    assert latest is not None
    return latest.note


def test_a_rollback_is_refused_and_a_restarted_witness_keeps_its_state(
    app: LedgerApplication, witnesses: list[WitnessProcess]
) -> None:
    w1 = witnesses[0]
    _write(app, 4)
    early = MerkleLog(app.ledger_recorder).latest_checkpoint()
    assert early is not None
    assert w1.post(b"old 0\n\n" + early.note.encode())[0] == 200
    _write(app, 4)
    submitter = _submitter(app, _endpoints([w1]))
    try:
        wait_for(lambda: _cosigned_latest(app, 1), what="the witness to move on")
    finally:
        submitter.stop()
    size = _size(app)
    # A rollback: the older checkpoint, claiming the witness's own size as old.
    status, content_type, body = w1.post(f"old {early.tree_size}\n\n{early.note}".encode())
    assert (status, content_type, body) == (409, "text/x.tlog.size", f"{size}\n")
    assert w1.post(f"old {size}\n\n{early.note}".encode())[0] == 400
    w1.kill()  # a crash mid-way
    w1.start()
    status, _, body = w1.post(b"old 0\n\n" + early.note.encode())
    assert (status, body) == (409, f"{size}\n")
    status, _, line = w1.post(f"old {size}\n\n{_latest_note(app)}".encode())
    assert status == 200
    text, _ = note_text(_latest_note(app))
    independent_check(w1.vkey, text, line)


def test_a_dead_or_silent_witness_does_not_block_writes(
    app: LedgerApplication, witnesses: list[WitnessProcess]
) -> None:
    silent = socket.socket()  # accepts connections, never answers
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)
    dead_url = f"http://127.0.0.1:{free_port()}"
    silent_url = f"http://127.0.0.1:{silent.getsockname()[1]}"
    live = witnesses[0]
    endpoints = [
        *_endpoints([live]),
        WitnessEndpoint(key=Cosigner.generate("dead.example/w").key, url=dead_url),
        WitnessEndpoint(key=Cosigner.generate("silent.example/w").key, url=silent_url),
    ]
    submitter = _submitter(app, endpoints)
    try:
        started = time.perf_counter()
        _write(app, 20)
        elapsed = time.perf_counter() - started
        wait_for(lambda: _cosigned_latest(app, 1), what="the live witness to cosign")
        assert submitter.failures[endpoints[1].name] > 0
        # Twenty writes while one witness refuses connections and another hangs for its
        # whole 2 s timeout: no write waited for either.
        assert elapsed < 2.0 * 20 / 4
        assert threading.active_count() >= 3
    finally:
        submitter.stop(timeout=3)
        silent.close()
    latest = MerkleLog(app.ledger_recorder).latest_checkpoint()
    assert latest is not None
    [stored] = CosignatureStore(app.ledger_recorder).for_size(latest.tree_size)
    assert stored.name == live.name


def test_a_bad_witness_setting_names_the_variable(tmp_path: Path) -> None:
    good = Cosigner.generate("w1.example").key.vkey
    log_vkey = "auxledger.local/ledger+00000000+AQ" + "A" * 42 + "="
    for value, reason in (
        (good, "pairs"),
        (f"{good} ftp://w1.example", "http"),
        (f"{log_vkey} http://w1.example", "witness 1"),
        (f"{good} http://a.example, {good} http://b.example", "the same key twice"),
    ):
        with pytest.raises(ConfigurationError, match=f"AUXLEDGER_WITNESSES: .*{reason}"):
            make_settings(tmp_path, "sqlite:///x.sqlite", AUXLEDGER_WITNESSES=value)
    settings = make_settings(
        tmp_path, "sqlite:///x.sqlite", AUXLEDGER_WITNESSES=f" {good}  https://w1.example/ \n"
    )
    assert [(w.name, w.url) for w in settings.witnesses] == [("w1.example", "https://w1.example")]


def test_verify_requires_k_of_n_named_witnesses(
    app: LedgerApplication,
    witnesses: list[WitnessProcess],
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db = settings.database
    monkeypatch.setenv(
        "AUXLEDGER_DATABASE_URL",
        f"sqlite:///{db.sqlite_path}"
        if not db.is_postgres
        else f"postgresql://{db.user}@{db.host}:{db.port}/{db.dbname}?schema={db.schema}",
    )
    monkeypatch.setenv("AUXLEDGER_KEY_DIR", str(settings.key_dir))
    monkeypatch.setenv("AUXLEDGER_WITNESS_DIR", str(settings.witness_dir))
    monkeypatch.setenv("AUXLEDGER_LOG_ORIGIN", settings.log_origin)
    w1, w2 = witnesses
    both = ["--witness-vkey", w1.vkey, "--witness-vkey", w2.vkey]

    def verify(*extra: str) -> tuple[int, str, str]:
        code = main(["verify", *extra])
        out, err = capsys.readouterr()
        return code, out, err

    _write(app, 3)
    code, out, _ = verify(*both, "--witnesses-required", "1")
    assert code == 1
    assert "witness_quorum: 0 of the 1 required witness cosignatures" in out
    submitter = _submitter(app, _endpoints([w1]))
    try:
        wait_for(lambda: _cosigned_latest(app, 1), what="w1's cosignature")
    finally:
        submitter.stop()
    assert verify(*both, "--witnesses-required", "1")[0] == 0
    code, out, _ = verify(*both)  # default: all named witnesses
    assert code == 1
    assert "1 of the 2 required" in out and f"cosigned by: {w1.name}" in out
    assert "no recent checkpoint has the quorum" in out
    cosigned = _size(app)
    _write(app, 2)  # a newer checkpoint nobody cosigned yet: within the bound, it passes
    assert verify("--witness-vkey", w1.vkey)[0] == 0
    lag = _size(app) - cosigned
    assert verify("--witness-vkey", w1.vkey, "--witness-max-lag", str(lag))[0] == 0
    code, out, _ = verify("--witness-vkey", w1.vkey, "--witness-max-lag", str(lag - 1))
    assert code == 1
    assert (
        f"the newest checkpoint with 1 witness cosignatures has tree size {cosigned}, "
        f"{lag} entries behind the latest (tree size {_size(app)})"
    ) in out
    code, out, err = verify("--json", "--witness-vkey", w1.vkey, "--witness-vkey", w2.vkey)
    assert code == 1 and json.loads(out)["failures"][0]["kind"] == "witness_quorum"
    code, _, err = verify("--witness-vkey", "not-a-vkey")
    assert code == 2 and err.count("\n") == 1 and "--witness-vkey" in err
    code, _, err = verify("--witness-vkey", w1.vkey, "--witnesses-required", "2")
    assert code == 2 and "needs at least 2 --witness-vkey" in err


def _cosign_directly(app: LedgerApplication, w: WitnessProcess, old: int) -> int:
    """Send the latest checkpoint to one witness by hand and store its cosignature."""
    from ledger.cosignature import verify_cosignatures  # noqa: PLC0415

    latest = MerkleLog(app.ledger_recorder).latest_checkpoint()
    assert latest is not None
    proof = (
        MerkleLog(app.ledger_recorder).consistency_proof(old, latest.tree_size)
        if 0 < old < latest.tree_size
        else []
    )
    lines = "".join(base64.b64encode(h).decode() + "\n" for h in proof)
    status, _, answer = w.post(f"old {old}\n{lines}\n{latest.note}".encode())
    assert status == 200, answer
    text, _ = note_text(latest.note)
    valid = verify_cosignatures(
        text, answer.splitlines(keepends=True), [parse_cosigner_vkey(w.vkey)]
    )
    assert len(valid) == 1
    store = CosignatureStore(app.ledger_recorder)
    store.ensure()
    store.add(latest.tree_size, valid)
    return latest.tree_size


def test_the_checkpoint_cosigned_by_all_is_published_before_a_newer_one_by_one(
    app: LedgerApplication, witnesses: list[WitnessProcess]
) -> None:
    w1, w2 = witnesses
    _write(app, 3)
    both = _cosign_directly(app, w1, 0)
    assert _cosign_directly(app, w2, 0) == both
    _write(app, 2)
    newer = _cosign_directly(app, w1, both)  # only w1 cosigned the newer one (so far)
    assert newer > both
    log, store = MerkleLog(app.ledger_recorder), CosignatureStore(app.ledger_recorder)
    note = published_checkpoint(log, store, _endpoints(witnesses))
    assert note is not None
    keys = [parse_cosigner_vkey(w.vkey) for w in witnesses]
    assert require_quorum(note, keys, 2)  # the one both cosigned, not the newer one
    assert int(note.split("\n")[1]) == both
    _cosign_directly(app, w2, both)  # w2 catches up: the newer one is published (tie → newest)
    note = published_checkpoint(log, store, _endpoints(witnesses))
    assert note is not None and int(note.split("\n")[1]) == newer
    assert require_quorum(note, keys, 2)


def test_a_busy_ledger_gets_the_same_checkpoint_cosigned_by_every_witness(
    app: LedgerApplication, witnesses: list[WitnessProcess]
) -> None:
    submitter = WitnessSubmitter(
        MerkleLog(app.ledger_recorder),
        CosignatureStore(app.ledger_recorder),
        _endpoints(witnesses),
        poll_seconds=0.01,
        every_seconds=0.2,
        timeout_seconds=2.0,
        max_backoff_seconds=0.5,
    )
    submitter.start()
    try:
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:  # the log grows all the time
            _write(app, 1, f"busy {time.monotonic()}")
        assert submitter.rounds >= 3
        wait_for(
            lambda: len(set(submitter.cosigned_size.values())) == 1,
            what="both witnesses to finish the round",
        )
    finally:
        submitter.stop()
    store = CosignatureStore(app.ledger_recorder)
    by_size: dict[int, set[bytes]] = {}
    for row in store.recent(limit=10_000):
        by_size.setdefault(row.tree_size, set()).add(row.key_id)
    assert len(by_size) >= 3
    # Every round's checkpoint went to both witnesses: each size was cosigned by both.
    assert all(len(signers) == 2 for signers in by_size.values()), by_size
    note = published_checkpoint(MerkleLog(app.ledger_recorder), store, _endpoints(witnesses))
    assert note is not None
    assert len(require_quorum(note, [parse_cosigner_vkey(w.vkey) for w in witnesses], 2)) == 2


def test_after_a_key_rotation_the_published_checkpoint_verifies_with_the_active_key(
    app: LedgerApplication, witnesses: list[WitnessProcess]
) -> None:
    from ledger.note import open_note, parse_vkey  # noqa: PLC0415

    w1 = witnesses[0]
    _write(app, 3)
    _cosign_directly(app, w1, 0)  # cosigned under the key that is about to retire
    app.rotate_key("admin-test")
    _write(app, 1, "after the rotation")
    active = app.keyring().active_key
    assert active is not None
    log, store = MerkleLog(app.ledger_recorder), CosignatureStore(app.ledger_recorder)
    note = published_checkpoint(log, store, _endpoints([w1]))
    assert note is not None
    open_note(note, [parse_vkey(active.public.vkey)])  # raises if signed by the retired key
    latest = log.latest_checkpoint()
    assert latest is not None and note == latest.note
