"""The dossier shows decisions with reasons in Chinese (Art. 18): the statement and defence
before a decision, what the decision states, an older decision that stated none, and the
outcomes of a referral."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient

from api.console.staff_fields import field_rows
from domain.auxiliary import Auxiliary
from domain.commands.auxiliary import (
    HearStatement,
    ImposeSanction,
    RecordReferralOutcome,
    ReferForProsecution,
    WaiveStatement,
)
from ledger.records import Envelope
from tests.api.conftest import World, actor
from tests.console.test_dossier import open_as_inspector

DAY = date(2026, 2, 1)


def test_the_dossier_shows_statements_decisions_and_referral_outcomes(
    client: TestClient, world: World
) -> None:
    discipline = actor("discipline")
    ledger, aux_id = world.ledger, world.auxiliary
    assert aux_id is not None

    def send(command: object) -> None:
        ledger.command_auxiliary(aux_id, command, Envelope(discipline, effective=DAY))  # type: ignore[arg-type]

    send(
        HearStatement(
            sanction_id="SAN-1", heard_on=DAY, heard_by="纪检监察室 张华", statement="对事实无异议"
        )
    )
    send(
        ImposeSanction(
            sanction_id="SAN-1",
            kind="warning",
            until=None,
            linked_findings=[],
            facts="执勤时未按规定着装",
            reasons="违反日常管理制度",
            article="Art. 18",
            document_number="通公纪〔2026〕3号",
            evidence=["询问笔录"],
        )
    )
    send(WaiveStatement(sanction_id="SAN-2", waiver_reference="放弃陈述申辩声明书"))
    send(ReferForProsecution(reference="TJY-1", summary="涉嫌受贿"))
    send(
        RecordReferralOutcome(
            reference="TJY-1",
            outcome="declined",
            outcome_reference="通检〔2026〕1号",
            decided_on=DAY,
        )
    )
    page = open_as_inspector(client, world)
    for shown in (
        "听取陈述申辩",
        "陈述申辩内容",
        "对事实无异议",  # an inspector with a reason reads the statement in clear
        "书面放弃陈述申辩",
        "放弃陈述申辩声明书",
        "认定事实",
        "执勤时未按规定着装",
        "文书编号",
        "通公纪〔2026〕3号",
        "依据条款",
        "证据材料",
        "询问笔录",
        "移送司法结果",
        "司法机关不予受理",
    ):
        assert shown in page, shown
    assert Auxiliary.SanctionImposed.class_version == 2


def test_a_decision_recorded_before_reasons_were_required_says_so() -> None:
    old = {
        "event": "Auxiliary.SanctionImposed",
        "fields": {"sanction_id": "S-0", "facts": None, "document_number": None, "evidence": []},
    }
    rows = dict(field_rows(old))
    assert rows["认定事实"] == rows["文书编号"] == rows["证据材料"] == "（旧记录：当时未要求载明）"
    assert rows["处分编号"] == "S-0"
    returned = {"event": "Auxiliary.ReturnedToAgency", "fields": {"reason": "returned_to_agency"}}
    assert dict(field_rows(returned)) == {"原因": "退回派遣单位"}
