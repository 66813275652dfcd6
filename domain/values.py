"""Value sets and value objects of the domain (records.md, Art. 2, 8, 9, 12, 13, 16-19).

Invariants kept here:

- Every value set is a closed ``StrEnum`` with English snake_case values; those values, never
  the members, are what events store, so a stored record reads the same in any Python.
- Every member of every value set has a Chinese label in ``LABELS_ZH``.
- A post type belongs to exactly one post category (Art. 9): patrol, community and traffic are
  duty posts; call intake, certificate assistance and technical support are civilian posts.
- The kinds of work Art. 2 says are not auxiliaries' work are never parsed as a post type.
- Value objects (``Actor``, ``Allegation``, ``Responsibility``) are frozen dataclasses of
  primitive fields; an ``Actor`` always names a known role and stores it as a plain ``str``.
- Calendar dates are China Standard Time (UTC+8, no daylight saving since 1991); instants are
  UTC.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from enum import StrEnum
from types import MappingProxyType
from uuid import UUID

from domain.checks import free_text, identifier, integer, member, optional_identifier
from domain.errors import NaiveDatetimeError, NotAnAuxiliaryPostError, UnknownPostTypeError

CHINA_STANDARD_TIME = timezone(timedelta(hours=8), "CST")
"""Asia/Shanghai as a fixed offset: China has had no daylight saving time since 1991."""

ID_NAMESPACE = UUID("5b44bb93-a514-5648-b455-58210e3199ba")
"""Namespace of the name-based (uuid5) ids of organs, pay schedules and local wage records."""


def zh_day(day: date) -> str:
    """A date as every Chinese page writes it (``2026年03月05日``): for the Chinese messages
    that name a date of the record a refused date must follow."""
    return f"{day.year}年{day.month:02d}月{day.day:02d}日"


def china_date(at: datetime) -> date:
    """The calendar date in China Standard Time of an aware instant."""
    if at.tzinfo is None or at.tzinfo.utcoffset(at) is None:
        raise NaiveDatetimeError("at")
    return at.astimezone(CHINA_STANDARD_TIME).date()


class LabelledEnum(StrEnum):
    """A value set whose members have Chinese labels in ``LABELS_ZH``."""

    @property
    def label_zh(self) -> str:
        """The Chinese label of this member."""
        return LABELS_ZH[type(self)][self.value]


class Role(LabelledEnum):
    """Who acts: the bodies of Art. 3-5, 8-10 and 17, and the ledger's own roles."""

    establishment = "establishment"
    personnel = "personnel"
    unit = "unit"
    complaints = "complaints"
    discipline = "discipline"
    inspector = "inspector"
    auditor = "auditor"
    admin = "admin"
    public = "public"
    system = "system"


class EmploymentForm(LabelledEnum):
    """How the organ employs an auxiliary (Art. 8)."""

    direct_contract = "direct_contract"
    labour_dispatch = "labour_dispatch"


class PostCategory(LabelledEnum):
    """Duty or civilian post (Art. 9)."""

    duty = "duty"
    civilian = "civilian"


class PostType(LabelledEnum):
    """The six post types of Art. 9."""

    patrol = "patrol"
    community = "community"
    traffic = "traffic"
    call_intake = "call_intake"
    certificate_assistance = "certificate_assistance"
    technical_support = "technical_support"


class NonAuxiliaryWork(LabelledEnum):
    """Work that Art. 2 says is not an auxiliary's: refused wherever a post type is expected."""

    joint_defence = "joint_defence"
    security_volunteer = "security_volunteer"
    village_guard = "village_guard"
    school_guard = "school_guard"
    catering = "catering"
    security_guarding = "security_guarding"
    cleaning = "cleaning"
    volunteer = "volunteer"
    logistics = "logistics"


class Gender(LabelledEnum):
    """Gender as recorded on the resident identity card."""

    male = "male"
    female = "female"


class CredentialKind(LabelledEnum):
    """Work ID, uniform and insignia issued by the organ (Art. 12)."""

    work_id = "work_id"
    uniform = "uniform"
    insignia = "insignia"


class CredentialStatus(LabelledEnum):
    """Where a credential stands: held and valid, revoked (not yet handed back), or returned."""

    active = "active"
    revoked = "revoked"
    returned = "returned"


class InsuranceKind(LabelledEnum):
    """Social insurance, housing fund and accident insurance (Art. 13)."""

    pension = "pension"
    medical = "medical"
    unemployment = "unemployment"
    work_injury = "work_injury"
    maternity = "maternity"
    housing_fund = "housing_fund"
    accident = "accident"


class AssessmentGrade(LabelledEnum):
    """Grades of the annual assessment that feed level changes (Art. 11, practice)."""

    excellent = "excellent"
    competent = "competent"
    basically_competent = "basically_competent"
    incompetent = "incompetent"


class ContractStanding(LabelledEnum):
    """Where an employed auxiliary's contract stands on a date (Art. 8): ending within the
    days asked about, or already past its end while the auxiliary is still employed."""

    ending = "ending"
    past = "past"


class ProbationStanding(LabelledEnum):
    """Where an employed auxiliary's probation (试用期) stands on a date: ending within the
    days asked about, past its last day with no outcome recorded, or failed while the
    auxiliary is still employed (a separation is owed)."""

    ending = "ending"
    overdue = "overdue"
    failed = "failed"


class TrainingKind(LabelledEnum):
    """Kinds of training (Art. 9 names training; the kinds are practice)."""

    pre_service = "pre_service"
    in_service = "in_service"
    specialised = "specialised"


