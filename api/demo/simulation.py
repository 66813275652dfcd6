"""The demo's simulation: every fact planned as a dated step, then run in date order through
``AuxLedger``'s commands, ``BATCH_COMMANDS`` per transaction (``api.demo``)."""

from __future__ import annotations

import dataclasses
import heapq
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import partial
from typing import Any
from uuid import UUID, uuid5

from api.demo.builders import set_up_organ
from api.demo.data import (
    AGENCIES,
    ALLEGATIONS,
    DEMO_END,
    DEMO_START,
    DUTY_POSTS,
    FINDINGS,
    GIVEN,
    GRADES,
    HOLIDAYS_2024,
    NAMESPACE,
    ORGANS,
    POSTS,
    STREETS,
    SURNAMES,
)
from api.notifications import DeliveryCounts, DeliveryWorker, LogOnlyAdapter
from domain.commands import auxiliary as aux_commands
from domain.commands import complaint as complaint_commands
from domain.commands import lifecycle as lifecycle_commands
from domain.commands.holds import PlaceLegalHold, ReleaseLegalHold
from domain.commands.misconduct import RecordMisconduct
from domain.commands.organ import AdjustQuota, RegisterOrgan, SetParent
from domain.commands.pay import RecordAverageWage, SetPaySchedule
from domain.commands.rules import LoadRuleSet
from domain.identity import resident_id_check_char
from domain.values import CHINA_STANDARD_TIME, Actor, SeparationReason
from ledger.records import AuxLedger, Envelope
from ledger.rulebook import shipped_rule_sets
from projections.complainant import ComplainantProjection
from projections.service import ReadModels

BATCH_COMMANDS = 1500
OUTBOX_FROM = date(2026, 1, 1)
"""From this day the complaints office also queues results for the complainant in the
outbox (``Simulation.plan_notification``)."""


@dataclass(order=True)
class Step:
    """One planned fact: run on ``day``; ``seq`` keeps steps of one day in planning order."""

    day: date
    seq: int
    run: Callable[[], Any] = field(compare=False)


@dataclass
class DemoCounts:
    """What the demo laid down."""

    organs: int = 0
    units: int = 0
    auxiliaries: int = 0
    separated: int = 0
    complaints: int = 0
    sanctions: int = 0
    misconduct_findings: int = 0
    commands: int = 0
    events: int = 0

    def to_json(self) -> dict[str, int]:
        """Counts by name."""
        return dict(self.__dict__)


@dataclass
class _Unit:
    organ: str
    code: str
    name: str
    supervisors: list[tuple[str, str]]


@dataclass
class _Officer:
    index: int
    id: UUID
    organ: str
    unit: _Unit
    supervisor: tuple[str, str]
    hired: date
    post: str
    separated: date | None = None
    complaints: int = 0


