"""Reports: every report of ``projections.reports`` as a table with its filters and a CSV
download, and charts (server-side SVG) where a picture reads better.

A CSV download holds every row of the report for the filters asked (not one page): a paged
report is read ``CSV_PAGE`` rows at a time and streamed, so memory stays bounded by a page.

Each report is read by ``api.routers.queries.read_report`` for the roles of its API route
(``report_readers``), scoped as the API scopes it; a report the role may not read is not
listed, and its URL answers 403. A report naming people (``ReportSpec.names_people``) is
read under the API's rule: an inspector states the reason first (a reason page, kept in the
session for the visit), and every read — page, CSV download, chart — is recorded as one
access, exactly as the API's route records it. Reports of counts and sums need no reason.

Oversight (issue 13): an oversight token's report page offers an organ chooser (its own organ
and every organ below it, ``?organ=``); a report of an organ below asks the reason first,
whatever the role and the report, kept for that report and organ during the visit, and every
read of it is recorded by ``read_report`` with the organ read. Any other organ is 404.
"""

from __future__ import annotations

import dataclasses
import typing
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from api.console import staff as staff_pages
from api.console.staff_charts import Bar, bar_chart
from api.console.staff_fields import FIELD_NAMES
from api.console.staff_ledger import recorded_by
from api.console.web import cst, cst_date, render, zh
from api.deps import RuntimeDep, may, overseen_organs, require_roles
from api.problems import ApiProblem
from api.routers import queries as query_routes
from api.runtime import Runtime
from domain.authority import article_zh
from domain.values import Actor, Role, china_date
from projections.reports import REPORTS, ReportSpec

Reader = Annotated[staff_pages.Staff, staff_pages.admitted(*query_routes.ANY_REPORT_READERS)]
REPORTS_SECTION = staff_pages.section(
    "/console/reports", "统计报表", query_routes.ANY_REPORT_READERS, order=30
)
PAGE_SIZE = 50

TITLES: Mapping[str, str] = {
    "personnel_status": "辅警在岗情况",
    "complaint_registry": "投诉登记簿",
    "complaints_overdue": "逾期未办结的投诉",
    "complaints_unmatched": "尚未确认被投诉辅警的投诉",
    "complaints_not_notified": "未告知投诉人处理结果的投诉",
    "complaint_findings": "投诉事项调查结论",
    "complaint_time_to_close": "投诉办结用时",
    "accountability_by_unit": "各用辅部门投诉、结论与处分",
    "accountability_by_supervisor": "各带辅民警投诉、结论与处分",
    "misconduct_findings": "管理人员违规认定",
    "early_warning": "预警名单",
    "commendation_ratio": "表彰与投诉对比",
    "quota_use": "员额使用情况",
    "level_distribution": "层级分布",
    "pay_against_wage": "平均工资与上年社会平均工资对比",
    "without_supervisor": "未明确带辅民警的辅警",
    "unreturned_credentials": "离职未收回的证件",
    "duty_without_accident_insurance": "勤务岗位未参加意外伤害保险",
    "health_checks_overdue": "逾期未体检",
    "sustained_without_sanction": "投诉属实但未作处理决定",
    "outside_rule_period": "超出所适用规则有效期的记录",
    "contracts_ending": "合同即将到期与已超期",
    "assessments": "年度考核等次及未考核人员",
    "assessment_summary": "各用辅部门年度考核结果汇总",
    "probations": "试用期即将期满、期满未定与不合格未离职",
    "training_missing": "未完成岗前培训的辅警",
    "on_leave": "休假人员",
    "rule_sets": "规则集及到期提醒",
    "lifecycle_warnings": "试用期、休假与岗前培训预警",
    "reviews": "复查申请登记（期限、结论、超期）",
    "reviews_due": "复查即将到期与已超期",
}
"""Chinese titles of the reports (a report without one shows its English title)."""