class LeaveKind(LabelledEnum):
    """Kinds of leave (Art. 13: rest and leave as the national rules give; practice)."""

    annual = "annual"
    marriage = "marriage"
    maternity = "maternity"
    paternity = "paternity"
    sick = "sick"
    bereavement = "bereavement"
    family_visit = "family_visit"
    personal = "personal"


class RuleSetState(LabelledEnum):
    """Where a rule set stands on a date (Art. 20): in force, ended, or not yet started."""

    in_force = "in_force"
    ended = "ended"
    not_started = "not_started"


class LifecycleWarningRule(LabelledEnum):
    """What the ``lifecycle_warnings`` report flags (Art. 8, 9, 13): a probation past its last
    day with no outcome, a failed probation with no separation, a leave past its planned end,
    no passed pre-service training (岗前培训, practice)."""

    probation_overdue = "probation_overdue"
    probation_failed = "probation_failed"
    leave_past_plan = "leave_past_plan"
    pre_service_training_missing = "pre_service_training_missing"


class EarlyWarningRule(LabelledEnum):
    """Which threshold of the early-warning policy (``EarlyWarningPolicy``, issue item 5) an
    auxiliary is over in the ``early_warning`` report: complaints received, or sustained
    findings, within the window."""

    complaints = "complaints"
    sustained_findings = "sustained_findings"


class LevelChangeReason(LabelledEnum):
    """Why a level changed (Art. 11)."""

    promotion = "promotion"
    demotion = "demotion"
    correction = "correction"


class CommendationKind(LabelledEnum):
    """Commendations and awards (Art. 16, practice)."""

    citation = "citation"
    merit_third = "merit_third"
    merit_second = "merit_second"
    merit_first = "merit_first"
    honorary_title = "honorary_title"


class SanctionKind(LabelledEnum):
    """Handling of violations (Art. 18, practice)."""

    criticism = "criticism"
    circulated_criticism = "circulated_criticism"
    warning = "warning"
    demerit = "demerit"
    demotion = "demotion"
    suspension = "suspension"
    termination = "termination"


class SanctionStatus(LabelledEnum):
    """Where a sanction stands after appeals and revocations (Art. 18)."""

    in_force = "in_force"
    overturned = "overturned"
    revoked = "revoked"


class AppealStatus(LabelledEnum):
    """Where an appeal against a sanction stands (Art. 18)."""

    not_appealed = "not_appealed"
    pending = "pending"
    upheld = "upheld"
    overturned = "overturned"


class SeparationReason(LabelledEnum):
    """Why an auxiliary left (practice; credentials must come back, Art. 12)."""

    resigned = "resigned"
    contract_ended = "contract_ended"
    dismissed = "dismissed"
    retired = "retired"
    deceased = "deceased"
    probation_failed = "probation_failed"
    returned_to_agency = "returned_to_agency"


class ReferralOutcome(LabelledEnum):
    """What became of a referral for prosecution (Art. 18): accepted for prosecution, then a
    judgement; or declined. A judgement and a declining are final."""

    accepted = "accepted"
    declined = "declined"
    judgement = "judgement"


class ComplaintChannel(LabelledEnum):
    """How a complaint arrived (Art. 17, practice)."""

    online = "online"
    hotline_12389 = "hotline_12389"
    hotline_110 = "hotline_110"
    letters_visits = "letters_visits"
    walk_in = "walk_in"
    referral = "referral"


class FindingResult(LabelledEnum):
    """The finding on one allegation (practice, common internationally)."""

    sustained = "sustained"
    partly_sustained = "partly_sustained"
    not_sustained = "not_sustained"
    unfounded = "unfounded"
    exonerated = "exonerated"


SUSTAINING_RESULTS = frozenset({FindingResult.sustained, FindingResult.partly_sustained})
"""The findings that bear the allegation out, in whole or in part: what a sanction rests on."""


class NotificationMethod(LabelledEnum):
    """How the complainant was told the result (Art. 17)."""

    sms = "sms"
    phone = "phone"
    letter = "letter"
    in_person = "in_person"
    online = "online"


class ReviewOutcome(LabelledEnum):
    """The decision on a review (复查) of a complaint's result (practice)."""

    upheld = "upheld"
    changed = "changed"


class OutboundChannel(LabelledEnum):
    """How a queued notification reaches the complainant (the outbox, Art. 17)."""

    sms = "sms"
    letter = "letter"
    phone = "phone"


class DeliveryOutcome(LabelledEnum):
    """What a delivery attempt of a queued notification came to, as its adapter said.

    ``sent``: a provider accepted it; ``not_sent_log_only``: the log-only adapter wrote a
    log line and sent nothing; ``pending_staff_call``: a phone call, which only a person
    makes, waits for staff.
    """

    sent = "sent"
    not_sent_log_only = "not_sent_log_only"
    pending_staff_call = "pending_staff_call"


class MessageStatus(LabelledEnum):
    """Where a queued notification stands: waiting, waiting to be tried again, done (an
    outcome recorded), or given up after its last failed attempt."""

    queued = "queued"
    retrying = "retrying"
    delivered = "delivered"
    failed = "failed"


class MisconductKind(LabelledEnum):
    """Officials' misconduct in managing auxiliaries (Art. 19)."""

    abuse_of_power = "abuse_of_power"
    neglect_of_duty = "neglect_of_duty"
    favouritism = "favouritism"


class OfficialRole(LabelledEnum):
    """The official's part in managing auxiliaries (Art. 10, 19)."""

    supervisor = "supervisor"
    manager = "manager"


