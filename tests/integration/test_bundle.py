"""Evidence bundles: export, offline checks, tampering, erasure, the case file, the access log.

Every ledger test runs on a real SQLite file and a real PostgreSQL schema. The offline check
runs the shipped ``verify_bundle.py`` in a virtual environment that holds only
``cryptography`` (made once per session, installed from the package registry).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import random
import shutil
import struct
import subprocess
import sys
import time
import venv
import zipfile
from datetime import date
from pathlib import Path
from uuid import UUID, uuid4

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from api.bundles import PDF_MEMBER, VERIFIER_MEMBER, ExportedBundle, export_bundle
from domain.commands.auxiliary import RecordHealthCheck
from domain.values import Actor
from ledger import bundle_verifier as bv
from ledger.access import ReasonRequiredError
from ledger.bundle import BundleError, verifier_source
from ledger.config import Settings, parse_witnesses
from ledger.log import MerkleLog
from ledger.persistence import SUBJECT_KEYS
from ledger.records import AuxLedger, Envelope
from ledger.witnessing import CosignatureStore, WitnessSubmitter
from tests.builders import other_resident_id
from tests.bundles import ACCESS_TOPIC, access_records, members_of
from tests.integration import trial
from tests.integration.conftest import run_cli
from tests.integration.tamper import Tamperer
from tests.integration.trial import (
    ADMIN,
    HIRED_ON,
    ORGAN,
    PERSONNEL,
    PHONE,
    RESIDENT_ID,
    hire_command,
    set_up,
)
from tests.integration.witnesses import keygen, start_witness, wait_for
from tests.serving import use_environ

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
DISCIPLINE = Actor(actor_id="disc-1", role="discipline", organ="320699", unit=None)
INSPECTOR = Actor(actor_id="insp-1", role="inspector", organ="320699", unit=None)

NAME = "王小明"
COMPLAINANT = "赵投诉"
VERIFIABLE = ("records/", "proofs/", "checkpoints/", "keys/", "opened/")


@pytest.fixture
def ledger(aux_ledger: AuxLedger) -> AuxLedger:
    return set_up(aux_ledger)


def hire(ledger: AuxLedger, name: str = NAME, resident_id: str = RESIDENT_ID) -> UUID:
    auxiliary_id = uuid4()
    ledger.hire(
        ORGAN,
        hire_command(auxiliary_id, name=name, resident_id=resident_id),
        Envelope(PERSONNEL, effective=HIRED_ON),
    )
    ledger.command_auxiliary(
        auxiliary_id,
        RecordHealthCheck(checked_on=date(2026, 11, 2), fit=True, details="血压正常"),
        Envelope(PERSONNEL, effective=date(2026, 11, 2)),
    )
    return auxiliary_id


def complain(ledger: AuxLedger, auxiliary_id: UUID) -> UUID:
    """A complaint about ``auxiliary_id`` from ``COMPLAINANT``."""
    return trial.complain(ledger, auxiliary_id, complainant_name=COMPLAINANT)


def export(
    ledger: AuxLedger,
    subject_id: UUID,
    *,
    reason: str,
    kind: str = "auxiliary",
    actor: Actor = INSPECTOR,
    purpose: str = "test",
) -> ExportedBundle:
    """``export_bundle`` of one subject's records, as the tests here ask for it."""
    return export_bundle(
        ledger, actor, kind=kind, subject_id=subject_id, reason=reason, purpose=purpose
    )


def run_verifier(python: Path, folder: Path, bundle: str) -> subprocess.CompletedProcess[bytes]:
    """The bundle's own ``verify_bundle.py`` in ``folder``, isolated, on ``bundle``."""
    return subprocess.run(
        [str(python), "-I", "verify_bundle.py", bundle],
        cwd=folder,
        capture_output=True,
        env={"PATH": os.environ.get("PATH", ""), "PYTHONNOUSERSITE": "1"},
        check=False,
    )


def test_an_auxiliary_bundle_verifies_and_opens_what_an_inspector_may_read(
    ledger: AuxLedger,
) -> None:
    auxiliary_id = hire(ledger)
    exported = export(ledger, auxiliary_id, reason="劳动仲裁调取")
    members = members_of(exported.data)
    report = bv.verify_members(members)
    assert report.ok, report.failures
    fields = json.loads(members[bv.FIELDS])
    assert {f["value"] for f in fields} >= {RESIDENT_ID, PHONE}
    assert list(json.loads(members[bv.SUBJECT_KEYS])) == [auxiliary_id.hex]
    assert members[VERIFIER_MEMBER] == verifier_source()
    assert report.facts["records"] == len(json.loads(members[bv.MANIFEST])["records"])
    # The subject's whole aggregate is there, exactly as stored.
    stored = ledger.recorder.select_events(auxiliary_id)
    for row in stored:
        name = f"records/{auxiliary_id.hex}-{row.originator_version:06d}.bin"
        assert members[name] == bytes(row.state)


