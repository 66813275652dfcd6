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


class NotificationMethod(LabelledEnum):
    """How the complainant was told the result (Art. 17)."""

    sms = "sms"
    phone = "phone"
    letter = "letter"
    in_person = "in_person"
    online = "online"


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


def _labels(enum: type[StrEnum], labels: dict[str, str]) -> Mapping[str, str]:
    if set(labels) != {m.value for m in enum}:
        raise ValueError(f"labels of {enum.__name__} do not match its members")
    return MappingProxyType(labels)


LABELS_ZH: Mapping[type[StrEnum], Mapping[str, str]] = MappingProxyType(
    {
        Role: _labels(
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
        EmploymentForm: _labels(
            EmploymentForm, {"direct_contract": "聘用", "labour_dispatch": "劳务派遣"}
        ),
        PostCategory: _labels(PostCategory, {"duty": "勤务辅警", "civilian": "文职辅警"}),
        PostType: _labels(
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
        NonAuxiliaryWork: _labels(
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
        Gender: _labels(Gender, {"male": "男", "female": "女"}),
        CredentialKind: _labels(
            CredentialKind, {"work_id": "工作证件", "uniform": "服装", "insignia": "标识"}
        ),
        CredentialStatus: _labels(
            CredentialStatus, {"active": "有效", "revoked": "已吊销", "returned": "已收回"}
        ),
        InsuranceKind: _labels(
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
        AssessmentGrade: _labels(
            AssessmentGrade,
            {
                "excellent": "优秀",
                "competent": "合格",
                "basically_competent": "基本合格",
                "incompetent": "不合格",
            },
        ),
        LevelChangeReason: _labels(
            LevelChangeReason, {"promotion": "晋升", "demotion": "降级", "correction": "更正"}
        ),
        CommendationKind: _labels(
            CommendationKind,
            {
                "citation": "嘉奖",
                "merit_third": "三等功",
                "merit_second": "二等功",
                "merit_first": "一等功",
                "honorary_title": "荣誉称号",
            },
        ),
        SanctionKind: _labels(
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
        SanctionStatus: _labels(
            SanctionStatus, {"in_force": "生效", "overturned": "复核撤销", "revoked": "撤销"}
        ),
        AppealStatus: _labels(
            AppealStatus,
            {
                "not_appealed": "未申诉",
                "pending": "申诉中",
                "upheld": "维持原处理",
                "overturned": "撤销原处理",
            },
        ),
        SeparationReason: _labels(
            SeparationReason,
            {
                "resigned": "辞职",
                "contract_ended": "合同期满",
                "dismissed": "辞退/解除劳动合同",
                "retired": "退休",
                "deceased": "死亡",
            },
        ),
        ComplaintChannel: _labels(
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
        FindingResult: _labels(
            FindingResult,
            {
                "sustained": "属实",
                "partly_sustained": "部分属实",
                "not_sustained": "不属实",
                "unfounded": "查无实据",
                "exonerated": "依法履职",
            },
        ),
        NotificationMethod: _labels(
            NotificationMethod,
            {
                "sms": "短信",
                "phone": "电话",
                "letter": "书面",
                "in_person": "当面",
                "online": "网上",
            },
        ),
        MisconductKind: _labels(
            MisconductKind,
            {
                "abuse_of_power": "滥用职权",
                "neglect_of_duty": "玩忽职守",
                "favouritism": "徇私舞弊",
            },
        ),
        OfficialRole: _labels(OfficialRole, {"supervisor": "带辅责任民警", "manager": "管理人员"}),
        CostCategory: _labels(
            CostCategory, {"medical": "医疗费", "transport": "交通费", "nursing": "护理费"}
        ),
        AuxiliaryStatus: _labels(
            AuxiliaryStatus, {"active": "在岗", "suspended": "停职", "separated": "离职"}
        ),
        ComplaintStatus: _labels(
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
    }
)
"""Chinese label of every member, by value set and value."""


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
        raise UnknownPostTypeError("post type must be text naming one of the Art. 9 post types")
    key = _normalise(text)
    found = _POST_TYPE_BY_TEXT.get(key)
    if found is not None:
        return found
    excluded = _NON_AUXILIARY_BY_TEXT.get(key)
    if excluded is not None:
        raise NotAnAuxiliaryPostError(
            f"{excluded.value} ({excluded.label_zh}) is not an auxiliary's post: volunteers, "
            "patrol and school guards and logistics staff are not auxiliaries (Art. 2)"
        )
    allowed = ", ".join(f"{m.value} ({m.label_zh})" for m in PostType)
    raise UnknownPostTypeError(f"post type is not one of the Art. 9 post types: {allowed}")


@dataclass(frozen=True)
class Actor:
    """Who recorded a fact: an id, a role, an organ, and the unit for unit-level actors."""

    actor_id: str
    role: str
    organ: str
    unit: str | None

    def __post_init__(self) -> None:
        identifier("actor.actor_id", self.actor_id)
        # Store the plain value: events may not hold str subclasses such as enum members.
        object.__setattr__(self, "role", member(Role, "actor.role", self.role).value)
        identifier("actor.organ", self.organ)
        optional_identifier("actor.unit", self.unit)

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