class CostCategory(LabelledEnum):
    """Costs of a duty injury that the organ may advance (Art. 14)."""

    medical = "medical"
    transport = "transport"
    nursing = "nursing"


class AuxiliaryStatus(LabelledEnum):
    """Employment status of an auxiliary."""

    active = "active"
    suspended = "suspended"
    separated = "separated"


class ComplaintStatus(LabelledEnum):
    """Status of a complaint (Art. 17)."""

    received = "received"
    acknowledged = "acknowledged"
    accepted = "accepted"
    not_accepted = "not_accepted"
    under_investigation = "under_investigation"
    concluded = "concluded"
    complainant_notified = "complainant_notified"
    closed = "closed"
    withdrawn = "withdrawn"


class EventType(LabelledEnum):
    """Every kind of recorded event, named ``<aggregate>_<event>`` in snake case.

    ``event_type_of`` maps an event class's qualified name (``Auxiliary.Hired``, as the
    timelines name it) to its member, so a reader sees the Chinese label of every event.
    """

    auxiliary_hired = "auxiliary_hired"
    auxiliary_contract_renewed = "auxiliary_contract_renewed"
    auxiliary_post_changed = "auxiliary_post_changed"
    auxiliary_transferred = "auxiliary_transferred"
    auxiliary_supervisor_assigned = "auxiliary_supervisor_assigned"
    auxiliary_supervisor_released = "auxiliary_supervisor_released"
    auxiliary_evaluated = "auxiliary_evaluated"
    auxiliary_level_changed = "auxiliary_level_changed"
    auxiliary_credential_issued = "auxiliary_credential_issued"
    auxiliary_credential_revoked = "auxiliary_credential_revoked"
    auxiliary_credential_returned = "auxiliary_credential_returned"
    auxiliary_insurance_enrolled = "auxiliary_insurance_enrolled"
    auxiliary_health_checked = "auxiliary_health_checked"
    auxiliary_duty_injury_recorded = "auxiliary_duty_injury_recorded"
    auxiliary_cost_advanced = "auxiliary_cost_advanced"
    auxiliary_infringement_recorded = "auxiliary_infringement_recorded"
    auxiliary_commended = "auxiliary_commended"
    auxiliary_sanction_imposed = "auxiliary_sanction_imposed"
    auxiliary_sanction_appealed = "auxiliary_sanction_appealed"
    auxiliary_appeal_decided = "auxiliary_appeal_decided"
    auxiliary_sanction_revoked = "auxiliary_sanction_revoked"
    auxiliary_reinstated = "auxiliary_reinstated"
    auxiliary_referred_for_prosecution = "auxiliary_referred_for_prosecution"
    auxiliary_statement_heard = "auxiliary_statement_heard"
    auxiliary_statement_waived = "auxiliary_statement_waived"
    auxiliary_referral_outcome_recorded = "auxiliary_referral_outcome_recorded"
    auxiliary_returned_to_agency = "auxiliary_returned_to_agency"
    auxiliary_separated = "auxiliary_separated"
    auxiliary_corrected = "auxiliary_corrected"
    auxiliary_personal_data_corrected = "auxiliary_personal_data_corrected"
    auxiliary_probation_started = "auxiliary_probation_started"
    auxiliary_probation_completed = "auxiliary_probation_completed"
    auxiliary_training_recorded = "auxiliary_training_recorded"
    auxiliary_leave_started = "auxiliary_leave_started"
    auxiliary_leave_ended = "auxiliary_leave_ended"
    complaint_received = "complaint_received"
    complaint_acknowledged = "complaint_acknowledged"
    complaint_accepted = "complaint_accepted"
    complaint_declined = "complaint_declined"
    complaint_investigator_assigned = "complaint_investigator_assigned"
    complaint_finding_recorded = "complaint_finding_recorded"
    complaint_complainant_notified = "complaint_complainant_notified"
    complaint_withdrawn = "complaint_withdrawn"
    complaint_closed = "complaint_closed"
    complaint_reopened = "complaint_reopened"
    complaint_review_requested = "complaint_review_requested"
    complaint_review_decided = "complaint_review_decided"
    complaint_subject_matched = "complaint_subject_matched"
    complaint_notification_queued = "complaint_notification_queued"
    complaint_notification_delivered = "complaint_notification_delivered"
    complaint_notification_failed = "complaint_notification_failed"
    organ_registered = "organ_registered"
    organ_unit_registered = "organ_unit_registered"
    organ_quota_set = "organ_quota_set"
    organ_quota_adjusted = "organ_quota_adjusted"
    organ_slot_taken = "organ_slot_taken"
    organ_slot_released = "organ_slot_released"
    organ_parent_set = "organ_parent_set"
    unit_code_claimed = "unit_code_claimed"
    credential_serial_claimed = "credential_serial_claimed"
    misconduct_finding_recorded = "misconduct_finding_recorded"
    misconduct_finding_decision_amended = "misconduct_finding_decision_amended"
    pay_schedule_opened = "pay_schedule_opened"
    pay_schedule_schedule_set = "pay_schedule_schedule_set"
    local_average_wage_opened = "local_average_wage_opened"
    local_average_wage_wage_recorded = "local_average_wage_wage_recorded"
    auxiliary_prior_record_overridden = "auxiliary_prior_record_overridden"
    prior_record_marker_opened = "prior_record_marker_opened"
    prior_record_marker_noted = "prior_record_marker_noted"
    hire_marker_opened = "hire_marker_opened"
    hire_marker_noted = "hire_marker_noted"
    legal_holds_opened = "legal_holds_opened"
    legal_holds_placed = "legal_holds_placed"
    legal_holds_released = "legal_holds_released"
    legal_holds_erasure_cleared = "legal_holds_erasure_cleared"
    rules_opened = "rules_opened"
    rules_rule_set_loaded = "rules_rule_set_loaded"


