"""The complaints workbench: the queue by status and due date (each overdue step named), one
complaint with its allegations, findings and full history, and the complaint commands of the
API its state allows as forms.

The queue is ``GET /v1/complaints`` (``registry``), the complaint ``GET /v1/complaints/{id}``
(``read_complaint``: the complainant's contact in clear for the complaints office, masked
otherwise, recorded as a read), the history ``GET /v1/complaints/{id}/history``; every form
posts one command of ``api.routers.complaints.COMMANDS``, checked by its body model and then
by the domain, and recorded by ``perform`` as the API records it. A command's form is shown to,
and may be posted by, exactly the roles of that command's API route (``CommandRoute.roles``):
the complaints office handles the complaint, the inspectorate and the discipline office decide
a review (复查); an oversight read of an organ below shows no forms. Of those, the page offers
only the commands the complaint's state allows today (``Complaint.open_commands``, the very
check each command makes, so an offered form is never refused for the state), the step the
handling expects next (``Complaint.next_step``) first and marked, the rest in the order of the
process, with a Chinese line saying what the state allows (已签收：可受理、不予受理、登记撤回。
下一步：受理。), or that it allows this person nothing; a form posted anyway (a page read
before the state changed) is refused as the API refuses it, in Chinese, on the page. Each
form has a Chinese name (``ACTION_LABELS``) and its fields Chinese names, a command's own
where the shared one would mislead (``FORM_LABELS``); a field the server fills in is not on
the form (``HIDDEN_FIELDS``: a queued message's id). The queue names people:
an inspector states the reason for the visit first (a reason page, kept in the session) and
every view of it is recorded as ``GET /v1/complaints`` records it.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import Request, Response
from fastapi.responses import HTMLResponse

from api.console import staff as staff_pages
from api.console.organ_names import OrganNames
from api.console.staff_commands import CommandForms, refused_status
from api.console.staff_followup import follow_up
from api.console.staff_ledger import checkpoint_state, proof_download, recorded_by
from api.console.web import render, zh
from api.deps import LedgerDep, RuntimeDep, may
from api.routers import complaints as complaint_routes
from api.routers import public as public_api
from api.routers import queries as query_routes
from api.runtime import Runtime
from domain.complaint import Complaint, Finding
from domain.policy import Policy
from domain.values import ComplaintStatus, CredentialKind, CredentialStatus, Role, china_date
from ledger.access import record_access
from ledger.records import AuxLedger

Reader = Annotated[staff_pages.Staff, staff_pages.admitted(*complaint_routes.READ_ROLES)]
COMPLAINTS = staff_pages.section(
    "/console/complaints", "投诉办理", complaint_routes.READ_ROLES, order=20
)
ACTION_LABELS = {
    "acknowledge": "签收",
    "accept": "受理",
    "decline": "不予受理",
    "assign": "指派调查人员",
    "record_finding": "记录调查结论",
    "notify_complainant": "告知投诉人处理结果",
    "withdraw": "登记撤回",
    "close": "结案",
    "reopen": "重新办理",
    "request_review": "申请复查",
    "decide_review": "作出复查决定",
    "queue_notification": "排队告知投诉人",
}
"""The Chinese name of each command's form (a command without one shows its own name)."""

FORM_LABELS: dict[str, dict[str, str]] = {
    "request_review": {"reasons": "复查申请理由"},
    "decide_review": {"outcome": "复查结论", "reasons": "复查理由"},
    "queue_notification": {"channel": "告知方式", "text": "告知内容"},
}
"""A command's own names for fields whose shared name (``FIELD_NAMES``) would mislead."""

HIDDEN_FIELDS: dict[str, frozenset[str]] = {"queue_notification": frozenset({"message_id"})}
"""Fields a form leaves to the server: a queued message's id is made when it is queued."""

