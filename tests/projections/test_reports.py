"""The report registry: parameters, and JSON and CSV export."""

from __future__ import annotations

import csv
import io
import json

import pytest

from projections import (
    REPORTS,
    InvalidFilterValueError,
    PageSizeError,
    UnknownFilterError,
    UnknownReportError,
    run_report,
)
from tests.projections import dataset as ds
from tests.projections.conftest import Built


def report(built: Built, name: str, params: dict[str, object] | None = None) -> object:
    return run_report(built.models, name, params, clock=lambda: ds.NOW)


def test_the_registry_names_every_report() -> None:
    assert sorted(REPORTS) == sorted(
        [
            "personnel_status",
            "complaint_registry",
            "complaints_overdue",
            "complaints_unmatched",
            "complaints_not_notified",
            "complaint_findings",
            "complaint_time_to_close",
            "accountability_by_unit",
            "accountability_by_supervisor",
            "misconduct_findings",
            "early_warning",
            "commendation_ratio",
            "quota_use",
            "level_distribution",
            "pay_against_wage",
            "without_supervisor",
            "unreturned_credentials",
            "duty_without_accident_insurance",
            "health_checks_overdue",
            "sustained_without_sanction",
            "outside_rule_period",
            "contracts_ending",
            "assessments",
            "assessment_summary",
            "probations",
            "training_missing",
            "on_leave",
            "rule_sets",
            "lifecycle_warnings",
            "reviews",
            "reviews_due",
        ]
    )
    for spec in REPORTS.values():
        assert spec.article.startswith("Art.")
        assert "organ" in spec.param_names


def test_every_report_runs_and_exports(built: Built) -> None:
    for name, spec in REPORTS.items():
        result = run_report(built.models, name, {}, clock=lambda: ds.NOW)
        assert result.columns == spec.columns
        for row in result.rows:
            assert set(row) <= set(spec.columns), name
        body = json.loads(json.dumps(result.to_json(), ensure_ascii=False))
        assert body["report"] == name and body["columns"] == list(spec.columns)
        parsed = list(csv.reader(io.StringIO(result.to_csv())))
        assert parsed[0] == list(spec.columns)
        assert len(parsed) == len(result.rows) + 1
        assert (result.page is not None) == spec.paged


def test_csv_of_quota_use(built: Built) -> None:
    result = run_report(built.models, "quota_use", {}, clock=lambda: ds.NOW)
    assert result.to_csv() == (
        "organ,organ_name,quota,headcount,available,utilisation_percent,over_quota\r\n"
        "A01,甲市公安局,3,3,0,100.0,false\r\n"
        "B02,乙县公安局,2,0,2,0.0,false\r\n"
    )


def test_nested_results_are_flattened(built: Built) -> None:
    result = run_report(
        built.models, "complaints_overdue", {"unit": "A01-U2"}, clock=lambda: ds.NOW
    )
    assert "deadlines.acknowledge_due" in result.columns
    rows = {r["complaint_id"]: r for r in result.rows}
    assert rows[str(ds.C4)]["deadlines.overdue"] == ["acknowledge", "conclude"]
    table = list(csv.DictReader(io.StringIO(result.to_csv())))
    c4 = next(r for r in table if r["complaint_id"] == str(ds.C4))
    assert c4["deadlines.overdue"] == "acknowledge; conclude"
    assert c4["deadlines.acknowledge_due"] == "2024-06-04"
    assert c4["supervisor_name"] == "李警官"
    status = run_report(built.models, "personnel_status", {"level": 3}, clock=lambda: ds.NOW)
    cell = next(iter(csv.DictReader(io.StringIO(status.to_csv()))))["active_sanctions"]
    assert cell == (
        '{"document_number": "测公纪〔2024〕1号", "effective": "2024-02-05", "kind": "warning", '
        '"sanction_id": "SAN1", "until": null}; '
        '{"document_number": "测公纪〔2024〕1号", "effective": "2024-09-10", "kind": "criticism", '
        '"sanction_id": "SAN3", "until": null}'
    )


def test_paged_reports_take_page_parameters_as_text(built: Built) -> None:
    result = run_report(
        built.models, "personnel_status", {"page": "2", "page_size": "3"}, clock=lambda: ds.NOW
    )
    assert (result.page, result.page_size, result.total) == (2, 3, 4)
    assert [r["auxiliary_id"] for r in result.rows] == [str(ds.X4)]
    assert result.to_json()["total"] == 4
    every = run_report(
        built.models, "complaint_findings", {"latest_only": "false"}, clock=lambda: ds.NOW
    )
    assert every.total == 8
    assert every.parameters == {"latest_only": False}


def test_an_empty_report_still_has_its_header(built: Built) -> None:
    result = run_report(built.models, "outside_rule_period", {"organ": "A01"})
    assert result.rows == [] and result.total == 0
    assert result.to_csv() == ",".join(REPORTS["outside_rule_period"].columns) + "\r\n"


@pytest.mark.parametrize(
    ("name", "params", "error", "message"),
    [
        ("salaries", None, UnknownReportError, "no report 'salaries'"),
        (
            "personnel_status",
            {"colour": "red"},
            UnknownFilterError,
            "unknown filter 'colour'; allowed: organ, unit",
        ),
        ("quota_use", {"page": "1"}, UnknownFilterError, "unknown filter 'page'"),
        ("without_supervisor", {"page_size": "1000"}, PageSizeError, None),
    ],
)
def test_an_unknown_report_or_filter_and_a_page_too_large_are_refused(
    built: Built,
    name: str,
    params: dict[str, object] | None,
    error: type[Exception],
    message: str | None,
) -> None:
    with pytest.raises(error, match=message):
        run_report(built.models, name, params)


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        ("personnel_status", {"level": "three"}, "filter level must be a whole number"),
        ("accountability_by_unit", {"start": "2024-13-01"}, "filter start must be a calendar date"),
        (
            "complaint_findings",
            {"latest_only": "maybe"},
            "filter latest_only must be true or false",
        ),
        ("complaint_registry", {"auxiliary_id": "x1"}, "filter auxiliary_id must be a UUID"),
        ("complaint_registry", {"status": "lost"}, "filter status must be one of"),
    ],
)
def test_a_filter_value_of_the_wrong_kind_is_refused(
    built: Built, name: str, params: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidFilterValueError, match=message):
        run_report(built.models, name, params)