class ErrorCode(LabelledEnum):
    """The stable code of every refusal a person can be shown (the API's problem codes)."""

    malformed_json = "malformed_json"
    bad_request = "bad_request"
    unknown_query_parameter = "unknown_query_parameter"
    proof_request = "proof_request"
    unauthenticated = "unauthenticated"
    token_unknown = "token_unknown"  # noqa: S105 - a problem code
    token_revoked = "token_revoked"  # noqa: S105 - a problem code
    token_expired = "token_expired"  # noqa: S105 - a problem code
    role_not_allowed = "role_not_allowed"
    outside_scope = "outside_scope"
    not_authorised = "not_authorised"
    not_found = "not_found"
    unknown_action = "unknown_action"
    method_not_allowed = "method_not_allowed"
    not_acceptable = "not_acceptable"
    conflict = "conflict"
    idempotency_key_reused = "idempotency_key_reused"
    token_already_revoked = "token_already_revoked"  # noqa: S105 - a problem code
    key_registry = "key_registry"
    precondition_malformed = "precondition_malformed"
    payload_too_large = "payload_too_large"
    unsupported_media_type = "unsupported_media_type"
    validation = "validation"
    access = "access"
    reason_required = "reason_required"
    token_holder = "token_holder"  # noqa: S105 - a problem code
    oversight = "oversight"
    oversight_read_only = "oversight_read_only"
    unknown_organ = "unknown_organ"
    organ_cycle = "organ_cycle"
    unknown_auxiliary = "unknown_auxiliary"
    erasure = "erasure"
    rate_limited = "rate_limited"
    internal = "internal"
    integrity = "integrity"
    unavailable = "unavailable"
    misconfigured = "misconfigured"
    query_error = "query_error"
    unknown_filter = "unknown_filter"
    invalid_filter_value = "invalid_filter_value"
    page_size = "page_size"
    unknown_report = "unknown_report"
    unknown_projection = "unknown_projection"
    projection_failed = "projection_failed"
    domain_error = "domain_error"
    invalid_field = "invalid_field"
    invalid_policy = "invalid_policy"
    naive_datetime = "naive_datetime"
    date_in_future = "date_in_future"
    invalid_date_range = "invalid_date_range"
    quota_exceeded = "quota_exceeded"
    slot_not_held = "slot_not_held"
    unknown_unit = "unknown_unit"
    unknown_post_type = "unknown_post_type"
    not_an_auxiliary_post = "not_an_auxiliary_post"
    invalid_resident_id = "invalid_resident_id"
    level_out_of_scheme = "level_out_of_scheme"
    auxiliary_separated = "auxiliary_separated"
    credential_error = "credential_error"
    credential_already_active = "credential_already_active"
    unknown_credential = "unknown_credential"
    credential_not_held = "credential_not_held"
    unknown_sanction = "unknown_sanction"
    unknown_injury = "unknown_injury"
    no_responsibility = "no_responsibility"
    invalid_transition = "invalid_transition"
    complainant_not_notified = "complainant_not_notified"
    unknown_allegation = "unknown_allegation"
    not_correctable = "not_correctable"
    duplicate_record = "duplicate_record"
    invalid_pay_schedule = "invalid_pay_schedule"
    subject_already_named = "subject_already_named"
    subject_not_matched = "subject_not_matched"
    review_window_closed = "review_window_closed"
    reviewer_not_independent = "reviewer_not_independent"
    tracking_code_check = "tracking_code_check"
    no_contact_for_channel = "no_contact_for_channel"
    invalid_rule_set = "invalid_rule_set"
    csrf = "csrf"
    session_expired = "session_expired"
    ambiguous_serial = "ambiguous_serial"
    ambiguous_work_id = "ambiguous_work_id"
    bundle = "bundle"
    could_not_verify = "could_not_verify"
    format_character = "format_character"
    no_witness = "no_witness"
    not_ready = "not_ready"
    serial_already_issued = "serial_already_issued"
    prior_record_elsewhere = "prior_record_elsewhere"
    already_employed = "already_employed"
    legal_hold = "legal_hold"
    verification_running = "verification_running"
    overlapping_leave = "overlapping_leave"
    statement_missing = "statement_missing"
    same_decider = "same_decider"
    unknown_referral = "unknown_referral"
    not_labour_dispatch = "not_labour_dispatch"
    hiring_age = "hiring_age"


def _labels(enum: type[StrEnum], labels: dict[str, str]) -> tuple[type[StrEnum], Mapping[str, str]]:
    """A value set with its labels, once they are checked to name exactly its members."""
    if set(labels) != {m.value for m in enum}:
        raise ValueError(f"labels of {enum.__name__} do not match its members")
    return enum, MappingProxyType(labels)