FORMS = CommandForms(
    complaint_routes.COMPLAINT,
    complaint_routes.COMMANDS,
    ACTION_LABELS,
    FORM_LABELS,
    HIDDEN_FIELDS,
    what="complaint command",
)
"""Every complaint command as a form, for the roles of its route."""
Handler = Annotated[staff_pages.Staff, staff_pages.admitted(*FORMS.roles)]
"""Every role some complaint command admits: who may reach the command route at all (each
command then admits its own roles)."""


QUEUE_PAGE = 500
"""Complaints read per call while the queue pages through the registry."""

DONE = frozenset({"closed", "withdrawn", "complainant_notified"})
"""What the default queue leaves out: nothing more is due from the office, unless a review
(复查) of the result is pending (``_review_pending``: it stays until decided). A complaint not
accepted stays: the complainant must still be told the decision (Art. 17), on time."""

AWAITING_NOTICE = frozenset({"concluded", "not_accepted"})
"""A result the complainant has not been told yet: the notice is what is due next."""


def _review_pending(row: dict[str, Any]) -> bool:
    """Whether a review (复查) of the complaint's result is asked for and not yet decided."""
    deadlines = row.get("deadlines") or {}
    return bool(deadlines.get("review_due")) and not row.get("review_decided_on")


def _next_due(row: dict[str, Any]) -> str | None:
    """The deadline the complaint is working towards now."""
    deadlines = row.get("deadlines") or {}
    status = row.get("status")
    if status == "received":
        return deadlines.get("acknowledge_due")
    if status in ("acknowledged", "accepted", "under_investigation"):
        return deadlines.get("conclude_due") or deadlines.get("investigator_due")
    if status in AWAITING_NOTICE:
        return deadlines.get("notify_due")
    if _review_pending(row):
        return deadlines.get("review_due")
    return None


OVERDUE_LABELS = {
    "acknowledge": "签收",
    "conclude": "调查办结",
    "notify": "告知结果",
    "review": "复查决定",
}
"""The queue's name of each overdue step (``Deadlines.overdue``): 已逾期：签收."""


STEP_LABELS = {
    "acknowledge": "签收",
    "conclude": "调查办结",
    "notify": "告知投诉人处理结果",
    "review": "作出复查决定",
}
"""The complaint page's name of each step of ``public_api.policy_deadlines``."""

INVESTIGATING = frozenset({ComplaintStatus.accepted, ComplaintStatus.under_investigation})


def deadlines(complaint: Complaint, policy: Policy, today: date) -> list[tuple[str, date, bool]]:
    """The steps still due on the complaint, their last days and whether each has passed:
    the policy's (``policy_deadlines``, the dates the complainant sees on /track), then the
    due date the investigator was given in this round (``Complaint.round_due``: a reopened
    complaint shows none until it is assigned again), while the investigation runs."""
    due = [
        (STEP_LABELS[step], day, today > day)
        for step, day in public_api.policy_deadlines(complaint, policy)
    ]
    given = complaint.round_due
    if given is not None and complaint.status in INVESTIGATING:
        due.append(("调查人员办理期限", given, today > given))
    return due


def finding_rounds(complaint: Complaint) -> dict[int, list[tuple[int, Finding | None]]]:
    """Each allegation's findings by round, the current round's first (None while it has
    none: an earlier round's finding is never shown as the current one), then each earlier
    round's finding, latest first."""
    rounds: dict[int, list[tuple[int, Finding | None]]] = {}
    for allegation in complaint.allegations:
        found = {
            f.round: f
            for f in complaint.finding_history
            if f.allegation_number == allegation.number
        }
        earlier = sorted((n for n in found if n != complaint.round), reverse=True)
        rounds[allegation.number] = [
            (complaint.round, found.get(complaint.round)),
            *((n, found[n]) for n in earlier),
        ]
    return rounds


QUEUE_REASON = staff_pages.ReasonGate(
    key="complaints",
    action="/console/complaints/reason",
    then="/console/complaints",
    subject="投诉登记簿",
    button="查看投诉",
)
"""Where an inspector states why this visit's queue is read."""


