"""Every route × every role (plus no token, revoked, expired, wrong organ, wrong unit).

The table below is the regulation's division of powers written out by hand (Art. 5, 7-19):
it is the expectation, not a copy of the code's role lists. An admitted role sends a probe
that passes authentication and scope and then fails validation (``{"effective": "bogus"}``
→ 422), or reads (200), so the probe proves the gate let it through without changing
anything; a refused role gets 403; a record of another organ (or unit) is not found (404),
an organ-level resource of another organ is 403.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.api.conftest import ORGAN, ROLES, World, problem

STAFF = frozenset(ROLES) - {"auditor"}
REPORTERS = {"inspector", "personnel", "discipline"}
FIGURE_READERS = REPORTERS | {"establishment"}  # counts and sums, no person in them
COMPLAINT_READERS = {"complaints", "inspector", "discipline"}
BOGUS = {"effective": "bogus"}


@dataclass(frozen=True)
class Route:
    """One route's expectations."""

    method: str
    path: str
    roles: frozenset[str] | None  # None: public
    admitted: int  # status for an admitted role (or anyone, if public)
    other_organ: int = 404  # status for an admitted role of another organ
    other_unit: int | None = None  # status for the unit role of another unit (if admitted)


def _r(
    method: str, path: str, roles: set[str] | frozenset[str] | None, admitted: int, **kw: int
) -> Route:
    return Route(method, path, None if roles is None else frozenset(roles), admitted, **kw)


AUX = "/v1/auxiliaries/{auxiliary_id}"
CMP = "/v1/complaints/{complaint_id}"
P, U, D = {"personnel"}, {"unit", "personnel"}, {"discipline"}

