"""The dossier of one auxiliary: header, timeline, responsibility and the record on a date,
complaints, sanctions, legal holds, commendations, credentials, insurance and health,
probation, training and leave (the record's ``lifecycle``, judged against today), and who
read it.

Every part is the API's own answer, gated by the roles of its route (``api.deps.may``):
the record is ``GET /v1/auxiliaries/{id}``, the timeline ``…/timeline``, the record on a
date ``…/as-of``, responsibility ``…/responsibility``, complaints ``GET /v1/complaints``,
legal holds ``…/legal-holds``, and for a role that reads the Art. 18 file but not the
timeline (the discipline office) the sanctions part is that file, ``…/discipline``: the
timeline's own entries of the Art. 18 events, each with its recorder and verification.
A part the role may not read is not shown. A date to read the record on (``?on=``) that is not
a real date, or lies before ``EARLIEST_DAY`` or after today, is refused (422, in Chinese)
before anything is read or recorded. Reads of personal records are recorded as the
API records them; an inspector states the reason once per dossier visit (kept in the
session for ``REASON_SECONDS``) and every read of that visit is recorded with it.

Every command on the record (``api.routers.auxiliaries.COMMANDS``) is a form (``FORMS``, a
``staff_commands.CommandForms``), shown to and posted by exactly the roles of its API route
(the discipline office hears statements, decides and refers; the inspectorate decides
appeals, after its reason; personnel and units their own), each collapsed and named in Chinese
(``ACTION_LABELS``, and the field names ``FORMS`` is given), and for personnel the correction
of a field (``CORRECTIONS``, ``POST /v1/auxiliaries/{id}/correct``: the field a choice of
those the actor may correct). Of those, the page offers only the commands the record's state
allows (``Auxiliary.open_commands``, the very check each command makes, so an offered form is
never refused for the state: no post change for a separated auxiliary, 恢复执勤 only while
suspended, 撤销处分 only with a sanction in force, no second leave while one is open), under
a Chinese line saying what the state allows the person (``offered_line``: 已离职：可收回证件、
登记证件交回、更正记录。), or that it allows nothing; a form posted anyway (a page read before
the state changed, a crafted post) is refused as the API refuses it, in Chinese. A field
that names something on the record (``SUBJECT_FIELDS``: a sanction, a leave, a credential, a
referral, an injury) is a choice of what the command may act on (``Auxiliary.subjects``,
``subject_choices``), labelled with what the dossier already shows of it; the value sent is
the id the API takes, so a crafted one is still the domain's to refuse. Forms are posted to
``POST /console/auxiliaries/{id}/{slug}`` and recorded by ``send_body`` with ``AUXILIARY``, the
API route's own call. A refusal shows the page
again with the refusal in Chinese, the failed form open and the problem's status, and records
nothing; an inspector's post needs the visit's reason (422 ``reason_required``, as the page).
That route is registered last in this module, after ``…/reason``, which it would shadow.

An oversight token (issue 13) opens the dossier of an auxiliary of an organ below its own:
whatever its role it states the reason first, and sees the record and its timeline (the
discipline office: its Art. 18 file) only (responsibility, the record on a date and
complaints are its organ's reads, not shown), and downloads each event's proof under the
same reason, each download recorded (the timeline's readers). It gets no forms, and a forced
post answers 403 ``oversight_read_only``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import Request, Response
from fastapi.responses import HTMLResponse

from api.console import staff as staff_pages
from api.console.staff_access import AccessIndex
from api.console.staff_commands import CommandForms, refused_status
from api.console.staff_fields import ARTICLES_ZH, ComplaintRef, field_name
from api.console.staff_ledger import checkpoint_state, proof_download, recorded_by
from api.console.web import cst_date, render, zh
from api.deps import LedgerDep, RuntimeDep, may, visible
from api.problems import ApiProblem
from api.routers import auxiliaries as auxiliary_routes
from api.routers import complaints as complaint_routes
from api.routers import queries as query_routes
from api.routers.commands import CommandRoute
from api.runtime import Runtime
from api.schemas import auxiliaries as s
from api.schemas.common import EARLIEST_DAY
from domain.auxiliary import (
    CORRECTABLE_FIELDS,
    PERSONAL_CORRECTABLE_FIELDS,
    Auxiliary,
    CredentialRecord,
    DutyInjury,
    Referral,
    Sanction,
)
from domain.decisions import SANCTION_ARTICLES
from domain.lifecycle import Leave
from domain.values import (
    SUSTAINING_RESULTS,
    Actor,
    AuxiliaryStatus,
    Role,
    SeparationReason,
    china_date,
)
from ledger.access import record_access
from ledger.errors import NotFoundError
from ledger.records import AuxLedger
from projections.errors import UnknownRecordError

DOSSIER_ROLES = auxiliary_routes.READ_ROLES
PURPOSE = "GET /console/auxiliaries/{auxiliary_id}"
"""How a dossier visit's reads are named in the access log."""
Reader = Annotated[staff_pages.Staff, staff_pages.admitted(*DOSSIER_ROLES)]
TimelineReader = Annotated[staff_pages.Staff, staff_pages.admitted(*query_routes.PERSON_READERS)]
GROUPS: dict[str, tuple[str, ...]] = {
    "commendations": ("Auxiliary.Commended",),
    "credentials": (
        "Auxiliary.CredentialIssued",
        "Auxiliary.CredentialRevoked",
        "Auxiliary.CredentialReturned",
    ),
    "insurance_health": (
        "Auxiliary.InsuranceEnrolled",
        "Auxiliary.HealthChecked",
        "Auxiliary.DutyInjuryRecorded",
        "Auxiliary.CostAdvanced",
    ),
    "lifecycle": (
        "Auxiliary.ProbationStarted",
        "Auxiliary.ProbationCompleted",
        "Auxiliary.TrainingRecorded",
        "Auxiliary.LeaveStarted",
        "Auxiliary.LeaveEnded",
    ),
    "sanctions": query_routes.DISCIPLINE_EVENTS,  # the Art. 18 file's, ``…/discipline``
}
"""Parts of the dossier drawn from the timeline, by event (a new kind: one more line)."""

