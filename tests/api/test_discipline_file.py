"""An auxiliary's Art. 18 file over HTTP (``GET /v1/auxiliaries/{id}/discipline``): the
timeline's own entries of the statements, sanctions, appeals and referrals only, verified and
masked as the timeline masks them, for the roles that decide or review them; every read
recorded; outside the scope 404; an organ below with a reason only."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi.testclient import TestClient

from domain.commands.auxiliary import EnrolInsurance, RecordHealthCheck
from ledger.records import Envelope
from tests.api.bodies import decision
from tests.api.conftest import (
    CITY,
    World,
    accesses,
    actor,
    event_count,
    new_token,
    place_under_city,
    problem,
)

STATEMENT = "对认定的事实有异议，当日系按带辅民警指令离岗"
ART_18 = [
    "Auxiliary.StatementWaived",
    "Auxiliary.StatementHeard",
    "Auxiliary.SanctionImposed",
    "Auxiliary.SanctionAppealed",
    "Auxiliary.ReferredForProsecution",
    "Auxiliary.ReferralOutcomeRecorded",
]


def _path(world: World) -> str:
    return f"/v1/auxiliaries/{world.auxiliary}/discipline"


def _record_case(client: TestClient, world: World) -> None:
    """Through the API: a waiver (SAN-1), a statement heard and a sanction with its facts,
    reasons and evidence (SAN-2), its appeal, a referral and its outcome; and, by personnel,
    a health check and an insurance enrolment, which are no part of the file."""
    assert world.auxiliary is not None
    steps: list[tuple[str, dict[str, Any]]] = [
        ("waive-statement", {"sanction_id": "SAN-1", "waiver_reference": "放弃陈述申辩声明书"}),
        (
            "hear-statement",
            {
                "sanction_id": "SAN-2",
                "heard_on": "2026-02-01",
                "heard_by": "纪检监察室 张华",
                "statement": STATEMENT,
                "effective": "2026-02-01",
            },
        ),
        (
            "impose-sanction",
            {
                "sanction_id": "SAN-2",
                "kind": "warning",
                **decision(
                    facts="2026年1月5日执勤时擅离岗位",
                    document_number="通公纪〔2026〕9号",
                    evidence=["询问笔录", "执法记录仪视频 0105-02"],
                ),
            },
        ),
        ("appeal-sanction", {"sanction_id": "SAN-2", "grounds": "离岗系奉命"}),
        (
            "refer-for-prosecution",
            {"reference": "通检移〔2026〕4号", "summary": "涉嫌受贿", "effective": "2026-02-03"},
        ),
        (
            "record-referral-outcome",
            {
                "reference": "通检移〔2026〕4号",
                "outcome": "declined",
                "outcome_reference": "通检不受〔2026〕4号",
                "decided_on": "2026-03-01",
                "effective": "2026-03-01",
            },
        ),
    ]
    for slug, body in steps:
        answer = client.post(
            f"/v1/auxiliaries/{world.auxiliary}/{slug}",
            headers=world.headers("discipline"),
            json=body,
        )
        assert answer.status_code == 200, (slug, answer.text)
    personnel = Envelope(actor("personnel"), effective=date(2026, 2, 2))
    for command in (
        RecordHealthCheck(checked_on=date(2026, 2, 2), fit=True, details="血压偏高"),
        EnrolInsurance(
            kind="accident",
            insurer="中国人保南通分公司",
            policy_number="PICC-2026-1",
            start=date(2026, 1, 1),
            end=None,
        ),
    ):
        world.ledger.command_auxiliary(world.auxiliary, command, personnel)


def test_the_discipline_office_reads_its_case_file_verified_and_nothing_else(
    client: TestClient, world: World
) -> None:
    _record_case(client, world)
    before = len(accesses(world))
    answer = client.get(_path(world), headers=world.headers("discipline"))
    assert answer.status_code == 200, answer.text
    entries = answer.json()["entries"]
    assert [e["event"] for e in entries] == ART_18  # no hire, credential, health, insurance
    assert all(e["verified"] and e["actor"] and e["hash"] for e in entries)
    by_event = {e["event"]: e["fields"] for e in entries}
    assert by_event["Auxiliary.StatementWaived"]["waiver_reference"] == "放弃陈述申辩声明书"
    heard = by_event["Auxiliary.StatementHeard"]
    # heard, when and by whom, under its sanction id; the statement itself withheld
    assert (heard["sanction_id"], heard["heard_on"], heard["heard_by"]) == (
        "SAN-2",
        "2026-02-01",
        "纪检监察室 张华",
    )
    assert heard["statement"] == "[withheld]"
    assert STATEMENT not in answer.text
    imposed = by_event["Auxiliary.SanctionImposed"]
    assert imposed["facts"] == "2026年1月5日执勤时擅离岗位"
    assert imposed["reasons"] and imposed["article"] == "Art. 18"
    assert imposed["document_number"] == "通公纪〔2026〕9号"
    assert imposed["evidence"] == ["询问笔录", "执法记录仪视频 0105-02"]
    assert by_event["Auxiliary.SanctionAppealed"]["grounds"] == "离岗系奉命"
    outcome = by_event["Auxiliary.ReferralOutcomeRecorded"]
    assert (outcome["outcome"], outcome["outcome_reference"]) == ("declined", "通检不受〔2026〕4号")
    # The entries are the timeline's own, field for field, but for the statement's mask.
    timeline = client.get(
        f"/v1/auxiliaries/{world.auxiliary}/timeline", headers=world.headers("personnel")
    ).json()["entries"]
    assert [e for e in timeline if e["event"] in ART_18] == entries
    recorded = accesses(world)[before]
    assert (recorded.role, recorded.record_id, recorded.fields, recorded.purpose) == (
        "discipline",
        str(world.auxiliary),
        [],
        "GET /v1/auxiliaries/{auxiliary_id}/discipline",
    )


def test_the_statement_is_clear_only_to_an_inspector_with_a_reason(
    client: TestClient, world: World
) -> None:
    _record_case(client, world)

    def statement(answer: Any) -> str:
        assert answer.status_code == 200, answer.text
        heard = [e for e in answer.json()["entries"] if e["event"].endswith("StatementHeard")]
        return str(heard[0]["fields"]["statement"])

    assert statement(client.get(_path(world), headers=world.headers("personnel"))) == ("[withheld]")
    before = event_count(world)
    problem(client.get(_path(world), headers=world.headers("inspector")), 422, "reason_required")
    assert event_count(world) == before  # refused: nothing recorded
    read = client.get(
        _path(world), headers=world.headers("inspector"), params={"reason": "申诉复核"}
    )
    assert statement(read) == STATEMENT
    last = accesses(world)[-1]
    assert (last.role, last.fields, last.reason) == ("inspector", ["statement"], "申诉复核")


def test_outside_the_scope_is_not_found_and_below_needs_a_reason(
    client: TestClient, world: World
) -> None:
    _record_case(client, world)
    before = event_count(world)
    other = f"/v1/auxiliaries/{world.other_organ_auxiliary}/discipline"
    problem(client.get(other, headers=world.headers("discipline")), 404, "not_found")
    mine = client.get(_path(world), headers=world.headers("other-organ-discipline"))
    problem(mine, 404, "not_found")
    problem(client.get(_path(world), headers=world.headers("unit")), 403, "role_not_allowed")
    assert event_count(world) == before  # nothing recorded
    place_under_city(world)
    city = new_token(world.ledger, "discipline", "市局纪检", organ=CITY, oversight=True).secret
    headers = {"Authorization": f"Bearer {city}"}
    problem(client.get(_path(world), headers=headers), 422, "reason_required")
    read = client.get(_path(world), headers=headers, params={"reason": "专项督察"})
    assert read.status_code == 200, read.text
    assert [e["event"] for e in read.json()["entries"]] == ART_18
    last = accesses(world)[-1]
    assert (last.organ, last.reason, last.purpose) == (
        CITY,
        "专项督察",
        "GET /v1/auxiliaries/{auxiliary_id}/discipline",
    )