@staff_pages.router.post("/complaints/reason")
async def state_queue_reason(request: Request, staff: Reader) -> Response:
    """Keep the reason for this visit's reads of the queue."""
    return await QUEUE_REASON.keep(request, staff)


def _every_row(
    staff: staff_pages.Staff, runtime: Runtime, status: str | None, reason: str | None
) -> list[dict[str, Any]]:
    """Every complaint of the registry (of one status), page after page: the registry lists
    the newest first, so one page alone would leave out the oldest open complaints, which are
    the most overdue. Each page is read, and recorded, as ``GET /v1/complaints`` reads it."""
    rows: dict[str, dict[str, Any]] = {}  # by id: a complaint filed meanwhile shifts pages
    page = 1
    while True:
        result = query_routes.registry(
            actor=staff.actor,
            runtime=runtime,
            status=status,
            page=page,
            page_size=QUEUE_PAGE,
            reason=reason,
        )
        rows.update((str(row["complaint_id"]), row) for row in result["items"])
        if page >= int(result["pages"]):
            return list(rows.values())
        page += 1


@staff_pages.router.get("/complaints", response_class=HTMLResponse)
def queue(
    request: Request, runtime: RuntimeDep, staff: Reader, status: str | None = None
) -> Response:
    """Open complaints by due date, overdue first; or every complaint of one status (an
    inspector: after the reason for this visit, each view recorded)."""
    reason = QUEUE_REASON.kept(staff)
    if staff.actor.role == Role.inspector.value and reason is None:
        return QUEUE_REASON.ask(request)
    refusal: staff_pages.Refusal | None = None
    rows: list[dict[str, Any]] = []
    try:
        rows = _every_row(staff, runtime, status or None, reason)
    except staff_pages.REFUSALS as error:
        refusal = staff_pages.refusal_of(error)
    if not status:
        rows = [r for r in rows if r["status"] not in DONE or _review_pending(r)]
    for row in rows:
        row["next_due"] = _next_due(row)
        row["overdue_steps"] = [OVERDUE_LABELS[step] for step in row["deadlines"]["overdue"]]
    rows.sort(key=lambda r: (not r["deadlines"]["overdue"], r["next_due"] or "9999-12-31"))
    return render(
        request,
        "staff/complaints.html",
        {
            "rows": rows,
            "status": status or "",
            "statuses": list(ComplaintStatus),
            "refusal": refusal,
        },
    )


def offered_forms(
    complaint: Complaint, step: str | None, forms: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], str]:
    """The forms of the commands the complaint's state allows (``FORMS.forms(offered=…)``,
    in the order of the process), the step expected next (``step``) first and marked
    ``next``; and the line saying what the state allows the person: 已签收：可受理、不予受理、
    登记撤回。下一步：受理。, or 已结案：暂无可办理的事项。, and a next step for another role
    with the roles that take it: 下一步：作出复查决定（由督察部门、纪检监察部门办理）。"""
    ordered = sorted(forms, key=lambda form: form["name"] != step)  # stable: the rest in order
    for form in ordered:
        form["next"] = form["name"] == step
    state = zh(complaint.status, "ComplaintStatus")
    if ordered:
        line = f"{state}：可{'、'.join(form['label'] for form in ordered)}。"
    else:
        line = f"{state}：暂无可办理的事项。"
    command = next((c for c in FORMS.commands if c.name == step), None)
    if command is not None and ordered and ordered[0]["next"]:
        line += f"下一步：{FORMS.label(command)}。"
    elif command is not None:
        roles = "、".join(zh(role, "Role") for role in command.roles)
        line += f"下一步：{FORMS.label(command)}（由{roles}办理）。"
    return ordered, line