class Simulation:
    """The demo's dataset for ``officers`` auxiliaries and ``seed``, laid down in ``ledger``.

    ``run()`` plans everything (``plan()``: organs, wages, every officer's life, misconduct),
    then plays the steps in date order, ``BATCH_COMMANDS`` per ``AuxLedger.batch``, each at its
    simulated instant (``play``), and returns the counts. A subclass may change the order in
    which steps are recorded by overriding ``at`` (where a planned step goes) and ``run``
    (scripts/bench_projections.py records officer by officer); the plan, the commands and the
    checks stay the same. The same seed gives the same dataset.
    """

    def __init__(self, ledger: AuxLedger, officers: int, seed: int) -> None:
        self.ledger = ledger
        self.n = officers
        self.seed = seed
        self.rng = random.Random(seed)
        self.queue: list[Step] = []
        self.seq = 0
        self.counts = DemoCounts()
        self.units: dict[str, list[_Unit]] = {}
        self.officers: list[_Officer] = []
        self.serials = 0
        self.current_day = DEMO_START
        self.tick = 0
        self.resident_ids: set[str] = set()
        self.rehire_planned = False
        self.hold_planned = False
        self.lifecycle_marks: set[str] = set()  # the life cycle's one-off cases planned
        self.review_marks: set[str] = set()  # the pending and the overdue review planned

    # ---------------------------------------------------------------- helpers

    def uid(self, kind: str, n: int | str) -> UUID:
        return uuid5(NAMESPACE, f"{self.seed}:{kind}:{n}")

    def at(self, day: date, step: Callable[[], Any]) -> None:
        """Plan ``step`` for ``day`` (none after ``DEMO_END``; none before ``DEMO_START``)."""
        if day > DEMO_END:
            return  # it would happen after the simulated period: not (yet) recorded
        day = max(day, DEMO_START)
        self.seq += 1
        heapq.heappush(self.queue, Step(day, self.seq, step))

    def weighted(self, options: tuple[tuple[str, int], ...]) -> str:
        values, weights = zip(*options, strict=True)
        return str(self.rng.choices(values, weights=weights)[0])

    def name(self) -> str:
        given = "".join(self.rng.choice(GIVEN) for _ in range(self.rng.choice((1, 2, 2))))
        return self.rng.choice(SURNAMES) + given

    def resident_id(self, born: date, female: bool) -> str:
        """A synthetic number no other demo person has (a drawn twin is drawn again: the
        hire check would take two people for one)."""
        while True:
            sequence = self.rng.randrange(0, 100) * 10 + (
                self.rng.choice((0, 2, 4, 6, 8)) if female else self.rng.choice((1, 3, 5, 7, 9))
            )
            first17 = f"320699{born:%Y%m%d}{sequence:03d}"
            number = first17 + resident_id_check_char(first17)
            if number not in self.resident_ids:
                self.resident_ids.add(number)
                return number

    def phone(self) -> str:
        return f"1990000{self.rng.randrange(0, 10000):04d}"

    def address(self) -> str:
        return f"南通市{self.rng.choice(STREETS)}{self.rng.randrange(1, 400)}号"

    def days(self, low: int, high: int) -> timedelta:
        return timedelta(days=self.rng.randint(low, high))

    @staticmethod
    def personnel(organ: str) -> Actor:
        return Actor(actor_id=f"personnel-{organ}", role="personnel", organ=organ, unit=None)

    @staticmethod
    def establishment(organ: str) -> Actor:
        return Actor(
            actor_id=f"establishment-{organ}", role="establishment", organ=organ, unit=None
        )

    @staticmethod
    def unit_actor(unit: _Unit) -> Actor:
        return Actor(actor_id=f"unit-{unit.code}", role="unit", organ=unit.organ, unit=unit.code)

    @staticmethod
    def complaints_actor(organ: str) -> Actor:
        return Actor(actor_id=f"complaints-{organ}", role="complaints", organ=organ, unit=None)

    @staticmethod
    def discipline(organ: str) -> Actor:
        return Actor(actor_id=f"discipline-{organ}", role="discipline", organ=organ, unit=None)

    @staticmethod
    def inspector(organ: str) -> Actor:
        return Actor(actor_id=f"inspector-{organ}", role="inspector", organ=organ, unit=None)

    def later(
        self,
        day: date,
        officer: _Officer,
        command: aux_commands.AuxiliaryCommand,
        actor: str | Actor = "personnel",
        basis: str | None = None,
    ) -> None:
        if (
            officer.separated is not None
            and day >= officer.separated
            and not isinstance(
                command,
                (
                    aux_commands.Separate,
                    aux_commands.ReturnToAgency,
                    aux_commands.ReturnCredential,
                    aux_commands.RecordReferralOutcome,
                ),
            )
        ):
            return  # nothing but separation business after separation
        self.at(day, partial(self.aux, officer, command, actor=actor, basis=basis))

    def aux(
        self,
        officer: _Officer,
        command: aux_commands.AuxiliaryCommand,
        actor: str | Actor = "personnel",
        basis: str | None = None,
    ) -> None:
        who = actor
        if actor == "unit":  # resolved when the step runs: the unit may have changed
            who = self.unit_actor(officer.unit)
        elif actor == "personnel":
            who = self.personnel(officer.organ)
        assert isinstance(who, Actor)
        self.ledger.command_auxiliary(
            officer.id, command, Envelope(who, effective=self.current_day, basis=basis)
        )

    # ---------------------------------------------------------------- plan

    def plan(self) -> None:
        """Plan every step of the dataset (``at``); nothing is recorded yet."""
        self.plan_rules()
        weights = [w for *_, w, _ in ORGANS]
        per_organ = [int(self.n * w) for w in weights]
        per_organ[0] += self.n - sum(per_organ)
        for (code, name, region, _, unit_names), count in zip(ORGANS, per_organ, strict=True):
            self.plan_organ(code, name, region, unit_names, count)
        self.plan_wages()
        index = 0
        for (code, *_), count in zip(ORGANS, per_organ, strict=True):
            for _ in range(count):
                self.plan_officer(index, code)
                index += 1
        self.plan_misconduct()

    def plan_parent(self, code: str) -> None:
        """Place every organ but the city bureau (the first of ``ORGANS``) under it, right
        after its registration (issue 13): the tree the city's oversight tokens read."""
        city = ORGANS[0][0]
        if code == city:
            return

        def place() -> None:
            admin = Actor(actor_id="admin-city", role="admin", organ=code, unit=None)
            self.ledger.set_organ_parent(code, SetParent(parent=city), Envelope(admin))

        self.at(DEMO_START, place)

    def plan_rules(self) -> None:
        """The shipped rule sets first of all, and on 2023-12-20 the 2023 measures' rule set
        again, amended with the State Council's 2024 holidays (``HOLIDAYS_2024``)."""
        admin = Actor(actor_id="admin-city", role="admin", organ=ORGANS[0][0], unit=None)
        shipped = shipped_rule_sets()

        def load() -> None:
            self.ledger.load_rule_sets(shipped, Envelope(admin, basis="通政规〔2023〕1号"))

        def amend() -> None:
            current = shipped[-1]
            rule = current.rule_set
            # The calendar goes through the rule-file checks like any operator's file.
            calendar = LoadRuleSet.from_mapping(
                {
                    "format": 1,
                    "id": rule.rule_id,
                    "title": rule.title,
                    "document": rule.document,
                    "effective_from": rule.effective_from,
                    "effective_until": rule.effective_until,
                    "calendar": HOLIDAYS_2024,
                }
            ).rule_set.calendar
            amended = LoadRuleSet(
                rule_set=dataclasses.replace(rule, calendar=calendar),
                notes=f"{current.notes} 2024年节假日依国办发明电〔2023〕7号。",
            )
            self.ledger.load_rule_sets([amended], Envelope(admin, basis="国办发明电〔2023〕7号"))

        self.at(DEMO_START, load)
        self.at(date(2023, 12, 20), amend)

    def plan_organ(
        self, code: str, name: str, region: str, unit_names: tuple[str, ...], count: int
    ) -> None:
        units = []
        for i, unit_name in enumerate(unit_names, start=1):
            supervisors = [
                (f"{code[-3:]}{i:02d}{k:02d}", self.name())
                for k in range(1, self.rng.randint(4, 7))
            ]
            units.append(_Unit(code, f"{code}-{i:03d}", unit_name, supervisors))
        self.units[code] = units
        establishment = self.establishment(code)
        first_quota = max(1, int(count * 1.08) + 1)

        def register() -> None:
            set_up_organ(
                self.ledger,
                RegisterOrgan(code=code, name=name, region=region),
                [(unit.code, unit.name) for unit in units],
                first_quota,
                admin=Actor(actor_id="admin-city", role="admin", organ=code, unit=None),
                establishment=establishment,
                quota_basis="宁编〔2023〕12号",
            )
            self.counts.organs += 1
            self.counts.units += len(units)

        self.at(DEMO_START, register)
        self.plan_parent(code)

        def adjust() -> None:
            self.ledger.command_organ(
                code,
                AdjustQuota(
                    new_quota=max(first_quota, int(count * 1.12) + 2),
                    reason="警务辅助人员用人额度动态调整",
                ),
                Envelope(establishment, basis="通编〔2024〕7号"),
            )

        self.at(date(2024, 1, 15), adjust)
        personnel = self.personnel(code)
        for year in (2023, 2024, 2025, 2026):
            base = Decimal(4200 + 250 * (year - 2023))
            scale = {str(level): base + Decimal(380 * (level - 1)) for level in range(1, 11)}

            def set_pay(year: int = year, scale: dict[str, Decimal] = scale) -> None:
                self.ledger.set_pay_schedule(
                    code, SetPaySchedule(year=year, monthly_by_level=scale), Envelope(personnel)
                )

            self.at(date(year, 1, 10) if year > 2023 else DEMO_START, set_pay)

    def plan_wages(self) -> None:
        regions = sorted({region for _, _, region, _, _ in ORGANS})
        for region in regions:
            organ = next(code for code, _, r, _, _ in ORGANS if r == region)
            for year, amount in ((2022, 96500), (2023, 101200), (2024, 105800), (2025, 110300)):

                def record(
                    region: str = region, year: int = year, amount: int = amount, organ: str = organ
                ) -> None:
                    self.ledger.record_average_wage(
                        region,
                        RecordAverageWage(year=year, annual_amount=Decimal(amount)),
                        Envelope(self.personnel(organ), basis=f"南通市统计局{year + 1}年公报"),
                    )

                self.at(DEMO_START if year < 2023 else date(year + 1, 3, 20), record)

    def plan_officer(self, index: int, organ: str) -> None:
        """Plan one officer's life, from the hire to the separation (if any)."""
        rng = self.rng
        early = rng.random() < 0.6
        span = (DEMO_END - DEMO_START).days - 120
        hired = DEMO_START + (self.days(0, 60) if early else self.days(0, span))
        unit = rng.choice(self.units[organ])
        officer = _Officer(
            index=index,
            id=self.uid("auxiliary", index),
            organ=organ,
            unit=unit,
            supervisor=rng.choice(unit.supervisors),
            hired=hired,
            post=self.weighted(POSTS),
        )
        self.officers.append(officer)
        female = rng.random() < 0.3
        born = date(rng.randint(1978, 2001), rng.randint(1, 12), rng.randint(1, 28))
        dispatch = rng.random() < 0.3
        contract_years = rng.choice((2, 3, 3, 5))
        person = {
            "name": self.name(),
            "gender": "female" if female else "male",
            "resident_id": self.resident_id(born, female),
            "phone": self.phone(),
            "address": self.address(),
        }
        level = rng.choice((1, 1, 1, 2, 2, 3))

        def hire() -> None:
            self.ledger.hire(
                organ,
                aux_commands.Hire(
                    auxiliary_id=officer.id,
                    unit=unit.code,
                    supervisor_id=officer.supervisor[0],
                    supervisor_name=officer.supervisor[1],
                    employment_form="labour_dispatch" if dispatch else "direct_contract",
                    dispatch_agency=rng.choice(AGENCIES) if dispatch else None,
                    contract_start=hired,
                    contract_end=_add_years(hired, contract_years) - timedelta(days=1),
                    post_type=officer.post,
                    level=level,
                    **person,
                ),
                Envelope(self.personnel(organ), effective=hired, basis="通政规〔2023〕1号 第八条"),
            )
            self.counts.auxiliaries += 1

        self.at(hired, hire)
        serial = f"{organ[-4:]}{index:06d}"
        for kind, prefix in (("work_id", "NTFJ"), ("uniform", "FZ"), ("insignia", "BZ")):
            self.later(
                hired + self.days(0, 5),
                officer,
                aux_commands.IssueCredential(kind=kind, serial=prefix + serial),
            )
        for kind in ("pension", "medical", "work_injury"):
            self.later(
                hired + self.days(1, 20),
                officer,
                aux_commands.EnrolInsurance(
                    kind=kind,
                    insurer="南通市社会保险基金管理中心",
                    policy_number=f"SB{serial}{kind[:2].upper()}",
                    start=hired,
                    end=None,
                ),
            )
        if officer.post in DUTY_POSTS and rng.random() < 0.9:
            self.later(
                hired + self.days(1, 30),
                officer,
                aux_commands.EnrolInsurance(
                    kind="accident",
                    insurer="中国人民财产保险南通分公司",
                    policy_number=f"YW{serial}",
                    start=hired,
                    end=None,
                ),
            )
        # Separation decided up front so nothing is planned after it.
        separation: tuple[date, str] | None = None
        roll = rng.random()
        if roll < 0.05:
            separation = (hired + self.days(200, 1100), "resigned")
        elif roll < 0.07:
            separation = (_add_years(hired, contract_years), "contract_ended")
        elif roll < 0.08:
            separation = (hired + self.days(200, 1100), "dismissed")
        if separation is not None and separation[0] >= DEMO_END - timedelta(days=10):
            separation = None
        if separation is not None and separation[1] == "resigned" and dispatch and index % 3 == 0:
            # A third of the dispatched who would resign are returned to the agency (Art. 8).
            separation = (separation[0], SeparationReason.returned_to_agency.value)
        separation = self.plan_probation(officer, separation)
        last = separation[0] - timedelta(days=5) if separation else DEMO_END
        officer.separated = separation[0] if separation else None
        if separation is not None and separation[1] == "dismissed" and not self.rehire_planned:
            self.rehire_planned = self.plan_rehire(officer, person, separation[0])
        if not self.hold_planned and separation is None:
            self.hold_planned = self.plan_legal_hold(officer)

        # Most contracts still running are renewed a month before they end (Art. 8), some
        # for one year only; the others run past their end, for the contracts_ending report.
        # A generator of its own per officer, so every draw above and below is what it was
        # without renewals.
        renewals = random.Random(officer.id.int)
        end = _add_years(hired, contract_years) - timedelta(days=1)
        while officer.separated is None and end < DEMO_END and renewals.random() < 0.75:
            term = 1 if renewals.random() < 0.4 else contract_years
            renewed = _add_years(end + timedelta(days=1), term) - timedelta(days=1)
            self.later(
                end - timedelta(days=30), officer, aux_commands.RenewContract(contract_end=renewed)
            )
            end = renewed

        year = max(hired.year, 2023)
        current_level = level
        while True:
            check = date(year, 6, rng.randint(1, 28))
            if hired < check <= last and (year < 2026 or rng.random() < 0.75):
                fit = rng.random() < 0.96
                self.later(
                    check,
                    officer,
                    aux_commands.RecordHealthCheck(
                        checked_on=check,
                        fit=fit,
                        details="各项指标正常" if fit else "血压偏高，建议复查",
                    ),
                )
            review = date(year, 12, 20)
            if hired + timedelta(days=180) < review <= last:
                grade = self.weighted(GRADES)
                self.later(review, officer, aux_commands.Evaluate(year=year, grade=grade))
                new_level = current_level
                if grade == "excellent" and current_level < 10:
                    new_level = current_level + 1
                elif grade == "incompetent" and current_level > 1:
                    new_level = current_level - 1
                if new_level != current_level:
                    reason = "promotion" if new_level > current_level else "demotion"
                    self.later(
                        review + timedelta(days=12),
                        officer,
                        aux_commands.ChangeLevel(level=new_level, reason=reason),
                    )
                    current_level = new_level
            year += 1
            if date(year, 1, 1) > last:
                break

        window = (last - hired).days
        if window > 120 and rng.random() < 0.2:

            def reassign() -> None:
                candidates = [s for s in officer.unit.supervisors if s != officer.supervisor]
                if not candidates:
                    return
                officer.supervisor = self.rng.choice(candidates)
                self.aux(
                    officer,
                    aux_commands.AssignSupervisor(
                        supervisor_id=officer.supervisor[0], supervisor_name=officer.supervisor[1]
                    ),
                    actor="unit",
                )

            self.at(hired + self.days(60, window - 30), reassign)
        if window > 200 and rng.random() < 0.08:
            when = hired + self.days(100, window - 60)
            target = rng.choice([u for u in self.units[organ] if u is not unit] or [unit])
            if target is not unit:
                new_supervisor = rng.choice(target.supervisors)

                def transfer(target: _Unit = target, sup: tuple[str, str] = new_supervisor) -> None:
                    self.aux(
                        officer,
                        aux_commands.Transfer(
                            unit=target.code, supervisor_id=sup[0], supervisor_name=sup[1]
                        ),
                    )
                    officer.unit = target
                    officer.supervisor = sup

                self.at(when, transfer)
        if window > 90 and separation is None and rng.random() < 0.025:
            self.later(
                last - self.days(10, 80),
                officer,
                aux_commands.ReleaseSupervisor(reason="带辅民警调离，待重新指定"),
                actor="unit",
            )
        if window > 60 and rng.random() < 0.15:
            kind = self.weighted(
                (("citation", 70), ("merit_third", 20), ("honorary_title", 8), ("merit_second", 2))
            )
            self.later(
                hired + self.days(45, window - 1),
                officer,
                aux_commands.Commend(kind=kind, issuing_body=f"{organ}政治处"),
            )
        if window > 60 and rng.random() < 0.03:
            injury = f"INJ-{serial}"
            when = hired + self.days(30, window - 20)
            self.later(
                when,
                officer,
                aux_commands.RecordDutyInjury(
                    injury_id=injury, occurred_on=when, medical_details="执勤时左臂软组织挫伤"
                ),
            )
            for category, amount in (("medical", "3260.50"), ("transport", "180.00")):
                self.later(
                    when + self.days(2, 15),
                    officer,
                    aux_commands.AdvanceCost(
                        injury_id=injury, category=category, amount=Decimal(amount)
                    ),
                )
        if window > 60 and rng.random() < 0.02:
            when = hired + self.days(30, window - 10)
            self.later(
                when,
                officer,
                aux_commands.RecordInfringement(
                    occurred_on=when,
                    description="依法劝阻违法行为时遭人殴打",
                    referred_to="治安管理大队",
                ),
            )
        self.plan_training(officer, last)
        self.plan_leaves(officer, last, female)
        self.plan_complaints(officer, last)
        if separation is not None:
            self.plan_separation(officer, serial, separation)

    def plan_complaints(self, officer: _Officer, last: date) -> None:
        rng = self.rng
        window = (last - officer.hired).days
        if window < 30:
            return
        problem = rng.random() < 0.02
        count = rng.randint(3, 5) if problem else (1 if rng.random() < 0.22 else 0)
        for k in range(count):
            if problem:
                incident = last - self.days(5, min(300, window - 5))
            else:
                incident = officer.hired + self.days(5, window - 5)
            self.plan_complaint(officer, incident, k)

    def plan_complaint(self, officer: _Officer, incident: date, k: int) -> None:
        rng = self.rng
        complaint_id = self.uid("complaint", f"{officer.index}-{k}")
        received = incident + self.days(1, 6)
        channel = self.weighted(
            (
                ("online", 35),
                ("hotline_12389", 30),
                ("hotline_110", 10),
                ("letters_visits", 15),
                ("walk_in", 7),
                ("referral", 3),
            )
        )
        allegations = rng.sample(ALLEGATIONS, rng.choice((1, 1, 2, 3)))
        incident_at = datetime.combine(
            incident, time(rng.randint(7, 21), rng.randint(0, 59)), CHINA_STANDARD_TIME
        )
        state: dict[str, Any] = {"organ": officer.organ, "sustained": False}

        # Taken by the office from its channel, some without the auxiliary's name (matched on
        # acknowledgement); decided by the complaint's id, not the generator, so the rest of
        # the simulated period draws exactly the numbers it drew before.
        unnamed = channel in _UNNAMED_CHANNELS and complaint_id.bytes[0] < 80

        def receive() -> None:
            place = f"南通市{rng.choice(STREETS)}附近"
            complainant: dict[str, Any] = {
                "complaint_id": complaint_id,
                "complainant_id": self.uid("complainant", f"{officer.index}-{k}"),
                "incident_at": incident_at,
                "incident_place": place,
                "allegations": allegations,
                "complainant_name": self.name(),
                "complainant_phone": self.phone(),
                "complainant_resident_id": None,
                "complainant_address": self.address() if rng.random() < 0.4 else None,
                "contact_text": "工作日白天可电话联系",
            }
            if channel == "online":
                public = Actor(
                    actor_id="public-intake", role="public", organ=officer.organ, unit=None
                )
                self.ledger.receive_complaint(
                    complaint_commands.ReceiveComplaint(
                        auxiliary_id=officer.id, channel=channel, tracking_hash=None, **complainant
                    ),
                    Envelope(public),
                )
            else:
                self.ledger.take_complaint(
                    complaint_commands.TakeComplaint(
                        channel=channel,
                        outside_reference=_outside_reference(channel, received, complaint_id),
                        referring_organ="南通市纪委监委" if channel == "referral" else None,
                        auxiliary_id=None if unnamed else officer.id,
                        subject_description="身着辅警制服，投诉人未记下工号" if unnamed else None,
                        **complainant,
                    ),
                    Envelope(self.complaints_actor(officer.organ)),
                )
            state["organ"] = self.ledger.complaint(complaint_id).organ
            self.counts.complaints += 1

        self.at(received, receive)

        def handle(command: complaint_commands.ComplaintCommand) -> Callable[[], None]:
            def run() -> None:
                self.ledger.command_complaint(
                    complaint_id,
                    command,
                    Envelope(self.complaints_actor(state["organ"]), effective=self.current_day),
                )

            return run

        late = rng.random() < 0.08
        ack = received + (self.days(3, 9) if late else self.days(0, 1))
        self.at(ack, handle(complaint_commands.Acknowledge()))
        if unnamed:

            def match() -> None:
                self.ledger.match_complaint(
                    complaint_id,
                    complaint_commands.MatchSubject(auxiliary_id=officer.id),
                    Envelope(self.complaints_actor(state["organ"]), effective=self.current_day),
                )

            self.at(ack, match)
        # Recent complaints are still being handled; some are left untouched past deadline.
        remaining = (DEMO_END - received).days
        if rng.random() < 0.1:
            declined = ack + self.days(1, 3)
            self.at(
                declined,
                handle(complaint_commands.Decline(reason="不属于辅警管理职责范围，已转交有关部门")),
            )
            notified = declined + self.days(1, 4)
            if notified < DEMO_END:
                self.at(
                    notified,
                    handle(
                        complaint_commands.NotifyComplainant(
                            method="phone", notified_on=notified, summary="已告知不予受理理由"
                        )
                    ),
                )
                self.at(notified + self.days(0, 2), handle(complaint_commands.Close()))
            return
        accept = ack + self.days(0, 2)
        self.at(accept, handle(complaint_commands.Accept(category="作风纪律")))
        due = accept + timedelta(days=30)
        self.at(
            accept,
            handle(
                complaint_commands.Assign(
                    investigator_id=f"DC{officer.organ[-3:]}{rng.randint(1, 9)}", due=due
                )
            ),
        )
        if remaining < 25:
            return  # still under investigation
        if rng.random() < 0.03:
            self.at(
                accept + self.days(2, 10),
                handle(complaint_commands.Withdraw(reason="投诉人主动撤回")),
            )
            self.at(accept + self.days(11, 14), handle(complaint_commands.Close()))
            return
        overdue = remaining < 120 and rng.random() < 0.25
        if overdue:
            return  # left open well past its due date
        finding_day = accept + self.days(5, 40)
        for number in range(1, len(allegations) + 1):
            result = self.weighted(FINDINGS)
            if result in ("sustained", "partly_sustained"):
                state["sustained"] = True
            self.at(
                finding_day,
                handle(
                    complaint_commands.RecordFinding(
                        allegation_number=number,
                        result=result,
                        reasoning="经调取执法记录仪视频并询问当事人，查明情况",
                    )
                ),
            )
        if rng.random() < 0.1:
            return  # concluded, but the complainant has not been told (Art. 17)
        notified = finding_day + self.days(1, 10)
        self.at(
            notified,
            handle(
                complaint_commands.NotifyComplainant(
                    method=rng.choice(("phone", "sms", "letter", "online")),
                    notified_on=notified,
                    summary="已将调查处理结果告知投诉人",
                )
            ),
        )
        closed = notified + self.days(0, 3)
        self.at(closed, handle(complaint_commands.Close()))
        reopened = rng.random() < 0.02 and closed + timedelta(days=40) < DEMO_END
        if reopened:
            self.at(
                closed + self.days(5, 20),
                handle(complaint_commands.Reopen(reason="投诉人提供新的证据")),
            )
        else:
            self.plan_review(complaint_id, state, channel, notified, len(allegations))
        self.plan_notification(complaint_id, state, finding_day)
        self.at(
            finding_day + timedelta(days=1),
            partial(self.maybe_sanction, officer, complaint_id, state),
        )

    def maybe_sanction(self, officer: _Officer, complaint_id: UUID, state: dict[str, Any]) -> None:
        rng = self.rng
        if not state["sustained"]:
            return
        if officer.separated is not None and officer.separated <= self.current_day:
            return
        if self.ledger.auxiliary(officer.id).status.value != "active":
            return  # suspended: the discipline office waits for reinstatement
        if rng.random() < 0.3:
            return  # sustained, but no sanction decision recorded (Art. 18 report)
        complaint = self.ledger.complaint(complaint_id)
        links = [
            f"{complaint_id}:{n}"
            for n, finding in complaint.findings.items()
            if finding.result.value in ("sustained", "partly_sustained")
        ]
        kind = self.weighted(
            (
                ("criticism", 40),
                ("circulated_criticism", 25),
                ("warning", 20),
                ("demerit", 10),
                ("suspension", 5),
            )
        )
        sanction_id = f"CF-{officer.index}-{len(links)}-{complaint_id.hex[:6]}"
        discipline = self.discipline(officer.organ)
        until = self.current_day + timedelta(days=30) if kind == "suspension" else None
        self.hear_or_waive(officer, sanction_id, discipline)
        self.aux(
            officer,
            aux_commands.ImposeSanction(
                sanction_id=sanction_id,
                kind=kind,
                until=until,
                linked_findings=links,
                **self.decision(officer, complaint_id.hex[:4]),
            ),
            actor=discipline,
        )
        self.counts.sanctions += 1
        day = self.current_day
        if kind == "suspension":
            self.later(
                day + timedelta(days=30),
                officer,
                aux_commands.Reinstate(reason="停职期满"),
                actor=discipline,
            )
        elif rng.random() < 0.2:
            self.later(
                day + self.days(3, 10),
                officer,
                aux_commands.AppealSanction(sanction_id=sanction_id, grounds="对事实认定有异议"),
                actor=discipline,
            )
            self.later(
                day + self.days(15, 25),
                officer,
                aux_commands.DecideAppeal(sanction_id=sanction_id, upheld=rng.random() < 0.7),
                actor=self.inspector(officer.organ),  # another body and person (Art. 18)
            )

    def hear_or_waive(self, officer: _Officer, sanction_id: str, discipline: Actor) -> None:
        """The statement and defence before a decision (Art. 18): heard, or for about one
        case in eight waived in writing. Drawn from a generator of its own, so the dataset's
        other draws stay what they were."""
        own = random.Random(f"statement:{sanction_id}")
        if own.random() < 0.125:
            command: aux_commands.AuxiliaryCommand = aux_commands.WaiveStatement(
                sanction_id=sanction_id, waiver_reference=f"放弃陈述申辩声明书 {sanction_id}"
            )
        else:
            command = aux_commands.HearStatement(
                sanction_id=sanction_id,
                heard_on=self.current_day,
                heard_by=f"纪检监察室 {discipline.actor_id}",
                statement=own.choice(
                    (
                        "对调查认定的事实无异议，请求从轻处理",
                        "当时情况紧急，处置方式欠妥，今后改正",
                        "对部分事实有异议，已提交情况说明",
                    )
                ),
            )
        self.aux(officer, command, actor=discipline)

    def decision(self, officer: _Officer, tag: str) -> dict[str, Any]:
        """What a sanction decision states besides its kind (Art. 18)."""
        day = self.current_day
        return {
            "facts": "经调查核实，该辅警在执勤中存在投诉所反映的违规行为",
            "reasons": "违反辅警管理相关规定及公安机关日常管理制度",
            "article": "Art. 18",
            "document_number": f"通公纪〔{day.year}〕{officer.index % 9000 + 1}号",
            "evidence": [f"调查笔录 {tag}", f"执法记录仪视频 {day:%m%d}"],
        }

    def plan_separation(self, officer: _Officer, serial: str, separation: tuple[date, str]) -> None:
        day, reason = separation
        if reason == "dismissed":
            discipline = self.discipline(officer.organ)
            sanction_id = f"JC-{officer.index}"

            def terminate() -> None:
                self.hear_or_waive(officer, sanction_id, discipline)
                self.aux(
                    officer,
                    aux_commands.ImposeSanction(
                        sanction_id=sanction_id,
                        kind="termination",
                        until=None,
                        linked_findings=[],
                        **self.decision(officer, sanction_id),
                    ),
                    actor=discipline,
                    basis="通政规〔2023〕1号 第十八条",
                )

            self.at(day - timedelta(days=3), terminate)
            if self.rng.random() < 0.4:
                reference = f"通公移诉〔{day.year}〕{officer.index % 1000}号"
                self.later(
                    day - timedelta(days=2),
                    officer,
                    aux_commands.ReferForProsecution(
                        reference=reference,
                        summary="涉嫌利用协助执法之便索取财物，移送检察机关",
                    ),
                    actor=discipline,
                )
                self.plan_referral_outcomes(officer, reference, day, discipline)

        def separate() -> None:
            if reason == SeparationReason.returned_to_agency.value:
                self.aux(
                    officer,
                    aux_commands.ReturnToAgency(return_grounds="不适应岗位要求，退回劳务派遣单位"),
                )
            else:
                self.aux(officer, aux_commands.Separate(reason=reason))
            self.counts.separated += 1

        self.at(day, separate)
        if self.rng.random() < 0.85:
            for kind, prefix in (("work_id", "NTFJ"), ("uniform", "FZ"), ("insignia", "BZ")):
                self.later(
                    day + self.days(0, 10),
                    officer,
                    aux_commands.ReturnCredential(kind=kind, serial=prefix + serial),
                )

    def plan_rehire(self, officer: _Officer, person: dict[str, str], dismissed: date) -> bool:
        """The dismissed officer hired again by another organ a month later: warned of the
        dismissal (``prior_record_elsewhere``), hired with an override reason (issue 13)."""
        day = dismissed + timedelta(days=30)
        if day > DEMO_END:
            return False
        organ = next(code for code, *_ in ORGANS if code != officer.organ)
        unit = self.units[organ][0]
        new_id = self.uid("rehire", officer.index)

        def rehire() -> None:
            self.ledger.hire(
                organ,
                aux_commands.Hire(
                    auxiliary_id=new_id,
                    unit=unit.code,
                    supervisor_id=unit.supervisors[0][0],
                    supervisor_name=unit.supervisors[0][1],
                    employment_form="direct_contract",
                    dispatch_agency=None,
                    contract_start=day,
                    contract_end=_add_years(day, 2) - timedelta(days=1),
                    post_type=officer.post,
                    level=1,
                    override_reason="已向原用人机关核实解聘情况，经局党委研究同意试用录用",
                    **person,
                ),
                Envelope(self.personnel(organ), effective=day, basis="通政规〔2023〕1号 第八条"),
            )
            self.counts.auxiliaries += 1

        self.at(day, rehire)
        return True

    def plan_legal_hold(self, officer: _Officer) -> bool:
        """A legal hold on an employed officer's data, placed by the discipline office and
        released three months later (issue 13)."""
        placed = officer.hired + timedelta(days=40)
        released = placed + timedelta(days=90)
        if released > DEMO_END:
            return False
        discipline = self.discipline(officer.organ)
        hold_id = f"BQ-{officer.index}"

        def place() -> None:
            self.ledger.command_legal_hold(
                officer.id,
                PlaceLegalHold(
                    hold_id=hold_id,
                    reason="劳动争议仲裁期间保全人事档案",
                    reference=f"通劳人仲案字〔{placed.year}〕{officer.index % 1000}号",
                ),
                Envelope(discipline, effective=placed),
            )

        def release() -> None:
            self.ledger.command_legal_hold(
                officer.id,
                ReleaseLegalHold(hold_id=hold_id, reason="仲裁裁决已生效，保全解除"),
                Envelope(discipline, effective=released),
            )

        self.at(placed, place)
        self.at(released, release)
        return True

    def plan_referral_outcomes(
        self, officer: _Officer, reference: str, referred: date, discipline: Actor
    ) -> None:
        """The prosecutor accepts or declines; an accepted case is judged later (Art. 18).
        From a generator of its own: the dataset's other draws stay what they were."""
        own = random.Random(f"referral:{reference}")
        decided = referred + timedelta(days=own.randint(20, 60))
        if decided >= DEMO_END:
            return
        outcome = "declined" if own.random() < 0.25 else "accepted"
        self.later(
            decided,
            officer,
            aux_commands.RecordReferralOutcome(
                reference=reference,
                outcome=outcome,
                outcome_reference=f"通检受〔{decided.year}〕{officer.index % 1000 + 1}号",
                decided_on=decided,
            ),
            actor=discipline,
        )
        judged = decided + timedelta(days=own.randint(60, 150))
        if outcome == "accepted" and judged < DEMO_END:
            self.later(
                judged,
                officer,
                aux_commands.RecordReferralOutcome(
                    reference=reference,
                    outcome="judgement",
                    outcome_reference=f"（{judged.year}）苏06刑初{officer.index % 1000 + 1}号",
                    decided_on=judged,
                ),
                actor=discipline,
            )

    # ---------------------------------------------------------------- review and the outbox

    def complaint_step(
        self,
        complaint_id: UUID,
        state: dict[str, Any],
        command: complaint_commands.ComplaintCommand,
        role: str,
    ) -> Callable[[], None]:
        """A step recording ``command`` on the complaint by ``role`` (complaints, inspector,
        public) of the complaint's organ, resolved when the step runs (an unnamed complaint
        answers to its auxiliary's organ once matched)."""

        def run() -> None:
            organ = state["organ"]
            actor_id = "public-intake" if role == "public" else f"{role}-{organ}"
            self.ledger.command_complaint(
                complaint_id,
                command,
                Envelope(
                    Actor(actor_id=actor_id, role=role, organ=organ, unit=None),
                    effective=self.current_day,
                ),
            )

        return run

    def plan_review(
        self,
        complaint_id: UUID,
        state: dict[str, Any],
        channel: str,
        notified: date,
        allegations: int,
    ) -> None:
        """Reviews (复查) of a result told to the complainant: about one in seven asked for
        within the request window, through the public route (some online complainants) or
        by the complaints office on the complainant's behalf; decided by the inspectorate
        within the deadline, mostly upheld, some changed -- then the office reopens the
        complaint, investigates again and tells the complainant the new result. One request
        is left pending on ``DEMO_END`` (due a few days later) and one past its due date,
        when a result was told at the right time. From a generator of its own per complaint:
        the dataset's other draws stay what they were."""
        own = random.Random(f"{self.seed}:review:{complaint_id}")
        window = self.ledger.base_policy.review
        requested: date | None = None
        decide = True
        for mark, day in (
            ("review_pending", DEMO_END - timedelta(days=window.decide_days - 8)),
            ("review_overdue", DEMO_END - timedelta(days=window.decide_days + 10)),
        ):
            if mark not in self.review_marks and notified < day <= window.request_until(notified):
                self.review_marks.add(mark)
                requested, decide = day, False
                break
        if requested is None:
            if own.random() >= 0.15:
                return
            requested = notified + self.days_of(own, 2, window.request_days)
        role = "public" if channel == "online" and own.random() < 0.6 else "complaints"
        reasons = own.choice(
            (
                "对调查结论有异议，认为未调取全部执法记录仪视频",
                "认为处理结果过轻，请求重新调查",
                "调查时未听取本人补充陈述，申请复查",
            )
        )
        self.at(
            requested,
            self.complaint_step(
                complaint_id, state, complaint_commands.RequestReview(reasons=reasons), role
            ),
        )
        if not decide:
            return
        decided = requested + self.days_of(own, 5, window.decide_days - 2)
        upheld = own.random() >= 0.25
        decision = (
            complaint_commands.DecideReview(
                outcome="upheld", reasons="原调查事实清楚、证据充分，维持原结论"
            )
            if upheld
            else complaint_commands.DecideReview(
                outcome="changed", reasons="原调查未调取现场视频，事实不清，应重新调查"
            )
        )
        self.at(decided, self.complaint_step(complaint_id, state, decision, "inspector"))
        if upheld:
            return

        def office(command: complaint_commands.ComplaintCommand) -> Callable[[], None]:
            return self.complaint_step(complaint_id, state, command, "complaints")

        reopened = decided + self.days_of(own, 1, 3)
        self.at(reopened, office(complaint_commands.Reopen(reason="复查决定变更原结论，重新调查")))
        self.at(
            reopened,
            office(
                complaint_commands.Assign(
                    investigator_id=f"FC{own.randint(1, 9)}",
                    due=reopened + timedelta(days=30),
                )
            ),
        )
        found = reopened + self.days_of(own, 7, 20)
        for number in range(1, allegations + 1):
            result = own.choice(("sustained", "partly_sustained", "not_sustained"))
            self.at(
                found,
                office(
                    complaint_commands.RecordFinding(
                        allegation_number=number,
                        result=result,
                        reasoning="复查后重新调取现场视频并询问证人，查明情况",
                    )
                ),
            )
        told = found + self.days_of(own, 1, 5)
        self.at(
            told,
            office(
                complaint_commands.NotifyComplainant(
                    method=own.choice(("phone", "letter")),
                    notified_on=told,
                    summary="已将重新调查处理结果告知投诉人",
                )
            ),
        )
        self.at(told + self.days_of(own, 0, 2), office(complaint_commands.Close()))

    def plan_notification(self, complaint_id: UUID, state: dict[str, Any], concluded: date) -> None:
        """From ``OUTBOX_FROM`` most results are also sent to the complainant through the
        outbox, queued by the complaints office on the day the complaint concludes: by sms,
        letter or phone, on a contact the complainant left (a letter to a complainant who
        left no address goes by sms). ``deliver_notifications`` delivers them at the end.
        From a generator of its own per complaint."""
        if concluded < OUTBOX_FROM:
            return
        own = random.Random(f"{self.seed}:outbox:{complaint_id}")
        if own.random() >= 0.8:
            return
        wanted = own.choice(("sms", "letter", "phone"))
        message_id = self.uid("notification", str(complaint_id))

        def queue() -> None:
            channel = wanted
            if channel == "letter" and not self.ledger.complaint(complaint_id).complainant_address:
                channel = "sms"  # the address is the complainant's choice, drawn at receipt
            command = complaint_commands.QueueNotification(
                message_id=message_id,
                channel=channel,
                text="您反映的问题已调查办结，处理结果将另行告知；如对结果有异议，可在三十日内申请复查。",
            )
            self.complaint_step(complaint_id, state, command, "complaints")()

        self.at(concluded, queue)

    def deliver_notifications(self) -> DeliveryCounts:
        """After the last step: the outbox's delivery worker with the log-only adapter, at
        18:00 on ``DEMO_END``, in passes as ``notifications deliver`` makes them until
        nothing is due. Every message queued comes to the truthful ``not_sent_log_only``
        (sms, letter) or ``pending_staff_call`` (phone), each a signed event. The worker
        reads the outbox from the complainant projection, caught up here (the other read
        models are left to ``serve`` or ``projections rebuild``)."""
        ledger = self.ledger
        instant = datetime.combine(DEMO_END, time(18, 0), CHINA_STANDARD_TIME).astimezone(UTC)
        real_clock = ledger.clock
        total = DeliveryCounts(led=True)
        models = ReadModels(ledger)
        try:
            models.ensure()
            ledger.clock = partial(_fixed, instant)
            worker = DeliveryWorker(ledger, models, LogOnlyAdapter(), clock=ledger.clock)
            try:
                while True:
                    models.catch_up(ComplainantProjection.name)
                    counts = worker.run_once()
                    if not counts.led:
                        return counts  # another worker delivers (not on a new demo ledger)
                    total.delivered += counts.delivered
                    total.failed += counts.failed
                    total.skipped += counts.skipped
                    if not counts.delivered + counts.failed:
                        return total
            finally:
                worker.close()
        finally:
            ledger.clock = real_clock
            models.close()

    # ---------------------------------------------------------------- life cycle

    def _lifecycle_rng(self, officer: _Officer, part: str) -> random.Random:
        """A generator of the officer's own per part, so that every draw of the rest of the
        simulation is what it was without the life cycle."""
        return random.Random(f"{self.seed}:{part}:{officer.index}")

    def plan_probation(
        self, officer: _Officer, separation: tuple[date, str] | None
    ) -> tuple[date, str] | None:
        """Most hires start with a probation of three or six months (Art. 8, 9), decided a
        few days after its last day, mostly passed; some are left undecided (the warnings'
        ``probation_overdue``). The last officer planned, if employed long enough and not
        leaving otherwise, fails it and is separated for it: the separation returned."""
        rng = self._lifecycle_rng(officer, "probation")
        if rng.random() < 0.12:
            return separation  # hired without a probation
        until = officer.hired + timedelta(days=rng.choice((89, 181, 181)))
        self.later(
            officer.hired,
            officer,
            lifecycle_commands.StartProbation(until=until),
            basis="劳动合同约定",
        )
        decided = until + self.days_of(rng, 1, 10)
        fails = (
            "probation_failed" not in self.lifecycle_marks
            and officer.index == self.n - 1
            and separation is None
            and decided + timedelta(days=12) < DEMO_END - timedelta(days=10)
        )
        if fails:
            self.lifecycle_marks.add("probation_failed")
            self.later(
                decided,
                officer,
                lifecycle_commands.CompleteProbation(passed=False),
                basis="试用期考核不合格",
            )
            return (decided + timedelta(days=12), "probation_failed")
        if rng.random() < 0.06:
            return separation  # decided by nobody: overdue once its last day has passed
        if separation is None or decided < separation[0]:
            self.later(
                decided,
                officer,
                lifecycle_commands.CompleteProbation(passed=True),
                basis="试用期考核合格",
            )
        return separation

    @staticmethod
    def days_of(rng: random.Random, low: int, high: int) -> timedelta:
        return timedelta(days=rng.randint(low, high))

    def plan_training(self, officer: _Officer, last: date) -> None:
        """Pre-service training (岗前培训) finished before the hire and recorded in its first
        days for most, after a failed first attempt for some, missing for a few; in-service
        training in some years; a specialised course for some (Art. 9)."""
        rng = self._lifecycle_rng(officer, "training")
        hired = officer.hired

        def train(
            recorded: date, course: str, kind: str, hours: int, start: date, end: date, passed: bool
        ) -> None:
            self.later(
                recorded,
                officer,
                lifecycle_commands.RecordTraining(
                    course=course, kind=kind, hours=hours, start=start, end=end, passed=passed
                ),
            )

        roll = rng.random()
        recorded = hired + self.days_of(rng, 0, 5)
        course = "新录用辅警岗前培训"
        # (course, hours, from and until how many days before the hire, passed)
        attempts: list[tuple[str, int, int, int, bool]] = []
        if roll < 0.1:  # a first attempt failed, the retake passed
            attempts = [(course, 120, 70, 50, False), (f"{course}（补训）", 60, 25, 12, True)]
        elif roll < 0.93:
            until = rng.randint(2, 8)
            hours = rng.choice((80, 120, 160))
            attempts = [(course, hours, until + rng.randint(12, 20), until, True)]
        elif roll < 0.96:  # failed, never retaken
            attempts = [(course, 120, 30, 10, False)]
        for name, hours, since, until, passed in attempts:
            start, end = hired - timedelta(days=since), hired - timedelta(days=until)
            train(recorded, name, "pre_service", hours, start, end, passed)
        for year in range(hired.year + 1, last.year + 1):
            end = date(year, rng.randint(3, 11), rng.randint(1, 28))
            if rng.random() < 0.55 and end + timedelta(days=3) < last:
                train(
                    end + timedelta(days=2),
                    f"{year}年度辅警在岗轮训",
                    "in_service",
                    40,
                    end - timedelta(days=4),
                    end,
                    rng.random() < 0.97,
                )
        if rng.random() < 0.15:
            end = hired + self.days_of(rng, 90, 700)
            if end + timedelta(days=3) < last:
                course = (
                    "交通指挥与疏导专项培训" if officer.post == "traffic" else "警务技能专项培训"
                )
                train(
                    end + timedelta(days=1),
                    course,
                    "specialised",
                    24,
                    end - timedelta(days=2),
                    end,
                    True,
                )

    def plan_leaves(self, officer: _Officer, last: date, female: bool) -> None:
        """Leaves of several kinds through the unit (Art. 13), one after another: annual
        leave in most years, some sick, marriage, maternity or paternity, bereavement,
        family-visit and personal leave, a few back later than planned. One officer is on
        sick leave at the demo's end and another on a personal leave past its planned end
        (the warnings' ``leave_past_plan``)."""
        rng = self._lifecycle_rng(officer, "leave")
        hired = officer.hired
        leaves: list[tuple[date, str, int]] = []  # start, kind, planned days
        for year in range(hired.year + 1, last.year + 1):
            if rng.random() < 0.6:
                leaves.append(
                    (
                        date(year, rng.randint(3, 11), rng.randint(1, 28)),
                        "annual",
                        rng.randint(3, 10),
                    )
                )
        for kind, chance, low, high in (
            ("sick", 0.12, 3, 20),
            ("marriage", 0.03, 13, 13),
            ("maternity" if female else "paternity", 0.04, *((158, 158) if female else (15, 15))),
            ("bereavement", 0.03, 3, 3),
            ("family_visit", 0.02, 20, 20),
            ("personal", 0.06, 1, 3),
        ):
            if rng.random() < chance and (last - hired).days > 120:
                start = hired + self.days_of(rng, 60, (last - hired).days - 40)
                leaves.append((start, kind, rng.randint(low, high)))
        back_by = hired  # leaves follow one another: a start before the last return is dropped
        number = 0
        for start, kind, days in sorted(leaves):
            planned_end = start + timedelta(days=days - 1)
            returned = planned_end + timedelta(days=1)
            if rng.random() < 0.05:
                returned += self.days_of(rng, 1, 5)  # back later than planned
            if start <= back_by or returned > last - timedelta(days=20):
                continue
            number += 1
            self.plan_leave(
                officer, f"QJ-{officer.index}-{number}", kind, start, planned_end, returned
            )
            back_by = returned
        if officer.separated is not None or hired > DEMO_END - timedelta(days=60):
            return
        for mark, kind, start, planned_end in (
            ("leave_open", "sick", DEMO_END - timedelta(days=6), DEMO_END + timedelta(days=10)),
            (
                "leave_past_plan",
                "personal",
                DEMO_END - timedelta(days=12),
                DEMO_END - timedelta(days=5),
            ),
        ):
            if mark not in self.lifecycle_marks:
                self.lifecycle_marks.add(mark)
                # The return lies after DEMO_END: not (yet) recorded, the leave stays open.
                self.plan_leave(
                    officer,
                    f"QJ-{officer.index}-{mark}",
                    kind,
                    start,
                    planned_end,
                    DEMO_END + timedelta(days=3),
                )
                return

    def plan_leave(
        self,
        officer: _Officer,
        leave_id: str,
        kind: str,
        start: date,
        planned_end: date,
        returned: date,
    ) -> None:
        """One leave: started by the unit, the return recorded on the first day back."""
        self.later(
            start,
            officer,
            lifecycle_commands.StartLeave(leave_id=leave_id, kind=kind, planned_end=planned_end),
            actor="unit",
        )
        self.later(returned, officer, lifecycle_commands.EndLeave(leave_id=leave_id), actor="unit")

    def plan_misconduct(self) -> None:
        organs = [code for code, *_ in ORGANS]
        for n in range(max(2, self.n // 400)):
            organ = self.rng.choice(organs)
            unit = self.rng.choice(self.units[organ])
            official = self.rng.choice(unit.supervisors)
            kind = self.rng.choice(("neglect_of_duty", "abuse_of_power", "favouritism"))
            day = DEMO_START + self.days(60, (DEMO_END - DEMO_START).days - 30)

            def record(
                n: int = n,
                organ: str = organ,
                unit: _Unit = unit,
                official: tuple[str, str] = official,
                kind: str = kind,
            ) -> None:
                self.ledger.record_misconduct(
                    RecordMisconduct(
                        finding_id=self.uid("misconduct", n),
                        official_id=official[0],
                        official_name=official[1],
                        official_role="supervisor",
                        organ=organ,
                        unit=unit.code,
                        kind=kind,
                        summary="对所带辅警日常管理缺位，未落实带辅责任",
                        decision="诫勉谈话",
                    ),
                    Envelope(self.discipline(organ)),
                )
                self.counts.misconduct_findings += 1

            self.at(day, record)

    # ---------------------------------------------------------------- run

    def run(self, progress: Callable[[int], None] | None = None) -> DemoCounts:
        """Plan, then record every step in date order; ``progress`` gets the commands done."""
        self.plan()
        ledger = self.ledger
        real_clock = ledger.clock
        done = 0
        try:
            while self.queue:
                done += self._run_batch()
                if progress:
                    progress(done)
        finally:
            ledger.clock = real_clock
        self.counts.commands = done
        return self.counts

    def _run_batch(self) -> int:
        """Run up to BATCH_COMMANDS steps in one transaction, strictly in time order.

        Steps are popped one at a time, so a step scheduled by a running step (an appeal
        after a sanction) still runs before anything later.
        """
        ledger = self.ledger
        ran = 0
        with ledger.batch():
            while self.queue and ran < BATCH_COMMANDS:
                self.play(heapq.heappop(self.queue))
                ran += 1
        return ran

    def play(self, step: Step) -> None:
        """Record one step with the ledger's clock at its simulated instant (``step_instant``)."""
        self.tick = self.tick + 1 if step.day == self.current_day else 0
        self.current_day = step.day
        self.ledger.clock = partial(_fixed, step_instant(step.day, self.tick).astimezone(UTC))
        step.run()


SECOND_A_STEP = 14 * 3600
"""Steps of one day recorded a second apart, from 09:00 to 23:00 China time."""


def step_instant(day: date, tick: int) -> datetime:
    """When the ``tick``-th step (from 0) of ``day`` is recorded: 09:00 China time, a second
    later for each step before it; past 23:00 a microsecond later, so the instant never
    leaves ``day`` (a command's effective date is the clock's China date). A large data set
    has tens of thousands of steps on its first day, where everything before it is planned."""
    start = datetime.combine(day, time(9, 0), CHINA_STANDARD_TIME)
    if tick < SECOND_A_STEP:
        return start + timedelta(seconds=tick)
    return start + timedelta(seconds=SECOND_A_STEP, microseconds=tick - SECOND_A_STEP)


def _add_years(day: date, years: int) -> date:
    """The same calendar day ``years`` later (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def _fixed(instant: datetime) -> datetime:
    return instant


# ------------------------------------------------------------------ complaint channels

_UNNAMED_CHANNELS = frozenset({"hotline_12389", "hotline_110", "walk_in"})
"""Channels by which a complainant may not know the auxiliary's work ID."""

_REFERENCE_PREFIX = {
    "hotline_12389": "12389-",
    "hotline_110": "110-",
    "letters_visits": "通信访〔{year}〕",
    "referral": "通纪转-",
}


def _outside_reference(channel: str, received: date, complaint_id: UUID) -> str | None:
    """The outside system's synthetic number of a complaint (None for a walk-in)."""
    prefix = _REFERENCE_PREFIX.get(channel)
    if prefix is None:
        return None
    serial = int.from_bytes(complaint_id.bytes[1:4], "big") % 10000
    if channel == "letters_visits":
        return f"{prefix.format(year=received.year)}{serial}号"
    return f"{prefix}{received:%Y%m%d}-{serial:04d}"
