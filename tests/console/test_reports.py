"""Reports: every report as a table with its filters and CSV, charts as server-side SVG."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from fastapi.testclient import TestClient

from api.console.staff_reports import COLUMNS, TITLES, _value_set, articles_zh, cell
from api.console.web import _LABELS_BY_NAME
from domain.commands.complaint import TakeComplaint
from domain.values import Actor
from ledger.records import Envelope
from projections.reports import REPORTS
from tests.api.conftest import ORGAN, World, catch_up, new_token, receive_complaint
from tests.builders import DECISION, impose_sanction
from tests.console.conftest import page_text, sign_in, take_unnamed


def test_the_reports_page_lists_what_the_role_reads_with_svg_charts(
    client: TestClient, world: World
) -> None:
    csrf = sign_in(client, world.tokens["inspector"])
    for name in ("complaint_registry", "early_warning"):  # charts naming people: the reason
        client.post(f"/console/reports/{name}/reason", data={"csrf": csrf, "reason": "督察"})
    html = page_text(client.get("/console/reports"))
    for name in ("personnel_status", "complaint_registry", "early_warning", "quota_use"):
        assert f'/console/reports/{name}"' in html
    assert html.count("<svg") == 5  # per month, findings by unit, warnings, levels, quota
    for title in ("每月投诉数", "各层级辅警人数", "员额（蓝）与在编人数（红）", "触发预警的次数"):
        assert title in html
    assert "<script" not in html and "style=" not in html


def test_establishment_reads_only_the_figures(client: TestClient, world: World) -> None:
    sign_in(client, world.tokens["establishment"])
    html = page_text(client.get("/console/reports"))
    assert "/console/reports/quota_use" in html and "/console/reports/level_distribution" in html
    assert "/console/reports/complaint_registry" not in html
    assert html.count("<svg") == 2
    forced = client.get("/console/reports/complaint_registry")
    assert forced.status_code == 403 and "您的角色无权进行此操作" in page_text(forced)
    assert client.get("/console/reports/complaint_registry/csv").status_code == 403


def test_a_report_filters_pages_and_downloads_as_csv(client: TestClient, world: World) -> None:
    sign_in(client, world.tokens["personnel"])
    html = page_text(client.get("/console/reports/personnel_status?q=李&status=active"))
    table = html.split("<table>", 1)[1]
    assert "李明" in table and "赵强" not in table and "在岗" in table and "巡逻防控" in table
    assert 'href="/console/reports/personnel_status/csv?q=%E6%9D%8E&amp;status=active"' in html
    csv = client.get("/console/reports/personnel_status/csv?q=李&status=active")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert "李明" in csv.text and "赵强" not in csv.text
    refused = client.get("/console/reports/personnel_status?level=abc")
    assert refused.status_code == 422 and "筛选条件的取值不允许" in page_text(refused)
    assert client.get("/console/reports/no_such_report").status_code == 404


def test_a_unit_token_reports_only_its_unit(client: TestClient, world: World) -> None:
    sign_in(client, world.tokens["unit"])
    html = page_text(client.get("/console/reports/personnel_status?unit=320602-002"))
    table = html.split("<table>", 1)[1]
    assert "李明" in table and "赵强" not in table
    assert 'name="unit"' not in html


def test_every_report_renders_for_a_role_that_reads_it(client: TestClient, world: World) -> None:
    sign_in(client, world.tokens["inspector"])
    for name in REPORTS:
        answer = client.get(f"/console/reports/{name}")
        assert answer.status_code in (200, 403), (name, answer.status_code)
        if answer.status_code == 200:
            assert "<h1>" in page_text(answer)


def test_every_scrolling_table_takes_the_keyboards_focus_and_has_a_name(
    client: TestClient, world: World
) -> None:
    csrf = sign_in(client, world.tokens["inspector"])
    for reason_path in (
        "/console/reports/personnel_status/reason",
        "/console/search/reason",
        "/console/complaints/reason",
    ):
        client.post(reason_path, data={"csrf": csrf, "reason": "督察"})
    pages = [
        "/console/reports/quota_use",
        "/console/reports/personnel_status",
        "/console/search",
        "/console/complaints",
    ]
    for path in pages:
        html = page_text(client.get(path))
        wraps = html.count('class="table-wrap"')
        assert wraps >= 1, path
        assert html.count('class="table-wrap" tabindex="0" role="region" aria-label="') == wraps


LIFECYCLE = (
    "contracts_ending",
    "assessments",
    "assessment_summary",
    "probations",
    "training_missing",
    "on_leave",
    "lifecycle_warnings",
)


def test_the_life_cycle_reports_have_chinese_titles_columns_and_values() -> None:
    """Every title, column and filter of the contract and assessment reports has a Chinese
    name, and every value of their value sets a Chinese label."""
    for name in LIFECYCLE:
        spec = REPORTS[name]
        assert TITLES[name], name
        for column in (*spec.columns, *(p.name for p in spec.params)):
            assert column in COLUMNS, (name, column)
            value_set = _value_set(name, column)
            if value_set:
                assert value_set in _LABELS_BY_NAME, (name, column)
        for param in spec.params:
            labels = _LABELS_BY_NAME.get(_value_set(name, param.name) or "", {})
            for choice in param.choices:
                assert choice in labels, (name, param.name, choice)


def test_contracts_ending_and_assessments_show_in_chinese(client: TestClient, world: World) -> None:
    sign_in(client, world.tokens["personnel"])
    listing = page_text(client.get("/console/reports"))
    for name in LIFECYCLE:
        assert f'/console/reports/{name}"' in listing
    html = page_text(client.get("/console/reports/contracts_ending?on=2029-01-01"))
    table = html.split("<table>", 1)[1]
    assert "合同即将到期与已超期" in html and "已超期" in table and "超期天数" in table
    assert "李明" in table and "赵强" in table
    assert '<option value="ending">即将到期</option>' in html
    html = page_text(client.get("/console/reports/assessments"))
    table = html.split("<table>", 1)[1]
    assert "年度考核等次及未考核人员" in html and "考核等次" in table and "李明" in table
    assert '<option value="basically_competent">基本合格</option>' in html
    html = page_text(client.get("/console/reports/assessment_summary"))
    assert "优秀率（%）" in html and "未考核" in html
    csv = client.get("/console/reports/contracts_ending/csv?on=2029-01-01")
    assert csv.status_code == 200 and "past" in csv.text


def test_an_inspector_states_a_reason_for_contracts_ending_but_not_the_summary(
    client: TestClient, world: World
) -> None:
    csrf = sign_in(client, world.tokens["inspector"])
    asked = page_text(client.get("/console/reports/contracts_ending"))
    assert "李明" not in asked and "/console/reports/contracts_ending/reason" in asked
    client.post("/console/reports/contracts_ending/reason", data={"csrf": csrf, "reason": "督察"})
    shown = page_text(client.get("/console/reports/contracts_ending?on=2029-01-01"))
    assert "李明" in shown
    summary = page_text(client.get("/console/reports/assessment_summary"))
    assert "/console/reports/assessment_summary/reason" not in summary


def test_lifecycle_warnings_name_their_rules_in_chinese(client: TestClient, world: World) -> None:
    """李明 failed his probation and has no pre-service training: two warnings, in Chinese."""
    for action, body in (
        ("start-probation", {"until": "2025-06-30", "effective": "2025-01-02"}),
        ("complete-probation", {"passed": False, "effective": "2025-07-01"}),
    ):
        answer = client.post(
            f"/v1/auxiliaries/{world.auxiliary}/{action}",
            json=body,
            headers=world.headers("personnel"),
        )
        assert answer.status_code == 200, answer.text
    catch_up(world.ledger)
    sign_in(client, world.tokens["personnel"])
    html = page_text(client.get("/console/reports/lifecycle_warnings?unit=320602-001"))
    table = html.split("<table>", 1)[1]
    assert "试用期、休假与岗前培训预警" in html
    assert "预警规则" in table and "逾期天数" in table
    rows = [row for row in table.split("<tr>") if "李明" in row]
    assert len(rows) == 2
    assert "试用期不合格未办理离职" in table and "未通过岗前培训" in table
    assert '<option value="leave_past_plan">休假超出计划未返岗</option>' in html


def test_the_early_warning_names_its_rule_in_chinese(client: TestClient, world: World) -> None:
    """李明 has four complaints in the window, over the policy's three: the rule reads as its
    Chinese label, not ``complaints``."""
    for _ in range(3):
        receive_complaint(world.ledger, world.auxiliary)
    catch_up(world.ledger)
    csrf = sign_in(client, world.tokens["inspector"])
    client.post("/console/reports/early_warning/reason", data={"csrf": csrf, "reason": "督察"})
    html = page_text(client.get("/console/reports/early_warning"))
    table = html.split("<table>", 1)[1].split("</table>", 1)[0]
    (row,) = [row for row in table.split("<tr>") if "李明" in row]
    assert "<td>投诉数超过阈值</td>" in row and "<td>complaints</td>" not in row
    assert _value_set("early_warning", "rule") == "EarlyWarningRule"
    assert set(_LABELS_BY_NAME["EarlyWarningRule"]) == {"complaints", "sustained_findings"}


def test_the_csv_holds_every_row_of_a_paged_report(client: TestClient, world: World) -> None:
    for _ in range(CSV_ROWS):
        receive_complaint(world.ledger, world.auxiliary)
    catch_up(world.ledger)
    sign_in(client, world.tokens["complaints"])
    csv = client.get("/console/reports/complaint_registry/csv")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    lines = csv.text.splitlines()
    assert lines[0].startswith("complaint_id,") and lines.count(lines[0]) == 1  # one header
    assert len(lines) == 1 + CSV_ROWS + 1  # the header, these and the world's complaint
    assert len({line.split(",", 1)[0] for line in lines[1:]}) == CSV_ROWS + 1  # no repeats


CSV_ROWS = 520
"""More complaints than one page of the report holds (500)."""


def _chinese(text: str) -> bool:
    """Chinese words, with no Latin letter (a column's or a value's English name)."""
    return bool(re.search(r"[\u4e00-\u9fff]", text)) and not re.search(r"[A-Za-z]", text)


def test_every_report_names_its_columns_filters_and_choices_in_chinese() -> None:
    for name, spec in REPORTS.items():
        for column in spec.columns:
            assert _chinese(COLUMNS.get(column, column)), (name, column)
        for param in spec.params:
            assert _chinese(COLUMNS.get(param.name, param.name)), (name, param.name)
            for choice in param.choices:
                assert _chinese(cell(name, param.name, choice)), (name, param.name, choice)


def test_lists_and_records_in_report_cells_read_as_chinese(
    client: TestClient, world: World
) -> None:
    receive_complaint(  # long overdue
        world.ledger,
        world.other_unit_auxiliary,
        date(2026, 1, 3),
        incident_at=datetime(2026, 1, 2, 8, 0, tzinfo=UTC),
    )
    discipline = Actor("setup-discipline", "discipline", ORGAN, None)
    impose_sanction(
        world.ledger,
        world.auxiliary,
        Envelope(discipline, effective=date(2026, 1, 5)),
        sanction_id="SAN-R",
        kind="warning",
    )
    catch_up(world.ledger)
    sign_in(client, world.tokens["personnel"])
    html = page_text(client.get("/console/reports/personnel_status?q=李"))
    table = html.split("<table>", 1)[1].split("</table>", 1)[0]
    number = DECISION["document_number"]
    assert "执行中的处分" in table and f"警告（2026年01月05日起，文书编号 {number}）" in table
    assert "{" not in table and "[" not in table
    assert '<label for="f-post">岗位</label>' in html
    office = TestClient(client.app)
    sign_in(office, world.tokens["complaints"])
    html = page_text(office.get("/console/reports/complaints_overdue"))
    table = html.split("<table>", 1)[1].split("</table>", 1)[0]
    for header in ("签收期限", "逾期未办环节", "外部编号", "登记人", "已确认被投诉辅警"):
        assert f'<th scope="col">{header}</th>' in table, header
    assert "逾期环节：" in table and "[" not in table and "deadlines." not in table
    html = page_text(office.get("/console/reports/complaint_registry"))
    assert '<label for="f-received_from">收到日期起</label>' in html


def test_reports_cite_their_articles_in_chinese(client: TestClient, world: World) -> None:
    """第十七条, not Art. 17: on the list, on each report, for every article a report cites."""
    for spec in REPORTS.values():
        assert _chinese(articles_zh(spec.article)), (spec.name, spec.article)
    assert articles_zh("Art. 9-11, 18") == "第九条至第十一条、第十八条"
    assert articles_zh("Art. 20") == "第二十条"
    sign_in(client, world.tokens["complaints"])
    listing = page_text(client.get("/console/reports"))
    assert "Art." not in listing
    assert '投诉登记簿</a> <span class="muted">（第十七条）</span>' in listing
    html = page_text(client.get("/console/reports/complaint_registry"))
    assert "Art." not in html and "《实施办法》第十七条" in html


ISO_DATE = re.compile(r"\b[0-9]{4}-[0-9]{2}-[0-9]{2}\b")


def test_report_tables_show_dates_in_chinese(client: TestClient, world: World) -> None:
    """A date in a report's table reads 2026年01月06日, as on every other page; the CSV keeps
    the API's 2026-01-06."""
    assert cell("complaint_registry", "received_on", "2026-03-05") == "2026年03月05日"
    assert cell("complaint_registry", "deadlines.acknowledge_due", "2026-03-06") == "2026年03月06日"
    assert cell("complaint_registry", "outside_reference", "2026-03-05") == "2026-03-05"
    receive_complaint(world.ledger, world.auxiliary, date(2026, 1, 6))
    catch_up(world.ledger)
    sign_in(client, world.tokens["complaints"])
    html = page_text(client.get("/console/reports/complaint_registry"))
    table = html.split("<table>", 1)[1].split("</table>", 1)[0]
    assert "<td>2026年01月06日</td>" in table and "<td>2026年01月05日</td>" in table
    assert not ISO_DATE.search(table), ISO_DATE.findall(table)
    personnel = TestClient(client.app)
    sign_in(personnel, world.tokens["personnel"])
    html = page_text(personnel.get("/console/reports/personnel_status"))
    table = html.split("<table>", 1)[1].split("</table>", 1)[0]
    assert "年" in table and not ISO_DATE.search(table), ISO_DATE.findall(table)
    csv = client.get("/console/reports/complaint_registry/csv")
    assert "2026-01-06" in csv.text and "2026年" not in csv.text


