"""API tokens: issued once, stored hashed, listed, revoked (CLI and API), with expiry."""

from __future__ import annotations

import hashlib
import json
import time
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.cli import main as cli
from domain.commands.organ import RegisterOrgan, RegisterUnit
from domain.values import Actor
from ledger.access import (
    AccessError,
    ApiToken,
    TokenAlreadyRevokedError,
    issue_token,
    load_token,
    token_id,
)
from ledger.config import Settings
from ledger.records import AuxLedger, Envelope
from tests.api.conftest import ORGAN, UNIT, World, api_settings, problem


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point the CLI at the test ledger."""
    if settings.database.is_postgres:
        db = settings.database
        url = f"postgresql://{db.user}@{db.host}:{db.port}/{db.dbname}?schema={db.schema}"
    else:
        url = f"sqlite:///{settings.database.sqlite_path}"
    monkeypatch.setenv("AUXLEDGER_DATABASE_URL", url)
    monkeypatch.setenv("AUXLEDGER_KEY_DIR", str(settings.key_dir))
    monkeypatch.setenv("AUXLEDGER_LOG_ORIGIN", settings.log_origin)


def test_cli_create_list_revoke(
    world: World, cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(["tokens", "create", "--role", "unit", "--organ", ORGAN, "--unit", UNIT]) == 0
    secret = capsys.readouterr().out.strip()
    assert secret.startswith("axl_") and len(secret) == 47
    token = load_token(world.ledger, token_id(secret))
    assert token is not None and token.role == "unit" and token.unit == UNIT
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    rows = world.ledger.recorder.select_events(token.id)
    assert all(secret.encode() not in bytes(r.state) for r in rows)  # only the hash is kept
    assert cli(["tokens", "list", "--json", "--organ", ORGAN]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert str(token.id) in {row["id"] for row in listed}
    assert all("token" not in row for row in listed)
    assert cli(["tokens", "revoke", str(token.id), "--reason", "调离"]) == 0
    assert load_token(world.ledger, token.id).revoked_at is not None  # type: ignore[union-attr]
    assert cli(["tokens", "revoke", str(token.id)]) == 1
    assert "already revoked" in capsys.readouterr().err
    assert cli(["tokens", "create", "--role", "unit", "--organ", ORGAN]) == 1
    assert "must name its unit" in capsys.readouterr().err


def test_token_rules(aux_ledger: AuxLedger) -> None:
    admin = Actor("root", "admin", ORGAN, None)
    aux_ledger.register_organ(
        RegisterOrgan(code=ORGAN, name="测试局", region="南通市"), Envelope(admin)
    )
    aux_ledger.command_organ(ORGAN, RegisterUnit(code=UNIT, name="测试所"), Envelope(admin))
    for role, organ, unit, refusal in (
        ("personnel", "999999", None, "no organ 999999 is registered"),
        ("unit", ORGAN, "320612-001", f"organ {ORGAN} has no unit 320612-001"),
        ("personnel", ORGAN, UNIT, "only a token for the unit role names a unit"),
    ):
        with pytest.raises(AccessError, match=refusal):
            issue_token(aux_ledger, role=role, organ=organ, unit=unit, label="x", issued_by="t")
    with pytest.raises(AccessError, match="role must be one of"):
        issue_token(aux_ledger, role="public", organ=ORGAN, unit=None, label="x", issued_by="t")
    with pytest.raises(AccessError, match="expiry"):
        issue_token(
            aux_ledger,
            role="admin",
            organ=ORGAN,
            unit=None,
            label="x",
            issued_by="t",
            expires_at=datetime.now(tz=UTC) + timedelta(days=400),
        )
    issued = issue_token(aux_ledger, role="admin", organ=ORGAN, unit=None, label="x", issued_by="t")
    assert issued.token.id == token_id(issued.secret)
    assert isinstance(aux_ledger.repository.get(issued.token.id), ApiToken)
    issued.token.revoke("gone", "t")
    with pytest.raises(TokenAlreadyRevokedError):
        issued.token.revoke("again", "t")


def test_admin_issues_lists_and_revokes_through_the_api(client: TestClient, world: World) -> None:
    admin = world.headers("admin")
    created = client.post(
        "/v1/admin/tokens",
        headers=admin,
        json={"role": "inspector", "label": "督察 A", "expires_in_days": 7},
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["organ"] == ORGAN and body["role"] == "inspector"
    new = {"Authorization": f"Bearer {body['token']}", "X-Access-Reason": "inspection"}
    assert client.get("/v1/reports/early-warning", headers=new).status_code == 200
    listed = client.get("/v1/admin/tokens", headers=admin).json()
    assert body["id"] in {t["id"] for t in listed}
    assert all("token" not in t for t in listed)
    assert {t["organ"] for t in listed} == {ORGAN}
    revoked = client.post(
        f"/v1/admin/tokens/{body['id']}/revoke", headers=admin, json={"reason": "离职"}
    )
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    problem(client.get("/v1/reports/early-warning", headers=new), 401, "token_revoked")
    problem(
        client.post(f"/v1/admin/tokens/{body['id']}/revoke", headers=admin, json={"reason": "x"}),
        409,
        "token_already_revoked",
    )
    other = world.headers("other-organ-admin")
    problem(
        client.post(f"/v1/admin/tokens/{UUID(int=7)}/revoke", headers=other, json={"reason": "x"}),
        404,
        "not_found",
    )
    problem(
        client.post("/v1/admin/tokens", headers=admin, json={"role": "unit", "label": "no unit"}),
        422,
        "access",
    )


def test_revocation_elsewhere_takes_effect_within_the_cache_time(world: World) -> None:
    app = create_app(api_settings(world.settings, token_cache_seconds=0.5))
    issued = issue_token(
        world.ledger, role="auditor", organ=ORGAN, unit=None, label="a", issued_by="t"
    )
    headers = {"Authorization": f"Bearer {issued.secret}"}
    with TestClient(app) as client:
        assert client.get("/v1/ledger/entries?start=0&end=1", headers=headers).status_code == 200
        other_process = AuxLedger(world.settings)  # another process revokes it (the CLI)
        token = other_process.repository.get(issued.token.id)
        token.revoke("compromised", "cli")
        other_process.save(token)
        other_process.close()
        time.sleep(0.6)
        problem(
            client.get("/v1/ledger/entries?start=0&end=1", headers=headers), 401, "token_revoked"
        )


def test_key_rotation_and_revocation_by_admin(client: TestClient, world: World) -> None:
    admin = world.headers("admin")
    old = client.get("/v1/ledger/keys").json()[0]["key_id"]
    rotated = client.post("/v1/admin/keys/rotate", headers=admin)
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()["key_id"]
    assert new != old and rotated.json()["status"] == "active"
    problem(
        client.post(f"/v1/admin/keys/{new}/revoke", headers=admin, json={"reason": "x"}),
        409,
        "key_registry",
    )
    before = client.get("/v1/ledger/keys").json()
    for reason in ("退役\u202e", "\u200b退役"):
        body = problem(
            client.post(f"/v1/admin/keys/{old}/revoke", headers=admin, json={"reason": reason}),
            422,
            "format_character",
        )
        assert "bidirectional controls" in body["detail"]
    problem(
        client.post(f"/v1/admin/keys/{old}/revoke", headers=admin, json={"reason": "\u200b"}),
        409,
        "key_registry",
    )
    assert client.get("/v1/ledger/keys").json() == before  # nothing recorded
    revoked = client.post(f"/v1/admin/keys/{old}/revoke", headers=admin, json={"reason": "退役"})
    assert revoked.json()["status"] == "revoked"
    statuses = {k["key_id"]: k["status"] for k in client.get("/v1/ledger/keys").json()}
    assert statuses == {old: "revoked", new: "active"}


def test_only_the_named_organs_admins_manage_keys_over_http(world: World) -> None:
    # The keys sign every organ's records: another organ's administrator may not touch them,
    # and without AUXLEDGER_API_LEDGER_ORGAN nobody may over HTTP (`auxledger keys` may).
    keys_before = [(k.public.key_id_hex, k.status) for k in world.ledger.keyring().ordered()]
    with TestClient(create_app(api_settings(world.settings))) as client:
        body = problem(
            client.post("/v1/admin/keys/rotate", headers=world.headers("other-organ-admin")),
            403,
            "outside_scope",
        )
        assert f"only admin tokens of organ {ORGAN}" in body["detail"]
    with TestClient(create_app(api_settings(world.settings, ledger_organ=None))) as client:
        body = problem(
            client.post("/v1/admin/keys/rotate", headers=world.headers("admin")),
            403,
            "outside_scope",
        )
        assert "auxledger keys" in body["detail"]
        problem(
            client.post(
                f"/v1/admin/keys/{keys_before[0][0]}/revoke",
                headers=world.headers("admin"),
                json={"reason": "x"},
            ),
            403,
            "outside_scope",
        )
    keys_after = [(k.public.key_id_hex, k.status) for k in world.ledger.keyring().ordered()]
    assert keys_after == keys_before


def test_only_the_ledgers_organs_auditors_read_the_whole_log(world: World) -> None:
    # The log holds every organ's records: another organ's auditor may not read its entries.
    url = "/v1/ledger/entries?start=0&end=2"
    with TestClient(create_app(api_settings(world.settings))) as client:
        assert client.get(url, headers=world.headers("auditor")).status_code == 200
        body = problem(
            client.get(url, headers=world.headers("other-organ-auditor")), 403, "outside_scope"
        )
        assert f"only auditor tokens of organ {ORGAN}" in body["detail"]
    with TestClient(create_app(api_settings(world.settings, ledger_organ=None))) as client:
        body = problem(client.get(url, headers=world.headers("auditor")), 403, "outside_scope")
        assert "auxledger log entries" in body["detail"]