COLUMNS: Mapping[str, str] = {
    **FIELD_NAMES,
    "auxiliary_id": "辅警记录编号",
    "complaint_id": "投诉编号",
    "auxiliary_name": "辅警姓名",
    "unit_name": "部门名称",
    "unit_since": "调入日期",
    "post_category": "岗位类别",
    "hired_on": "录用日期",
    "status": "状态",
    "separated_on": "离职日期",
    "sanctions_in_force": "生效处分",
    "commendations": "表彰次数",
    "complaints": "投诉数",
    "last_health_check": "最近体检",
    "version": "版本",
    "incident_on": "发生日期",
    "received_on": "收到日期",
    "round_no": "办理轮次",
    "acknowledged_on": "签收日期",
    "accepted_on": "受理日期",
    "declined_on": "不予受理日期",
    "concluded_on": "查结日期",
    "notified_on": "告知日期",
    "closed_on": "结案日期",
    "withdrawn_on": "撤回日期",
    "reopened": "重新办理次数",
    "days_to_close": "办结天数",
    "effective": "生效日期",
    "latest": "最新结论",
    "closed": "已结案数",
    "mean_days": "平均天数",
    "median_days": "中位天数",
    "max_days": "最长天数",
    "findings": "结论数",
    "sustained_findings": "属实结论数",
    "sanctions": "处分数",
    "finding_id": "认定编号",
    "official_id": "警号",
    "official_name": "姓名",
    "official_role": "职责",
    "decision": "处理决定",
    "decision_on": "决定日期",
    "amendments": "变更次数",
    "rule": "预警规则",
    "rule_version": "规则版本",
    "threshold": "阈值",
    "count": "次数",
    "window_start": "统计起",
    "window_end": "统计止",
    "auxiliaries": "辅警人数",
    "commendation_ratio": "表彰/投诉",
    "organ_name": "机关名称",
    "quota": "员额",
    "headcount": "在编人数",
    "available": "剩余员额",
    "utilisation_percent": "使用率（%）",
    "over_quota": "超员额",
    "region": "地区",
    "priced": "计入人数",
    "average_monthly": "月平均工资",
    "average_annual": "年平均工资",
    "floor_year": "对比年度",
    "floor_annual": "上年社会平均工资",
    "compliant": "达标",
    "since": "起始",
    "days_overdue": "逾期天数",
    "days_since_separation": "离职天数",
    "credential_status": "证件状态",
    "days_since": "已过天数",
    "log_position": "日志位置",
    "originator_id": "记录编号",
    "originator_version": "记录版本",
    "event": "事项",
    "rule_id": "规则",
    "rule_from": "规则生效",
    "rule_until": "规则失效",
    "on": "日期",
    "start": "起始日期",
    "end": "截止日期",
    "latest_only": "仅最新结论",
    "by_unit": "按部门",
    "year": "年度",
    "q": "姓名或工作证号",
    "within_days": "到期天数以内",
    "standing": "到期情况",
    "days_left": "剩余天数",
    "days_over": "超期天数",
    "assessed": "已考核",
    "assessed_unit": "考核时所在部门",
    "missing_only": "仅未考核",
    "excellent": "优秀",
    "competent": "合格",
    "basically_competent": "基本合格",
    "incompetent": "不合格",
    "not_assessed": "未考核",
    "excellent_percent": "优秀率（%）",
    "probation_from": "试用期起",
    "probation_until": "试用期止",
    "decided_on": "考核日期",
    "training_kind": "培训类别",
    "attempts": "未通过次数",
    "leave_id": "休假编号",
    "leave_kind": "休假类别",
    "leave_from": "休假起始",
    "planned_end": "计划截止",
    "returned_on": "返岗日期",
    "days_on_leave": "已休天数",
    "days_past_plan": "超出计划天数",
    "title": "名称",
    "document": "文号",
    "effective_from": "施行日期",
    "effective_until": "有效期至",
    "state": "施行状态",
    "expiring": "到期提醒",
    "expiring_only": "仅到期提醒",
    "review_no": "复查轮次",
    "review_requested_on": "申请复查日期",
    "review_requested_by": "申请经办角色",
    "review_due": "复查意见应作出日期",
    "review_outcome": "复查结论",
    "review_decided_on": "复查意见作出日期",
    "review_overdue": "复查超期",
    "decided_late": "逾期作出",
    "deadlines.acknowledge_due": "签收期限",
    "deadlines.conclude_due": "办结期限",
    "deadlines.notify_due": "告知期限",
    "deadlines.investigator_due": "调查期限",
    "deadlines.review_due": "复查期限",
    "deadlines.overdue": "逾期未办环节",
    "deadlines.late": "逾期办理环节",
    "outside_reference": "外部编号",
    "referring_organ": "转办机关",
    "taken_by": "登记人",
    "matched": "已确认被投诉辅警",
    "matched_on": "确认被投诉辅警日期",
    "active_sanctions": "执行中的处分",
    "post": "岗位",
    "received_from": "收到日期起",
    "received_to": "收到日期止",
}
"""Chinese column and filter names: every column and filter of every report has one (the
reports' tests walk the catalogue)."""

