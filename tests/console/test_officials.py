"""The console names people, not tokens: the signed-in holder on every page, who recorded each
event of a dossier and who viewed it; a token without a named holder shows as such."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient

from domain.commands.auxiliary import Commend
from ledger.access import load_token, token_id
from ledger.records import Envelope
from tests.api.conftest import CITY, new_token, place_under_city
from tests.console.conftest import World, accesses, event_count, page_text, sign_in

POLICE_NUMBER = "990103"
HOLDER_NAME = "测试警员乙"


def test_pages_name_the_holder_who_acted_and_read(client: TestClient, world: World) -> None:
    named = new_token(
        world.ledger,
        "personnel",
        "人事科 甲",
        issued_by="t",
        holder_police_number=POLICE_NUMBER,
        holder_name=HOLDER_NAME,
    )
    world.ledger.command_auxiliary(
        world.auxiliary,  # type: ignore[arg-type]
        Commend(kind="citation", issuing_body="南通市公安局崇川分局"),
        Envelope(named.token.actor(), effective=date(2026, 1, 10)),
    )
    shown = f"{HOLDER_NAME}（警号 {POLICE_NUMBER}）"
    sign_in(client, named.secret)
    home = page_text(client.get("/console/home"))
    assert shown in home.split("</nav>", 1)[0]
    dossier = page_text(client.get(f"/console/auxiliaries/{world.auxiliary}"))
    assert dossier.count(shown) >= 3  # the page's header, the commendation's row, the view
    # The events recorded without a token name their actor as before.
    assert "setup-personnel" in dossier


def test_a_token_without_a_holder_shows_as_such(client: TestClient, world: World) -> None:
    token = load_token(world.ledger, token_id(world.tokens["personnel"]))
    assert token is not None and token.holder is None
    sign_in(client, world.tokens["personnel"])
    home = page_text(client.get("/console/home"))
    assert f"未登记持有人（{token.label}）" in home.split("</nav>", 1)[0]


def test_an_oversight_token_opens_a_lower_organs_dossier_with_a_reason(
    client: TestClient, world: World
) -> None:
    place_under_city(world)
    overseer = new_token(
        world.ledger,
        "discipline",
        "市局纪检",
        organ=CITY,
        issued_by="t",
        oversight=True,
        holder_police_number="990104",
        holder_name="测试督察丙",
    ).secret
    csrf = sign_in(client, overseer)
    path = f"/console/auxiliaries/{world.auxiliary}"
    before = event_count(world)
    ask = page_text(client.get(path))
    assert "说明查阅事由" in ask and "李明" not in ask  # a discipline token asked here too
    assert event_count(world) == before
    stated = page_text(client.post(f"{path}/reason", data={"csrf": csrf, "reason": "专项督察"}))
    assert "李明" in stated and "测试督察丙（警号 990104）" in stated
    read = accesses(world)[-1]
    assert (read.organ, read.role, read.reason) == (CITY, "discipline", "专项督察")
    # An organ outside its subtree stays out of reach.
    other = client.get(f"/console/auxiliaries/{world.other_organ_auxiliary}")
    assert other.status_code == 404
