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
    RecordHealthCheck,
    RecordReferralOutcome,
    ReferForProsecution,
    WaiveStatement,
)
from ledger.records import Envelope
from tests.api.conftest import World, actor
from tests.console.conftest import accesses, page_text, sign_in
from tests.console.test_dossier import open_as_inspector
from tests.console.test_dossier_forms import SANCTION, TODAY, send

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


def _sanctions_part(page: str) -> str:
    return page.split('id="h-sanctions"', 1)[1].split("</section>", 1)[0]


def test_the_discipline_office_reads_back_its_case_file_on_the_dossier(
    client: TestClient, world: World
) -> None:
    """Without the timeline, its sanctions part is the Art. 18 file in full (who recorded
    each event and its verification); personnel and inspectors keep the brief list linked
    to their timeline."""
    assert world.auxiliary is not None
    world.ledger.command_auxiliary(
        world.auxiliary,
        RecordHealthCheck(checked_on=DAY, fit=True, details="血压偏高"),
        Envelope(actor("personnel"), effective=DAY),
    )
    csrf = sign_in(client, world.tokens["discipline"])
    heard = {"heard_on": TODAY, "heard_by": "纪检监察室 张华", "statement": "对事实无异议"}
    for slug, fields in (
        ("waive-statement", {"sanction_id": "SAN-0", "waiver_reference": "放弃陈述申辩声明书"}),
        ("hear-statement", {"sanction_id": "SAN-1", **heard}),
        ("impose-sanction", SANCTION),
    ):
        answer = send(client, world, csrf, slug, **fields)
        assert answer.status_code == 303, answer.text
    before = len(accesses(world))
    page = page_text(client.get(f"/console/auxiliaries/{world.auxiliary}"))
    part = _sanctions_part(page)
    for shown in (
        "书面放弃陈述申辩",
        "放弃陈述申辩声明书",
        "听取陈述申辩",
        "纪检监察室 张华",  # heard, by whom: the statement itself withheld from this role
        "（已按角色隐去）",
        "认定事实",
        "执勤时未按规定着装，经查属实",
        "证据材料",
        "询问笔录",
        "执法记录仪视频 0305-01",
        "通公纪〔2026〕12号",
        "签名有效",  # verified here: no timeline on the page to link to
    ):
        assert shown in part, shown
    assert "对事实无异议" not in page
    statement_row = part.split("听取陈述申辩</td>", 1)[1].split("</tr>", 1)[0]
    assert "SAN-1" in statement_row  # under its 处分编号
    assert "见全部记录" not in page and "全部记录（" not in page  # no dead links
    assert "健康体检" not in part and "录用" not in part  # the Art. 18 events only
    recorded = accesses(world)[before:]
    assert [(a.purpose, a.fields) for a in recorded if a.record_type == "auxiliary"] == [
        ("GET /console/auxiliaries/{auxiliary_id}", [])
    ]
    client.post("/console/sign-out", data={"csrf": csrf})
    csrf = sign_in(client, world.tokens["personnel"])
    pages = [page_text(client.get(f"/console/auxiliaries/{world.auxiliary}"))]
    client.post("/console/sign-out", data={"csrf": csrf})
    pages.append(open_as_inspector(client, world))
    for page in pages:
        part = _sanctions_part(page)
        assert "书面放弃陈述申辩" in part and "见全部记录" in part and "签名有效" not in part
        assert page.count("放弃陈述申辩声明书") == 2  # the brief part and the full timeline
