"""The dossier: the API's own answers by role, an inspector's reason per visit, the access
log, verification and proofs."""

from __future__ import annotations

import base64

from fastapi.testclient import TestClient

from api.console.staff_access import AccessIndex
from api.console.web import error_label
from domain.commands.holds import PlaceLegalHold, ReleaseLegalHold
from ledger.access import accesses_of
from ledger.merkle import verify_inclusion
from ledger.records import Envelope
from tests.api.bodies import PRE_SERVICE_TRAINING
from tests.api.conftest import ORGAN, PHONE, RESIDENT_ID, World, actor, problem
from tests.console.conftest import accesses, event_count, page_text, sign_in


def open_as_inspector(client: TestClient, world: World, reason: str = "投诉核查") -> str:
    csrf = sign_in(client, world.tokens["inspector"])
    path = f"/console/auxiliaries/{world.auxiliary}"
    ask = page_text(client.get(path))
    assert "说明查阅事由" in ask and "李明" not in ask  # nothing shown before the reason
    stated = client.post(f"{path}/reason", data={"csrf": csrf, "reason": reason})
    assert stated.status_code == 200  # followed to the dossier
    return page_text(stated)


def test_an_inspector_states_a_reason_once_and_the_access_log_shows_the_read(
    client: TestClient, world: World
) -> None:
    before = event_count(world)
    page = open_as_inspector(client, world)
    assert "李明 的档案" in page and "本次查阅事由：投诉核查" in page
    assert RESIDENT_ID in page  # an inspector with a reason reads in clear, as on the API
    assert "录用" in page and "发放证件" in page  # the timeline, in Chinese
    assert "签名有效" in page and "已纳入检查点" in page
    assert "的责任归属" in page and "王建国" in page
    assert "的档案状态" in page
    assert "查阅记录" in page and "督察部门" in page and "投诉核查" in page
    assert "须说明事由" not in page  # every part read with the visit's reason, none refused
    assert "投诉（第十七条）" in page and f"/console/complaints/{world.complaint}" in page
    recorded = event_count(world) - before
    # one access record for the record's page and one for its complaints (the registry
    # names people: recorded as GET /v1/complaints records it), both with the reason
    assert recorded == 2
    reads = [(a.record_type, a.record_id, a.reason) for a in accesses(world)[-2:]]
    assert sorted(reads) == [
        ("auxiliary", str(world.auxiliary), "投诉核查"),
        ("report", "complaint_registry", "投诉核查"),
    ]
    again = page_text(client.get(f"/console/auxiliaries/{world.auxiliary}?on=2025-01-01"))
    assert "说明查阅事由" not in again  # once per visit
    assert "该日不在职" in again and "该日尚未录用，没有档案记录" in again


def test_a_reason_form_without_its_csrf_token_records_nothing(
    client: TestClient, world: World
) -> None:
    sign_in(client, world.tokens["inspector"])
    before = event_count(world)
    answer = client.post(
        f"/console/auxiliaries/{world.auxiliary}/reason", data={"reason": "投诉核查"}
    )
    assert answer.status_code == 403 and "表单已失效" in page_text(answer)
    assert event_count(world) == before
    assert "说明查阅事由" in client.get(f"/console/auxiliaries/{world.auxiliary}").text


def test_an_empty_reason_is_refused_in_chinese(client: TestClient, world: World) -> None:
    csrf = sign_in(client, world.tokens["inspector"])
    answer = client.post(
        f"/console/auxiliaries/{world.auxiliary}/reason", data={"csrf": csrf, "reason": "  "}
    )
    assert answer.status_code == 422 and "须说明事由" in page_text(answer)