ROUTES: tuple[Route, ...] = (
    # public (Art. 12, 17)
    _r("POST", "/v1/complaints", None, 422),
    _r("POST", "/v1/complaints/track", None, 422),
    _r("GET", "/v1/complaints/track/{tracking_code}", None, 404),
    _r("POST", "/v1/complaints/track/{tracking_code}/review", None, 422),
    _r("GET", "/v1/credentials/{work_id}", None, 200),
    _r("GET", "/v1/ledger/checkpoint", None, 200),
    _r("GET", "/v1/ledger/keys", None, 200),
    _r("GET", "/v1/ledger/proof/inclusion", None, 200),
    _r("GET", "/v1/ledger/proof/consistency", None, 200),
    _r("GET", "/healthz", None, 200),
    _r("GET", "/readyz", None, 200),
    # operations that concern every organ (the ledger organ's)
    _r("GET", "/metrics", {"admin", "auditor"}, 200, other_organ=403),
    # auditors
    _r("GET", "/v1/ledger/entries", {"auditor"}, 200, other_organ=403),
    _r("GET", "/v1/ledger/verification", {"auditor"}, 200, other_organ=403),
    # organs, quotas (Art. 4, 5, 10), pay (Art. 7)
    _r("POST", "/v1/organs", {"admin", "establishment"}, 422, other_organ=422),
    _r("GET", "/v1/organs/{code}", STAFF, 200, other_organ=403, other_unit=200),
    _r(
        "POST",
        "/v1/organs/{code}/units",
        {"admin", "establishment", "personnel"},
        422,
        other_organ=403,
    ),
    _r("POST", "/v1/organs/{code}/quota", {"establishment"}, 422, other_organ=403),
    _r("POST", "/v1/organs/{code}/quota-adjustments", {"establishment"}, 422, other_organ=403),
    _r("PUT", "/v1/organs/{code}/pay-schedules/{year}", P, 422, other_organ=403),
    _r("PUT", "/v1/organs/{code}/parent", {"admin", "establishment"}, 422, other_organ=403),
    _r("POST", "/v1/average-wages", {"personnel", "establishment"}, 422, other_organ=422),
    # auxiliaries (Art. 8-18)
    _r("POST", "/v1/auxiliaries", P, 422, other_organ=422),
    _r("POST", "/v1/auxiliaries/lookup", {"personnel", "inspector"}, 422, other_organ=422),
    _r("GET", AUX, {"personnel", "unit", "discipline", "inspector"}, 200, other_unit=404),
    _r("POST", AUX + "/correct", P, 422),
    _r("POST", AUX + "/renew-contract", P, 422),
    _r("POST", AUX + "/change-post", P, 422),
    _r("POST", AUX + "/transfer", P, 422),
    _r("POST", AUX + "/assign-supervisor", U, 422, other_unit=404),
    _r("POST", AUX + "/release-supervisor", U, 422, other_unit=404),
    _r("POST", AUX + "/evaluate", P, 422),
    _r("POST", AUX + "/change-level", P, 422),
    _r("POST", AUX + "/issue-credential", P, 422),
    _r("POST", AUX + "/revoke-credential", P, 422),
    _r("POST", AUX + "/return-credential", P, 422),
    _r("POST", AUX + "/enrol-insurance", P, 422),
    _r("POST", AUX + "/record-health-check", P, 422),
    _r("POST", AUX + "/record-duty-injury", U, 422, other_unit=404),  # Art. 14
    _r("POST", AUX + "/advance-cost", P, 422),
    _r("POST", AUX + "/record-infringement", U, 422, other_unit=404),  # Art. 15
    _r("POST", AUX + "/commend", P, 422),
    _r("POST", AUX + "/hear-statement", D, 422),
    _r("POST", AUX + "/waive-statement", D, 422),
    _r("POST", AUX + "/impose-sanction", D, 422),
    _r("POST", AUX + "/appeal-sanction", D, 422),
    _r("POST", AUX + "/decide-appeal", {"inspector"}, 422),
    _r("POST", AUX + "/revoke-sanction", D, 422),
    _r("POST", AUX + "/reinstate", D, 422),
    _r("POST", AUX + "/refer-for-prosecution", D, 422),
    _r("POST", AUX + "/record-referral-outcome", D, 422),
    _r("POST", AUX + "/return-to-agency", P, 422),
    _r("POST", AUX + "/separate", P, 422),
    _r("POST", AUX + "/start-probation", P, 422),
    _r("POST", AUX + "/complete-probation", P, 422),
    _r("POST", AUX + "/record-training", P, 422),
    _r("POST", AUX + "/start-leave", U, 422, other_unit=404),
    _r("POST", AUX + "/end-leave", U, 422, other_unit=404),
    _r("POST", AUX + "/place-legal-hold", {"discipline", "inspector", "admin"}, 422),
    _r("POST", AUX + "/release-legal-hold", {"discipline", "inspector", "admin"}, 422),
    _r("GET", AUX + "/legal-holds", {"personnel", "discipline", "inspector", "admin"}, 200),
    # queries and reports (read models)
    _r(
        "GET",
        "/v1/auxiliaries",
        {"personnel", "inspector", "unit"},
        200,
        other_organ=200,
        other_unit=200,
    ),
    _r("GET", AUX + "/timeline", {"personnel", "inspector"}, 200),
    # the Art. 18 file: who decides (discipline), reviews appeals (inspector), keeps the record
    _r("GET", AUX + "/discipline", {"discipline", "inspector", "personnel"}, 200),
    _r("GET", AUX + "/as-of", {"personnel", "inspector", "discipline"}, 200),
    _r("GET", AUX + "/responsibility", {"inspector", "complaints", "discipline", "personnel"}, 200),
    _r("GET", "/v1/complaints", {"complaints", "inspector", "discipline"}, 200, other_organ=200),
    _r(
        "GET",
        "/v1/reports/personnel-status",
        {"personnel", "inspector", "unit"},
        200,
        other_organ=200,
        other_unit=200,
    ),
    *(
        _r("GET", f"/v1/reports/{name}", COMPLAINT_READERS, 200, other_organ=200)
        for name in (
            "complaint-registry",
            "complaints-overdue",
            "complaints-not-notified",
            "complaints-unmatched",
            "complaint-findings",
            "complaint-time-to-close",
            "reviews",
            "reviews-due",
        )
    ),
    *(
        _r("GET", f"/v1/reports/{name}", {"inspector", "discipline"}, 200, other_organ=200)
        for name in (
            "accountability-by-unit",
            "accountability-by-supervisor",
            "misconduct-findings",
        )
    ),
    *(
        _r("GET", f"/v1/reports/{name}", FIGURE_READERS, 200, other_organ=200)
        for name in ("quota-use", "level-distribution", "pay-against-wage")
    ),
    *(
        _r("GET", f"/v1/reports/{name}", REPORTERS, 200, other_organ=200)
        for name in (
            "early-warning",
            "commendation-ratio",
            "without-supervisor",
            "unreturned-credentials",
            "duty-without-accident-insurance",
            "health-checks-overdue",
            "sustained-without-sanction",
            "outside-rule-period",
            "contracts-ending",
            "assessments",
            "assessment-summary",
            "probations",
            "training-missing",
            "on-leave",
            "rule-sets",
            "lifecycle-warnings",
        )
    ),
    # complaints (Art. 17)
    _r("GET", CMP, {"complaints", "inspector", "discipline"}, 200),
    _r("GET", f"{CMP}/history", {"complaints", "inspector", "discipline"}, 200),
    _r("POST", "/v1/complaints/intake", {"complaints"}, 422, other_organ=422),
    _r("POST", f"{CMP}/match-subject", {"complaints"}, 422),
    *(
        _r("POST", f"{CMP}/{slug}", {"complaints"}, 422)
        for slug in (
            "acknowledge",
            "accept",
            "decline",
            "assign",
            "record-finding",
            "notify-complainant",
            "withdraw",
            "close",
            "reopen",
            "request-review",
            "queue-notification",
        )
    ),
    _r("POST", f"{CMP}/decide-review", {"inspector", "discipline"}, 422),
    # officials' misconduct (Art. 19)
    # evidence bundles (issue 15): inspectors and the discipline office, reason in the body
    _r("POST", AUX + "/bundle", {"inspector", "discipline"}, 422),
    _r("POST", CMP + "/bundle", {"inspector", "discipline"}, 422),
    _r("POST", "/v1/misconduct-findings", D, 422, other_organ=422),
    _r("GET", "/v1/misconduct-findings/{finding_id}", {"discipline", "inspector"}, 200),
    _r("POST", "/v1/misconduct-findings/{finding_id}/amend-decision", D, 422),
    # administration
    _r("POST", "/v1/admin/tokens", {"admin"}, 422, other_organ=422),
    _r("GET", "/v1/admin/tokens", {"admin"}, 200, other_organ=200),
    _r("POST", "/v1/admin/tokens/{token_id}/revoke", {"admin"}, 422, other_organ=422),
    _r("POST", "/v1/admin/keys/{key_id}/revoke", {"admin"}, 422, other_organ=403),
    _r("POST", "/v1/admin/erasures", {"admin"}, 422, other_organ=422),
    _r("POST", "/v1/admin/keys/rotate", {"admin"}, 200, other_organ=403),
    # rule sets (Art. 20): every staff token reads them, the ledger organ's admins load them
    _r("GET", "/v1/rules", frozenset(ROLES), 200, other_organ=200, other_unit=200),
    _r("POST", "/v1/rules", {"admin"}, 422, other_organ=403),
)