def test_a_complaints_recorder_reads_as_the_console_names_people(
    client: TestClient, world: World
) -> None:
    """登记人 names the holder of the token the complaint was taken with, as a complaint's
    history does (``recorded_by``), never the token's id."""
    named = new_token(
        world.ledger,
        "complaints",
        "投诉科 甲",
        holder_police_number="990105",
        holder_name="测试警员丁",
    )
    world.ledger.take_complaint(
        TakeComplaint(
            channel="hotline_12389",
            outside_reference="12389-20260106-0001",
            subject_description="戴眼镜的辅警",
            incident_at=datetime(2026, 1, 5, 9, 30, tzinfo=UTC),
            incident_place="人民路与青年路路口",
            allegations=["执勤时态度恶劣"],
        ),
        Envelope(named.token.actor()),
    )
    take_unnamed(world)  # taken by an actor no token stands for: named by its id, as before
    catch_up(world.ledger)
    sign_in(client, world.tokens["complaints"])
    html = page_text(client.get("/console/reports/complaints_unmatched"))
    table = html.split("<table>", 1)[1].split("</table>", 1)[0]
    assert '<th scope="col">登记人</th>' in table
    assert "<td>测试警员丁（警号 990105）</td>" in table and "<td>setup-complaints</td>" in table
    assert str(named.token.id) not in html
    csv = client.get("/console/reports/complaints_unmatched/csv")
    assert str(named.token.id) in csv.text and "测试警员丁" not in csv.text