def test_a_reason_that_cannot_be_kept_is_refused_in_chinese_and_asked_again(
    client: TestClient, world: World
) -> None:
    csrf = sign_in(client, world.tokens["inspector"])
    path = f"/console/auxiliaries/{world.auxiliary}"
    before = event_count(world)
    for crafted in ("查" * 600, "投诉\n核查"):
        answer = client.post(f"{path}/reason", data={"csrf": csrf, "reason": crafted})
        assert answer.status_code == 422
        page = page_text(answer)
        assert "查阅事由须为一行文字，不超过 500 个字" in page and 'name="reason"' in page
        assert crafted not in page
        assert "说明查阅事由" in page_text(client.get(path))  # nothing kept: asked again
    assert event_count(world) == before
    kept = client.post(f"{path}/reason", data={"csrf": csrf, "reason": "查" * 500})
    assert kept.status_code == 200 and "李明 的档案" in page_text(kept)
    # the search's own reason field and the complaint's reason form check it the same way
    searched = client.post("/console/search", data={"csrf": csrf, "q": "李", "reason": "查" * 501})
    assert searched.status_code == 422 and "不超过 500 个字" in page_text(searched)
    assert "李明" not in searched.text.split("</form>")[-1]
    complaint = client.post(
        f"/console/complaints/{world.complaint}/reason", data={"csrf": csrf, "reason": "查" * 501}
    )
    assert complaint.status_code == 422 and "不超过 500 个字" in page_text(complaint)
    assert "说明查阅事由" in page_text(client.get(f"/console/complaints/{world.complaint}"))


def test_the_access_problem_has_a_neutral_chinese_title() -> None:
    assert error_label("access") == "令牌或查阅记录的内容不符合要求"


def test_personnel_read_in_clear_discipline_masked_and_without_the_timeline(
    client: TestClient, world: World
) -> None:
    csrf = sign_in(client, world.tokens["personnel"])
    page = page_text(client.get(f"/console/auxiliaries/{world.auxiliary}"))
    assert RESIDENT_ID in page and PHONE in page and "全部记录" in page
    assert f"/console/auxiliaries/{world.auxiliary}/proof/1.json" in page
    client.post("/console/sign-out", data={"csrf": csrf})
    sign_in(client, world.tokens["discipline"])
    page = page_text(client.get(f"/console/auxiliaries/{world.auxiliary}"))
    assert "李明 的档案" in page
    assert RESIDENT_ID not in page and PHONE not in page and "脱敏" in page
    assert "全部记录" not in page and "proof/1.json" not in page  # the API's timeline is P, I
    assert "执勤时态度恶劣" in page and f"/console/complaints/{world.complaint}" in page
    forced = client.get(f"/console/auxiliaries/{world.auxiliary}/proof/1.json")
    assert forced.status_code == 403


def test_scope_and_roles_are_the_apis(client: TestClient, world: World) -> None:
    sign_in(client, world.tokens["other-unit"])
    assert client.get(f"/console/auxiliaries/{world.auxiliary}").status_code == 404
    assert client.get(f"/console/auxiliaries/{world.other_unit_auxiliary}").status_code == 200
    client2 = TestClient(client.app)
    sign_in(client2, world.tokens["complaints"])
    forced = client2.get(f"/console/auxiliaries/{world.auxiliary}")
    assert forced.status_code == 403 and "您的角色无权进行此操作" in page_text(forced)
    client3 = TestClient(client.app)
    sign_in(client3, world.tokens["other-organ-personnel"])
    assert client3.get(f"/console/auxiliaries/{world.auxiliary}").status_code == 404


def test_an_events_proof_downloads_as_json_and_verifies(client: TestClient, world: World) -> None:
    sign_in(client, world.tokens["personnel"])
    answer = client.get(f"/console/auxiliaries/{world.auxiliary}/proof/1.json")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/json")
    assert "attachment" in answer.headers["content-disposition"]
    proof = answer.json()
    inclusion = proof["inclusion"]
    assert inclusion["verified_by_server"] is True
    note = inclusion["checkpoint"]
    root = base64.b64decode(note.split("\n")[2])
    assert int(note.split("\n")[1]) == inclusion["tree_size"]
    verify_inclusion(
        bytes.fromhex(inclusion["leaf_hash"]),
        inclusion["leaf_index"],
        inclusion["tree_size"],
        [base64.b64decode(h) for h in inclusion["hashes"]],
        root,
    )
    assert proof["keys"] and proof["keys"][0]["vkey"]
    assert client.get(f"/console/auxiliaries/{world.auxiliary}/proof/99.json").status_code == 404