LABELS_ZH: Mapping[type[StrEnum], Mapping[str, str]] = MappingProxyType(
    dict(
        [
            _labels(
                Role,
                {
                    "establishment": "机构编制部门",
                    "personnel": "政工部门",
                    "unit": "用辅部门",
                    "complaints": "投诉受理部门",
                    "discipline": "纪检监察部门",
                    "inspector": "督察部门",
                    "auditor": "审计人员",
                    "admin": "系统管理员",
                    "public": "社会公众",
                    "system": "系统",
                },
            ),
            _labels(EmploymentForm, {"direct_contract": "聘用", "labour_dispatch": "劳务派遣"}),
            _labels(PostCategory, {"duty": "勤务辅警", "civilian": "文职辅警"}),
            _labels(
                PostType,
                {
                    "patrol": "巡逻防控",
                    "community": "社区管理",
                    "traffic": "交通协管",
                    "call_intake": "接警",
                    "certificate_assistance": "证件协办",
                    "technical_support": "技术支持",
                },
            ),
            _labels(
                NonAuxiliaryWork,
                {
                    "joint_defence": "治安联防",
                    "security_volunteer": "治安志愿者",
                    "village_guard": "护村队",
                    "school_guard": "护校队",
                    "catering": "膳食",
                    "security_guarding": "保卫",
                    "cleaning": "保洁",
                    "volunteer": "志愿者",
                    "logistics": "后勤服务",
                },
            ),
            _labels(Gender, {"male": "男", "female": "女"}),
            _labels(CredentialKind, {"work_id": "工作证件", "uniform": "服装", "insignia": "标识"}),
            _labels(
                CredentialStatus, {"active": "有效", "revoked": "已吊销", "returned": "已收回"}
            ),
            _labels(
                InsuranceKind,
                {
                    "pension": "养老保险",
                    "medical": "医疗保险",
                    "unemployment": "失业保险",
                    "work_injury": "工伤保险",
                    "maternity": "生育保险",
                    "housing_fund": "住房公积金",
                    "accident": "人身意外伤害保险",
                },
            ),
            _labels(
                AssessmentGrade,
                {
                    "excellent": "优秀",
                    "competent": "合格",
                    "basically_competent": "基本合格",
                    "incompetent": "不合格",
                },
            ),
            _labels(
                ContractStanding,
                {"ending": "即将到期", "past": "已超期"},
            ),
            _labels(
                ProbationStanding,
                {"ending": "即将期满", "overdue": "期满未定", "failed": "不合格未离职"},
            ),
            _labels(
                TrainingKind,
                {"pre_service": "岗前培训", "in_service": "在岗培训", "specialised": "专项培训"},
            ),
            _labels(
                LeaveKind,
                {
                    "annual": "年休假",
                    "marriage": "婚假",
                    "maternity": "产假",
                    "paternity": "陪产假",
                    "sick": "病假",
                    "bereavement": "丧假",
                    "family_visit": "探亲假",
                    "personal": "事假",
                },
            ),
            _labels(
                RuleSetState,
                {"in_force": "施行中", "ended": "已失效", "not_started": "尚未施行"},
            ),
            _labels(
                LifecycleWarningRule,
                {
                    "probation_overdue": "试用期满未作考核结论",
                    "probation_failed": "试用期不合格未办理离职",
                    "leave_past_plan": "休假超出计划未返岗",
                    "pre_service_training_missing": "未通过岗前培训",
                },
            ),
            _labels(
                EarlyWarningRule,
                {"complaints": "投诉数超过阈值", "sustained_findings": "属实结论数超过阈值"},
            ),
            _labels(
                LevelChangeReason, {"promotion": "晋升", "demotion": "降级", "correction": "更正"}
            ),
            _labels(
                CommendationKind,
                {
                    "citation": "嘉奖",
                    "merit_third": "三等功",
                    "merit_second": "二等功",
                    "merit_first": "一等功",
                    "honorary_title": "荣誉称号",
                },
            ),
            _labels(
                SanctionKind,
                {
                    "criticism": "批评教育",
                    "circulated_criticism": "通报批评",
                    "warning": "警告",
                    "demerit": "记过",
                    "demotion": "降级",
                    "suspension": "停职",
                    "termination": "解除劳动合同/辞退",
                },
            ),
            _labels(
                SanctionStatus, {"in_force": "生效", "overturned": "复核撤销", "revoked": "撤销"}
            ),
            _labels(
                AppealStatus,
                {
                    "not_appealed": "未申诉",
                    "pending": "申诉中",
                    "upheld": "维持原处理",
                    "overturned": "撤销原处理",
                },
            ),
            _labels(
                SeparationReason,
                {
                    "resigned": "辞职",
                    "contract_ended": "合同期满",
                    "dismissed": "辞退/解除劳动合同",
                    "retired": "退休",
                    "deceased": "死亡",
                    "probation_failed": "试用期不合格",
                    "returned_to_agency": "退回派遣单位",
                },
            ),
            _labels(
                ReferralOutcome,
                {
                    "accepted": "司法机关已受理",
                    "declined": "司法机关不予受理",
                    "judgement": "已判决",
                },
            ),
            _labels(
                ComplaintChannel,
                {
                    "online": "网上投诉",
                    "hotline_12389": "12389举报电话",
                    "hotline_110": "110报警电话",
                    "letters_visits": "信访",
                    "walk_in": "来访",
                    "referral": "转办",
                },
            ),
            _labels(
                FindingResult,
                {
                    "sustained": "属实",
                    "partly_sustained": "部分属实",
                    "not_sustained": "不属实",
                    "unfounded": "查无实据",
                    "exonerated": "依法履职",
                },
            ),
            _labels(
                NotificationMethod,
                {
                    "sms": "短信",
                    "phone": "电话",
                    "letter": "书面",
                    "in_person": "当面",
                    "online": "网上",
                },
            ),
            _labels(ReviewOutcome, {"upheld": "维持原结论", "changed": "变更原结论"}),
            _labels(OutboundChannel, {"sms": "短信", "letter": "书面信函", "phone": "电话"}),
            _labels(
                DeliveryOutcome,
                {
                    "sent": "已发送",
                    "not_sent_log_only": "未发送（仅记录日志）",
                    "pending_staff_call": "待工作人员致电",
                },
            ),
            _labels(
                MessageStatus,
                {
                    "queued": "待发送",
                    "retrying": "待重试",
                    "delivered": "已处理",
                    "failed": "发送失败",
                },
            ),
            _labels(
                MisconductKind,
                {
                    "abuse_of_power": "滥用职权",
                    "neglect_of_duty": "玩忽职守",
                    "favouritism": "徇私舞弊",
                },
            ),
            _labels(OfficialRole, {"supervisor": "带辅责任民警", "manager": "管理人员"}),
            _labels(
                CostCategory, {"medical": "医疗费", "transport": "交通费", "nursing": "护理费"}
            ),
            _labels(AuxiliaryStatus, {"active": "在岗", "suspended": "停职", "separated": "离职"}),
            _labels(
                ComplaintStatus,
                {
                    "received": "已接收",
                    "acknowledged": "已签收",
                    "accepted": "已受理",
                    "not_accepted": "不予受理",
                    "under_investigation": "调查中",
                    "concluded": "已查结",
                    "complainant_notified": "已告知",
                    "closed": "已结案",
                    "withdrawn": "已撤回",
                },
            ),
            _labels(
                EventType,
                {
                    "auxiliary_hired": "录用",
                    "auxiliary_contract_renewed": "续订合同",
                    "auxiliary_post_changed": "调整岗位",
                    "auxiliary_transferred": "调动用辅部门",
                    "auxiliary_supervisor_assigned": "明确带辅民警",
                    "auxiliary_supervisor_released": "解除带辅民警",
                    "auxiliary_evaluated": "年度考核",
                    "auxiliary_level_changed": "层级调整",
                    "auxiliary_credential_issued": "发放证件",
                    "auxiliary_credential_revoked": "吊销证件",
                    "auxiliary_credential_returned": "收回证件",
                    "auxiliary_insurance_enrolled": "参加保险",
                    "auxiliary_health_checked": "健康体检",
                    "auxiliary_duty_injury_recorded": "因公负伤",
                    "auxiliary_cost_advanced": "垫付费用",
                    "auxiliary_infringement_recorded": "合法权益受侵害",
                    "auxiliary_commended": "表彰奖励",
                    "auxiliary_sanction_imposed": "处理处分",
                    "auxiliary_sanction_appealed": "提出申诉",
                    "auxiliary_appeal_decided": "申诉决定",
                    "auxiliary_sanction_revoked": "撤销处分",
                    "auxiliary_reinstated": "恢复工作",
                    "auxiliary_referred_for_prosecution": "移送司法机关",
                    "auxiliary_statement_heard": "听取陈述申辩",
                    "auxiliary_statement_waived": "书面放弃陈述申辩",
                    "auxiliary_referral_outcome_recorded": "移送司法结果",
                    "auxiliary_returned_to_agency": "退回派遣单位",
                    "auxiliary_separated": "离职",
                    "auxiliary_corrected": "更正记录",
                    "auxiliary_personal_data_corrected": "更正个人信息",
                    "auxiliary_probation_started": "开始试用期",
                    "auxiliary_probation_completed": "试用期考核结果",
                    "auxiliary_training_recorded": "参加培训",
                    "auxiliary_leave_started": "开始休假",
                    "auxiliary_leave_ended": "休假结束",
                    "complaint_received": "接收投诉",
                    "complaint_acknowledged": "签收投诉",
                    "complaint_accepted": "受理投诉",
                    "complaint_declined": "不予受理",
                    "complaint_investigator_assigned": "指派调查人员",
                    "complaint_finding_recorded": "作出调查结论",
                    "complaint_complainant_notified": "告知投诉人",
                    "complaint_withdrawn": "撤回投诉",
                    "complaint_closed": "结案",
                    "complaint_reopened": "重新办理",
                    "complaint_review_requested": "申请复查",
                    "complaint_review_decided": "作出复查意见",
                    "complaint_subject_matched": "确认被投诉辅警",
                    "complaint_notification_queued": "告知消息排队待发",
                    "complaint_notification_delivered": "告知消息发送结果",
                    "complaint_notification_failed": "告知消息发送失败",
                    "organ_registered": "登记机关",
                    "organ_unit_registered": "登记用辅部门",
                    "organ_quota_set": "核定员额",
                    "organ_quota_adjusted": "调整员额",
                    "organ_slot_taken": "占用员额",
                    "organ_slot_released": "释放员额",
                    "organ_parent_set": "确定上级机关",
                    "unit_code_claimed": "登记部门代码",
                    "credential_serial_claimed": "登记证件编号",
                    "misconduct_finding_recorded": "认定管理人员违规",
                    "misconduct_finding_decision_amended": "变更处理决定",
                    "pay_schedule_opened": "建立薪酬标准",
                    "pay_schedule_schedule_set": "设定薪酬标准",
                    "local_average_wage_opened": "建立社会平均工资记录",
                    "local_average_wage_wage_recorded": "记录社会平均工资",
                    "auxiliary_prior_record_overridden": "有前科记录仍予招用",
                    "prior_record_marker_opened": "登记因故离职记录",
                    "prior_record_marker_noted": "补记因故离职记录",
                    "hire_marker_opened": "登记招用记录",
                    "hire_marker_noted": "补记招用记录",
                    "legal_holds_opened": "建立法律保全记录",
                    "legal_holds_placed": "设置法律保全",
                    "legal_holds_released": "解除法律保全",
                    "legal_holds_erasure_cleared": "删除前核查保全",
                    "rules_opened": "建立规则记录",
                    "rules_rule_set_loaded": "载入规则集",
                },
            ),
            _labels(
                ErrorCode,
                {
                    "malformed_json": "请求内容格式有误",
                    "bad_request": "请求无法识别",
                    "unknown_query_parameter": "查询参数不存在",
                    "proof_request": "所请求的证明超出日志范围",
                    "unauthenticated": "请先登录",
                    "token_unknown": "令牌无效",
                    "token_revoked": "令牌已被吊销",
                    "token_expired": "令牌已过期",
                    "role_not_allowed": "您的角色无权进行此操作",
                    "outside_scope": "该记录不在您的管辖范围内",
                    "not_authorised": "您的角色无权执行此命令",
                    "not_found": "未找到该页面或记录",
                    "unknown_action": "没有这项操作",
                    "method_not_allowed": "不支持此请求方式",
                    "not_acceptable": "无法提供所需格式",
                    "conflict": "记录已在您读取之后被更新，请核对最新记录后重新提交",
                    "idempotency_key_reused": "重复提交的内容不一致",
                    "token_already_revoked": "令牌此前已被吊销",
                    "key_registry": "密钥状态不允许此操作",
                    "precondition_malformed": "版本号格式有误",
                    "payload_too_large": "提交的内容过大",
                    "unsupported_media_type": "提交内容的格式不受支持",
                    "validation": "填写的内容未通过校验",
                    "access": "令牌或查阅记录的内容不符合要求",
                    "reason_required": "督察人员查阅个人记录须说明事由",
                    "token_holder": "令牌持有人须同时登记警号和姓名",
                    "oversight": "该令牌不能监督下级机关",
                    "oversight_read_only": "监督令牌只能查阅下级机关的记录，不能修改",
                    "unknown_organ": "该公安机关尚未登记",
                    "organ_cycle": "上下级关系不能形成循环",
                    "unknown_auxiliary": "未找到所指的辅警",
                    "erasure": "无法删除（已删除或无数据）",
                    "rate_limited": "操作过于频繁，请稍后再试",
                    "internal": "系统内部错误",
                    "integrity": "存储记录未通过完整性校验",
                    "unavailable": "数据库暂时无法访问",
                    "misconfigured": "服务器配置或密钥不可用",
                    "query_error": "查询条件无法处理",
                    "unknown_filter": "没有这个筛选条件",
                    "invalid_filter_value": "筛选条件的取值不允许",
                    "page_size": "页码或每页条数超出范围",
                    "unknown_report": "没有这份报表",
                    "unknown_projection": "没有这个读模型",
                    "projection_failed": "读模型已停止，数据可能过时",
                    "domain_error": "该操作不符合管理办法的规定",
                    "invalid_field": "有字段缺失、格式错误或超出范围",
                    "invalid_policy": "配置的规则不一致",
                    "naive_datetime": "时间缺少时区",
                    "date_in_future": "日期不能晚于今天",
                    "invalid_date_range": "日期先后顺序有误",
                    "quota_exceeded": "员额已满（第五条、第八条）",
                    "slot_not_held": "该辅警未占用员额",
                    "unknown_unit": "该用辅部门未在本机关登记",
                    "unknown_post_type": "不属于第九条规定的岗位类别",
                    "not_an_auxiliary_post": "第二条：此类工作不属于辅警岗位",
                    "invalid_resident_id": "公民身份号码不符合国家标准（GB 11643-1999）",
                    "level_out_of_scheme": "层级超出层级序列",
                    "auxiliary_separated": "该辅警已离职",
                    "credential_error": "证件状态不允许此操作",
                    "credential_already_active": "证件已在有效状态",
                    "unknown_credential": "未发放过该证件",
                    "credential_not_held": "证件已吊销或已收回",
                    "unknown_sanction": "没有这项处理处分",
                    "unknown_injury": "没有这次因公负伤记录",
                    "no_responsibility": "该辅警在该日期不在职",
                    "invalid_transition": "当前状态不允许此操作",
                    "complainant_not_notified": "尚未将处理结果告知投诉人",
                    "unknown_allegation": "没有这项投诉事项",
                    "not_correctable": "该字段不能更正",
                    "duplicate_record": "此事项已登记过",
                    "invalid_pay_schedule": "薪酬标准未随层级递增",
                    "subject_already_named": "该投诉已有明确的被投诉辅警，无需再确认",
                    "subject_not_matched": "该投诉尚未确认被投诉辅警，请先确认",
                    "review_window_closed": "申请复查的期限已过",
                    "reviewer_not_independent": "复查须由作出原处理意见以外的机构决定",
                    "tracking_code_check": "查询码校验位不符，请核对",
                    "no_contact_for_channel": "投诉人未留下该方式的联系信息，无法通知",
                    "invalid_rule_set": "规则集有误，未载入",
                    "csrf": "表单已失效，请刷新页面后重新提交",
                    "session_expired": "登录已过期，请重新登录",
                    "ambiguous_serial": "该证件编号登记在多名辅警名下",
                    "ambiguous_work_id": "该工号曾发给多名辅警，无法据此核验，请改用姓名和单位",
                    "bundle": "尚无签名检查点覆盖这些记录，请稍后重试",
                    "could_not_verify": "无法完成账本校验",
                    "format_character": "文字中含有不可见字符或文字方向控制字符",
                    "no_witness": "服务器尚无见证检查点，请先在服务器上运行校验",
                    "not_ready": "服务尚未就绪",
                    "serial_already_issued": "该证件编号已发放过，不得重复发放",
                    "prior_record_elsewhere": "此人曾因故离职：请先向所列机关了解，或填写招用理由",
                    "already_employed": "此人现仍在所列机关任辅警，须先办理离职，不得重复招用",
                    "legal_hold": "此人的个人信息处于法律保全中，不得删除",
                    "verification_running": "账本校验正在进行，请稍后再试",
                    "overlapping_leave": "与已登记的休假时间重叠",
                    "statement_missing": "作出处理前须听取辅警陈述申辩或有其书面放弃（第十八条）",
                    "same_decider": "申诉须由作出处理以外的部门和人员决定",
                    "unknown_referral": "没有这项移送司法记录",
                    "not_labour_dispatch": "只有劳务派遣辅警可以退回派遣单位（第八条）",
                    "hiring_age": "受聘人员在聘用之日须年满18周岁且未满60周岁（第八条）",
                },
            ),
        ]
    )
)
"""Chinese label of every member, by value set and value."""