def test_a_complaint_bundle_holds_the_complaint_and_the_auxiliary(ledger: AuxLedger) -> None:
    auxiliary_id = hire(ledger)
    complaint_id = complain(ledger, auxiliary_id)
    exported = export(ledger, complaint_id, kind="complaint", reason="检察院调取")
    members = members_of(exported.data)
    report = bv.verify_members(members)
    assert report.ok, report.failures
    groups = json.loads(members[bv.MANIFEST])["groups"]
    assert f"records/{complaint_id.hex}-000001.bin" in groups
    assert groups[f"records/{auxiliary_id.hex}-000001.bin"] == "related"
    values = {f["field"]: f["value"] for f in json.loads(members[bv.FIELDS])}
    assert values["complainant_name"] == COMPLAINANT
    assert values["resident_id"] == RESIDENT_ID
    # One access record per exported record, naming it and why.
    found = {(a["record_type"], a["record_id"]) for a in access_records(ledger)}
    assert {("complaint", str(complaint_id)), ("auxiliary", str(auxiliary_id))} <= found


def test_discipline_gets_no_personal_field_and_complainants_stay_masked(
    ledger: AuxLedger, tmp_path: Path
) -> None:
    auxiliary_id = hire(ledger)
    complaint_id = complain(ledger, auxiliary_id)
    exported = export(ledger, complaint_id, kind="complaint", reason="处分审查", actor=DISCIPLINE)
    members = members_of(exported.data)
    assert bv.verify_members(members).ok
    assert json.loads(members[bv.SUBJECT_KEYS]) == {}
    assert json.loads(members[bv.FIELDS]) == []
    for name, data in members.items():
        assert COMPLAINANT.encode() not in data, name
        assert RESIDENT_ID.encode() not in data, name
    pdf = tmp_path / "case-file.pdf"
    pdf.write_bytes(members[PDF_MEMBER])
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(pdf), "-"], check=True, capture_output=True
    ).stdout.decode("utf-8")
    assert NAME in text and "masked" in text
    assert COMPLAINANT not in text and RESIDENT_ID not in text and PHONE not in text


def test_the_export_is_in_the_access_log_and_a_refused_one_leaves_nothing(
    ledger: AuxLedger,
) -> None:
    auxiliary_id = hire(ledger)
    log = MerkleLog(ledger.ledger_recorder)
    size = log.tree_size()
    with pytest.raises(ReasonRequiredError):
        export(ledger, auxiliary_id, reason="  ")
    assert log.tree_size() == size
    assert access_records(ledger) == []
    export(ledger, auxiliary_id, reason="劳动仲裁调取")
    (access,) = access_records(ledger)
    assert access["record_type"] == "auxiliary"
    assert access["record_id"] == str(auxiliary_id)
    assert access["reason"] == "劳动仲裁调取"
    assert "evidence bundle" in access["purpose"]
    assert access["fields"] and "resident_id" in access["fields"]