def test_the_api_serves_a_complaints_history_masked_by_role(
    client: TestClient, world: World
) -> None:
    path = f"/v1/complaints/{world.complaint}/history"
    body = client.get(path, headers=world.headers("complaints")).json()
    received = body["entries"][0]
    assert received["event"] == "Complaint.Received" and received["verified"]
    assert received["fields"]["complainant_name"] == "张三"
    assert "tracking_hash" not in received["fields"]
    masked = client.get(path, headers=world.headers("discipline")).json()["entries"][0]
    assert masked["fields"]["complainant_name"] != "张三"
    problem(client.get(path, headers=world.headers("inspector")), 422, "reason_required")
    problem(client.get(path, headers=world.headers("personnel")), 403, "role_not_allowed")
    problem(client.get(path, headers=world.headers("other-organ-complaints")), 404, "not_found")


def test_the_access_index_agrees_with_a_scan_and_catches_up(
    client: TestClient, world: World
) -> None:
    index = AccessIndex()
    assert index.of(world.ledger, world.auxiliary, organ=ORGAN) == []
    sign_in(client, world.tokens["personnel"])
    client.get(f"/console/auxiliaries/{world.auxiliary}")
    client.get(f"/v1/auxiliaries/{world.auxiliary}", headers=world.headers("personnel"))
    scanned = accesses_of(world.ledger, world.auxiliary, organ=ORGAN)
    assert len(scanned) == 2  # the page's read, then the API's
    assert index.of(world.ledger, world.auxiliary, organ=ORGAN) == scanned
    assert scanned[0].purpose == "GET /v1/auxiliaries/{auxiliary_id}"  # newest first
    assert index.of(world.ledger, world.auxiliary, organ="320612") == []
    assert index.of(world.ledger, world.other_unit_auxiliary, organ=ORGAN) == []


def test_a_commendation_is_listed_once_in_full_and_its_part_links_to_it(
    client: TestClient, world: World
) -> None:
    answer = client.post(
        f"/v1/auxiliaries/{world.auxiliary}/commend",
        json={"kind": "citation", "issuing_body": "南通市公安局崇川分局"},
        headers=world.headers("personnel"),
    )
    assert answer.status_code == 200, answer.text
    version = answer.json()["originator_version"]
    sign_in(client, world.tokens["personnel"])
    page = page_text(client.get(f"/console/auxiliaries/{world.auxiliary}"))
    part = page.split('id="h-commend"', 1)[1].split("</section>", 1)[0]
    assert "南通市公安局崇川分局" in part and f'href="#v-{version}"' in part
    assert "签名有效" not in part and "proof/" not in part  # shown once: in the timeline row
    row = page.split(f'<tr id="v-{version}">', 1)[1].split("</tr>", 1)[0]
    assert "南通市公安局崇川分局" in row and "签名有效" in row


def test_the_dossier_shows_legal_holds_and_what_blocks_an_erasure(
    client: TestClient, world: World
) -> None:
    assert world.auxiliary is not None
    world.ledger.command_legal_hold(
        world.auxiliary,
        PlaceLegalHold(hold_id="LH-7", reason="民事诉讼证据保全", reference="(2026)苏0602民初9号"),
        Envelope(actor("discipline")),
    )
    sign_in(client, world.tokens["discipline"])
    page = page_text(client.get(f"/console/auxiliaries/{world.auxiliary}"))
    assert "法律保全（删除个人信息前核查）" in page
    assert "不得删除" in page and "法律保全 LH-7" in page and "未办结的投诉" in page
    assert "民事诉讼证据保全" in page and "保全中" in page and "纪检监察部门" in page
    world.ledger.command_legal_hold(
        world.auxiliary,
        ReleaseLegalHold(hold_id="LH-7", reason="诉讼终结"),
        Envelope(actor("discipline")),
    )
    page = page_text(client.get(f"/console/auxiliaries/{world.auxiliary}"))
    assert "已解除" in page and "诉讼终结" in page and "法律保全 LH-7" not in page