def event_type_of(qualname: str) -> EventType | None:
    """The event type of an event class's qualified name (``Auxiliary.Hired``), or None."""
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", qualname.replace(".", "_")).lower()
    try:
        return EventType(snake)
    except ValueError:
        return None


def label_zh(value: StrEnum) -> str:
    """The Chinese label of a member of any value set."""
    return LABELS_ZH[type(value)][value.value]


_CATEGORY_OF_POST: Mapping[PostType, PostCategory] = MappingProxyType(
    {
        PostType.patrol: PostCategory.duty,
        PostType.community: PostCategory.duty,
        PostType.traffic: PostCategory.duty,
        PostType.call_intake: PostCategory.civilian,
        PostType.certificate_assistance: PostCategory.civilian,
        PostType.technical_support: PostCategory.civilian,
    }
)


def post_category(post_type: PostType) -> PostCategory:
    """The category (duty or civilian) of a post type (Art. 9)."""
    return _CATEGORY_OF_POST[PostType(post_type)]


def _normalise(text: str) -> str:
    return text.strip().lower().replace("-", "_").replace(" ", "_")


_POST_TYPE_BY_TEXT: Mapping[str, PostType] = MappingProxyType(
    {
        **{m.value: m for m in PostType},
        **{m.label_zh: m for m in PostType},
    }
)
_NON_AUXILIARY_BY_TEXT: Mapping[str, NonAuxiliaryWork] = MappingProxyType(
    {
        **{m.value: m for m in NonAuxiliaryWork},
        **{m.label_zh: m for m in NonAuxiliaryWork},
        "后勤": NonAuxiliaryWork.logistics,
    }
)