ACTION_LABELS = {
    "renew_contract": "续签劳动合同",
    "change_post": "调整岗位",
    "transfer": "调动用辅部门",
    "assign_supervisor": "指定带辅民警",
    "release_supervisor": "解除带辅民警",
    "evaluate": "登记年度考核",
    "change_level": "调整层级",
    "issue_credential": "发放证件",
    "revoke_credential": "收回证件",
    "return_credential": "登记证件交回",
    "enrol_insurance": "登记参加保险",
    "record_health_check": "登记体检",
    "record_duty_injury": "登记因公负伤",
    "advance_cost": "登记垫付费用",
    "record_infringement": "登记合法权益受侵害",
    "commend": "登记表彰奖励",
    "hear_statement": "听取陈述申辩",
    "waive_statement": "书面放弃陈述申辩",
    "impose_sanction": "作出处分",
    "appeal_sanction": "登记申诉",
    "decide_appeal": "作出申诉决定",
    "revoke_sanction": "撤销处分",
    "reinstate": "恢复执勤",
    "refer_for_prosecution": "移送司法机关",
    "record_referral_outcome": "登记移送结果",
    "return_to_agency": "退回派遣单位",
    "separate": "办理离职",
    "start_probation": "登记试用期",
    "complete_probation": "作出试用期考核结论",
    "record_training": "登记培训",
    "start_leave": "登记休假",
    "end_leave": "登记休假返岗",
    "correct": "更正记录",
    "hire": "录用辅警",  # the hire page's (``staff_hire``), which opens the new dossier
}
"""The Chinese name of each auxiliary command's form."""