def subject_label(ledger: AuxLedger, auxiliary_id: UUID) -> str:
    """The auxiliary a complaint names, for the complaints office (which reads no dossier):
    the name, as its queue names them (``GET /v1/complaints``, which records no access for the
    office: neither the name nor the work ID is a field ``api.personal`` withholds from it),
    and the work ID it was issued, the one in force if any: 李明（工作证号 NTFJ0602000001）."""
    auxiliary = ledger.auxiliary(auxiliary_id)
    work_ids = [c for c in auxiliary.credentials if c.kind is CredentialKind.work_id]
    work_ids.sort(key=lambda c: (c.status is CredentialStatus.active, c.issued_on))
    return f"{auxiliary.name}（工作证号 {work_ids[-1].serial}）" if work_ids else auxiliary.name


def named_fields(
    entry: dict[str, Any], names: OrganNames, auxiliary_id: UUID | None, subject: str | None
) -> None:
    """An entry of the history as the page names things: 责任归属 by the organ's and unit's
    names (the page's ``names``, which reads each organ once), as the facts show it; the
    complaint's auxiliary by the ``subject`` label where the page has it (被投诉辅警：李明（工作证号
    …）), else by the record id it is (辅警记录编号)."""
    fields = entry.get("fields")
    if not isinstance(fields, dict):
        return
    named: dict[str, Any] = {}
    for name, value in fields.items():
        if name == "responsibility" and isinstance(value, dict) and value.get("organ"):
            organ, unit = names.attribution(str(value["organ"]), value.get("unit"))
            parts = [organ, unit]
            if value.get("supervisor_name"):
                parts.append(f"带辅民警 {value['supervisor_name']}")
            named[name] = " / ".join(p for p in parts if p)
        elif name == "auxiliary_id" and subject and str(value) == str(auxiliary_id):
            named["auxiliary"] = subject
        else:
            named[name] = value
    entry["fields"] = named


def _reason(staff: staff_pages.Staff, complaint_id: UUID) -> str | None:
    return staff.session.reason_for(f"complaint:{complaint_id}", time.monotonic())


def _complaint_page(
    request: Request,
    complaint_id: UUID,
    runtime: Runtime,
    ledger: Any,
    staff: staff_pages.Staff,
    *,
    refusal: staff_pages.Refusal | None = None,
    failed: str | None = None,
    typed: Mapping[str, Sequence[str]] | None = None,
    status_code: int = 200,
) -> Response:
    actor = staff.actor
    # 404 outside the scope; below: an oversight read of an organ below (issue 13).
    complaint, below = complaint_routes.readable_complaint(complaint_id, actor, ledger, runtime)
    reason = _reason(staff, complaint_id)
    if (actor.role == Role.inspector.value or below) and reason is None:
        return render(
            request,
            "staff/reason.html",
            {"action": f"/console/complaints/{complaint_id}/reason"},
        )
    record, clear = complaint_routes.complaint_view(complaint, actor, reason)
    history, in_clear = query_routes.complaint_history_view(
        complaint_id, actor, runtime, reason, organ=complaint.organ if below else None
    )
    # One access record for the page, with every field it shows in clear, before it is shown.
    record_access(
        ledger,
        actor,
        record_type="complaint",
        record_id=complaint_id,
        fields=sorted(set(clear) | set(in_clear)),
        reason=reason,
        purpose="GET /console/complaints/{complaint_id}",
        overseen=below,
    )
    subject = None
    if actor.role == Role.complaints.value and record.auxiliary_id is not None:
        subject = subject_label(ledger, record.auxiliary_id)
    names: OrganNames = request.state.page["names"]  # the page's, as its header uses
    for entry in history["entries"]:
        entry["recorded_by"] = recorded_by(runtime, entry.get("actor"))
        named_fields(entry, names, record.auxiliary_id, subject)
    today = china_date(datetime.now(tz=UTC))
    allowed = complaint.open_commands(today, ledger.policy)
    forms, forms_line = offered_forms(
        complaint,
        complaint.next_step(today, ledger.policy),
        FORMS.forms(actor, below=below, failed=failed, typed=typed, offered=allowed),
    )
    handles = may(actor, FORMS.roles) and not below  # a role some complaint command admits
    return render(
        request,
        "staff/complaint.html",
        {
            "complaint_id": complaint_id,
            "record": record,
            "finding_rounds": finding_rounds(complaint),
            "history": history["entries"],
            "forms": forms,
            "forms_hint": forms_line if handles and forms else None,
            "nothing_to_do": forms_line if handles and not forms else None,
            "refused_form_shown": any(form["open"] for form in forms),
            "refusal": refusal,
            "done": request.query_params.get("done"),
            "today": today.isoformat(),
            "deadlines": deadlines(complaint, ledger.policy, today),
            "action_labels": ACTION_LABELS,
            "checkpoint": checkpoint_state(runtime),
            "may_match": may(actor, complaint_routes.COMMAND_ROLES)
            and not below
            and "match_subject" in allowed,
            "followup": follow_up(complaint, today),
            "subject": subject,
        },
        status_code=status_code,
    )


