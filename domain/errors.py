"""The one error hierarchy of the domain: every refused command raises a ``DomainError``.

Invariants kept here:

- Every error class has a stable ``code`` class attribute (snake_case); the edge maps codes to
  exit statuses and problem+json types, so a code is never renamed once released.
- Every message says what was refused and why, naming the article of the measures where one
  applies.
- No message carries personal data: values given by a caller are never echoed, only the name
  of the field and the reason it failed. Codes of organs and units, role names, levels, years
  and statuses are not personal data and may appear.
- A refusal may also say what is wrong in Chinese (``zh``), for the people who work in the
  console; the same rules hold for it: what is wrong and why, the article (第十八条) where the
  English names one, never a value a caller gave. The console shows the field's Chinese name
  beside its title, so a field's ``zh`` need not name the field again.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

__all__ = [
    "AlreadyEmployedError",
    "AuxiliarySeparatedError",
    "ComplainantNotNotifiedError",
    "CredentialAlreadyActiveError",
    "CredentialError",
    "CredentialNotHeldError",
    "DateInFutureError",
    "DomainError",
    "DuplicateRecordError",
    "FormatCharacterError",
    "HiringAgeError",
    "InvalidDateRangeError",
    "InvalidFieldError",
    "InvalidPayScheduleError",
    "InvalidPolicyError",
    "InvalidResidentIdError",
    "InvalidRuleSetError",
    "InvalidTransitionError",
    "LevelOutOfSchemeError",
    "NaiveDatetimeError",
    "NoContactForChannelError",
    "NoResponsibilityError",
    "NotAnAuxiliaryPostError",
    "NotAuthorisedError",
    "NotCorrectableError",
    "NotLabourDispatchError",
    "OutsideScopeError",
    "OverlappingLeaveError",
    "PriorRecordElsewhereError",
    "QuotaExceededError",
    "ReviewWindowClosedError",
    "ReviewerNotIndependentError",
    "SameDeciderError",
    "SerialAlreadyIssuedError",
    "SlotNotHeldError",
    "StatementMissingError",
    "SubjectAlreadyNamedError",
    "SubjectNotMatchedError",
    "UnknownAllegationError",
    "UnknownCredentialError",
    "UnknownInjuryError",
    "UnknownPostTypeError",
    "UnknownReferralError",
    "UnknownSanctionError",
    "UnknownUnitError",
]


class DomainError(Exception):
    """A command was refused because it breaks a rule of the domain: ``message`` says what
    and why in English (the API's problem detail), ``zh`` in Chinese where it is given."""

    code: ClassVar[str] = "domain_error"

    def __init__(self, message: str, *, zh: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.zh = zh
        """What is wrong, in Chinese, for the people who meet the refusal in the console (no
        closing 。: the console adds it)."""


class ToldInChineseError(DomainError):
    """A refusal whose every raise site gives its Chinese text (``zh`` required): the
    refusals people meet in the console whose message depends on the case. mypy holds each
    raise site to it; the classes with a fixed message build theirs in ``__init__``."""

    def __init__(self, message: str, *, zh: str) -> None:
        super().__init__(message, zh=zh)


class InvalidFieldError(DomainError):
    """A field is missing, malformed, out of bounds or of the wrong type: ``reason`` says
    what is wrong in English, ``zh`` (required) in Chinese, without naming the field (the
    console names it beside the title); the generic checks take both from a
    ``domain.checks.Rule``."""

    code = "invalid_field"

    def __init__(self, field: str, reason: str, *, zh: str) -> None:
        super().__init__(f"{field} {reason}", zh=zh)
        self.field = field
        self.reason = reason


class FormatCharacterError(InvalidFieldError):
    """Text holds a bidirectional control or an invisible (zero-width) format character.

    Such characters reorder or hide what a reader sees (U+202E shows ``abc`` as ``cba``), so
    a record could read differently from what it holds.
    """

    code = "format_character"

    def __init__(self, field: str) -> None:
        super().__init__(
            field,
            "must not contain bidirectional controls or invisible (zero-width) characters",
            zh="不得含有文字方向控制字符或不可见（零宽）字符：这类字符会使显示的内容与记录的内容不一致",
        )


class InvalidPolicyError(DomainError):
    """The configured policy is inconsistent (an operator's configuration error)."""

    code = "invalid_policy"


class NaiveDatetimeError(DomainError):
    """A date-time without a time zone was given where an instant is needed."""

    code = "naive_datetime"

    def __init__(self, field: str) -> None:
        super().__init__(
            f"{field} must be timezone-aware: an instant without a time zone is ambiguous",
            zh="时间须注明时区：不带时区的时间不能确定是哪一时刻",
        )
        self.field = field


class DateInFutureError(DomainError):
    """A date lies after the recording date (China Standard Time) where that is not allowed;
    ``reason`` and ``reason_zh`` add why, where the rule is more than that."""

    code = "date_in_future"

    def __init__(self, field: str, reason: str = "", *, reason_zh: str = "") -> None:
        message = (
            f"{field} is later than the recording date in China Standard Time: "
            "a record may not anticipate a fact"
        )
        zh = "所填日期晚于登记当日（北京时间）：不能预先登记尚未发生的事实"
        super().__init__(
            f"{message} ({reason})" if reason else message,
            zh=f"{zh}（{reason_zh}）" if reason_zh else zh,
        )
        self.field = field


class InvalidDateRangeError(ToldInChineseError):
    """Dates are out of order, or a date precedes the start of the record it belongs to;
    ``zh`` says which, in Chinese, for the people who recorded them (the console)."""

    code = "invalid_date_range"


class NotAuthorisedError(DomainError):
    """The actor's role may not perform this command."""

    code = "not_authorised"

    def __init__(
        self, message: str, *, required: Iterable[str], article: str | None, zh: str
    ) -> None:
        super().__init__(message, zh=zh)
        self.required = tuple(required)
        self.article = article


class OutsideScopeError(ToldInChineseError):
    """The actor belongs to another organ or unit than the record."""

    code = "outside_scope"


class QuotaExceededError(ToldInChineseError):
    """A hire would take the organ beyond its staffing quota (Art. 5, 8)."""

    code = "quota_exceeded"


class SlotNotHeldError(ToldInChineseError):
    """A quota slot was released for an auxiliary who does not hold one."""

    code = "slot_not_held"


class UnknownUnitError(ToldInChineseError):
    """The unit is not registered with the organ."""

    code = "unknown_unit"


class UnknownPostTypeError(ToldInChineseError):
    """The post type is not one of the post types of Art. 9."""

    code = "unknown_post_type"


class NotAnAuxiliaryPostError(ToldInChineseError):
    """The post is one that Art. 2 says is not an auxiliary's post."""

    code = "not_an_auxiliary_post"


class InvalidResidentIdError(DomainError):
    """A resident ID number fails GB 11643-1999; the reason, in English and in Chinese
    (``zh``, what is wrong with the number), never echoes the value."""

    code = "invalid_resident_id"

    def __init__(self, reason: str, *, zh: str) -> None:
        super().__init__(f"resident ID number {reason} (GB 11643-1999)", zh=zh)
        self.reason = reason


class LevelOutOfSchemeError(ToldInChineseError):
    """A level lies outside the configured level scheme (Art. 11)."""

    code = "level_out_of_scheme"


class AuxiliarySeparatedError(ToldInChineseError):
    """The auxiliary has separated; only credential returns and revocations, appeal decisions,
    referral outcomes and corrections remain."""

    code = "auxiliary_separated"


class CredentialError(ToldInChineseError):
    """A credential command does not fit the credential's state (Art. 12)."""

    code = "credential_error"


class CredentialAlreadyActiveError(CredentialError):
    """A credential of this kind is already active, or the serial was issued before."""

    code = "credential_already_active"


class SerialAlreadyIssuedError(CredentialError):
    """The serial was issued before, anywhere in the ledger: a serial is issued once and never
    again, not even after it was returned or revoked (Art. 12)."""

    code = "serial_already_issued"


class UnknownCredentialError(CredentialError):
    """No credential of this kind and serial was issued to the auxiliary."""

    code = "unknown_credential"


class CredentialNotHeldError(CredentialError):
    """The credential was already revoked or returned."""

    code = "credential_not_held"


class UnknownSanctionError(ToldInChineseError):
    """No sanction with this id was imposed on the auxiliary."""

    code = "unknown_sanction"


class UnknownInjuryError(ToldInChineseError):
    """No duty injury with this id was recorded for the auxiliary."""

    code = "unknown_injury"


class NoResponsibilityError(ToldInChineseError):
    """The auxiliary was not employed on the date in question, so nobody was responsible."""

    code = "no_responsibility"


class InvalidTransitionError(DomainError):
    """The command is not allowed in the record's current status."""

    code = "invalid_transition"

    def __init__(
        self, from_status: str, command: str, detail: str = "", *, zh: str | None = None
    ) -> None:
        message = f"{command} is not allowed when the record is {from_status}"
        super().__init__(f"{message}: {detail}" if detail else message, zh=zh)
        self.from_status = from_status
        self.command = command


class ComplainantNotNotifiedError(ToldInChineseError):
    """A complaint may not close before the complainant was told the result (Art. 17)."""

    code = "complainant_not_notified"


class ReviewWindowClosedError(ToldInChineseError):
    """A review (复查) was asked for after the days allowed from the notification."""

    code = "review_window_closed"


class ReviewerNotIndependentError(ToldInChineseError):
    """A review (复查) must be decided by another role than the one that decided the result."""

    code = "reviewer_not_independent"


class UnknownAllegationError(ToldInChineseError):
    """The complaint has no allegation with this number."""

    code = "unknown_allegation"


class NotCorrectableError(ToldInChineseError):
    """The field may not be corrected, or the correction does not point at the right event."""

    code = "not_correctable"


class DuplicateRecordError(ToldInChineseError):
    """The same thing was already recorded (a unit, a sanction id, a finding, an evaluation)."""

    code = "duplicate_record"


class InvalidPayScheduleError(DomainError):
    """A pay schedule misses a level or does not rise with the level (Art. 7)."""

    code = "invalid_pay_schedule"


class OverlappingLeaveError(ToldInChineseError):
    """A leave would overlap a leave already recorded (Art. 13): leaves follow one another."""

    code = "overlapping_leave"


class SubjectAlreadyNamedError(ToldInChineseError):
    """The complaint already names the auxiliary it is about: there is nothing to match."""

    code = "subject_already_named"


class SubjectNotMatchedError(ToldInChineseError):
    """The complaint names no auxiliary yet: match it to one first (Art. 17)."""

    code = "subject_not_matched"


class PriorRecordElsewhereError(DomainError):
    """The person to be hired left an auxiliary post for cause (dismissal, or with a serious
    sanction standing) somewhere in the ledger, this organ included; the hire goes through
    only with an override reason. Names the organs to ask, nothing of the records."""

    code = "prior_record_elsewhere"

    def __init__(self, organs: Iterable[tuple[str, str]]) -> None:
        self.organs = tuple(organs)
        names = "; ".join(f"{code} {name}" for code, name in self.organs)
        super().__init__(
            "a record of this person's separation for cause exists with organ(s) "
            f"{names} (this organ's own records count too): ask them before hiring, or "
            "give an override reason",
            zh="此人曾在所列机关因故离职（辞退，或离职时处分未解除；本机关的记录同样计入）",
        )


class AlreadyEmployedError(DomainError):
    """The person to be hired -- or whose number a record not separated is corrected to --
    holds an auxiliary post now, under another record not separated (Art. 5, 8: one person,
    one quota slot). Names the organs, nothing of the records."""

    code = "already_employed"

    def __init__(self, organs: Iterable[tuple[str, str]]) -> None:
        self.organs = tuple(organs)
        names = "; ".join(f"{code} {name}" for code, name in self.organs)
        super().__init__(
            f"this person is employed as an auxiliary now, with organ(s) {names}: a person "
            "holds one post and one quota slot at a time, so the record there is separated "
            "first (Art. 5, 8)",
            zh="一人同时只能担任一个辅警岗位、占用一个员额，须先在所列机关办理离职（第五条、第八条）",
        )


class UnknownOrganError(ToldInChineseError):
    """The organ named is not registered with the ledger."""

    code = "unknown_organ"


class OrganCycleError(ToldInChineseError):
    """Placing an organ under the one named would make the organ tree a cycle."""

    code = "organ_cycle"


class InvalidRuleSetError(DomainError):
    """A rule set (or a file of one) is refused whole: its first problems are listed."""

    code = "invalid_rule_set"

    SHOWN: ClassVar[int] = 5

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = tuple(problems)
        shown = "; ".join(self.problems[: self.SHOWN])
        more = len(self.problems) - self.SHOWN
        count = len(self.problems)
        super().__init__(
            f"rule set refused ({count} problem{'s' if count != 1 else ''}): {shown}"
            + (f"; and {more} more" if more > 0 else "")
        )


class StatementMissingError(ToldInChineseError):
    """A sanction was to be imposed before the auxiliary's statement and defence (陈述申辩)
    was heard or waived in writing for that case (Art. 18)."""

    code = "statement_missing"


class SameDeciderError(ToldInChineseError):
    """An appeal was to be decided by the role or the person who imposed the sanction: an
    appeal is reviewed by another body and another person (Art. 18)."""

    code = "same_decider"


class UnknownReferralError(ToldInChineseError):
    """No referral for prosecution with this reference was recorded for the auxiliary."""

    code = "unknown_referral"


class NotLabourDispatchError(ToldInChineseError):
    """Only an auxiliary employed through labour dispatch can be returned to the dispatch
    agency (Art. 8); a direct-contract auxiliary separates instead."""

    code = "not_labour_dispatch"


class HiringAgeError(ToldInChineseError):
    """The holder of the resident ID number of a hire, or of the number a record is corrected
    to, is under the least hiring age or has reached the upper one on the (record's) hiring
    date (``domain.auxiliary.MIN_HIRING_AGE``, ``MAX_HIRING_AGE``; Art. 8). The message names
    the bounds, never the age or birth date."""

    code = "hiring_age"


class NoContactForChannelError(ToldInChineseError):
    """A notification was queued on a channel the complainant left no contact for (a
    telephone number for sms and phone, an address for a letter)."""

    code = "no_contact_for_channel"