FORMS = CommandForms(
    auxiliary_routes.AUXILIARY,
    auxiliary_routes.COMMANDS,
    ACTION_LABELS,
    # A command's own names for fields whose shared name (``FIELD_NAMES``) would mislead.
    form_labels={
        "change_level": {"reason": "调整原因"},
        "issue_credential": {"kind": "证件类别", "serial": "证件编号"},
        "revoke_credential": {"kind": "证件类别", "serial": "证件编号", "reason": "收回原因"},
        "return_credential": {"kind": "证件类别", "serial": "证件编号"},
        "enrol_insurance": {"kind": "险种", "start": "保险起始日期", "end": "保险截止日期"},
        "advance_cost": {"category": "费用类别"},
        "record_infringement": {"description": "受侵害情况"},
        "commend": {"kind": "表彰奖励类别"},
        "impose_sanction": {"kind": "处分种类", "until": "处分期限至"},
        "revoke_sanction": {"reason": "撤销理由"},
        "reinstate": {"reason": "恢复执勤理由"},
        "release_supervisor": {"reason": "解除原因"},
        "refer_for_prosecution": {"reference": "移送文号", "summary": "移送事由"},
        "record_referral_outcome": {"reference": "移送文号"},
        "separate": {"reason": "离职原因"},
        "start_probation": {"until": "试用期至"},
        "record_training": {
            "kind": "培训类别",
            "start": "培训开始日期",
            "end": "培训结束日期",
            "passed": "是否通过",
        },
        "start_leave": {"kind": "休假类别"},
    },
    form_choices={
        "separate": {
            "reason": [
                (reason.value, zh(reason, "SeparationReason"))
                for reason in SeparationReason
                if reason is not SeparationReason.returned_to_agency  # 退回派遣单位: its own form
            ]
        }
    },
    what="auxiliary command",
)
"""Every command on the auxiliary's record as a form, for the roles of its route."""
CORRECTIONS = CommandForms(
    auxiliary_routes.CORRECTION,
    (
        CommandRoute(
            "correct",
            "/{auxiliary_id}/correct",
            s.CorrectionCreate,
            auxiliary_routes.CORRECTION_ROLES,
            "Correct a field of the record",
        ),
    ),
    ACTION_LABELS,
    form_labels={"correct": {"field": "更正的项目", "value": "更正为", "reason": "更正理由"}},
    what="auxiliary command",
)
"""The correction of a record (``POST /v1/auxiliaries/{id}/correct``) as a form: the field
a choice of those this actor may correct (``correctable``)."""

Handler = Annotated[staff_pages.Staff, staff_pages.admitted(*FORMS.roles, *CORRECTIONS.roles)]
"""Every role some auxiliary command admits (each command then admits its own roles)."""


ARTICLE_CHOICES = {"article": [(article, ARTICLES_ZH[article]) for article in SANCTION_ARTICLES]}
"""The article a sanction relies on, chosen by its Chinese name (the API's value stays
``Art. 18``, one of ``domain.decisions.SANCTION_ARTICLES``)."""


def correctable(actor: Actor) -> dict[str, list[tuple[str, str]]]:
    """The fields the actor may correct, with their Chinese names: a resident ID number only
    at organ level, as a hire (the domain refuses a unit-level token; a forced post is told
    so in Chinese)."""
    fields = (*CORRECTABLE_FIELDS, *PERSONAL_CORRECTABLE_FIELDS)
    return {
        "field": [
            (name, field_name(name))
            for name in fields
            if name != "resident_id" or actor.unit is None
        ]
    }


SUBJECT_FIELDS: Mapping[str, str] = {
    "revoke_credential": "serial",
    "return_credential": "serial",
    "advance_cost": "injury_id",
    "appeal_sanction": "sanction_id",
    "decide_appeal": "sanction_id",
    "revoke_sanction": "sanction_id",
    "record_referral_outcome": "reference",
    "end_leave": "leave_id",
}
"""The field in which a command names something on the record (``Auxiliary.subjects``)."""


