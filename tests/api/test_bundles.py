"""Evidence bundles over HTTP: a zip that verifies, recorded as access; refusals record nothing."""

from __future__ import annotations

import json
import logging
import zipfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.cli import main
from ledger import bundle_verifier as bv
from ledger.log import MerkleLog
from tests.api.conftest import PHONE, RESIDENT_ID, World, assert_refused, problem
from tests.bundles import access_records, members_of


def test_an_inspector_exports_an_auxiliarys_bundle(client: TestClient, world: World) -> None:
    before = len(access_records(world.ledger))
    response = client.post(
        f"/v1/auxiliaries/{world.auxiliary}/bundle",
        headers=world.headers("inspector"),
        json={"reason": "劳动仲裁调取"},
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    assert response.headers["content-disposition"].startswith("attachment; filename=")
    members = members_of(response.content)
    report = bv.verify_members(members)
    assert report.ok, report.failures
    assert RESIDENT_ID in {f["value"] for f in json.loads(members[bv.FIELDS])}
    new = access_records(world.ledger)[before:]
    assert len(new) == 1
    assert new[0]["record_id"] == str(world.auxiliary)
    assert new[0]["reason"] == "劳动仲裁调取"
    assert new[0]["role"] == "inspector"
    assert "evidence bundle" in new[0]["purpose"]


def test_discipline_exports_a_complaint_bundle_with_nothing_opened(
    client: TestClient, world: World
) -> None:
    response = client.post(
        f"/v1/complaints/{world.complaint}/bundle",
        headers=world.headers("discipline"),
        json={"reason": "处分审查"},
    )
    assert response.status_code == 200, response.text
    members = members_of(response.content)
    assert bv.verify_members(members).ok
    assert json.loads(members[bv.FIELDS]) == []
    assert json.loads(members[bv.SUBJECT_KEYS]) == {}
    assert all(b"19900001111" not in data for data in members.values())
    ids = {a["record_id"] for a in access_records(world.ledger)}
    assert {str(world.complaint), str(world.auxiliary)} <= ids


def test_refused_exports_are_problems_and_record_nothing(client: TestClient, world: World) -> None:
    log = MerkleLog(world.ledger.ledger_recorder)
    size = log.tree_size()
    url = f"/v1/auxiliaries/{world.auxiliary}/bundle"
    inspector, reason = world.headers("inspector"), {"reason": "r"}
    other_organs = f"/v1/auxiliaries/{world.other_organ_auxiliary}/bundle"
    unknown = "/v1/complaints/6f1c2a4e-8d3b-5e7f-9a10-2b3c4d5e6f70/bundle"
    assert_refused(
        client,
        "POST",
        [
            (url, inspector, {}, 422, "validation"),
            (url, inspector, {"reason": "  "}, 422, "validation"),
            (url, world.headers("personnel"), reason, 403, "role_not_allowed"),
            (other_organs, inspector, reason, 404, "not_found"),
            (unknown, inspector, reason, 404, "not_found"),
            (url, {}, reason, 401, "unauthenticated"),
        ],
    )
    assert log.tree_size() == size


@pytest.mark.parametrize(
    "reason",
    ["\u200b", "仲裁\u202e调取", "理" * 501, "\u200b\u200d\ufeff", "法院\u2066调取"],
    ids=["zero-width-only", "bidi-override", "501-chars", "invisible-only", "bidi-isolate"],
)
def test_a_reason_the_access_record_would_refuse_is_refused_first(
    client: TestClient, world: World, reason: str
) -> None:
    """Zero-width-only, bidi-controlled or too long: 422 before any work, nothing recorded."""
    log = MerkleLog(world.ledger.ledger_recorder)
    size, before = log.tree_size(), len(access_records(world.ledger))
    for url in (
        f"/v1/auxiliaries/{world.auxiliary}/bundle",
        f"/v1/complaints/{world.complaint}/bundle",
    ):
        response = client.post(url, headers=world.headers("inspector"), json={"reason": reason})
        problem(response, 422, "validation")
        assert "reason" in response.text
    assert log.tree_size() == size
    assert len(access_records(world.ledger)) == before


def test_no_personal_data_reaches_logs_errors_or_the_verifiers_output(
    client: TestClient,
    world: World,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    markers = (RESIDENT_ID, PHONE, "张三", "19900001111", "工作日白天可电话联系")
    inspector = world.headers("inspector")
    url = f"/v1/complaints/{world.complaint}/bundle"
    response = client.post(url, headers=inspector, json={"reason": "检察院调取"})
    assert response.status_code == 200
    members = members_of(response.content)
    assert RESIDENT_ID in members[bv.FIELDS].decode()  # the markers are in the bundle ...
    errors = [
        client.post(url, headers=inspector, json={"reason": "x\n" + RESIDENT_ID}).text,
        client.post(url, headers=inspector, json={"reason": PHONE, "extra": "张三"}).text,
    ]
    # ... and a verifier reading a bundle whose opened fields were changed names the member,
    # never the values.
    fields = json.loads(members[bv.FIELDS])
    for field in fields:
        field["value"] = "改动" if field["value"] else field["value"]
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(bad, "w") as archive:
        for name, data in {**members, bv.FIELDS: bv.canonical_json(fields)}.items():
            archive.writestr(name, data)
    assert main(["bundle", "verify", str(bad)]) == 1
    printed = capsys.readouterr()
    assert "opened/fields.json" in printed.out
    seen = "\n".join([*errors, printed.out, printed.err, *(r.getMessage() for r in caplog.records)])
    seen += "\n".join(str(r.__dict__) for r in caplog.records)
    assert not [m for m in markers if m in seen]