QUERY = {
    "/v1/ledger/proof/inclusion": "?index=0&tree_size=1",
    "/v1/ledger/proof/consistency": "?first=1&second=2",
    "/v1/ledger/entries": "?start=0&end=2",
    "/v1/ledger/verification": "?mode=full",  # incremental needs the server's witness
    AUX + "/as-of": "?on=2026-01-10",
    AUX + "/responsibility": "?on=2026-01-10",
}


def _url(route: Route, world: World) -> str:
    path = route.path.format(
        auxiliary_id=world.auxiliary,
        complaint_id=world.complaint,
        finding_id=world.finding,
        code=ORGAN,
        year=2026,
        token_id="6f1c2a4e-8d3b-5e7f-9a10-2b3c4d5e6f70",
        key_id="0badc0de",
        tracking_code="NOT-A-CODE",
        work_id="NTFJ0602000001",
    )
    return path + QUERY.get(route.path, "")


def _call(client: TestClient, route: Route, world: World, who: str | None) -> int:
    # With a reason: an inspector's read of a personal record needs one (tested elsewhere).
    headers = {**world.headers(who), "X-Access-Reason": "matrix"} if who else {}
    if route.method == "GET":
        return client.get(_url(route, world), headers=headers).status_code
    body = None if route.path.endswith("/keys/rotate") else BOGUS
    return client.request(route.method, _url(route, world), headers=headers, json=body).status_code


def test_every_route_is_in_the_matrix(app: FastAPI) -> None:
    served = {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        for method in operations
    }
    assert served == {(r.method, r.path) for r in ROUTES}


@pytest.mark.usefixtures("workers")  # /readyz is ready only while workers keep up
def test_role_by_route_matrix(client: TestClient, world: World) -> None:
    failures = []
    for route in ROUTES:
        expectations: list[tuple[str | None, int]] = []
        if route.roles is None:
            expectations = [(None, route.admitted), *((role, route.admitted) for role in ROLES)]
        else:
            for role in ROLES:
                expectations.append((role, route.admitted if role in route.roles else 403))
            expectations += [(None, 401), ("revoked", 401), ("expired", 401)]
            for role in sorted(route.roles):
                expectations.append((f"other-organ-{role}", route.other_organ))
            if "unit" in route.roles:
                assert route.other_unit is not None, route.path
                expectations.append(("other-unit", route.other_unit))
        for who, expected in expectations:
            got = _call(client, route, world, who)
            if got != expected:
                failures.append(f"{route.method} {route.path} as {who}: {got}, expected {expected}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(
    ("who", "code"),
    [(None, "unauthenticated"), ("revoked", "token_revoked"), ("expired", "token_expired")],
)
def test_credential_problems_are_specific(
    client: TestClient, world: World, who: str | None, code: str
) -> None:
    headers = world.headers(who) if who else {}
    body = problem(client.get("/v1/admin/tokens", headers=headers), 401, code)
    assert body["request_id"]


def test_wrong_role_and_wrong_scope_problems(client: TestClient, world: World) -> None:
    problem(
        client.get("/v1/admin/tokens", headers=world.headers("personnel")), 403, "role_not_allowed"
    )
    problem(
        client.get(f"/v1/organs/{ORGAN}", headers=world.headers("other-organ-personnel")),
        403,
        "outside_scope",
    )
    problem(
        client.get(f"/v1/auxiliaries/{world.auxiliary}", headers=world.headers("other-unit")),
        404,
        "not_found",
    )
    problem(
        client.get("/v1/admin/tokens", headers={"Authorization": "Basic abc"}),
        401,
        "unauthenticated",
    )
    problem(
        client.get("/v1/admin/tokens", headers={"Authorization": "Bearer axl_" + "A" * 43}),
        401,
        "token_unknown",
    )
