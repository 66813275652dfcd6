"""Public endpoints without credentials: complaint intake and tracking, credential checks.

Intake (Art. 17): anyone may complain about an auxiliary named by work ID or by name and
unit. The complaint is recorded by the actor ``public-intake`` of the auxiliary's organ; the
answer is a signed receipt (``api.receipts``). ``Idempotency-Key`` makes retries safe: the
same key and body from the same client return the same receipt and record nothing new.

The intake is no oracle of names and units: the request's own fields are checked before the
auxiliary is looked up, and every failure to find the one auxiliary meant answers alike
(``_file``).

Tracking (``GET /v1/complaints/track/{code}``, or ``POST /v1/complaints/track`` with the code
in the body, kept out of URLs and so out of access logs; the same answer and errors): a code
is found in the instant after its receipt was answered. A miss in the read model waits (at
most ``AUXLEDGER_READ_AFTER_WAIT_SECONDS``) for the complainant projection to reach the log
head before it answers not-found (``_complaint_of_code``); looking never writes.
"""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Path, Request, Response, status
from fastapi.concurrency import run_in_threadpool

from api import tracking_code as codes
from api.deps import (
    LedgerDep,
    RuntimeDep,
    admit_client,
    client_address,
    limit_credential_checks,
    refuse_waiting,
)
from api.jsonbody import StrictJsonRoute
from api.problems import ApiProblem
from api.receipts import (
    IntakeIdentity,
    canonical_json,
    code_matches,
    intake_identity,
    leaf_hash_of,
    receipt_fields,
    sign_receipt,
    tracking_hash,
)
from api.routers.common import PUBLIC_ERRORS, errors
from api.runtime import Runtime
from api.schemas import complaints as s
from api.schemas.common import ProblemPublic, normal_work_id
from domain.commands.complaint import ReceiveComplaint
from domain.complaint import Complaint, check_intake
from domain.errors import DomainError, NoResponsibilityError
from domain.policy import Policy
from domain.values import Actor, ComplaintChannel, Role, china_date
from ledger.errors import LedgerError, NotFoundError
from ledger.record import SignedRecord, parse_record
from ledger.records import AuxLedger, Envelope, Recorded
from projections.complainant import ComplainantProjection, complaint_of_hash
from projections.replica import read_after

router = APIRouter(tags=["public"], route_class=StrictJsonRoute)

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        pattern=r"^[\x21-\x7e]+$",
        description="Any unique printable ASCII string per complaint: a retry with the same key "
        "and body returns the same receipt and records nothing new",
    ),
]


def _intake_record(ledger: AuxLedger, complaint_id: UUID) -> SignedRecord:
    """The checked signed record of a complaint's intake event (version 1)."""
    rows = ledger.recorder.select_events(complaint_id, lte=1, limit=1)
    if not rows:
        raise NotFoundError(f"no complaint {complaint_id}")
    verifier = ledger.record_mapper.verifier
    assert verifier is not None
    return verifier.check(rows[0])


def _receipt(
    ledger: AuxLedger,
    complaint_id: UUID,
    recorded_at: datetime,
    tracking_code: str,
    stored: bytes | None = None,
) -> s.ReceiptPublic:
    """Build (or rebuild, identically) the signed receipt of an intake.

    ``stored`` is the record the intake just wrote (no re-read); a replay reads it back.
    """
    record = parse_record(stored) if stored else _intake_record(ledger, complaint_id)
    signer = ledger.active_signer()
    fields = receipt_fields(
        complaint_id=complaint_id,
        tracking_code=tracking_code,
        record=record,
        recorded_at=recorded_at,
        key_id=signer.public.key_id_hex,
    )
    return s.ReceiptPublic.model_validate({**fields, "signature": sign_receipt(fields, signer)})


def _not_found(body: s.ComplaintCreate) -> ApiProblem:
    """The one answer to every failure to find the auxiliary meant.

    No such work ID or name, several of that name, not employed on the incident date: all
    answer alike, so the public cannot tell a real name and unit (or work ID) from a wrong
    one by the error.
    """
    if body.work_id is not None:
        return ApiProblem(
            "unknown_auxiliary",
            "no auxiliary holding this work ID served on the incident date: check the number "
            "and the date",
        )
    return ApiProblem(
        "unknown_auxiliary",
        "no single auxiliary of this name served in this unit on the incident date: check the "
        "name, the unit and the date, or give the work ID number",
    )