@staff_pages.router.get("/complaints/{complaint_id}", response_class=HTMLResponse)
def complaint_page(
    request: Request,
    complaint_id: UUID,
    runtime: RuntimeDep,
    ledger: LedgerDep,
    staff: Reader,
    done: str | None = None,
) -> Response:
    """One complaint: record, allegations and findings, history, and the office's forms."""
    return _complaint_page(request, complaint_id, runtime, ledger, staff)


@staff_pages.router.get("/complaints/{complaint_id}/proof/{version}.json")
def event_proof(
    request: Request,
    complaint_id: UUID,
    version: int,
    runtime: RuntimeDep,
    ledger: LedgerDep,
    staff: Reader,
) -> Response:
    """One event of the complaint's history: its inclusion proof, as a JSON download. A
    complaint of an organ below is read as its page is: with the visit's reason (else the
    reason form) and recorded, once the proof was found."""
    _, below = complaint_routes.readable_complaint(complaint_id, staff.actor, ledger, runtime)
    if not below:
        return proof_download(runtime, complaint_id, version)
    reason = _reason(staff, complaint_id)
    if reason is None:
        return render(
            request, "staff/reason.html", {"action": f"/console/complaints/{complaint_id}/reason"}
        )
    answer = proof_download(runtime, complaint_id, version)  # 404 first: nothing recorded
    record_access(
        ledger,
        staff.actor,
        record_type="complaint",
        record_id=complaint_id,
        fields=(),
        reason=reason,
        purpose="GET /console/complaints/{complaint_id}/proof/{version}.json",
        overseen=True,
    )
    return answer


@staff_pages.router.post("/complaints/{complaint_id}/reason")
async def state_reason(
    request: Request, complaint_id: UUID, runtime: RuntimeDep, ledger: LedgerDep, staff: Reader
) -> Response:
    """An inspector's (or an oversight token's) reason for reading this complaint, kept for
    the visit."""
    complaint_routes.readable_complaint(complaint_id, staff.actor, ledger, runtime)
    return await staff_pages.ReasonGate(
        key=f"complaint:{complaint_id}",
        action=f"/console/complaints/{complaint_id}/reason",
        then=f"/console/complaints/{complaint_id}",
    ).keep(request, staff)


@staff_pages.router.post("/complaints/{complaint_id}/{slug}", response_class=HTMLResponse)
async def command(
    request: Request,
    complaint_id: UUID,
    slug: str,
    runtime: RuntimeDep,
    ledger: LedgerDep,
    staff: Handler,
) -> Response:
    """One command from its form: CSRF first, then the body model, then the domain; a
    refused form comes back as typed."""
    fields = await staff_pages.checked_form(request, staff)
    done = FORMS.send(
        staff,
        ledger,
        complaint_id,
        slug,
        fields,
        admit=lambda: complaint_routes.scoped_complaint(complaint_id, staff.actor, ledger),
    )
    if not isinstance(done, staff_pages.Refusal):
        return staff_pages.see_other(f"/console/complaints/{complaint_id}?done={done.name}")
    return _complaint_page(
        request,
        complaint_id,
        runtime,
        ledger,
        staff,
        refusal=done,
        failed=slug,
        typed=fields,
        status_code=refused_status(done),
    )