def _subject_label(subject: object) -> str:
    """How a person knows a thing on the record: its id and what the dossier shows beside it
    (工作证件 NTFJ0001（有效）, S-1 · 警告 · 2026年01月05日起, 休假 L-1 · 病假 · 2026年02月01日起),
    never an injury's medical details or a referral's summary."""
    if isinstance(subject, CredentialRecord):
        kind = zh(subject.kind, "CredentialKind")
        return f"{kind} {subject.serial}（{zh(subject.status, 'CredentialStatus')}）"
    if isinstance(subject, Sanction):
        label = f"{subject.sanction_id} · {zh(subject.kind, 'SanctionKind')}"
        label += f" · {cst_date(subject.effective)}起"
        return label + (f"至{cst_date(subject.until)}" if subject.until else "")
    if isinstance(subject, Leave):
        kind = zh(subject.kind, "LeaveKind")
        return f"休假 {subject.leave_id} · {kind} · {cst_date(subject.start)}起"
    if isinstance(subject, Referral):
        label = f"{subject.reference} · {cst_date(subject.effective)}移送"
        outcome = f"（{zh(subject.outcome, 'ReferralOutcome')}）" if subject.outcome else ""
        return label + outcome
    if isinstance(subject, DutyInjury):
        return f"负伤 {subject.injury_id} · {cst_date(subject.occurred_on)}"
    raise TypeError(type(subject).__name__)


def subject_choices(auxiliary: Auxiliary) -> dict[str, dict[str, list[tuple[str, str]]]]:
    """For each command that names something on the record in a field (``SUBJECT_FIELDS``),
    that field as a choice of exactly what the command may act on (``Auxiliary.subjects``),
    each by its id and a label a person knows it by. The value sent is the id the command
    always took; any other (a crafted post) is refused by the domain as before."""
    return {
        command: {
            field: [
                (str(getattr(item, field)), _subject_label(item))
                for item in auxiliary.subjects(command)
            ]
        }
        for command, field in SUBJECT_FIELDS.items()
    }


def offered_line(auxiliary: Auxiliary, forms: Sequence[Mapping[str, Any]]) -> str:
    """What the record's state allows the person, in Chinese: the status (已离职 for a
    separated record, 在岗（休假中） while a leave is open) and the forms offered, in their
    order (在岗：可续签劳动合同、……。), or 已离职：暂无可办理的事项。 when there are none."""
    separated = auxiliary.status is AuxiliaryStatus.separated
    state = "已离职" if separated else zh(auxiliary.status, "AuxiliaryStatus")
    if auxiliary.on_leave:
        state += "（休假中）"
    if not forms:
        return f"{state}：暂无可办理的事项。"
    return f"{state}：可{'、'.join(form['label'] for form in forms)}。"


FORMS_HINTS: dict[str, str] = {
    Role.discipline.value: (
        "作出处分前，须先以同一处分编号听取辅警的陈述申辩，或登记其书面放弃陈述申辩"
        "（第十八条）；否则系统将拒绝作出处分。"
    ),
}
"""A note above a role's forms: what the domain will refuse unless done first (shown while
a sanction may be imposed)."""


def _today() -> date:
    return china_date(datetime.now(tz=UTC))


def _reason_gate(auxiliary_id: UUID) -> staff_pages.ReasonGate:
    """The reason for one dossier visit, kept under the record's id."""
    path = f"/console/auxiliaries/{auxiliary_id}"
    return staff_pages.ReasonGate(key=str(auxiliary_id), action=f"{path}/reason", then=path)


def _readable(
    auxiliary_id: UUID, actor: Actor, ledger: AuxLedger, runtime: Runtime
) -> tuple[Any, bool]:
    """The auxiliary and whether it lies below the actor's organ (an oversight read); 404
    outside the scope, before anything."""
    return auxiliary_routes.readable_auxiliary(auxiliary_id, actor, ledger, runtime)