def _find_auxiliary(runtime: Runtime, body: s.ComplaintCreate) -> tuple[UUID, str]:
    directory = runtime.directory()
    if body.work_id is not None:
        found = directory.by_work_id(body.work_id)
        if found is None:
            raise _not_found(body)
        return found.auxiliary_id, found.organ
    assert body.auxiliary_name is not None and body.unit is not None
    matches = directory.by_name(body.auxiliary_name, body.unit, china_date(body.incident_at))
    if len(matches) != 1:
        raise _not_found(body)
    return matches[0].auxiliary_id, matches[0].organ


def _check_own_fields(body: s.ComplaintCreate) -> None:
    """Refuse the request's own fields (dates, lengths, characters) before any lookup."""
    now = datetime.now(tz=UTC)
    check_intake(
        at=now,
        effective=china_date(now),
        incident_at=body.incident_at,
        incident_place=body.incident_place,
        allegations=body.allegations,
        complainant_name=body.complainant_name,
        complainant_phone=body.complainant_phone,
        complainant_resident_id=body.complainant_resident_id,
        complainant_address=body.complainant_address,
        contact_text=body.contact_text,
    )


@router.post(
    "/v1/complaints",
    status_code=status.HTTP_201_CREATED,
    response_model=s.ReceiptPublic,
    summary="File a complaint about an auxiliary (Art. 17): no credentials needed",
    responses={
        **errors(*PUBLIC_ERRORS, 409),
        429: {"description": "Too many requests from this client", "model": ProblemPublic},
    },
)
async def file_complaint(
    body: s.ComplaintCreate,
    request: Request,
    runtime: RuntimeDep,
    ledger: LedgerDep,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """201 with a signed receipt; the tracking code in it is shown only this once.

    A coroutine with one explicit hop to the thread pool for the part that reaches the
    database: a plain ``def`` endpoint would hop there twice (FastAPI also validates a plain
    endpoint's return value in the pool). The receipt is validated once, when it is built.
    """
    client = admit_client(request, runtime.intake_limiter, "filed too many complaints")
    identity = intake_identity(
        runtime.secret,
        client=client,
        idempotency_key=idempotency_key,
        body=canonical_json(body.model_dump(mode="json")),
    )
    receipt, replayed = await run_in_threadpool(_file, runtime, ledger, body, identity)
    return Response(
        receipt.model_dump_json(),
        status_code=status.HTTP_201_CREATED,
        media_type="application/json",
        headers={"Idempotent-Replayed": "true"} if replayed else None,
    )


def _file(
    runtime: Runtime, ledger: AuxLedger, body: s.ComplaintCreate, identity: IntakeIdentity
) -> tuple[s.ReceiptPublic, bool]:
    """Record the intake (or find the one this retry repeats): its receipt, and if replayed.

    Answers as if checked in this order, so that no answer depends on whether the auxiliary
    named exists unless every other check passed: the request's own fields; a retry under an
    Idempotency-Key (found by the complaint id the key gives, not by the auxiliary); the
    lookup, whose failures and the auxiliary's not being employed on the incident date answer
    alike. The retry is looked for only when the intake fails, not before every intake (a
    read less on the usual path): a retry's insert meets the complaint the key's id names,
    and any other failure -- the lookup, the auxiliary's state since -- asks whether that
    complaint exists before it answers. Either way a retry gets the recorded receipt.
    """
    _check_own_fields(body)
    try:
        recorded = _record(runtime, ledger, body, identity)
    except (ApiProblem, DomainError, LedgerError):
        # A retry's insert fails with ConcurrencyConflictError (the key's complaint id is
        # taken); _replay refuses the key's reuse with another body. Without a key, a clash
        # of random ids (or any failure) is answered as it is: the client may simply retry.
        if identity.idempotent and ledger.exists(identity.complaint_id):
            return _replay(ledger, identity.complaint_id, identity.tracking_code), True
        raise
    runtime.metrics.appended(recorded.topic)
    receipt = _receipt(
        ledger,
        identity.complaint_id,
        recorded.recorded_at,
        identity.tracking_code,
        stored=recorded.record,
    )
    return receipt, False


def _record(
    runtime: Runtime, ledger: AuxLedger, body: s.ComplaintCreate, identity: IntakeIdentity
) -> Recorded:
    """Find the auxiliary and record the intake under the identity's complaint id."""
    auxiliary_id, organ = _find_auxiliary(runtime, body)
    actor = Actor(actor_id="public-intake", role=Role.public.value, organ=organ, unit=None)
    try:
        return ledger.receive_complaint(
            ReceiveComplaint(
                auxiliary_id=auxiliary_id,
                channel=ComplaintChannel.online.value,
                incident_at=body.incident_at,
                incident_place=body.incident_place,
                allegations=body.allegations,
                complainant_name=body.complainant_name,
                complainant_phone=body.complainant_phone,
                complainant_resident_id=body.complainant_resident_id,
                complainant_address=body.complainant_address,
                contact_text=body.contact_text,
                tracking_hash=tracking_hash(identity.tracking_code),
                complaint_id=identity.complaint_id,
            ),
            Envelope(actor),
        )
    except (NoResponsibilityError, NotFoundError):
        # Not employed on the incident date, or gone from the ledger since the directory
        # (a read model) last saw it: to the public, the same as no such auxiliary.
        raise _not_found(body) from None


def _replay(ledger: AuxLedger, complaint_id: UUID, tracking_code: str) -> s.ReceiptPublic:
    """The receipt of an intake already recorded under this key, if the body is the same."""
    complaint = ledger.complaint(complaint_id)
    if not code_matches(tracking_code, complaint.tracking_hash):
        raise ApiProblem(
            "idempotency_key_reused",
            "this Idempotency-Key was used for a different complaint; use a new key",
        )
    return _receipt(ledger, complaint.id, complaint.created_on, tracking_code)


TrackingCode = Annotated[str, Path(max_length=80)]


TOO_MANY_MISSES = "looked up too many tracking codes that name no complaint"


def tracked_complaint(runtime: Runtime, ledger: AuxLedger, code: str, client: str) -> Complaint:
    """The complaint a tracking code names, checked against its stored hash.

    A wrong check symbol is its own answer, before any lookup; anything else that does not
    find the complaint answers alike (``not_found``). A code of the current format is found
    through the complainant read model's index of hashes (waiting for it to catch up on a
    miss, ``_complaint_of_code``), a legacy code by the id it holds.

    Each such miss takes a token of the ``client``'s bucket of public lookups (the work-ID
    checks' limiter); a client with none left is refused (429) before any lookup or wait. A
    complainant following a code that is found is never limited; a client trying codes is.
    """
    limiter = runtime.checks_limiter
    refuse_waiting(limiter.waiting(client), TOO_MANY_MISSES)
    try:
        return _complaint_of_tracking_code(runtime, ledger, code)
    except ApiProblem:
        limiter.take(client)
        raise


def _complaint_of_tracking_code(runtime: Runtime, ledger: AuxLedger, code: str) -> Complaint:
    not_found = ApiProblem("not_found", "no complaint has this tracking code")
    try:
        parsed = codes.parse(code)
    except codes.TrackingCheckError:
        raise ApiProblem("tracking_code_check", codes.TrackingCheckError.MESSAGE) from None
    except codes.TrackingCodeError:
        raise not_found from None
    complaint_id = parsed.legacy_id
    if complaint_id is None:
        complaint_id = _complaint_of_code(runtime, tracking_hash(parsed.canonical))
    if complaint_id is None:
        raise not_found
    try:
        complaint = ledger.complaint(complaint_id)
    except NotFoundError:
        raise not_found from None
    if not code_matches(code, complaint.tracking_hash):
        raise not_found
    return complaint


def _complaint_of_code(runtime: Runtime, hashed: str) -> UUID | None:
    """The complaint whose intake stored this hash, also in the instant after its filing.

    The index of hashes is a read model (``rm_tracking``), so a code handed out a moment ago
    may not be in it yet. A miss is therefore looked up once more after the complainant
    projection has applied the log up to the head read now (which covers every intake that
    had answered its receipt), waiting at most ``AUXLEDGER_READ_AFTER_WAIT_SECONDS``; with a
    read replica that second read is made under ``read_after(head)``, so it goes to the
    replica only once the replica has it too (``projections.replica``). While the read models
    are caught up (the usual case) a miss costs two small reads and no wait.
    """
    models = runtime.read_models()
    found = complaint_of_hash(models, hashed)
    if found is not None:
        return found
    head = runtime.write_position()
    models.reach(head, (ComplainantProjection.name,), timeout=runtime.settings.read_after_wait)
    with read_after(head):
        return complaint_of_hash(models, hashed)


_STEPS_ZH = {
    "acknowledge": "签收",
    "conclude": "调查办结",
    "notify": "告知结果",
    "review": "作出复查意见",
}
"""The API's Chinese name of each step of ``policy_deadlines``."""


def policy_deadlines(complaint: Complaint, policy: Policy) -> list[tuple[str, date]]:
    """The steps still due and their last days under the policy, in order: ``acknowledge``
    (counted from the receipt), ``conclude`` (from the receipt, or in a later round from the
    reopening), ``notify`` (from the round's result), ``review`` (the review's due date, set
    by the policy when it was asked for).

    The one source of the public's deadlines, for the API and the /track page alike, and
    the rule the staff queue follows too: ``Complaint.steps_due``, that is
    ``domain.policy.ComplaintPolicy.steps_due``. Never an internal date: the due date an
    investigator was given is the office's planning, and may lie past the policy's limit.
    """
    return list(complaint.steps_due(policy))


def _expected(complaint: Complaint, policy: Policy) -> list[s.ExpectedDatePublic]:
    """The steps still due and their days under the policy (``policy_deadlines``)."""
    return [
        s.ExpectedDatePublic(step=_STEPS_ZH[step], due=due)
        for step, due in policy_deadlines(complaint, policy)
    ]


@router.get(
    "/v1/complaints/track/{tracking_code}",
    summary="Where a complaint stands, with the proof that it was recorded",
    responses=errors(*PUBLIC_ERRORS),
)
def track_complaint(
    tracking_code: TrackingCode,
    request: Request,
    ledger: LedgerDep,
    runtime: RuntimeDep,
) -> s.ComplaintTrackPublic:
    """Status and the days the next steps are due (in Chinese), the result once the
    complainant was told it, the review (复查) and until when one may be asked for, and the
    intake's inclusion proof. The code may be typed in any case, with or without hyphens.
    Codes that name no complaint are limited per client (``tracked_complaint``)."""
    complaint = tracked_complaint(runtime, ledger, tracking_code, client_address(request))
    return track_view(ledger, runtime, complaint)


@router.post(
    "/v1/complaints/track",
    summary="Where a complaint stands, the tracking code sent in the body (not in a URL)",
    responses=errors(*PUBLIC_ERRORS),
)
def track_complaint_by_body(
    body: s.TrackRequestPublic,
    request: Request,
    ledger: LedgerDep,
    runtime: RuntimeDep,
) -> s.ComplaintTrackPublic:
    """The answer of ``GET /v1/complaints/track/{tracking_code}``, with the same errors and
    limits, for a code sent as ``{"tracking_code": "..."}``: a URL is written to access logs
    (a proxy's, a browser's history), a body is not. Looking records nothing (a POST only
    because a GET carries no body)."""
    complaint = tracked_complaint(runtime, ledger, body.tracking_code, client_address(request))
    return track_view(ledger, runtime, complaint)


def track_view(ledger: AuxLedger, runtime: Runtime, complaint: Complaint) -> s.ComplaintTrackPublic:
    """What the holder of the tracking code sees (the API and the public console page)."""
    result = None
    if complaint.notified_on is not None and complaint.notifications:
        told = complaint.notifications[-1]
        result = s.ComplaintResultPublic(
            notified_on=told.notified_on,
            method=told.method,
            summary=told.summary,
            findings=[
                s.FindingPublic(allegation_number=n, result=f.result)
                for n, f in sorted(complaint.findings.items())
            ],
        )
    review = complaint.review
    until = complaint.review_request_until(ledger.policy)
    today = china_date(datetime.now(tz=UTC))
    return s.ComplaintTrackPublic(
        complaint_id=complaint.id,
        status=complaint.status,
        status_zh=complaint.status.label_zh,
        received_on=complaint.received_on,
        expected=_expected(complaint, ledger.policy),
        result=result,
        review=None
        if review is None
        else s.ReviewPublic(
            requested_on=review.requested_on,
            due=review.due,
            outcome=review.outcome,
            outcome_zh=review.outcome.label_zh if review.outcome else None,
            decided_on=review.decided_on,
        ),
        review_until=until if until is not None and today <= until else None,
        inclusion=_inclusion(ledger, runtime, complaint),
    )


@router.post(
    "/v1/complaints/track/{tracking_code}/review",
    status_code=status.HTTP_201_CREATED,
    summary="Ask for a review (复查) of the result you were told: the tracking code is the key",
    responses={
        **errors(*PUBLIC_ERRORS, 409),
        429: {"description": "Too many requests from this client", "model": ProblemPublic},
    },
)
def request_review(
    tracking_code: TrackingCode,
    body: s.ReviewRequestPublic,
    request: Request,
    ledger: LedgerDep,
    runtime: RuntimeDep,
) -> s.ComplaintTrackPublic:
    """Records ``ReviewRequested`` by the public intake of the complaint's organ; answers
    where the complaint stands now (the review and its due date)."""
    client = admit_client(request, runtime.intake_limiter, "made too many requests")
    return track_view(ledger, runtime, ask_review(runtime, ledger, tracking_code, body, client))


def ask_review(
    runtime: Runtime, ledger: AuxLedger, code: str, body: s.ReviewRequestPublic, client: str
) -> Complaint:
    """Record the review request of the complaint this code names (the public intake of its
    organ acts); the complaint as it stands after it."""
    complaint = tracked_complaint(runtime, ledger, code, client)
    actor = Actor(
        actor_id="public-intake", role=Role.public.value, organ=complaint.organ, unit=None
    )
    recorded = ledger.command_complaint(
        complaint.id, body.command(), Envelope(actor, expected_version=complaint.version)
    )
    runtime.metrics.appended(recorded.topic)
    return ledger.complaint(complaint.id)


def _inclusion(
    ledger: AuxLedger, runtime: Runtime, complaint: Complaint
) -> s.InclusionPublic | None:
    log = runtime.log()
    checkpoint = log.latest_checkpoint()
    index = log.position_of_event(complaint.id, 1)
    if checkpoint is None or index is None or index >= checkpoint.tree_size:
        return None
    record = _intake_record(ledger, complaint.id)
    hashes = log.inclusion_proof(index, checkpoint.tree_size)
    return s.InclusionPublic(
        leaf_index=index,
        tree_size=checkpoint.tree_size,
        leaf_hash=leaf_hash_of(record),
        hashes=[base64.b64encode(h).decode("ascii") for h in hashes],
        checkpoint=checkpoint.note,
    )


@router.get(
    "/v1/credentials/{work_id}",
    summary="Is this work ID genuine and active? (Art. 12)",
    responses=errors(*PUBLIC_ERRORS),
    dependencies=[Depends(limit_credential_checks)],
)
def check_credential(
    work_id: Annotated[str, Path(pattern=r"^[A-Za-z0-9._:-]{1,64}$")],
    runtime: RuntimeDep,
) -> s.CredentialCheckPublic:
    """``genuine``: the organ issued it; ``active``: it is valid and its holder employed.
    The work ID may be typed in any case (it is read in capitals, as issued)."""
    check = runtime.directory().credential(normal_work_id(work_id))
    return s.CredentialCheckPublic(
        work_id=check.work_id,
        genuine=check.genuine,
        active=check.active,
        status=check.status,
        organ=check.organ,
    )
