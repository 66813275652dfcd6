"""How an event's own fields read on a staff page: Chinese field names, labelled values.

One table for every record type: a new event shows its fields by their names until a line
here gives them Chinese ones; its value sets come from ``domain.values.LABELS_ZH``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from api.console.web import ENVIRONMENT, cst, cst_date, zh

FIELD_NAMES: Mapping[str, str] = {
    "organ": "机关",
    "unit": "用辅部门",
    "supervisor_id": "带辅民警警号",
    "supervisor_name": "带辅民警",
    "employment_form": "用工方式",
    "dispatch_agency": "派遣单位",
    "contract_start": "合同开始",
    "contract_end": "合同截止",
    "post_type": "岗位",
    "level": "层级",
    "name": "姓名",
    "gender": "性别",
    "resident_id": "公民身份号码",
    "phone": "联系电话",
    "address": "住址",
    "reason": "原因",
    "organs": "所涉机关",
    "year": "年度",
    "grade": "考核等次",
    "kind": "类别",
    "serial": "编号",
    "insurer": "承保机构",
    "policy_number": "保单号",
    "start": "起始",
    "end": "截止",
    "checked_on": "体检日期",
    "fit": "体检结论",
    "details": "体检详情",
    "injury_id": "负伤编号",
    "occurred_on": "发生日期",
    "medical_details": "医疗情况",
    "category": "类别",
    "amount": "金额（元）",
    "description": "情况",
    "referred_to": "移交单位",
    "issuing_body": "授予单位",
    "sanction_id": "处分编号",
    "until": "期限至",
    "linked_findings": "关联调查结论",
    "grounds": "申诉理由",
    "upheld": "申诉决定",
    "reference": "文号",
    "summary": "摘要",
    "target_version": "更正的记录版本",
    "field": "更正字段",
    "value": "更正为",
    "channel": "投诉渠道",
    "incident_at": "发生时间",
    "incident_place": "发生地点",
    "allegations": "投诉事项",
    "complainant_name": "投诉人姓名",
    "complainant_phone": "投诉人电话",
    "complainant_resident_id": "投诉人身份号码",
    "complainant_address": "投诉人地址",
    "contact_text": "联系方式说明",
    "investigator_id": "调查人员警号",
    "due": "办理期限",
    "allegation_number": "事项序号",
    "result": "结论",
    "reasoning": "理由",
    "method": "告知方式",
    "notified_on": "告知日期",
    "responsibility": "责任归属",
    "auxiliary_id": "辅警记录编号",
    "auxiliary": "被投诉辅警",
    "facts": "认定事实",
    "reasons": "处理理由",
    "article": "依据条款",
    "document_number": "文书编号",
    "evidence": "证据材料",
    "heard_on": "听取日期",
    "heard_by": "听取人",
    "statement": "陈述申辩内容",
    "waiver_reference": "书面放弃文书",
    "outcome": "司法处理结果",
    "outcome_reference": "司法文书编号",
    "decided_on": "决定日期",
    "agency": "派遣单位",
    "return_grounds": "退回理由",
    "probation_until": "试用期止",
    "passed": "考核结果",
    "course": "培训课程",
    "hours": "学时",
    "leave_id": "休假编号",
    "planned_end": "计划截止",
    "outside_reference": "外部编号",
    "referring_organ": "转办机关",
    "subject_description": "被投诉人特征",
    "message_id": "消息编号",
    "attempt": "第几次尝试",
    "adapter": "发送通道",
    "provider_reference": "发送回执编号",
    "retry_at": "下次尝试时间",
}
"""Chinese names of event fields."""

FIELD_RULES: Mapping[str, str] = {
    "investigator_id": "填警号，如 602099，只含字母和数字，不能填写姓名",
}
"""What a form's field takes, where its name alone does not say: shown beside the field and
in a refusal of it (a fixed text, never what was typed)."""

EVENT_FIELD_NAMES: Mapping[tuple[str, str], str] = {
    ("Complaint.ReviewRequested", "reasons"): "复查申请理由",
    ("Complaint.ReviewRequested", "due"): "复查决定期限",
    ("Complaint.ReviewDecided", "outcome"): "复查结论",
    ("Complaint.ReviewDecided", "reasons"): "复查理由",
    ("Complaint.NotificationQueued", "channel"): "告知方式",
    ("Complaint.NotificationQueued", "text"): "告知内容",
    ("Complaint.NotificationDelivered", "outcome"): "发送结果",
    ("Complaint.NotificationFailed", "reason"): "未发送原因",
}
"""An event's own names for fields whose shared name would mislead (a review's outcome is
no court's outcome, a message's channel no complaint channel)."""

BOOLEAN_WORDS: Mapping[str, tuple[str, str]] = {
    "upheld": ("维持原处理", "撤销原处理"),
    "fit": ("合格", "不合格"),
    "passed": ("合格", "不合格"),
}
"""How a yes-or-no field reads (true, false), where 是/否 would say less."""

_HIDDEN = frozenset({"originator_id_type", "target_hash", "complainant_id", "tracking_hash"})

VALUE_SETS: Mapping[str, str] = {
    "employment_form": "EmploymentForm",
    "post_type": "PostType",
    "gender": "Gender",
    "grade": "AssessmentGrade",
    "channel": "ComplaintChannel",
    "result": "FindingResult",
    "method": "NotificationMethod",
}
"""Fields whose values belong to one value set whatever the event."""

EVENT_VALUE_SETS: Mapping[tuple[str, str], str] = {
    ("Auxiliary.LevelChanged", "reason"): "LevelChangeReason",
    ("Auxiliary.Separated", "reason"): "SeparationReason",
    ("Auxiliary.ReturnedToAgency", "reason"): "SeparationReason",
    ("Auxiliary.ReferralOutcomeRecorded", "outcome"): "ReferralOutcome",
    ("Auxiliary.CredentialIssued", "kind"): "CredentialKind",
    ("Auxiliary.CredentialRevoked", "kind"): "CredentialKind",
    ("Auxiliary.CredentialReturned", "kind"): "CredentialKind",
    ("Auxiliary.InsuranceEnrolled", "kind"): "InsuranceKind",
    ("Auxiliary.Commended", "kind"): "CommendationKind",
    ("Auxiliary.SanctionImposed", "kind"): "SanctionKind",
    ("Auxiliary.CostAdvanced", "category"): "CostCategory",
    ("Auxiliary.TrainingRecorded", "kind"): "TrainingKind",
    ("Auxiliary.LeaveStarted", "kind"): "LeaveKind",
    ("Complaint.ReviewDecided", "outcome"): "ReviewOutcome",
    ("Complaint.NotificationQueued", "channel"): "OutboundChannel",
    ("Complaint.NotificationDelivered", "outcome"): "DeliveryOutcome",
}
"""Fields whose value set depends on the event."""

_DATE_FIELDS = frozenset(
    {
        "contract_start",
        "contract_end",
        "start",
        "end",
        "checked_on",
        "occurred_on",
        "until",
        "due",
        "notified_on",
        "heard_on",
        "decided_on",
        "probation_until",
        "planned_end",
    }
)


_DECISION_FIELDS = frozenset({"facts", "reasons", "article", "document_number", "evidence"})
"""What a sanction decision states since decisions need reasons (Art. 18)."""


ARTICLES_ZH: Mapping[str, str] = {"Art. 18": "第十八条"}
"""How the article a decision relies on reads (the API's value, ``Art. 18``, in Chinese)."""


@dataclass(frozen=True)
class ComplaintRef:
    """A complaint a page names by its id, as a reader knows it: the day it was received, and
    the link to its page for a role that may open it (None for one that may not)."""

    received_on: date
    href: str | None = None

    def text(self) -> str:
        """收到于2026年12月05日的投诉, a link where the reader may open it."""
        return self.linked(f"收到于{cst_date(self.received_on)}的投诉")

    def linked(self, words: str) -> str:
        """``words`` as the link to the complaint's page where the reader may open it."""
        if self.href is None:
            return words
        return Markup('<a href="{}">{}</a>').format(self.href, words)


def _finding_ref(ref: str, complaints: Mapping[str, ComplaintRef]) -> str:
    """A linked finding (``<complaint id>:<allegation>``) as a reader names it: the complaint
    by the day it was received (``complaints``, a link where the reader may open it) and the
    item; a complaint the page could not name, by the first characters of its number."""
    complaint, _, number = ref.rpartition(":")
    if not complaint or not number.isdigit():
        return ref
    known = complaints.get(complaint)
    if known is None:
        return f"投诉 {complaint[:8]} 第{number}项"
    return Markup("{} 第{}项").format(known.text(), number)


def _text(
    event: str, name: str, value: Any, complaints: Mapping[str, ComplaintRef] | None = None
) -> str:
    if event == "Auxiliary.SanctionImposed" and name in _DECISION_FIELDS and not value:
        return "（旧记录：当时未要求载明）"
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        yes, no = BOOLEAN_WORDS.get(name, ("是", "否"))
        return yes if value else no
    value_set = EVENT_VALUE_SETS.get((event, name)) or VALUE_SETS.get(name)
    if value_set is not None:
        return zh(value, value_set)
    if name == "article":
        return ARTICLES_ZH.get(str(value), str(value))
    if name == "linked_findings" and isinstance(value, list):
        refs = [_finding_ref(str(ref), complaints or {}) for ref in value]
        return Markup("、").join(refs) or "—"
    if name in _DATE_FIELDS:
        return cst_date(str(value))
    if name in ("incident_at", "retry_at"):
        return cst(str(value))
    if name == "allegations" and isinstance(value, list):
        return "；".join(
            f"{a.get('number')}. {a.get('text')}" if isinstance(a, dict) else str(a) for a in value
        )
    if name == "responsibility" and isinstance(value, dict):
        parts = [value.get("organ"), value.get("unit"), value.get("supervisor_name")]
        return " / ".join(str(p) for p in parts if p)
    if isinstance(value, list):
        return "、".join(str(v) for v in value) or "—"
    return str(value)


def field_rows(
    entry: Mapping[str, Any], complaints: Mapping[str, ComplaintRef] | None = None
) -> list[tuple[str, str]]:
    """(Chinese name, text) of every shown field of a timeline entry; ``complaints``: the
    complaints the page can name by their receipt day, by id (a sanction's linked findings)."""
    event = str(entry.get("event", ""))
    fields: Mapping[str, Any] = entry.get("fields") or {}
    return [
        (
            EVENT_FIELD_NAMES.get((event, name)) or field_name(name),
            _text(event, name, value, complaints),
        )
        for name, value in fields.items()
        if name not in _HIDDEN
    ]


@pass_context
def _page_field_rows(context: Context, entry: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``field_rows`` on a page: the complaints it names are the page's ``complaint_refs``."""
    return field_rows(entry, context.get("complaint_refs"))


def field_name(name: str) -> str:
    """The Chinese name of a field."""
    return FIELD_NAMES.get(name, name)


ENVIRONMENT.filters["field_rows"] = _page_field_rows
ENVIRONMENT.filters["field_name"] = field_name