DEADLINE_STEPS: Mapping[str, str] = {
    "acknowledge": "签收",
    "conclude": "办结",
    "notify": "告知",
    "investigator": "调查",
    "review": "复查",
}
"""The Chinese names of a complaint's deadline steps (``Deadlines.overdue`` and ``late``)."""

_STEP_LISTS: Mapping[str, str] = {"deadlines.overdue": "逾期环节", "deadlines.late": "逾期办理"}

REVIEW_STANDINGS: Mapping[str, str] = {
    "open": "尚未决定",
    "overdue": "超期未决定",
    "upheld": "决定维持",
    "changed": "决定变更",
}
"""The Chinese names of the ``reviews`` report's ``standing`` filter (no value set of its own)."""

VALUE_SETS: Mapping[str, str] = {
    "status": "",  # depends on the report: see _value_set
    "post_type": "PostType",
    "post_category": "PostCategory",
    "employment_form": "EmploymentForm",
    "channel": "ComplaintChannel",
    "result": "FindingResult",
    "kind": "MisconductKind",
    "official_role": "OfficialRole",
    "post": "PostType",
    "grade": "AssessmentGrade",
    "standing": "ContractStanding",
    "training_kind": "TrainingKind",
    "leave_kind": "LeaveKind",
    "state": "RuleSetState",
}


def _value_set(report: str, column: str) -> str | None:
    if column == "status":
        complaint = report.startswith("complaint")
        return "ComplaintStatus" if complaint else "AuxiliaryStatus"
    if column == "kind" and report == "unreturned_credentials":
        return "CredentialKind"
    if column == "kind" and report in ("training_missing", "on_leave"):
        return "TrainingKind" if report == "training_missing" else "LeaveKind"
    if column == "standing" and report == "probations":
        return "ProbationStanding"
    if column == "rule" and report == "lifecycle_warnings":
        return "LifecycleWarningRule"
    if column == "rule" and report == "early_warning":
        return "EarlyWarningRule"
    if column == "review_requested_by":
        return "Role"
    if column == "review_outcome":
        return "ReviewOutcome"
    return VALUE_SETS.get(column) or None


@cache
def _dated(report: str) -> Mapping[str, bool]:
    """The columns of a report that hold a date (its row type's ``date`` fields, dotted for
    nested results as ``ReportSpec.columns`` names them), each with whether it has a time."""
    spec = REPORTS.get(report)
    return {} if spec is None else dict(_date_fields(spec.row_type))


