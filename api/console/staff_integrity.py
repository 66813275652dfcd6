"""The integrity page (auditors, administrators): the latest checkpoint and tree size, the
signing keys and their status, and the latest verification's result and when it ran.

The keys are ``GET /v1/ledger/keys``, the checkpoint ``GET /v1/ledger/checkpoint`` (checked
here against the keys and the log's root); running a verification is ``GET
/v1/ledger/verification``, for the roles that route admits (auditors), from a CSRF-checked
form. The latest result is the one ``auxledger verify`` or that route left beside the
witness (``ledger.verification_record``); it is the whole ledger's state, which the API
tells only the admins and auditors of the organ that runs the ledger (``/v1/ledger/
verification``, ``/readyz``'s details, ``/metrics``), so the page shows it to them only.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from api.console.staff import Staff, admitted, checked_form, router, section, see_other
from api.console.staff_ledger import checkpoint_state
from api.console.web import render
from api.deps import LedgerDep, RuntimeDep, may, of_ledger_organ, require_ledger_organ
from api.routers import ledger as ledger_routes
from domain.values import Role
from ledger.verification_record import latest
from ledger.verify import Witness

INTEGRITY_ROLES = (Role.auditor, Role.admin)
Reader = Annotated[Staff, admitted(*INTEGRITY_ROLES)]
INTEGRITY = section("/console/integrity", "完整性", INTEGRITY_ROLES, order=40)
KEY_STATUS = {"active": "使用中", "retired": "已停用", "revoked": "已吊销", "created": "待启用"}


@router.get("/integrity", response_class=HTMLResponse)
def integrity_page(
    request: Request, runtime: RuntimeDep, ledger: LedgerDep, staff: Reader
) -> Response:
    """Checkpoint, keys, the latest verification (the ledger organ's operators only)."""
    operator = of_ledger_organ(runtime, staff.actor)
    return render(
        request,
        "staff/integrity.html",
        {
            "checkpoint": checkpoint_state(runtime),
            "keys": ledger_routes.keys(ledger),
            "key_status": KEY_STATUS,
            "ledger_organ": operator,
            "latest": latest(runtime.settings.ledger.witness_dir) if operator else None,
            "may_verify": may(staff.actor, ledger_routes.VERIFICATION_ROLES) and operator,
        },
    )


@router.post("/integrity/verify")
async def verify_now(
    request: Request, runtime: RuntimeDep, ledger: LedgerDep, staff: Reader
) -> Response:
    """Run an incremental verification now (the API route's own call)."""
    await checked_form(request, staff)
    require_ledger_organ(
        runtime,
        staff.actor,
        ledger_routes.VERIFICATION_ROLES,
        what="verifying the whole ledger",
        otherwise="run `auxledger verify` on the server",
    )
    # Incremental from the server's witnessed checkpoint; with none yet, the whole ledger
    # (the API's route refuses incremental then: 409 ``no_witness``, "ask for mode=full").
    witnessed = Witness(runtime.settings.ledger.witness_dir).load() is not None
    ledger_routes.verification(
        actor=staff.actor,
        ledger=ledger,
        runtime=runtime,
        mode="incremental" if witnessed else "full",
    )
    return see_other("/console/integrity")