def test_the_dossier_shows_probation_training_and_leave_with_their_warnings(
    client: TestClient, world: World
) -> None:
    """李明 (hired 2025-01-02): a probation past its last day without an outcome, no
    pre-service training, on annual leave past its planned end; then decided, trained, back."""

    def post(action: str, body: dict[str, object]) -> int:
        answer = client.post(
            f"/v1/auxiliaries/{world.auxiliary}/{action}",
            json=body,
            headers=world.headers("personnel"),
        )
        assert answer.status_code == 200, answer.text
        return int(answer.json()["originator_version"])

    post("start-probation", {"until": "2025-06-30", "effective": "2025-01-02"})
    leave = post(
        "start-leave",
        {
            "leave_id": "NX-1",
            "kind": "annual",
            "planned_end": "2025-08-05",
            "effective": "2025-08-01",
        },
    )
    sign_in(client, world.tokens["personnel"])
    page = page_text(client.get(f"/console/auxiliaries/{world.auxiliary}"))
    header = page.split('id="h-header"', 1)[1].split("</section>", 1)[0]
    assert "在岗" in header and "休假中" in header  # the status stays; the leave is beside it
    part = page.split('id="h-lifecycle"', 1)[1].split("</section>", 1)[0]
    assert "试用期、培训与休假（第八、九、十三条）" in part
    assert "年休假，2025年08月01日 起，计划至 2025年08月05日" in part
    assert "休假超出计划未返岗" in part and "试用期满未作考核结论" in part
    assert "未通过岗前培训" in part and "0 次，通过 0 次" in part
    assert f'href="#v-{leave}"' in part and "开始休假" in part and "计划截止" in part
    post("end-leave", {"leave_id": "NX-1", "effective": "2025-08-06"})
    post("complete-probation", {"passed": False, "effective": "2025-08-07"})
    trained = post("record-training", PRE_SERVICE_TRAINING)
    page = page_text(client.get(f"/console/auxiliaries/{world.auxiliary}"))
    part = page.split('id="h-lifecycle"', 1)[1].split("</section>", 1)[0]
    assert "未在休假" in part and "休假超出计划" not in part and "休假中" not in page
    assert "考核不合格（2025年08月07日）" in part and "试用期不合格未办理离职" in part
    assert "已通过（2025年01月20日 结业）" in part and "合计 120 学时" in part
    row = part.split(f'href="#v-{trained}"', 1)[0].rsplit("<tr>", 1)[1]
    assert "参加培训" in row and "岗前培训" in row and "学时" in row and "合格" in row


def test_a_date_that_is_not_real_or_out_of_range_is_refused_in_chinese(
    client: TestClient, world: World
) -> None:
    sign_in(client, world.tokens["personnel"])
    path = f"/console/auxiliaries/{world.auxiliary}"
    before = event_count(world)
    for on, said in (
        ("abc", "日期须写成“年-月-日”"),
        ("2026-02-30", "日历上实有的日期"),
        ("20260105", "日期须写成“年-月-日”"),
        ("0001-01-01", "查看日期须在1950年01月01日至今天"),
        ("2999-01-01", "查看日期须在1950年01月01日至今天"),
    ):
        answer = client.get(f"{path}?on={on}")
        assert answer.status_code == 422, on
        page = page_text(answer)
        assert "查看日期有误" in page and said in page, on
        assert "李明" not in page and "1年01月01日" not in page and 'lang="en"' not in page
    assert event_count(world) == before  # refused before anything was read
    shown = client.get(f"{path}?on=2025-06-01")
    assert shown.status_code == 200 and "2025年06月01日 的责任归属" in page_text(shown)


def test_a_health_checks_conclusion_reads_as_its_word_in_clear(
    client: TestClient, world: World
) -> None:
    """``fit`` is sealed personal data: opened for an inspector with a reason it stays a
    yes-or-no (the API's ``false``, the page's 不合格), never the text ``False``."""
    answer = client.post(
        f"/v1/auxiliaries/{world.auxiliary}/record-health-check",
        json={"checked_on": "2026-02-10", "fit": False, "details": "血压偏高"},
        headers=world.headers("personnel"),
    )
    assert answer.status_code == 200, answer.text
    version = answer.json()["originator_version"]
    timeline = client.get(
        f"/v1/auxiliaries/{world.auxiliary}/timeline",
        params={"reason": "体检核查"},
        headers=world.headers("inspector"),
    )
    assert timeline.status_code == 200, timeline.text
    (checked,) = [e for e in timeline.json()["entries"] if e["originator_version"] == version]
    assert checked["fields"]["fit"] is False and checked["fields"]["details"] == "血压偏高"
    page = open_as_inspector(client, world)
    part = page.split('id="h-insurance"', 1)[1].split("</section>", 1)[0]
    assert "体检结论：</span>不合格" in part and "False" not in part
    row = page.split(f'<tr id="v-{version}">', 1)[1].split("</tr>", 1)[0]
    assert "体检结论：</span>不合格" in row and "False" not in row