def _date_fields(row_type: type[Any], prefix: str = "") -> Iterator[tuple[str, bool]]:
    hints = typing.get_type_hints(row_type)
    for field in dataclasses.fields(row_type):
        hint = hints[field.name]
        if dataclasses.is_dataclass(hint):
            yield from _date_fields(hint, f"{prefix}{field.name}.")  # type: ignore[arg-type]
            continue
        kinds = (hint, *typing.get_args(hint))
        if datetime in kinds:
            yield prefix + field.name, True
        elif date in kinds:
            yield prefix + field.name, False


def cell(report: str, column: str, value: Any) -> str:
    """A report cell as a person reads it (labels, dates as ``2026年03月05日`` like every
    other page, China Standard Time, yes/no); a list or a nested record as Chinese text,
    never its Python spelling."""
    if value is None or value in ("", [], ()):
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if column == "standing" and report == "reviews":
        return REVIEW_STANDINGS.get(str(value), str(value))
    if column in _STEP_LISTS and isinstance(value, list | tuple):
        steps = "、".join(DEADLINE_STEPS.get(str(v), str(v)) for v in value)
        return f"{_STEP_LISTS[column]}：{steps}"
    if column == "active_sanctions" and isinstance(value, list | tuple):
        return "；".join(_sanction(s) if isinstance(s, Mapping) else str(s) for s in value)
    if isinstance(value, list | tuple):
        return "、".join(cell(report, column, v) for v in value)
    if isinstance(value, Mapping):
        return "；".join(
            f"{COLUMNS.get(k, k)}：{cell(report, str(k), v)}" for k, v in value.items()
        )
    dated = _dated(report)
    if column in dated:
        return cst(value) if dated[column] else cst_date(value)
    value_set = _value_set(report, column)
    if value_set:
        return zh(value, value_set)
    return str(value)


def _sanction(sanction: Mapping[str, Any]) -> str:
    """A sanction in force as ``警告（2026年1月5日起，至2026年7月4日，文书编号 …）``."""
    parts = [f"{cst_date(sanction.get('effective'))}起"]
    if sanction.get("until"):
        parts.append(f"至{cst_date(sanction.get('until'))}")
    if sanction.get("document_number"):
        parts.append(f"文书编号 {sanction['document_number']}")
    return f"{zh(sanction.get('kind'), 'SanctionKind')}（{'，'.join(parts)}）"


def articles_zh(articles: str) -> str:
    """The articles a report cites (``ReportSpec.article``, the API's ``Art. 9-11, 18``) as
    the measures number them: 第九条至第十一条、第十八条; text of another form unchanged."""
    try:
        parts = []
        for part in articles.removeprefix("Art. ").split(","):
            first, _, last = part.strip().partition("-")
            text = article_zh(f"Art. {first}")
            parts.append(f"{text}至{article_zh(f'Art. {last}')}" if last else text)
    except ValueError:
        return articles
    return "、".join(parts)


def readable(actor: Actor) -> list[ReportSpec]:
    """The reports this actor's role may read, in the catalogue's order."""
    return [spec for spec in REPORTS.values() if may(actor, query_routes.report_readers(spec.name))]


def _needs_reason(spec: ReportSpec, actor: Actor) -> bool:
    """True if the API's route would ask this actor a reason for this report."""
    return spec.names_people and actor.role == Role.inspector.value


@staff_pages.router.get("/reports", response_class=HTMLResponse)
def reports_page(request: Request, runtime: RuntimeDep, staff: Reader) -> Response:
    """The reports this role may read, and the charts drawn from them (a chart of a report
    naming people is drawn for an inspector only with the reason kept for that report)."""
    actor = staff.actor
    charts = []
    withheld: list[str] = []  # charts naming people, drawn once the reason is given
    for report, builder in CHARTS:
        if may(actor, query_routes.report_readers(report)):
            reason = _reason_gate(REPORTS[report]).kept(staff)
            if _needs_reason(REPORTS[report], actor) and reason is None:
                withheld.append(report)
                continue
            try:
                charts.append(builder(runtime, actor, reason))
            except staff_pages.REFUSALS:
                continue
    return render(
        request,
        "staff/reports.html",
        {
            "reports": readable(actor),
            "titles": TITLES,
            "charts": charts,
            "withheld": withheld,
            "articles_zh": articles_zh,
        },
    )


