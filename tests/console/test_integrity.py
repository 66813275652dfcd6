"""The integrity page: checkpoint, keys, the latest verification (auditors, administrators)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.cli import main
from ledger.verification_record import latest
from tests.api.conftest import World
from tests.console.conftest import event_count, page_text, sign_in


def test_an_auditor_sees_the_checkpoint_keys_and_runs_a_verification(
    client: TestClient, world: World
) -> None:
    csrf = sign_in(client, world.tokens["auditor"])
    html = page_text(client.get("/console/integrity"))
    size = event_count(world)
    assert f"<dd>{size}</dd>" in html
    assert '签名</dt><dd><span class="badge ok">有效' in html and "一致" in html
    assert "使用中" in html and "尚无校验记录" in html
    assert latest(world.settings.witness_dir) is None
    refused = client.post("/console/integrity/verify", data={})
    assert refused.status_code == 403
    done = client.post("/console/integrity/verify", data={"csrf": csrf})
    assert done.status_code == 200
    html = page_text(done)
    assert "完好" in html and "GET /v1/ledger/verification" in html
    found = latest(world.settings.witness_dir)
    assert found is not None and found.ok and found.tree_size >= size


def test_the_api_route_and_the_cli_leave_the_latest_result(
    client: TestClient, world: World
) -> None:
    # no witnessed checkpoint yet: incremental is refused (409 no_witness), full runs
    refused = client.get("/v1/ledger/verification", headers=world.headers("auditor"))
    assert refused.status_code == 409 and refused.json()["code"] == "no_witness"
    answer = client.get("/v1/ledger/verification?mode=full", headers=world.headers("auditor"))
    assert answer.status_code == 200 and answer.json()["ok"]
    found = latest(world.settings.witness_dir)
    assert found is not None and found.by == "GET /v1/ledger/verification"


def test_an_admin_reads_the_page_but_may_not_run_a_verification(
    client: TestClient, world: World
) -> None:
    csrf = sign_in(client, world.tokens["admin"])
    html = page_text(client.get("/console/integrity"))
    assert "最新检查点" in html and "立即校验" not in html
    forced = client.post("/console/integrity/verify", data={"csrf": csrf})
    assert forced.status_code == 403
    assert latest(world.settings.witness_dir) is None


def test_other_roles_get_403(client: TestClient, world: World) -> None:
    sign_in(client, world.tokens["inspector"])
    assert "/console/integrity" not in client.get("/console/home").text
    assert client.get("/console/integrity").status_code == 403


def test_auxledger_verify_leaves_the_latest_result(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = world.settings.database
    url = (
        f"sqlite:///{db.sqlite_path}"
        if not db.is_postgres
        else f"postgresql://{db.user}@{db.host}:{db.port}/{db.dbname}?schema={db.schema}"
    )
    monkeypatch.setenv("AUXLEDGER_DATABASE_URL", url)
    monkeypatch.setenv("AUXLEDGER_KEY_DIR", str(world.settings.key_dir))
    monkeypatch.setenv("AUXLEDGER_WITNESS_DIR", str(world.settings.witness_dir))
    monkeypatch.setenv("AUXLEDGER_LOG_ORIGIN", world.settings.log_origin)
    assert main(["verify", "--json"]) == 0
    capsys.readouterr()
    found = latest(world.settings.witness_dir)
    assert found is not None and found.ok and found.by == "auxledger verify"
    assert found.mode == "full" and found.events_checked == event_count(world)


def test_the_latest_verification_is_for_the_ledger_organs_operators_only(
    client: TestClient, world: World
) -> None:
    answer = client.get("/v1/ledger/verification?mode=full", headers=world.headers("auditor"))
    assert answer.status_code == 200 and latest(world.settings.witness_dir) is not None
    for role in ("auditor", "admin"):
        other = TestClient(client.app)
        csrf = sign_in(other, world.tokens[f"other-organ-{role}"])
        # the API tells another organ nothing of the whole ledger's verification
        api = client.get("/v1/ledger/verification", headers=world.headers(f"other-organ-{role}"))
        assert api.status_code == 403
        html = page_text(other.get("/console/integrity"))
        assert "最新检查点" in html and "使用中" in html  # public: the checkpoint, the keys
        assert "仅向运行本系统的机关" in html
        assert "完好" not in html and "GET /v1/ledger/verification" not in html
        assert "立即校验" not in html
        forced = other.post("/console/integrity/verify", data={"csrf": csrf})
        assert forced.status_code == 403
    mine = TestClient(client.app)
    sign_in(mine, world.tokens["admin"])
    html = page_text(mine.get("/console/integrity"))
    assert "完好" in html and "GET /v1/ledger/verification" in html