def test_the_unmatched_report_shows_what_an_officer_matches_by(
    client: TestClient, world: World
) -> None:
    """被投诉人特征 and the incident's day and place, to match by; none of the
    complainant's details."""
    world.ledger.take_complaint(
        TakeComplaint(
            channel="hotline_12389",
            outside_reference="12389-20260106-0002",
            subject_description="戴眼镜、左臂有纹身的辅警",
            incident_at=datetime(2026, 1, 5, 9, 30, tzinfo=UTC),
            incident_place="青年路菜市场东门",
            allegations=["执勤时态度恶劣"],
            complainant_name="测试投诉人戊",
            complainant_phone="19900003333",
        ),
        Envelope(Actor("setup-complaints", "complaints", ORGAN, None)),
    )
    catch_up(world.ledger)
    sign_in(client, world.tokens["complaints"])
    html = page_text(client.get("/console/reports/complaints_unmatched"))
    table = html.split("<table>", 1)[1].split("</table>", 1)[0]
    for heading in ("被投诉人特征", "发生地点", "发生日期"):
        assert f'<th scope="col">{heading}</th>' in table
    assert "<td>戴眼镜、左臂有纹身的辅警</td>" in table and "<td>青年路菜市场东门</td>" in table
    assert "<td>2026年01月05日</td>" in table
    assert "测试投诉人戊" not in html and "19900003333" not in html
    csv = client.get("/console/reports/complaints_unmatched/csv").text
    assert "戴眼镜、左臂有纹身的辅警" in csv and "19900003333" not in csv