def _spec(name: str, staff: staff_pages.Staff) -> ReportSpec:
    spec = REPORTS.get(name)
    if spec is None:
        raise ApiProblem("unknown_report", "no such report")
    require_roles(staff.actor, query_routes.report_readers(name))
    return spec


def _filters(request: Request, spec: ReportSpec) -> dict[str, Any]:
    names = {p.name for p in spec.params} | ({"page"} if spec.paged else set())
    return {
        k: v.strip()
        for k, v in request.query_params.items()
        if k in names and v.strip() and len(v) <= 100
    }


def _reason_gate(spec: ReportSpec, below: str | None = None) -> staff_pages.ReasonGate:
    """The reason form for a report (``below``: of that organ below the actor's, its own
    reason, kept apart from the own organ's)."""
    asked = "" if below is None else "?" + urlencode({"organ": below})
    title = TITLES.get(spec.name, spec.title)
    return staff_pages.ReasonGate(
        key=f"report:{spec.name}" + ("" if below is None else f"@{below}"),
        action=f"/console/reports/{spec.name}/reason{asked}",
        then=f"/console/reports/{spec.name}{asked}",
        subject=f"“{title}”" if below is None else f"下级机关 {below} 的“{title}”",
        button="查看报表",
    )


def _below(request: Request, runtime: Runtime, staff: staff_pages.Staff) -> str | None:
    """The organ below the actor's that the page reads (``?organ=``), None for its own; any
    organ the token does not oversee is 404, as the API answers it."""
    organ = request.query_params.get("organ", "").strip()
    if not organ or organ == staff.actor.organ:
        return None
    if organ not in overseen_organs(runtime, staff.actor):
        raise ApiProblem("not_found", "no such organ in the token's scope")
    return organ


def _needs_reason_here(spec: ReportSpec, actor: Actor, below: str | None) -> bool:
    """``_needs_reason``, and every report of an organ below the actor's."""
    return below is not None or _needs_reason(spec, actor)


@dataclass(frozen=True)
class _Chosen:
    """A report asked for by a page or its CSV: which, of which organ, with the visit's
    reason; ``reason_form`` the form to answer instead while the read needs a reason that
    was not given yet."""

    spec: ReportSpec
    below: str | None
    reason: str | None
    reason_form: Response | None


def _chosen(request: Request, name: str, runtime: Runtime, staff: staff_pages.Staff) -> _Chosen:
    """The report ``name`` as the actor may ask for it (404 for an organ not overseen,
    403 for a role that may not read it), and the reason kept for it in this visit."""
    spec = _spec(name, staff)
    below = _below(request, runtime, staff)
    gate = _reason_gate(spec, below)
    reason = gate.kept(staff)
    needed = _needs_reason_here(spec, staff.actor, below) and reason is None
    return _Chosen(spec, below, reason, gate.ask(request) if needed else None)


def _params(spec: ReportSpec, filters: dict[str, Any], page_size: int) -> dict[str, Any]:
    """The report's parameters: the filters asked for and, for a paged report, the page."""
    params: dict[str, Any] = dict(filters)
    if spec.paged:
        params.setdefault("page", "1")
        params["page_size"] = str(page_size)
    return params


@staff_pages.router.post("/reports/{name}/reason")
async def state_report_reason(
    request: Request, name: str, runtime: RuntimeDep, staff: Reader
) -> Response:
    """Keep the reason for reading this report (of this organ) during this visit."""
    spec = _spec(name, staff)
    return await _reason_gate(spec, _below(request, runtime, staff)).keep(request, staff)