_DAY_TEXT = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def _day(text: str | None) -> tuple[date, str | None]:
    """The date the record is read on (``?on=``, today if none), or today and the Chinese
    reason it cannot be: not a real ``YYYY-MM-DD`` date, before the earliest date the
    ledger holds (``EARLIEST_DAY``, the API's), or after today."""
    today = _today()
    if not text:
        return today, None
    try:
        day = date.fromisoformat(text) if _DAY_TEXT.match(text) else None
    except ValueError:
        day = None
    if day is None:
        return today, "日期须写成“年-月-日”（如 2026-01-05），且须是日历上实有的日期"
    if not EARLIEST_DAY <= day <= today:
        return today, f"查看日期须在{cst_date(EARLIEST_DAY)}至今天（{cst_date(today)}）之间"
    return day, None


@staff_pages.router.get("/auxiliaries/{auxiliary_id}", response_class=HTMLResponse)
def dossier(
    request: Request,
    auxiliary_id: UUID,
    runtime: RuntimeDep,
    ledger: LedgerDep,
    staff: Reader,
    on: str | None = None,
) -> Response:
    """The dossier; an inspector first states the reason for this visit."""
    return _dossier_page(request, auxiliary_id, runtime, ledger, staff, on)


def _dossier_page(
    request: Request,
    auxiliary_id: UUID,
    runtime: Runtime,
    ledger: AuxLedger,
    staff: staff_pages.Staff,
    on: str | None = None,
    *,
    refused: staff_pages.Refusal | None = None,
    failed: str | None = None,
    typed: Mapping[str, Sequence[str]] | None = None,
) -> Response:
    """The dossier page; ``refused``: the command form ``failed`` (its slug) was refused and
    the page is shown again with the refusal and that form open with what was ``typed``, with
    the problem's status."""
    actor = staff.actor
    auxiliary, below = _readable(auxiliary_id, actor, ledger, runtime)  # 404 outside the scope
    gate = _reason_gate(auxiliary_id)
    reason = gate.kept(staff)
    if (actor.role == Role.inspector.value or below) and reason is None:
        return gate.ask(request)
    day, wrong_day = _day(on)
    if wrong_day is not None:  # refused before anything is read: nothing shown or recorded
        asked = {"auxiliary_id": auxiliary_id, "wrong_day": wrong_day, "today": day}
        return render(
            request, "staff/dossier.html", {**asked, "earliest": EARLIEST_DAY}, status_code=422
        )
    refusal: staff_pages.Refusal | None = None
    context: dict[str, Any] = {"auxiliary_id": auxiliary_id, "on": day, "reason": reason}
    context["earliest"] = EARLIEST_DAY
    context["today"] = _today()  # the life-cycle part compares probation and leave ends
    try:
        shown = _read(auxiliary, day, actor, runtime, reason, below=below)
        # One access record for the visit's page, with every field it shows in clear, before
        # anything is shown (an inspector without a reason is refused here).
        record_access(
            ledger,
            actor,
            record_type="auxiliary",
            record_id=auxiliary_id,
            fields=shown.pop("clear"),
            reason=reason,
            purpose=PURPOSE,
            overseen=below,
        )
        context.update(shown)
        if may(actor, query_routes.COMPLAINT_READERS) and not below:
            context["complaints"] = _complaints(auxiliary_id, actor, runtime, ledger, reason)
        if may(actor, auxiliary_routes.HOLD_READERS):
            context["legal_holds"] = auxiliary_routes.legal_holds_view(ledger, auxiliary_id)
        context["complaint_refs"] = _complaint_refs(_named_complaints(context), actor, ledger)
        index: AccessIndex = request.app.state.console_access_index
        accesses = index.of(ledger, auxiliary_id, organ=actor.organ)
        context["accesses"] = [
            (entry, recorded_by(runtime, {"actor_id": entry.actor_id})) for entry in accesses
        ]
        context["checkpoint"] = checkpoint_state(runtime)
        choices = {**ARTICLE_CHOICES, "linked_findings": _findings(context.get("complaints"))}
        allowed = auxiliary.open_commands()
        forms = FORMS.forms(
            actor,
            below=below,
            failed=failed,
            typed=typed,
            choices=choices,
            offered=allowed,
            subjects=subject_choices(auxiliary),
        ) + CORRECTIONS.forms(
            actor,
            below=below,
            failed=failed,
            typed=typed,
            choices=correctable(actor),
            offered=allowed,
        )
        line = offered_line(auxiliary, forms)
        handles = may(actor, (*FORMS.roles, *CORRECTIONS.roles)) and not below
        context["forms"] = forms
        context["forms_hint"] = line if handles and forms else None
        context["nothing_to_do"] = line if handles and not forms else None
        context["forms_note"] = (
            FORMS_HINTS.get(actor.role)
            if any(form["name"] == "impose_sanction" for form in forms)
            else None
        )
        context["refused_form_shown"] = any(form["open"] for form in forms)
    except staff_pages.REFUSALS as error:
        refusal = staff_pages.refusal_of(error)
        context = {"auxiliary_id": auxiliary_id, "on": day}  # nothing shown that was refused
    context["refusal"] = refusal
    context["command_refusal"] = refused
    done = request.query_params.get("done")
    context["done"] = done if refused is None and done in ACTION_LABELS else None
    context["action_labels"] = ACTION_LABELS
    status_code = 200 if refused is None else refused_status(refused)
    return render(request, "staff/dossier.html", context, status_code=status_code)


