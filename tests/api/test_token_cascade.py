"""A token is never worth more than the one that issued it (issue 14, finding j (i)).

Over HTTP an admin token issues tokens (their ``issued_by`` is its id). Revoking a token now
revokes, in one transaction, every token it issued and theirs in turn; and a token whose
issuing token is revoked authenticates nobody even if it slipped past that revocation.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.cli import main as cli
from ledger.access import load_token, token_id
from tests.api.conftest import ORGAN, World, new_token, problem
from tests.api.test_tokens import cli_env  # noqa: F401 - a fixture


def _issue(client: TestClient, headers: dict[str, str], role: str) -> dict[str, Any]:
    created = client.post(
        "/v1/admin/tokens", headers=headers, json={"role": role, "label": f"{role} token"}
    )
    assert created.status_code == 201, created.text
    body: dict[str, Any] = created.json()
    return body


def _bearer(body: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {body['token']}"}


def _works(client: TestClient, body: dict[str, Any]) -> bool:
    who = client.get(f"/v1/organs/{ORGAN}", headers=_bearer(body))
    return who.status_code == 200


def test_revoking_an_admin_token_revokes_what_it_issued(client: TestClient, world: World) -> None:
    root = world.headers("admin")  # issued on the command line
    admin_b = _issue(client, root, "admin")
    sibling = _issue(client, root, "personnel")
    inspector_c = _issue(client, _bearer(admin_b), "inspector")
    admin_d = _issue(client, _bearer(admin_b), "admin")
    unit_e = _issue(client, _bearer(admin_d), "personnel")
    assert all(_works(client, t) for t in (admin_b, sibling, inspector_c, admin_d, unit_e))
    assert admin_d["issued_by"] == admin_b["id"]
    before = int(world.ledger.recorder.max_notification_id() or 0)

    revoked = client.post(
        f"/v1/admin/tokens/{admin_b['id']}/revoke", headers=root, json={"reason": "离职"}
    )
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["revocation_reason"] == "离职"
    # one Revoked record each, for B, C, D and E
    assert int(world.ledger.recorder.max_notification_id() or 0) == before + 4
    for gone in (admin_b, inspector_c, admin_d, unit_e):
        problem(client.get(f"/v1/organs/{ORGAN}", headers=_bearer(gone)), 401, "token_revoked")
    listed = {t["id"]: t for t in client.get("/v1/admin/tokens", headers=root).json()}
    for gone in (inspector_c, admin_d, unit_e):
        assert listed[gone["id"]]["revoked_at"], gone["role"]
        assert listed[gone["id"]]["revocation_reason"].startswith("issued by revoked token")
    # The token that issued B, and what it issued besides B, are untouched.
    assert _works(client, sibling)
    assert listed[sibling["id"]]["revoked_at"] is None
    assert client.get("/v1/admin/tokens", headers=root).status_code == 200


def test_a_token_issued_as_its_issuer_was_revoked_authenticates_nobody(
    client: TestClient, world: World
) -> None:
    root = world.headers("admin")
    admin_b = _issue(client, root, "admin")
    revoked = client.post(
        f"/v1/admin/tokens/{admin_b['id']}/revoke", headers=root, json={"reason": "离职"}
    )
    assert revoked.status_code == 200
    # B's request to issue was already past authentication when B was revoked: the token it
    # issued is saved after the revocation looked for B's tokens.
    late = new_token(world.ledger, "admin", "late", issued_by=admin_b["id"])
    grandchild = new_token(world.ledger, "inspector", "l2", issued_by=str(late.token.id))
    for secret in (late.secret, grandchild.secret):
        body = problem(
            client.get(f"/v1/organs/{ORGAN}", headers={"Authorization": f"Bearer {secret}"}),
            401,
            "token_revoked",
        )
        assert "issued" in body["detail"]


@pytest.mark.usefixtures("cli_env")
def test_the_command_line_revokes_what_a_token_issued(
    client: TestClient, world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    admin_b = _issue(client, world.headers("admin"), "admin")
    child = _issue(client, _bearer(admin_b), "personnel")
    assert cli(["tokens", "revoke", admin_b["id"], "--reason", "调离"]) == 0
    out = capsys.readouterr().out
    assert f"{admin_b['id']} revoked" in out and f"{child['id']} revoked (issued by" in out
    token = load_token(world.ledger, token_id(child["token"]))
    assert token is not None and token.revoked_at is not None
