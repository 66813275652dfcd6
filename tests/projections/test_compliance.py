"""Compliance reports (Art. 5, 7, 8, 10-13, 18, 20) on the hand-built data set."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from domain.organ import Organ
from domain.policy import Policy, RuleSet
from projections import ComplianceQueries, InvalidFilterValueError, ReadModels, UnknownRecordError
from projections.personnel import AUXILIARY, HEADCOUNT, _last_cover
from projections.results import (
    AuxiliaryGap,
    LevelCount,
    PayAgainstWage,
    QuotaUse,
    RuleFlag,
    UnreturnedCredential,
    UnsanctionedFinding,
)
from tests.projections import dataset as ds
from tests.projections.conftest import Built, by_hand


def queries(built: Built) -> ComplianceQueries:
    return ComplianceQueries(built.models, clock=lambda: ds.NOW)


def test_quota_use(built: Built) -> None:
    assert queries(built).quota_use() == [
        QuotaUse("A01", "甲市公安局", 3, 3, 0, Decimal("100.0"), False),
        # X4's separation gave B02's slot back.
        QuotaUse("B02", "乙县公安局", 2, 0, 2, Decimal("0.0"), False),
    ]
    assert [q.organ for q in queries(built).quota_use(organ="B02")] == ["B02"]


def test_level_distribution_lists_every_level_of_the_scheme(built: Built) -> None:
    rows = queries(built).level_distribution()
    assert len(rows) == 20
    assert [r for r in rows if r.auxiliaries] == [
        LevelCount("A01", 1, 2),
        LevelCount("A01", 3, 1),
    ]
    assert rows[0] == LevelCount("A01", 1, 2) and rows[10] == LevelCount("B02", 1, 0)


def test_headcount_aggregate_equals_grouping_the_auxiliaries(built: Built) -> None:
    with built.models.db.read() as s:
        kept = {
            (r["organ"], r["unit"], r["level"]): r["auxiliaries"]
            for r in s.query(
                "SELECT organ, unit, level, auxiliaries FROM {rm_headcount}", tables=(HEADCOUNT,)
            )
            if r["auxiliaries"]
        }
        grouped = {
            (r["organ"], r["unit"], r["level"]): r["n"]
            for r in s.query(
                "SELECT organ, unit, level, count(*) AS n FROM {rm_auxiliary} "
                "WHERE status <> %s GROUP BY organ, unit, level",
                ["separated"],
                tables=(AUXILIARY,),
            )
        }
    assert (
        kept
        == grouped
        == {("A01", "A01-U1", 1): 1, ("A01", "A01-U2", 1): 1, ("A01", "A01-U2", 3): 1}
    )


def test_average_pay_against_last_years_local_average_wage(built: Built) -> None:
    assert queries(built).pay_against_wage() == [
        # (5000 + 4000 + 4000) / 3 a month; 51,999.96 a year against 50,000 for 2023.
        PayAgainstWage(
            "A01",
            "南通市",
            2024,
            3,
            3,
            Decimal("4333.33"),
            Decimal("51999.96"),
            2023,
            Decimal("50000"),
            True,
        ),
        PayAgainstWage("B02", "如皋市", 2024, 0, 0, None, None, 2023, None, None),
    ]
    unknown = queries(built).pay_against_wage(year=2025, organ="A01")
    assert unknown == [PayAgainstWage("A01", "南通市", 2025, 3, 0, None, None, 2024, None, None)]
    with pytest.raises(InvalidFilterValueError, match="filter year must be a whole number"):
        queries(built).pay_against_wage(year="2024")  # type: ignore[arg-type]


def test_active_auxiliaries_without_a_supervisor(built: Built) -> None:
    page = queries(built).without_supervisor()
    assert page.items == [
        AuxiliaryGap(
            ds.X2, "乙贰", "A01", "A01-U1", "call_intake", "active", date(2024, 5, 1), None, None
        )
    ]
    assert queries(built).without_supervisor(organ="B02").total == 0


def test_duty_posts_without_accident_insurance(built: Built) -> None:
    page = queries(built).duty_without_accident_insurance()
    assert page.items == [
        AuxiliaryGap(
            ds.X3, "丙三", "A01", "A01-U2", "traffic", "active", date(2023, 3, 20), None, None
        )
    ]
    assert page.total == 1


def test_accident_cover_on_an_earlier_date(built: Built) -> None:
    # X1's cover starts on 2023-03-10: the day before, both duty auxiliaries lack it.
    page = queries(built).duty_without_accident_insurance(on=date(2023, 3, 9))
    assert [g.auxiliary_id for g in page.items] == [ds.X3, ds.X1]


@pytest.mark.parametrize(
    ("intervals", "expected"),
    [
        ([], (None, None)),
        ([(date(2024, 1, 1), None)], (date(2024, 1, 1), None)),
        # Meeting and overlapping stretches merge; a gap starts a new one.
        (
            [(date(2024, 1, 1), date(2024, 6, 30)), (date(2024, 7, 1), date(2024, 12, 31))],
            (date(2024, 1, 1), date(2024, 12, 31)),
        ),
        (
            [(date(2024, 3, 1), None), (date(2024, 1, 1), date(2024, 6, 30))],
            (date(2024, 1, 1), None),
        ),
        (
            [(date(2024, 1, 1), date(2024, 3, 31)), (date(2024, 5, 1), date(2024, 5, 31))],
            (date(2024, 5, 1), date(2024, 5, 31)),
        ),
        (
            [(date(2024, 1, 1), date(2024, 12, 31)), (date(2024, 2, 1), date(2024, 3, 1))],
            (date(2024, 1, 1), date(2024, 12, 31)),
        ),
    ],
)
def test_last_covered_stretch(
    intervals: list[tuple[date, date | None]], expected: tuple[date | None, date | None]
) -> None:
    assert _last_cover(intervals) == expected


def test_health_checks_older_than_twelve_months(built: Built) -> None:
    q = queries(built)
    page = q.health_checks_overdue()
    assert page.items == [
        # Never checked: due twelve months after the hire.
        AuxiliaryGap(
            ds.X2,
            "乙贰",
            "A01",
            "A01-U1",
            "call_intake",
            "active",
            date(2023, 4, 1),
            date(2024, 4, 1),
            274,
        ),
        AuxiliaryGap(
            ds.X1,
            "甲一",
            "A01",
            "A01-U2",
            "patrol",
            "active",
            date(2023, 6, 1),
            date(2024, 6, 1),
            213,
        ),
    ]
    assert [g.auxiliary_id for g in q.health_checks_overdue(on=date(2024, 6, 1)).items] == [ds.X2]
    assert [g.auxiliary_id for g in q.health_checks_overdue(on=date(2024, 6, 2)).items] == [
        ds.X2,
        ds.X1,
    ]
    assert q.health_checks_overdue(on=date(2024, 3, 31)).items == []


@pytest.mark.both_backends  # a WITH read before the page's: planned apart on each backend
def test_separated_auxiliaries_with_credentials_not_returned(built: Built) -> None:
    page = queries(built).unreturned_credentials()
    assert page.items == [
        UnreturnedCredential(
            ds.X4, "丁四", "B02", "B02-U1", date(2024, 3, 1), "uniform", "U4", "active", 305
        )
    ]
    assert queries(built).unreturned_credentials(organ="A01").total == 0
    past = queries(built).unreturned_credentials(page=2)
    assert (past.items, past.total) == ([], 1)


@pytest.mark.both_backends
def test_the_planner_is_told_that_separated_auxiliaries_seldom_hold_credentials(
    fresh: Built,
) -> None:
    """The statistics object ``unreturned_credentials`` relies on is made with the table, in
    the read models' own schema, over the two columns, and filled at once -- also where the
    table was there before it (an upgrade), which autovacuum could leave empty for days."""
    if fresh.backend == "sqlite":
        pytest.skip("extended statistics are PostgreSQL's; SQLite has none to make")
    schema = fresh.models.db.schema  # type: ignore[attr-defined]
    fresh.models.rebuild()
    by_hand(fresh, f'DROP STATISTICS "{schema}"."rm_auxiliary__status_credentials_out_stats"')
    upgraded = ReadModels(fresh.ledger)
    try:
        upgraded.ensure()
        with upgraded.db.read() as s:
            found = s.query(
                "SELECT n.nspname, s.stxname, s.stxkind::text AS kinds, "
                "(SELECT string_agg(a.attname, ',' ORDER BY a.attnum) FROM pg_attribute a "
                "WHERE a.attrelid = s.stxrelid AND a.attnum = ANY(s.stxkeys)) AS columns, "
                "d.stxdmcv IS NOT NULL AS filled "
                "FROM pg_statistic_ext s JOIN pg_namespace n ON n.oid = s.stxnamespace "
                "LEFT JOIN pg_statistic_ext_data d ON d.stxoid = s.oid "
                "WHERE s.stxrelid = '{rm_auxiliary}'::regclass",
                tables=(),
            )
    finally:
        upgraded.close()
    assert found == [
        {
            "nspname": schema,
            "stxname": "rm_auxiliary__status_credentials_out_stats",
            "kinds": "{m}",
            "columns": "status,credentials_out",
            "filled": True,
        }
    ]


def test_sustained_findings_without_a_sanction_decision(built: Built) -> None:
    page = queries(built).sustained_without_sanction()
    assert page.items == [
        # C1:1 is linked to SAN1; C3:1 was sustained in part, then found unfounded.
        UnsanctionedFinding(
            ds.C2, 1, "sustained", date(2024, 3, 20), ds.X1, "甲一", "A01", "A01-U2", 286
        ),
        *(
            UnsanctionedFinding(
                ds.C5, n, "sustained", date(2024, 8, 20), ds.X3, "丙三", "A01", "A01-U2", 133
            )
            for n in (1, 2, 3)
        ),
    ]
    assert page.total == 4
    assert queries(built).sustained_without_sanction(page=2, page_size=3).items == page.items[3:]


def test_records_outside_the_period_of_their_rule(built: Built) -> None:
    page = queries(built).outside_rule_period()
    assert page.items == [
        RuleFlag(
            built.data.b02_registered_position,
            Organ.id_for("B02"),
            1,
            "Organ.Registered",
            "B02",
            date(2023, 2, 20),
            "nantong-2023",
            date(2023, 3, 1),
            date(2027, 12, 31),
            "outside_period",
        )
    ]
    assert queries(built).outside_rule_period(organ="A01").total == 0


def test_events_under_a_rule_the_policy_does_not_know_are_flagged(fresh: Built) -> None:
    policy = Policy(rules=(RuleSet("other-2020", "其他", "X", date(2020, 1, 1), date(2030, 1, 1)),))
    models = ReadModels(fresh.ledger, policy=policy)
    try:
        models.rebuild()
        page = ComplianceQueries(models, clock=lambda: ds.NOW).outside_rule_period(page_size=500)
        events = fresh.models.head() - 1  # every event but the key registry's
        assert page.total == events
        assert {f.reason for f in page.items} == {"unknown_rule"}
        assert {(f.rule_from, f.rule_until) for f in page.items} == {(None, None)}
    finally:
        models.close()


def test_compliance_queries_refuse_unknown_organs_and_dates(built: Built) -> None:
    q = queries(built)
    with pytest.raises(UnknownRecordError, match="no organ C03"):
        q.quota_use(organ="C03")
    with pytest.raises(InvalidFilterValueError, match="filter on must be a calendar date"):
        q.health_checks_overdue(on="2024-01-01")  # type: ignore[arg-type]


def test_a_rule_set_loaded_after_the_projections_started_is_known_to_them(
    fresh: Built,
) -> None:
    from domain.commands.organ import RegisterOrgan  # noqa: PLC0415
    from domain.values import Actor  # noqa: PLC0415
    from ledger.records import Envelope  # noqa: PLC0415
    from ledger.rulebook import shipped_rule_sets  # noqa: PLC0415

    admin = Actor(actor_id="op-1", role="admin", organ="ledger", unit=None)
    fresh.ledger.load_rule_sets(shipped_rule_sets(), Envelope(admin))
    root = Actor(actor_id="root", role="admin", organ="C09", unit=None)
    fresh.ledger.register_organ(
        RegisterOrgan(code="C09", name="旧机关", region="试验市"),
        Envelope(root, effective=date(2022, 6, 1)),
    )
    fresh.models.rebuild()
    flags = ComplianceQueries(fresh.models, clock=lambda: ds.NOW).outside_rule_period()
    # B02 was judged under nantong-2023 before the 2018 rule set was loaded: still flagged.
    # C09 is judged under nantong-2018, which the projection learnt after it started.
    assert [(f.organ, f.rule_id, f.reason) for f in flags.items] == [
        ("B02", "nantong-2023", "outside_period")
    ]