def _read(
    auxiliary: Any,
    day: date,
    actor: Actor,
    runtime: Runtime,
    reason: str | None,
    *,
    below: bool = False,
) -> dict[str, Any]:
    """Every part of the dossier the actor's role may read, each the API route's own view
    (``auxiliary_view``, ``timeline_view``, ``responsibility``, ``as_of_view``), and under
    ``clear`` the personal fields they show in clear. Nothing recorded here. A role that may
    read the Art. 18 file (``…/discipline``) but not the timeline (the discipline office) gets
    that file as ``case_file``: ``timeline_view`` with the Art. 18 events only. ``below``: an
    oversight read of an organ below the actor's, the record and its timeline (or Art. 18
    file) only."""
    record, clear = auxiliary_routes.auxiliary_view(auxiliary, actor, reason)
    shown: dict[str, Any] = {"record": record}
    fields = set(clear)
    timeline_allowed = may(actor, query_routes.PERSON_READERS)
    as_of_allowed = may(actor, query_routes.AS_OF_READERS)
    if timeline_allowed:
        if below:
            timeline, in_clear = query_routes.timeline_view(
                auxiliary.id, actor, runtime, reason, organ=auxiliary.organ
            )
        elif as_of_allowed:  # both from one checked read of the events
            timeline, in_clear, on_date = query_routes.timeline_and_as_of_views(
                auxiliary.id, day, actor, runtime, reason
            )
            if on_date is None:
                shown["as_of_missing"] = True  # the record did not exist yet on that date
            else:
                shown["as_of"] = on_date
        else:
            timeline, in_clear = query_routes.timeline_view(auxiliary.id, actor, runtime, reason)
        fields.update(in_clear)
        entries = timeline["entries"]
        for entry in entries:
            entry["recorded_by"] = recorded_by(runtime, entry.get("actor"))
        shown["timeline"] = entries
        shown["groups"] = {
            name: [e for e in entries if e["event"] in events] for name, events in GROUPS.items()
        }
    elif may(actor, query_routes.DISCIPLINE_READERS):  # the Art. 18 file, ``…/discipline``
        case_file, in_clear = query_routes.timeline_view(
            auxiliary.id,
            actor,
            runtime,
            reason,
            organ=auxiliary.organ if below else None,
            events=query_routes.DISCIPLINE_EVENTS,
        )
        fields.update(in_clear)
        for entry in case_file["entries"]:
            entry["recorded_by"] = recorded_by(runtime, entry.get("actor"))
        shown["case_file"] = case_file["entries"]
    if below:
        shown["clear"] = sorted(fields)
        return shown
    if may(actor, query_routes.RESPONSIBILITY_READERS):
        shown["responsibility"] = query_routes.responsibility(auxiliary.id, day, actor, runtime)
    if as_of_allowed and not timeline_allowed:
        try:
            shown["as_of"] = query_routes.as_of_view(auxiliary.id, day, actor, runtime)
        except UnknownRecordError:
            shown["as_of_missing"] = True  # the record did not exist yet on that date
    shown["clear"] = sorted(fields)
    return shown