def parse_post_type(text: str | PostType) -> PostType:
    """Parse a post type from its English value or Chinese label (Art. 9), refusing Art. 2 work."""
    if isinstance(text, PostType):
        return text
    if not isinstance(text, str):
        raise UnknownPostTypeError(
            "post type must be text naming one of the Art. 9 post types",
            zh="须为第九条规定的岗位类别",
        )
    key = _normalise(text)
    found = _POST_TYPE_BY_TEXT.get(key)
    if found is not None:
        return found
    excluded = _NON_AUXILIARY_BY_TEXT.get(key)
    if excluded is not None:
        raise NotAnAuxiliaryPostError(
            f"{excluded.value} ({excluded.label_zh}) is not an auxiliary's post: volunteers, "
            "patrol and school guards and logistics staff are not auxiliaries (Art. 2)",
            zh=f"{excluded.label_zh}不属于辅警岗位：治安联防、护村护校、志愿者和后勤服务人员等不是辅警（第二条）",
        )
    allowed = ", ".join(f"{m.value} ({m.label_zh})" for m in PostType)
    labels = "、".join(m.label_zh for m in PostType)
    raise UnknownPostTypeError(
        f"post type is not one of the Art. 9 post types: {allowed}",
        zh=f"须为第九条规定的岗位类别之一：{labels}",
    )


