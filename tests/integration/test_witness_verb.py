"""``auxledger witness keygen | serve`` as commands: key files, refusals at start, HTTP edges."""

from __future__ import annotations

import http.client
import stat
import subprocess
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.cosignature import Cosigner, parse_cosigner_vkey
from ledger.note import NoteSigner
from tests.integration.witnesses import AUXLEDGER, WitnessProcess, keygen
from tests.serving import free_port

LOG = NoteSigner("example.com/log", Ed25519PrivateKey.generate())


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [AUXLEDGER, *args], capture_output=True, text=True, timeout=60, check=False
    )


def test_keygen_writes_a_private_file_0600_and_prints_the_vkey(tmp_path: Path) -> None:
    key, vkey = keygen(tmp_path, "jcy.nantong.example/w1")
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert parse_cosigner_vkey(vkey).name == "jcy.nantong.example/w1"
    assert Cosigner.from_private_text(key.read_text()).key.vkey == vkey
    assert (tmp_path / (key.name + ".vkey")).read_text() == vkey + "\n"
    again = _run("witness", "keygen", "--name", "x.example/w", "--out", str(key))
    assert again.returncode == 2 and again.stderr.count("\n") == 1 and "--out" in again.stderr
    assert Cosigner.from_private_text(key.read_text()).key.vkey == vkey  # not overwritten
    bad = _run("witness", "keygen", "--name", "has space", "--out", str(tmp_path / "k2"))
    assert bad.returncode == 2 and "--name" in bad.stderr


def test_serve_refuses_a_loose_key_file_or_a_bad_log_vkey_with_one_line(tmp_path: Path) -> None:
    key, _ = keygen(tmp_path, "w1.example")
    state = str(tmp_path / "state")
    key.chmod(0o644)
    loose = _run("witness", "serve", "--key", str(key), "--log-vkey", LOG.vkey, "--state", state)
    assert loose.returncode == 2 and "0600" in loose.stderr and loose.stderr.count("\n") == 1
    key.chmod(0o600)
    witness_vkey = Cosigner.generate("w2.example").key.vkey  # a witness key is not a log key
    bad = _run("witness", "serve", "--key", str(key), "--log-vkey", witness_vkey, "--state", state)
    assert bad.returncode == 2 and "--log-vkey" in bad.stderr and "Traceback" not in bad.stderr


def test_http_edges(tmp_path: Path) -> None:
    key, vkey = keygen(tmp_path, "w1.example")
    witness = WitnessProcess("w1.example", key, vkey, [LOG.vkey], tmp_path / "s", free_port())
    witness.start()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", witness.port, timeout=5)
        conn.request("GET", "/")
        answer = conn.getresponse()
        assert answer.status == 200
        assert answer.read().decode() == f"{vkey}\nexample.com/log 0\n"
        conn.request("POST", "/elsewhere", body=b"old 0\n\n")
        assert conn.getresponse().status == 404
        conn.close()
        conn = http.client.HTTPConnection("127.0.0.1", witness.port, timeout=5)
        conn.putrequest("POST", "/add-checkpoint")
        conn.putheader("Content-Length", str(1 << 20))
        conn.endheaders()
        assert conn.getresponse().status == 413
        conn.close()
        status, content_type, body = witness.post(b"old x\n\n")
        assert status == 400 and content_type.startswith("text/plain")
        assert "old <size>" in body
    finally:
        witness.kill()