@staff_pages.router.get("/reports/{name}", response_class=HTMLResponse)
def report_page(request: Request, name: str, runtime: RuntimeDep, staff: Reader) -> Response:
    """One report as a table, with its filters (a GET form) and its CSV download; an
    inspector first states the reason for a report naming people."""
    chosen = _chosen(request, name, runtime, staff)
    if chosen.reason_form is not None:
        return chosen.reason_form
    spec, below = chosen.spec, chosen.below
    filters = _filters(request, spec)
    params = _params(spec, filters, PAGE_SIZE)
    refusal: staff_pages.Refusal | None = None
    report = None
    try:
        route = f"GET /console/reports/{spec.name}"
        report = query_routes.read_report(
            runtime, spec, staff.actor, params, chosen.reason, route, below
        )
    except staff_pages.REFUSALS as error:
        refusal = staff_pages.refusal_of(error)
    asked = [(k, v) for k, v in filters.items() if k != "page"]
    query = urlencode(asked + ([("organ", below)] if below is not None else []))
    # Who took a complaint (taken_by: the actor's id, a token's) as the complaint's history
    # names them: the token's holder, or the actor's id where no token recorded it.
    takers = {row.get("taken_by") for row in (report.rows if report is not None else ())}
    recorders = {t: recorded_by(runtime, {"actor_id": t}) for t in takers if t}
    return render(
        request,
        "staff/report.html",
        {
            "spec": spec,
            "title": TITLES.get(spec.name, spec.title),
            "article": articles_zh(spec.article),
            "report": report,
            "filters": filters,
            "refusal": refusal,
            "columns": COLUMNS,
            "cell": cell,
            "recorders": recorders,
            "value_set": _value_set,
            "unit_fixed": staff.actor.role == "unit",
            "query": query,
            "own_organ": staff.actor.organ,
            "organs": overseen_organs(runtime, staff.actor),
            "below": below,
        },
        status_code=200 if refusal is None else 422,
    )


@staff_pages.router.get("/reports/{name}/csv")
def report_csv(request: Request, name: str, runtime: RuntimeDep, staff: Reader) -> Response:
    """Every row of the report as CSV (as the API's ``?format=csv``, all pages); the same rule
    as the page: an inspector's reason first, the read recorded once. A paged report is read
    ``CSV_PAGE`` rows at a time and streamed, so a long report never sits in memory whole."""
    chosen = _chosen(request, name, runtime, staff)
    if chosen.reason_form is not None:
        return chosen.reason_form
    spec = chosen.spec
    filters = {k: v for k, v in _filters(request, spec).items() if k != "page"}
    route = f"GET /console/reports/{spec.name}/csv"
    # The first page as the page reads it: scope, reason and the one access record.
    first = query_routes.read_report(
        runtime,
        spec,
        staff.actor,
        _params(spec, filters, CSV_PAGE),
        chosen.reason,
        route,
        chosen.below,
    )
    return StreamingResponse(
        _csv_pages(runtime, staff.actor, spec, filters, first, chosen.below),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{spec.name}.csv"'},
    )


CSV_PAGE = 500
"""Rows read at a time for a CSV download of a paged report."""


def _csv_pages(
    runtime: Runtime,
    actor: Actor,
    spec: ReportSpec,
    filters: dict[str, Any],
    first: Any,
    below: str | None,
) -> Iterator[str]:
    """The CSV text of ``first`` (with the header), then of each following page, until a
    page comes back short."""
    yield first.to_csv()
    report, page = first, 1
    while spec.paged and len(report.rows) == CSV_PAGE:
        page += 1
        params = {**_params(spec, filters, CSV_PAGE), "page": str(page)}
        report = query_routes.report_for(runtime, spec, actor, params, below=below)
        yield report.to_csv(header=False)


# ------------------------------------------------------------------ charts