def _findings(complaints: list[dict[str, Any]] | None) -> list[tuple[str, str]]:
    """What a sanction may link (``linked_findings``), as the page offers it: each sustained
    or partly sustained finding in force of this auxiliary's complaints the page shows, by
    the complaint's receipt day and the allegation (the service checks them again)."""
    offered = []
    for row in complaints or ():
        texts = dict(row.get("allegation_texts", ()))
        for number, result, _ in row.get("finding_rows", ()):
            if result in SUSTAINING_RESULTS:  # a StrEnum member equals its value
                allegation = texts.get(number, "")
                short = allegation if len(allegation) <= 20 else allegation[:20] + "…"
                label = (
                    f"收到于{cst_date(row['received_on'])}的投诉 第{number}项“{short}”"
                    f"（{zh(result, 'FindingResult')}）"
                )
                offered.append((f"{row['complaint_id']}:{number}", label))
    return offered


def _named_complaints(context: Mapping[str, Any]) -> set[str]:
    """The ids of the complaints the page names: those forbidding an erasure (the legal
    holds' ``blocking_erasure``) and those whose findings a sanction links
    (``linked_findings``, ``<complaint id>:<allegation>``)."""
    ids: set[str] = set()
    holds = context.get("legal_holds")
    if holds is not None:
        ids.update(b.id for b in holds.blocking_erasure if b.kind == "complaint")
    for entry in (*context.get("timeline", ()), *context.get("case_file", ())):
        for ref in (entry.get("fields") or {}).get("linked_findings") or ():
            ids.add(str(ref).rpartition(":")[0])
    ids.discard("")
    return ids


def _complaint_refs(ids: set[str], actor: Actor, ledger: AuxLedger) -> dict[str, ComplaintRef]:
    """Each complaint the page names, by the day it was received (its id is no reader's
    name for it) and, for a role that opens complaints (the complaint page's readers) and
    whose scope holds this one, the link to its page. Each complaint read once; a receipt day
    is no personal data. An id that names no complaint is left out (the page falls back to
    the id's first characters)."""
    opens = may(actor, complaint_routes.READ_ROLES)
    refs: dict[str, ComplaintRef] = {}
    for text in sorted(ids):
        try:
            complaint = ledger.complaint(UUID(text))
        except (NotFoundError, ValueError):
            continue
        shown = opens and visible(actor, complaint.organ, complaint.unit)
        href = f"/console/complaints/{text}" if shown else None
        refs[text] = ComplaintRef(complaint.received_on, href)
    return refs


def _complaints(
    auxiliary_id: UUID, actor: Actor, runtime: Runtime, ledger: AuxLedger, reason: str | None
) -> list[dict[str, Any]]:
    """The auxiliary's complaints (the registry's rows) with their allegations and findings
    and the findings' reasons; never the complainant. The registry names people: read with
    the visit's reason and recorded as ``GET /v1/complaints`` records it."""
    rows: list[dict[str, Any]] = query_routes.registry(
        actor=actor, runtime=runtime, auxiliary_id=auxiliary_id, page_size=100, reason=reason
    )["items"]
    for row in rows:
        try:
            complaint = ledger.complaint(UUID(row["complaint_id"]))
        except NotFoundError:
            continue
        if not visible(actor, complaint.organ, complaint.unit):
            continue
        row["allegation_texts"] = [(a.number, a.text) for a in complaint.allegations]
        row["finding_rows"] = [
            (n, f.result.value, f.reasoning) for n, f in sorted(complaint.findings.items())
        ]
    return rows


