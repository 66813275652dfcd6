"""The console's foundation: pages, assets, security headers, labels, times, error pages."""

from __future__ import annotations

from datetime import UTC, date, datetime

from fastapi.testclient import TestClient

from api.console.web import CSP, cst, cst_date, event_label, zh
from api.problems import CATALOGUE
from domain.values import ErrorCode
from tests.api.conftest import problem
from tests.console.conftest import page_text

REQUIRED_CSP = (
    "script-src 'self'",
    "style-src 'self'",
    "connect-src 'self'",
    "img-src 'self' data:",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'self'",
)


def test_the_csp_forbids_inline_script_and_style_and_every_foreign_origin() -> None:
    directives = [d.strip() for d in CSP.split(";")]
    for required in REQUIRED_CSP:
        assert required in directives
    assert "unsafe-inline" not in CSP and "http" not in CSP


def test_root_is_the_public_complaint_page_with_the_csp(client: TestClient) -> None:
    answer = client.get("/")
    assert answer.status_code == 200
    html = page_text(answer)
    assert '<html lang="zh-CN">' in html
    assert answer.headers["content-security-policy"] == CSP
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert "<script>" not in html and "style=" not in html


def test_console_is_the_staff_sign_in_in_chinese(client: TestClient) -> None:
    answer = client.get("/console")
    html = page_text(answer)
    assert "工作人员登录" in html and 'name="token"' in html
    assert answer.headers["content-security-policy"] == CSP
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie


def test_the_stylesheet_is_served_locally_with_the_cjk_font_stack(client: TestClient) -> None:
    answer = client.get("/static/css/app.css")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/css")
    assert '"PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC"' in answer.text
    assert "url(" not in answer.text and "@import" not in answer.text


def test_an_unknown_console_page_is_a_chinese_404_page(client: TestClient) -> None:
    answer = client.get("/console/no-such-page")
    assert answer.status_code == 404
    html = page_text(answer)
    assert "未找到该页面或记录" in html
    assert answer.headers["content-security-policy"] == CSP
    # Said whole in Chinese; the staff page leads back to the staff home, not the public's.
    assert "no resource at this path" not in html and "请核对网址" in html
    assert 'href="/console"' in html and 'href="/"' not in html


def test_a_browser_asking_for_a_missing_page_gets_the_chinese_page_the_api_stays_json(
    client: TestClient,
) -> None:
    answer = client.get("/nothing-here", headers={"Accept": "text/html,*/*"})
    assert answer.status_code == 404 and "未找到" in page_text(answer)
    # A public page: no English, no staff 工作台; the public pages to go on from.
    html = page_text(answer)
    assert "no resource at this path" not in html and "工作台" not in html
    assert 'href="/console"' not in html
    assert 'href="/"' in html and 'href="/track"' in html and 'href="/check"' in html
    for missing in ("/track/nothing", "/complaint/nothing"):
        public = client.get(missing, headers={"Accept": "text/html"})
        assert public.status_code == 404 and 'href="/console"' not in public.text
    problem(client.get("/nothing-here"), 404, "not_found")
    problem(client.get("/v1/nothing", headers={"Accept": "text/html"}), 404, "not_found")
    assert client.get("/v1/nothing").json()["detail"] == "no resource at this path"


def test_api_bodies_stay_json_only_console_forms_may_be_urlencoded(client: TestClient) -> None:
    answer = client.post(
        "/v1/complaints",
        content=b"a=b",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    problem(answer, 415, "unsupported_media_type")


def test_every_problem_code_has_a_chinese_label() -> None:
    assert set(CATALOGUE) <= {c.value for c in ErrorCode}
    for code in CATALOGUE:
        label = ErrorCode(code).label_zh
        assert label and not label.isascii()


def test_times_read_in_china_standard_time() -> None:
    assert cst(datetime(2026, 11, 20, 1, 30, tzinfo=UTC)) == "2026年11月20日 09:30"
    assert cst("2026-11-19T16:05:00+00:00") == "2026年11月20日 00:05"
    assert cst_date(date(2026, 1, 5)) == "2026年01月05日"
    assert cst(None) == "—"


def test_labels_come_from_the_catalogue() -> None:
    assert zh("under_investigation", "ComplaintStatus") == "调查中"
    assert zh("patrol", "PostType") == "巡逻防控"
    assert event_label("Complaint.Acknowledged") == "签收投诉"
    assert zh("no-such", "ComplaintStatus") == "no-such"


def test_the_navigation_lists_each_part_in_a_fixed_order() -> None:
    from api.console.staff import SECTIONS  # noqa: PLC0415

    assert [s.path for s in SECTIONS] == [
        "/console/search",
        "/console/hire",
        "/console/complaints",
        "/console/intake",
        "/console/reports",
        "/console/integrity",
    ]