def _rows(
    runtime: Runtime, actor: Actor, reason: str | None, name: str, **params: Any
) -> list[dict[str, Any]]:
    """Every row of a report for a chart: a report naming people under the API's rule
    (the reason first; the chart's read recorded once)."""
    spec = REPORTS[name]
    if spec.names_people:
        query_routes.reason_for_people(actor, reason)
    rows = _pages(runtime, actor, spec, params)
    if spec.names_people:
        query_routes.record_people_read(runtime, actor, spec, reason, "GET /console/reports")
    return rows


def _pages(
    runtime: Runtime, actor: Actor, spec: ReportSpec, params: dict[str, Any]
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    page = 1
    while True:
        arguments = dict(params)
        if spec.paged:
            arguments.update(page=page, page_size=500)
        report = query_routes.report_for(runtime, spec, actor, arguments)
        rows.extend(report.rows)
        if not spec.paged or len(report.rows) < 500 or page >= 20:
            return rows
        page += 1


def _complaints_per_month(runtime: Runtime, actor: Actor, reason: str | None) -> dict[str, Any]:
    today = china_date(datetime.now(tz=UTC))
    start = date(today.year - 1, today.month, 1) + timedelta(days=31)
    start = date(start.year, start.month, 1)
    rows = _rows(runtime, actor, reason, "complaint_registry", received_from=start.isoformat())
    counts = Counter(str(r["received_on"])[:7] for r in rows)
    months = []
    cursor = start
    while cursor <= today:
        months.append(f"{cursor.year}-{cursor.month:02d}")
        cursor = date(cursor.year + cursor.month // 12, cursor.month % 12 + 1, 1)
    bars = [Bar(f"{m[:4]}年{m[5:]}月", counts.get(m, 0)) for m in months]
    return {"title": "近十二个月每月收到的投诉", "svg": bar_chart("每月投诉数", bars, unit=" 件")}


def _findings_by_unit(runtime: Runtime, actor: Actor, reason: str | None) -> dict[str, Any]:
    rows = _rows(runtime, actor, reason, "accountability_by_unit")
    bars = [
        Bar(str(r.get("unit_name") or r["unit"]), r["findings"], r["sustained_findings"])
        for r in sorted(rows, key=lambda r: -int(r["findings"]))
    ]
    chart = bar_chart("各用辅部门调查结论数（红：属实）", bars, second_label="属实")
    return {"title": "各用辅部门的调查结论", "svg": chart}


def _early_warning(runtime: Runtime, actor: Actor, reason: str | None) -> dict[str, Any]:
    rows = _rows(runtime, actor, reason, "early_warning")
    bars = [Bar(f"{r['name']}（{r['unit']}）", r["count"]) for r in rows]
    bars.sort(key=lambda b: -b.value)
    return {"title": "预警名单", "svg": bar_chart("触发预警的次数", bars[:25], unit=" 次")}


def _levels(runtime: Runtime, actor: Actor, reason: str | None) -> dict[str, Any]:
    rows = _rows(runtime, actor, reason, "level_distribution")
    bars = [
        Bar(f"第{r['level']}级", r["auxiliaries"]) for r in sorted(rows, key=lambda r: r["level"])
    ]
    return {"title": "层级分布", "svg": bar_chart("各层级辅警人数", bars, unit=" 人")}


def _quota(runtime: Runtime, actor: Actor, reason: str | None) -> dict[str, Any]:
    rows = _rows(runtime, actor, reason, "quota_use")
    bars = [Bar(str(r.get("organ_name") or r["organ"]), r["quota"], r["headcount"]) for r in rows]
    chart = bar_chart("员额（蓝）与在编人数（红）", bars, second_label="在编")
    return {"title": "员额使用情况", "svg": chart}


CHARTS = (
    ("complaint_registry", _complaints_per_month),
    ("accountability_by_unit", _findings_by_unit),
    ("early_warning", _early_warning),
    ("level_distribution", _levels),
    ("quota_use", _quota),
)
"""The charts of the reports page, each with the report it is drawn from (its readers)."""