@dataclass(frozen=True)
class Actor:
    """Who recorded a fact: an id, a role, an organ, and the unit for unit-level actors.

    ``holder`` names the official who holds the credential the actor acts with: an opaque
    id (the data subject of the official's sealed police number and name), never the
    person's data itself; None for credentials issued without a named holder and for the
    ledger's own actors. An actor without a holder is encoded as before it existed.
    """

    actor_id: str
    role: str
    organ: str
    unit: str | None
    holder: str | None = None

    def __post_init__(self) -> None:
        identifier("actor.actor_id", self.actor_id)
        # Store the plain value: events may not hold str subclasses such as enum members.
        object.__setattr__(self, "role", member(Role, "actor.role", self.role).value)
        identifier("actor.organ", self.organ)
        optional_identifier("actor.unit", self.unit)
        optional_identifier("actor.holder", self.holder)

    @property
    def role_enum(self) -> Role:
        """The actor's role as a member of ``Role``."""
        return Role(self.role)


@dataclass(frozen=True)
class Allegation:
    """One numbered allegation of a complaint (numbers run 1..n in the order given)."""

    number: int
    text: str

    def __post_init__(self) -> None:
        integer("allegation.number", self.number, 1, 10_000)
        free_text("allegation.text", self.text)


@dataclass(frozen=True)
class Responsibility:
    """Who answered for an auxiliary on a date: organ, unit and supervising officer (Art. 10)."""

    organ: str
    unit: str
    supervisor_id: str | None
    supervisor_name: str | None