@staff_pages.router.post("/auxiliaries/{auxiliary_id}/reason")
async def state_reason(
    request: Request,
    auxiliary_id: UUID,
    ledger: LedgerDep,
    runtime: RuntimeDep,
    staff: Reader,
) -> Response:
    """Keep the reason for this dossier visit in the session (recorded with every read)."""
    _readable(auxiliary_id, staff.actor, ledger, runtime)  # 404 outside the scope, first
    return await _reason_gate(auxiliary_id).keep(request, staff)


PROOF_PURPOSE = "GET /console/auxiliaries/{auxiliary_id}/proof/{version}.json"
"""How an oversight read of an event's proof is named in the access log."""


@staff_pages.router.get("/auxiliaries/{auxiliary_id}/proof/{version}.json")
def event_proof(
    request: Request,
    auxiliary_id: UUID,
    version: int,
    runtime: RuntimeDep,
    ledger: LedgerDep,
    staff: TimelineReader,
) -> Response:
    """One event's proof: its leaf hash, inclusion proof, the checkpoint and the keys. The
    dossier's own scope (``_readable``): an auxiliary of an organ below is read with the
    visit's reason (else the reason form) and recorded, once the proof was found."""
    actor = staff.actor
    _, below = _readable(auxiliary_id, actor, ledger, runtime)  # 404 outside the scope
    if not below:
        return proof_download(runtime, auxiliary_id, version)
    gate = _reason_gate(auxiliary_id)
    reason = gate.kept(staff)
    if reason is None:
        return gate.ask(request)
    answer = proof_download(runtime, auxiliary_id, version)  # 404 first: nothing recorded
    record_access(
        ledger,
        actor,
        record_type="auxiliary",
        record_id=auxiliary_id,
        fields=(),
        reason=reason,
        purpose=PROOF_PURPOSE,
        overseen=below,
    )
    return answer


@staff_pages.router.post("/auxiliaries/{auxiliary_id}/{slug}", response_class=HTMLResponse)
async def command(
    request: Request,
    auxiliary_id: UUID,
    slug: str,
    runtime: RuntimeDep,
    ledger: LedgerDep,
    staff: Handler,
) -> Response:
    """One command from its form on the dossier: CSRF first, then the role, the scope (an
    oversight token changes nothing below: 403) and an inspector's reason for the visit,
    then the body model, then the domain. Registered after every other POST under
    ``/auxiliaries/{auxiliary_id}/`` (``…/reason``), which it would otherwise shadow."""

    def admit() -> None:
        auxiliary_routes.commanded_auxiliary(auxiliary_id, staff.actor, ledger, runtime)
        if (
            staff.actor.role == Role.inspector.value
            and _reason_gate(auxiliary_id).kept(staff) is None
        ):
            raise ApiProblem("reason_required", "state the reason for this visit first")

    forms = CORRECTIONS if slug == "correct" else FORMS
    fields = await staff_pages.checked_form(request, staff)
    done = forms.send(staff, ledger, auxiliary_id, slug, fields, admit)
    if not isinstance(done, staff_pages.Refusal):
        return staff_pages.see_other(f"/console/auxiliaries/{auxiliary_id}?done={done.name}")
    # The refused form comes back as typed (a long statement is not typed twice); only in
    # its own inputs, on a page that is never stored (no-store), never in a message.
    return _dossier_page(
        request, auxiliary_id, runtime, ledger, staff, refused=done, failed=slug, typed=fields
    )