def _positions(length: int, rng: random.Random) -> list[int]:
    picks = {0, length - 1, length // 2, *(rng.randrange(length) for _ in range(12))}
    return sorted(p for p in picks if 0 <= p < length)


def test_changing_any_byte_of_a_verifiable_member_fails_naming_it(ledger: AuxLedger) -> None:
    auxiliary_id = hire(ledger)
    complaint_id = complain(ledger, auxiliary_id)
    hire(
        ledger, "李后来", other_resident_id(2)
    )  # the log grows past the bundle: a real consistency proof
    exported = export(ledger, complaint_id, kind="complaint", reason="检察院调取")
    members = members_of(exported.data)
    assert bv.verify_members(members).ok
    consistency = json.loads(members[bv.CONSISTENCY])
    assert consistency["first"] < consistency["second"] and consistency["hashes"]
    # The bundle's own node reads give exactly the log's proofs.
    log = MerkleLog(ledger.ledger_recorder)
    first, second = consistency["first"], consistency["second"]
    expected = [base64.b64encode(h).decode() for h in log.consistency_proof(first, second)]
    assert consistency["hashes"] == expected
    inclusion = json.loads(members[bv.INCLUSION])
    for proof in inclusion["proofs"].values():
        hashes = log.inclusion_proof(proof["leaf_index"], inclusion["tree_size"])
        assert proof["hashes"] == [base64.b64encode(h).decode() for h in hashes]
    rng = random.Random(15)
    checked = 0
    for name in sorted(members):
        if not name.startswith(VERIFIABLE):
            continue
        data = members[name]
        for position in _positions(len(data), rng):
            changed = bytearray(data)
            changed[position] ^= 0x01
            report = bv.verify_members({**members, name: bytes(changed)})
            assert not report.ok, (name, position)
            assert any(name in str(f) for f in report.failures), (name, position, report.failures)
            checked += 1
    assert checked > 100


def test_a_changed_record_is_named_as_failed_not_as_missing(ledger: AuxLedger) -> None:
    auxiliary_id = hire(ledger)  # versions 1 and 2
    ledger.command_auxiliary(
        auxiliary_id,
        RecordHealthCheck(checked_on=date(2026, 11, 2), fit=True, details="复查正常"),
        Envelope(PERSONNEL, effective=date(2026, 11, 2)),
    )
    members = members_of(export(ledger, auxiliary_id, reason="检察院调取").data)
    prefix = f"records/{auxiliary_id.hex}-"
    versions = sorted(n for n in members if n.startswith(prefix))
    assert len(versions) >= 3, versions
    second = versions[1]
    changed = bytearray(members[second])
    changed[len(changed) // 2] ^= 0x01
    failures = [str(f) for f in bv.verify_members({**members, second: bytes(changed)}).failures]
    assert any(second in f for f in failures), failures
    assert not any("is missing" in f for f in failures), failures
    assert any(versions[2] in f and "failed its checks" in f for f in failures), failures


def test_a_bundle_made_before_an_erasure_still_verifies_and_a_new_one_shows_erased(
    ledger: AuxLedger, tmp_path: Path
) -> None:
    auxiliary_id = hire(ledger)
    before = export(ledger, auxiliary_id, reason="仲裁").data
    ledger.erase_subject(ADMIN, auxiliary_id, "当事人申请删除")
    assert bv.verify_members(members_of(before)).ok
    after = members_of(export(ledger, auxiliary_id, reason="仲裁").data)
    report = bv.verify_members(after)
    assert report.ok, report.failures
    assert report.facts["erased_subjects"] == [auxiliary_id.hex]
    fields = json.loads(after[bv.FIELDS])
    assert fields and {f["value"] for f in fields} == {bv.ERASED}
    assert json.loads(after[bv.SUBJECT_KEYS]) == {}
    assert all(RESIDENT_ID.encode() not in data for data in after.values())
    # An [erased] claim without the signed erasure record fails.
    erasure = [n for n, g in json.loads(after[bv.MANIFEST])["groups"].items() if g == "erasure"]
    assert erasure
    manifest = json.loads(after[bv.MANIFEST])
    manifest["records"] = [n for n in manifest["records"] if n not in erasure]
    forged = {k: v for k, v in after.items() if k not in erasure}
    forged[bv.MANIFEST] = bv.canonical_json(manifest)
    inclusion = json.loads(after[bv.INCLUSION])
    inclusion["proofs"] = {k: v for k, v in inclusion["proofs"].items() if k not in erasure}
    forged[bv.INCLUSION] = bv.canonical_json(inclusion)
    failures = bv.verify_members(forged).failures
    assert any("no data key and no signed erasure of" in str(f) for f in failures)


def test_the_case_file_opens_names_the_auxiliary_and_the_root(ledger: AuxLedger) -> None:
    if not (shutil.which("pdftotext") and shutil.which("pdftoppm")):
        pytest.fail("pdftotext and pdftoppm are needed (Debian: poppler-utils; scripts/test)")
    auxiliary_id = hire(ledger)
    exported = export(ledger, auxiliary_id, reason="劳动仲裁调取")
    ARTIFACTS.mkdir(exist_ok=True)
    backend = "pg" if ledger.ledger_recorder.__class__.__name__.startswith("Postgres") else "sqlite"
    pdf = ARTIFACTS / f"bundle-case-file-{backend}.pdf"
    pdf.write_bytes(members_of(exported.data)[PDF_MEMBER])
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(pdf), "-"], check=True, capture_output=True
    ).stdout.decode("utf-8")
    assert NAME in text
    assert exported.content.anchor.root.hex() in text
    assert "核验声明" in text and "劳动仲裁调取" in text
    prefix = ARTIFACTS / f"bundle-case-file-{backend}-page"
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "80",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(pdf),
            str(prefix),
        ],
        check=True,
        capture_output=True,
    )
    png = Path(f"{prefix}.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.stat().st_size > 10_000


@pytest.fixture(scope="session")
def cryptography_only_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtual environment with nothing but ``cryptography`` (from the registry), once."""
    home = tmp_path_factory.mktemp("verifier-venv")
    venv.EnvBuilder(with_pip=True, clear=True).create(home)
    python = home / "bin" / "python"
    subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "cryptography",
        ],
        check=True,
        capture_output=True,
        timeout=280,
    )
    listed = subprocess.run(
        [str(python), "-m", "pip", "list", "--format=json"], check=True, capture_output=True
    ).stdout
    names = {p["name"].lower() for p in json.loads(listed)}
    assert "auxledger" not in names and "cryptography" in names
    return python


def test_the_shipped_verifier_runs_offline_with_only_cryptography(
    ledger: AuxLedger, tmp_path: Path, cryptography_only_python: Path
) -> None:
    auxiliary_id = hire(ledger)
    complaint_id = complain(ledger, auxiliary_id)
    exported = export(ledger, complaint_id, kind="complaint", reason="检察院调取")
    folder = tmp_path / "outside"
    folder.mkdir()
    bundle = folder / "bundle.zip"
    bundle.write_bytes(exported.data)
    (folder / "verify_bundle.py").write_bytes(members_of(exported.data)[VERIFIER_MEMBER])
    result = run_verifier(cryptography_only_python, folder, "bundle.zip")
    out = result.stdout.decode("utf-8")
    assert result.returncode == 0, out + result.stderr.decode()
    assert "核验通过" in out and "VALID" in out
    # One changed byte in a record: exit 1, the member named.
    members = members_of(exported.data)
    name = f"records/{auxiliary_id.hex}-000001.bin"
    changed = bytearray(members[name])
    changed[-10] ^= 0x01
    with zipfile.ZipFile(bundle, "w") as archive:
        for member, data in {**members, name: bytes(changed)}.items():
            archive.writestr(member, data)
    result = run_verifier(cryptography_only_python, folder, "bundle.zip")
    out = result.stdout.decode("utf-8")
    assert result.returncode == 1
    assert "核验失败" in out and "INVALID" in out and name in out
    # Not a zip: exit 2.
    (folder / "junk.zip").write_bytes(b"not a zip")
    result = run_verifier(cryptography_only_python, folder, "junk.zip")
    assert result.returncode == 2


def test_the_verifier_imports_nothing_of_the_project() -> None:
    source = verifier_source().decode("utf-8")
    imported = {
        line.split()[1].split(".")[0]
        for line in source.splitlines()
        if line.startswith(("import ", "from "))
    }
    allowed = set(sys.stdlib_module_names) | {"cryptography", "__future__"}
    assert imported <= allowed, imported - allowed


@pytest.fixture
def cli_env(ledger: AuxLedger, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    return use_environ(settings, monkeypatch)


def test_the_command_line_exports_and_verifies(
    ledger: AuxLedger, cli_env: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    auxiliary_id = hire(ledger)
    complaint_id = complain(ledger, auxiliary_id)
    out = tmp_path / "bundle.zip"
    code, printed, err = run_cli(
        capsys,
        "bundle",
        "export",
        "--complaint",
        str(complaint_id),
        "--reason",
        "法院调取",
        "--out",
        str(out),
    )
    assert code == 0, err
    assert str(out) in printed and "records" in printed
    code, printed, _ = run_cli(capsys, "bundle", "verify", str(out))
    assert code == 0 and "核验通过" in printed and "VALID" in printed
    # The export is an access event of the operator, acting as an inspector, with the reason.
    accesses = access_records(ledger)
    assert {a["record_id"] for a in accesses} == {str(complaint_id), str(auxiliary_id)}
    assert all(a["role"] == "inspector" and a["reason"] == "法院调取" for a in accesses)
    # Pinning the genesis key: the right one passes, another one fails.
    vkey = ledger.reload_keys().ordered()[0].public.vkey
    assert run_cli(capsys, "bundle", "verify", str(out), "--log-vkey", vkey)[0] == 0
    other = "other+00000000+" + "A" * 44
    code, _, err = run_cli(capsys, "bundle", "verify", str(out), "--log-vkey", other)
    assert code == 2 and "--log-vkey" in (err + _)
    # Asking for a witness the ledger does not have: invalid, and said so.
    witness = Witness("witness-a.example")
    code, printed, _ = run_cli(capsys, "bundle", "verify", str(out), "--witness-vkey", witness.vkey)
    assert code == 1 and "witness" in printed
    # A changed byte: exit 1 naming the member; not a zip: exit 2.
    members = members_of(out.read_bytes())
    name = f"records/{complaint_id.hex}-000001.bin"
    changed = bytearray(members[name])
    changed[40] ^= 0x01
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(bad, "w") as archive:
        for member, data in {**members, name: bytes(changed)}.items():
            archive.writestr(member, data)
    code, printed, _ = run_cli(capsys, "bundle", "verify", str(bad))
    assert code == 1 and name in printed and "核验失败" in printed
    (tmp_path / "junk.zip").write_bytes(b"junk")
    assert run_cli(capsys, "bundle", "verify", str(tmp_path / "junk.zip"))[0] == 2


def test_the_command_line_refuses_and_records_nothing(
    ledger: AuxLedger, cli_env: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    auxiliary_id = hire(ledger)
    size = MerkleLog(ledger.ledger_recorder).tree_size()
    out = tmp_path / "bundle.zip"
    cases = [
        (["--auxiliary", str(auxiliary_id), "--reason", " ", "--out", str(out)], "reason"),
        (["--auxiliary", str(uuid4()), "--reason", "r", "--out", str(out)], "no auxiliary"),
        (
            ["--auxiliary", str(auxiliary_id), "--reason", "r", "--out", "/nonexistent/x.zip"],
            "does not exist",
        ),
        (["--auxiliary", "not-a-uuid", "--reason", "r", "--out", str(out)], "UUID"),
    ]
    for argv, expected in cases:
        code, _, err = run_cli(capsys, "bundle", "export", *argv)
        assert code in (1, 2), argv
        lines = [line for line in err.splitlines() if line.strip()]
        assert len(lines) == 1 and expected in lines[0], err
    out.write_bytes(b"already here")
    code, _, err = run_cli(
        capsys,
        "bundle",
        "export",
        "--auxiliary",
        str(auxiliary_id),
        "--reason",
        "r",
        "--out",
        str(out),
    )
    assert code == 1 and "exists" in err
    assert out.read_bytes() == b"already here"
    assert MerkleLog(ledger.ledger_recorder).tree_size() == size
    assert access_records(ledger) == []


@pytest.mark.parametrize(
    "reason",
    ["\u200b", "法院\u202e调取", "理" * 501],
    ids=["zero-width-only", "bidi-override", "501-chars"],
)
def test_a_reason_the_access_record_would_refuse_leaves_no_file_and_no_event(
    ledger: AuxLedger,
    cli_env: Settings,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    reason: str,
) -> None:
    """The reason is checked by the access records' rule before anything is collected."""
    auxiliary_id = hire(ledger)
    complaint_id = complain(ledger, auxiliary_id)
    size = MerkleLog(ledger.ledger_recorder).tree_size()
    folder = tmp_path / "out"
    folder.mkdir()
    for which, subject in (("--auxiliary", auxiliary_id), ("--complaint", complaint_id)):
        out = folder / f"{which[2:]}.zip"
        code, printed, err = run_cli(
            capsys, "bundle", "export", which, str(subject), "--reason", reason, "--out", str(out)
        )
        lines = [line for line in err.splitlines() if line.strip()]
        assert code == 1 and len(lines) == 1 and "reason" in lines[0], err
        assert "X-Access-Reason" not in err and "?reason=" not in err
        assert printed == ""
        assert not out.exists()
        assert list(folder.iterdir()) == []
    with pytest.raises(ReasonRequiredError, match="reason"):
        export(ledger, auxiliary_id, reason=reason, purpose="t")
    assert MerkleLog(ledger.ledger_recorder).tree_size() == size
    assert access_records(ledger) == []


def test_the_command_line_deletes_its_file_when_the_access_cannot_be_recorded(
    ledger: AuxLedger, cli_env: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The database refuses the access record (a real trigger): --out is deleted again."""
    auxiliary_id = hire(ledger)
    tamper = Tamperer(ledger)
    if tamper.pg:
        schema = ledger.ledger_recorder.datastore.schema
        tamper.sql(
            f'CREATE FUNCTION "{schema}".refuse_access() RETURNS trigger LANGUAGE plpgsql AS '
            "$$ BEGIN IF NEW.topic = 'ledger.access:RecordAccess.Recorded' THEN "
            "RAISE EXCEPTION 'access records refused'; END IF; RETURN NEW; END $$"
        )
        tamper.sql(
            "CREATE TRIGGER refuse_access BEFORE INSERT ON {events} "
            f'FOR EACH ROW EXECUTE FUNCTION "{schema}".refuse_access()'
        )
    else:
        tamper.sql(
            "CREATE TRIGGER refuse_access BEFORE INSERT ON {events} "
            f"WHEN NEW.topic = '{ACCESS_TOPIC}' BEGIN SELECT RAISE(ABORT, 'refused'); END"
        )
    size = MerkleLog(ledger.ledger_recorder).tree_size()
    folder = tmp_path / "out"
    folder.mkdir()
    out = folder / "bundle.zip"
    argv = ["--auxiliary", str(auxiliary_id), "--reason", "仲裁", "--out", str(out)]
    code, printed, err = run_cli(capsys, "bundle", "export", *argv)
    # One line either way: SQLite's abort is a refused write (1); PostgreSQL's raised error
    # a database error (2, "database error: access records refused").
    assert code == (2 if tamper.pg else 1) and printed == "", err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert not out.exists() and list(folder.iterdir()) == []
    assert MerkleLog(ledger.ledger_recorder).tree_size() == size


class Witness:
    """A C2SP tlog-cosignature/v1 witness key (Ed25519, type 0x04), for the k-of-n checks."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.key = Ed25519PrivateKey.generate()
        public = b"\x04" + self.key.public_key().public_bytes_raw()
        self.key_id = hashlib.sha256(name.encode() + b"\n" + public).digest()[:4]
        self.vkey = f"{name}+{self.key_id.hex()}+{base64.b64encode(public).decode()}"

    def cosign(self, note: bytes, timestamp: int = 1_790_000_000) -> bytes:
        """The note with this witness's cosignature line appended."""
        text = note.decode().split("\n\n")[0] + "\n"
        message = f"cosignature/v1\ntime {timestamp}\n{text}".encode()
        blob = self.key_id + struct.pack(">Q", timestamp) + self.key.sign(message)
        return note + f"\u2014 {self.name} {base64.b64encode(blob).decode()}\n".encode()


def test_witness_cosignatures_k_of_n(ledger: AuxLedger) -> None:
    auxiliary_id = hire(ledger)
    members = members_of(export(ledger, auxiliary_id, reason="仲裁").data)
    a, b, c = Witness("a.witness.example"), Witness("b.witness.example"), Witness("c.example")
    # No witness in the bundle: fine unless the verifier asks for some.
    assert bv.verify_members(members).ok
    assert not bv.verify_members(members, witness_vkeys=[a.vkey]).ok
    cosigned = {**members, bv.NEWEST: b.cosign(a.cosign(members[bv.NEWEST]))}
    assert bv.verify_members(cosigned).ok  # unknown cosigners are ignored
    names = [a.vkey, b.vkey, c.vkey]
    assert bv.verify_members(cosigned, witness_vkeys=names, witness_threshold=2).ok
    report = bv.verify_members(cosigned, witness_vkeys=names)  # all three by default
    assert not report.ok and "2 of the named witnesses, 3 required" in str(report.failures)
    # A forged cosignature does not count.
    forged = bytearray(cosigned[bv.NEWEST])
    forged[-5] ^= 0x01
    report = bv.verify_members(
        {**members, bv.NEWEST: bytes(forged)}, witness_vkeys=[a.vkey, b.vkey], witness_threshold=2
    )
    assert not report.ok


def _plain_line(name: str, key_id: bytes, key: Ed25519PrivateKey, note: bytes) -> bytes:
    """A plain Ed25519 note signature line over the note's text."""
    text = note.decode().split("\n\n")[0] + "\n"
    blob = key_id + key.sign(text.encode())
    return f"\u2014 {name} {base64.b64encode(blob).decode()}\n".encode()


def test_a_witness_key_signs_only_in_the_form_of_its_type(ledger: AuxLedger) -> None:
    """0x04 keys count only with a cosignature/v1 (time <= 2^63-1); 0x01 only plain."""
    auxiliary_id = hire(ledger)
    members = members_of(export(ledger, auxiliary_id, reason="仲裁", purpose="t").data)
    newest = members[bv.NEWEST]
    cosigner = Witness("a.witness.example")  # type 0x04
    # A plain Ed25519 signature by a cosignature key: not a cosignature, does not count.
    plain = newest + _plain_line(cosigner.name, cosigner.key_id, cosigner.key, newest)
    assert not bv.verify_members({**members, bv.NEWEST: plain}, witness_vkeys=[cosigner.vkey]).ok
    # The same key's real cosignature counts; one with a timestamp beyond 2^63-1 does not.
    good = cosigner.cosign(newest)
    assert bv.verify_members({**members, bv.NEWEST: good}, witness_vkeys=[cosigner.vkey]).ok
    too_late = cosigner.cosign(newest, timestamp=2**63)
    report = bv.verify_members({**members, bv.NEWEST: too_late}, witness_vkeys=[cosigner.vkey])
    assert not report.ok and "0 of the named witnesses" in str(report.failures)
    # A plain (0x01) witness key: its plain signature counts, a cosignature/v1 form does not.
    key = Ed25519PrivateKey.generate()
    public = b"\x01" + key.public_key().public_bytes_raw()
    name = "plain.witness.example"
    key_id = hashlib.sha256(name.encode() + b"\n" + public).digest()[:4]
    vkey = f"{name}+{key_id.hex()}+{base64.b64encode(public).decode()}"
    signed = newest + _plain_line(name, key_id, key, newest)
    assert bv.verify_members({**members, bv.NEWEST: signed}, witness_vkeys=[vkey]).ok
    text = newest.decode().split("\n\n")[0] + "\n"
    message = f"cosignature/v1\ntime 1790000000\n{text}".encode()
    blob = key_id + struct.pack(">Q", 1_790_000_000) + key.sign(message)
    mixed = newest + f"\u2014 {name} {base64.b64encode(blob).decode()}\n".encode()
    assert not bv.verify_members({**members, bv.NEWEST: mixed}, witness_vkeys=[vkey]).ok


def test_an_opened_value_must_be_the_signed_json_not_an_equal_python_value(
    ledger: AuxLedger,
) -> None:
    """``fit`` was signed as ``true``: ``1`` (equal in Python) is a different value."""
    auxiliary_id = hire(ledger)
    members = members_of(export(ledger, auxiliary_id, reason="仲裁", purpose="t").data)
    fields = json.loads(members[bv.FIELDS])
    (fit,) = [f for f in fields if f["field"] == "fit"]
    assert fit["value"] is True
    for other in (1, 1.0):
        fit["value"] = other
        report = bv.verify_members({**members, bv.FIELDS: bv.canonical_json(fields)})
        assert not report.ok
        assert any(
            f.member == bv.FIELDS and "not what was signed" in f.reason for f in report.failures
        ), report.failures


def _zip_of(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def _verify_unreadable(capsys: pytest.CaptureFixture[str], path: Path, expected: str) -> None:
    """The shipped verifier: exit 2, one line naming the problem, in well under a second."""
    started = time.monotonic()
    code = bv.main([str(path)])
    elapsed = time.monotonic() - started
    out, err = capsys.readouterr()
    lines = [line for line in (out + err).splitlines() if line.strip()]
    assert code == 2, out + err
    assert len(lines) == 1 and "UNREADABLE" in lines[0] and expected in lines[0], lines
    assert elapsed < 2, elapsed


def test_the_verifier_refuses_crafted_archives_fast(
    ledger: AuxLedger, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Zip bombs, stray members and too many members stop the verifier with exit 2."""
    auxiliary_id = hire(ledger)
    members = members_of(export(ledger, auxiliary_id, reason="仲裁", purpose="t").data)
    assert bv.main([str(_zip_of(tmp_path / "ok.zip", members))]) == 0
    capsys.readouterr()
    # A bomb: 200 MB of zeros deflate to about 200 KB; its stated size alone refuses it.
    bomb = bytes(200 * 1024 * 1024)
    path = _zip_of(tmp_path / "bomb.zip", {**members, bv.FIELDS: bomb})
    del bomb
    _verify_unreadable(capsys, path, "more than a member may hold")
    # The same bomb with headers that lie (stated size 10 bytes): stopped while reading.
    raw = bytearray(path.read_bytes())
    real = struct.pack("<I", 200 * 1024 * 1024)
    assert raw.count(real) == 2  # the local header and the central directory entry
    lied = tmp_path / "lied.zip"
    lied.write_bytes(bytes(raw).replace(real, struct.pack("<I", 10)))
    _verify_unreadable(capsys, lied, bv.FIELDS)
    # A member a bundle never has.
    stray = _zip_of(tmp_path / "stray.zip", {**members, "records/evil.sh": b"#!/bin/sh\n"})
    _verify_unreadable(capsys, stray, "records/evil.sh")
    extra = _zip_of(tmp_path / "extra.zip", {**members, "notes.txt": b"x"})
    _verify_unreadable(capsys, extra, "is not a member of a bundle")
    # Too many members (each one a well-named record).
    many = {f"records/{i:032x}-000001.bin": b"" for i in range(bv.MAX_MEMBERS + 1)}
    crowded = _zip_of(tmp_path / "many.zip", {**members, **many})
    _verify_unreadable(capsys, crowded, "members, more than a bundle may")


def test_a_bundle_carries_the_cosignatures_of_real_witnesses(
    ledger: AuxLedger, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two ``auxledger witness serve`` processes cosign; the bundle carries both cosignatures."""
    active = ledger.keyring().active_key
    assert active is not None
    started = [
        start_witness(tmp_path / "witnesses", name, [active.public.vkey])
        for name in ("jcy.nantong.example/w1", "jw.nantong.example/w2")
    ]
    log, store = MerkleLog(ledger.ledger_recorder), CosignatureStore(ledger.ledger_recorder)
    submitter = WitnessSubmitter(
        log,
        store,
        parse_witnesses(" ".join(f"{w.vkey} {w.url}" for w in started)),
        poll_seconds=0.05,
        every_seconds=0.05,
        timeout_seconds=2.0,
        max_backoff_seconds=0.5,
    )
    submitter.start()
    try:
        auxiliary_id = hire(ledger)
        complain(ledger, auxiliary_id)

        def both_cosigned() -> bool:
            latest = log.latest_checkpoint()
            return latest is not None and len(store.for_size(latest.tree_size)) >= 2

        wait_for(both_cosigned, what="two cosignatures of the latest checkpoint")
    finally:
        submitter.stop()
        for w in started:
            w.kill()
    exported = export(ledger, auxiliary_id, reason="仲裁", purpose="t")
    members = members_of(exported.data)
    assert members[bv.NEWEST].count("\u2014 ".encode()) == 3  # the log's and two witnesses'
    assert exported.content.newest.tree_size == store.newest_size()
    path = tmp_path / "bundle.zip"
    path.write_bytes(exported.data)
    vkeys = [arg for w in started for arg in ("--witness-vkey", w.vkey)]
    for quorum in ("--witness-threshold", "--witnesses-required"):
        assert bv.main([str(path), *vkeys, quorum, "2"]) == 0, capsys.readouterr().out
        assert "witnesses 见证方: 2" in capsys.readouterr().out
    # A third witness, unknown to this ledger, required too: invalid.
    _, third = keygen(tmp_path / "witnesses" / "keys", "ccdi.example/w3")
    assert bv.main([str(path), *vkeys, "--witness-vkey", third, "--witness-threshold", "3"]) == 1
    assert "cosigned by 2 of the named witnesses, 3 required" in capsys.readouterr().out


def test_the_quorum_options_and_a_witness_named_twice(
    ledger: AuxLedger, cli_env: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--witnesses-required (as `verify` names it) and its alias; a repeated witness: exit 2."""
    auxiliary_id = hire(ledger)
    members = members_of(export(ledger, auxiliary_id, reason="仲裁", purpose="t").data)
    a, b = Witness("a.witness.example"), Witness("b.witness.example")
    path = _zip_of(tmp_path / "b.zip", {**members, bv.NEWEST: a.cosign(members[bv.NEWEST])})
    both = ["--witness-vkey", a.vkey, "--witness-vkey", b.vkey]
    for option in ("--witnesses-required", "--witness-threshold"):
        assert run_cli(capsys, "bundle", "verify", str(path), *both, option, "1")[0] == 0
        code, printed, _ = run_cli(capsys, "bundle", "verify", str(path), *both, option, "2")
        assert code == 1 and "1 of the named witnesses, 2 required" in printed
    code, printed, err = run_cli(
        capsys, "bundle", "verify", str(path), "--witness-vkey", a.vkey, "--witness-vkey", a.vkey
    )
    assert code == 2 and "named twice" in printed + err
    code, printed, err = run_cli(
        capsys, "bundle", "verify", str(path), *both, "--witnesses-required", "3"
    )
    assert code == 2 and "--witnesses-required" in printed + err


def test_a_key_gone_without_an_erasure_record_stops_the_export(ledger: AuxLedger) -> None:
    """What an erasure racing the export looks like to it: no key, no erasure record."""
    auxiliary_id = hire(ledger)
    tamper = Tamperer(ledger)
    table = (
        f'"{ledger.ledger_recorder.datastore.schema}".{SUBJECT_KEYS}' if tamper.pg else SUBJECT_KEYS
    )
    tamper.sql(
        f"UPDATE {table} SET wrapped = NULL WHERE subject_id = ?", (tamper.oid(auxiliary_id),)
    )
    ledger.privacy.forget()
    size = MerkleLog(ledger.ledger_recorder).tree_size()
    with pytest.raises(BundleError, match="no erasure record"):
        export(ledger, auxiliary_id, reason="仲裁")
    assert MerkleLog(ledger.ledger_recorder).tree_size() == size


def test_a_checkpoint_signed_by_a_revoked_key_fails(ledger: AuxLedger) -> None:
    """A thief with a revoked key re-signs the newest checkpoint: keys are judged by position."""
    auxiliary_id = hire(ledger)
    old = ledger.reload_keys().active_key
    assert old is not None
    ledger.rotate_key("test")
    ledger.revoke_key(old.public.key_id_hex, "stolen", "test")
    hire(ledger, "李后来", other_resident_id(2))
    members = members_of(export(ledger, auxiliary_id, reason="仲裁").data)
    assert bv.verify_members(members).ok
    keys = json.loads(members[bv.KEYS])
    assert {k["status"] for k in keys} == {"revoked", "active"}
    stolen = ledger.key_dir.signing_key(old.public)
    assert stolen is not None
    text = members[bv.NEWEST].decode().split("\n\n")[0] + "\n"
    forged = stolen.note_signer().sign(text).encode()
    report = bv.verify_members({**members, bv.NEWEST: forged})
    assert not report.ok
    assert any(
        f.member == bv.NEWEST and "valid at tree size" in f.reason for f in report.failures
    ), report.failures
