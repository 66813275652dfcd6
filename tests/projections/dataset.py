"""A small hand-built ledger whose every read-model answer is worked out by hand in the tests.

Two organs, three units, four auxiliaries (every contract ends 2026-03-09), six complaints,
three sanctions, one misconduct finding, recorded through ``AuxLedger`` commands with the
service clock moved to each fact's day (10:00 China Standard Time). "Today" for the queries
is 2024-12-31.

A01 (quota 3, region 南通市): units A01-U1 一中队, A01-U2 二中队.
B02 (quota 2, region 如皋市, registered with effective date 2023-02-20: before the Nantong
2023 measures took effect, so flagged under Art. 20): unit B02-U1.

X1 甲一   A01-U1/S1 patrol L2, hired 2023-03-10; accident insured; health check 2023-06-01;
          transferred to A01-U2/S2 on 2024-01-15; commended 2024-02-01; promoted to L3 on
          2024-12-31. Complaints C1-C4. Sanctions SAN1 warning 2024-02-05 (links C1:1) and
          SAN3 criticism 2024-09-10, whose appeal was recorded backdated to 2024-09-05
          (legacy data: the domain refuses such an appeal now, so it is stored as a ledger
          kept before that rule holds it).
X2 乙二   A01-U1/S1 call intake L1, labour dispatch, hired 2023-04-01; no health check;
          supervisor released 2024-05-01; S3 assigned *backdated* to 2024-04-20 (recorded
          2024-06-10); suspended by SAN2 2024-07-01 to 2024-07-31, reinstated 2024-08-01;
          name corrected to 乙贰 on 2024-09-01. Complaint C6 (declined, complainant not told).
X3 丙三   A01-U2/S2 traffic L1, hired 2023-03-20; no accident insurance; health check
          2024-03-01. Complaint C5 (three sustained findings, no sanction).
X4 丁四   B02-U1/S9 community L1, hired 2023-05-01, separated (resigned) 2024-03-01; work ID
          returned, uniform not.

C1 X1 incident 2024-01-10 (U1/S1), received 01-11, 2 allegations; ack 01-12; accepted;
   assigned due 02-10; findings 02-01: 1 sustained, 2 not_sustained; told 02-03; closed 02-04.
C2 X1 incident 2024-03-01 (U2/S2), received 03-01 (Fri); ack 03-05 (late: due 03-04);
   accepted; finding 03-20 sustained; complainant never told (notify due 03-25).
C3 X1 incident 2024-03-31, received 04-01; ack, accepted; finding 04-10 partly_sustained;
   told 04-12; closed 04-13; reopened 05-01; finding 05-10 unfounded; told 05-12; closed 05-15.
C4 X1 incident 2024-06-02, received 06-03 (Mon); never acknowledged.
C5 X3 incident 2024-08-01, received 08-02; ack, accepted; findings 08-20: 1-3 sustained;
   told 08-22; closed 08-23.
C6 X2 incident 2024-09-01 (U1, no supervisor), received 09-02; ack 09-02; declined 09-03;
   complainant never told (notify due 09-08).
M1 misconduct of S1 张警官 (A01, A01-U1), neglect of duty, 2024-05-10, decision amended
   2024-06-01.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid5

from domain.auxiliary import Auxiliary
from domain.commands import auxiliary, lifecycle
from domain.commands import complaint as complaints
from domain.commands.misconduct import AmendDecision, RecordMisconduct
from domain.commands.organ import RegisterOrgan, RegisterUnit, SetQuota
from domain.commands.pay import RecordAverageWage, SetPaySchedule
from domain.identity import resident_id_check_char
from domain.organ import Organ
from domain.values import CHINA_STANDARD_TIME, Actor
from ledger.records import AuxLedger, Envelope

NS = UUID("0b1c6a52-3a59-4f53-8d3c-2d7f0c8e1a11")
TODAY = date(2024, 12, 31)
NOW = datetime.combine(TODAY, time(12), CHINA_STANDARD_TIME)

X1, X2, X3, X4 = (uuid5(NS, f"aux-{n}") for n in range(1, 5))
C1, C2, C3, C4, C5, C6 = (uuid5(NS, f"complaint-{n}") for n in range(1, 7))
M1 = uuid5(NS, "misconduct-1")

ADMIN_A = Actor("admin-1", "admin", "A01", None)
ADMIN_B = Actor("admin-1", "admin", "B02", None)
EST_A = Actor("est-a", "establishment", "A01", None)
EST_B = Actor("est-b", "establishment", "B02", None)
PER_A = Actor("per-a", "personnel", "A01", None)
PER_B = Actor("per-b", "personnel", "B02", None)
CMP_A = Actor("cmp-a", "complaints", "A01", None)
DIS_A = Actor("dis-a", "discipline", "A01", None)
PUBLIC = Actor("public-intake", "public", "A01", None)
UNIT_A1 = Actor("unit-a1", "unit", "A01", "A01-U1")

PERSONAL_VALUES = (
    "13800000001",
    "13800000002",
    "13800000003",
    "13800000004",
    "南通市甲路1号",
    "南通市乙路2号",
    "南通市丙路3号",
    "如皋市丁路4号",
    "血压正常-甲",
    "血压正常-丙",
    "投诉人王某",
    "13900000009",
    "请白天联系",
)
"""Personal data recorded in the data set; none of it may appear in any read-model table."""


def resident_id(serial: int) -> str:
    """A synthetic, valid resident ID number (area 320699 is unassigned)."""
    first17 = f"32069919900101{serial:03d}"
    return first17 + resident_id_check_char(first17)


@dataclass
class Dataset:
    """What the tests need to know about the recorded data set."""

    b02_registered_position: int = 0
    """The log position of B02's registration (the one Art. 20 flag)."""
    x2_backdated_assignment_at: datetime | None = None


def at(ledger: AuxLedger, day: date) -> None:
    """Move the service clock to ``day`` 10:00 China Standard Time."""
    instant = datetime.combine(day, time(10), CHINA_STANDARD_TIME).astimezone(UTC)
    ledger.clock = lambda: instant


def hire(
    ledger: AuxLedger,
    aux_id: UUID,
    day: date,
    organ: str,
    unit: str,
    sup: tuple[str, str],
    post: str,
    name: str,
    n: int,
    address: str,
    *,
    dispatch: str | None = None,
) -> None:
    at(ledger, day)
    ledger.hire(
        organ,
        auxiliary.Hire(
            auxiliary_id=aux_id,
            unit=unit,
            supervisor_id=sup[0],
            supervisor_name=sup[1],
            employment_form="labour_dispatch" if dispatch else "direct_contract",
            dispatch_agency=dispatch,
            contract_start=day,
            contract_end=date(2026, 3, 9),
            post_type=post,
            level=2 if aux_id == X1 else 1,
            name=name,
            gender="male",
            resident_id=resident_id(n),
            phone=f"1380000000{n}",
            address=address,
        ),
        Envelope(PER_A if organ == "A01" else PER_B),
    )


def aux(
    ledger: AuxLedger,
    aux_id: UUID,
    day: date,
    command: auxiliary.AuxiliaryCommand,
    actor: Actor = PER_A,
) -> None:
    """``command`` on ``aux_id`` by ``actor``, recorded and effective on ``day``."""
    at(ledger, day)
    ledger.command_auxiliary(aux_id, command, Envelope(actor, effective=day))


DECISION = {
    "facts": "经查属实",
    "reasons": "违反日常管理制度",
    "article": "Art. 18",
    "document_number": "测公纪〔2024〕1号",
    "evidence": ["调查笔录"],
}
"""What every sanction of the data set states (Art. 18)."""


def cmp(
    ledger: AuxLedger, complaint: UUID, day: date, command: complaints.ComplaintCommand
) -> None:
    at(ledger, day)
    ledger.command_complaint(complaint, command, Envelope(CMP_A, effective=day))


def receive(
    ledger: AuxLedger,
    complaint: UUID,
    aux_id: UUID,
    incident: date,
    received: date,
    allegations: list[str],
) -> None:
    at(ledger, received)
    ledger.receive_complaint(
        complaints.ReceiveComplaint(
            complaint_id=complaint,
            complainant_id=uuid5(NS, f"complainant-{complaint}"),
            auxiliary_id=aux_id,
            channel="online",
            incident_at=datetime.combine(incident, time(9), CHINA_STANDARD_TIME),
            incident_place="人民路",
            allegations=allegations,
            complainant_name="投诉人王某",
            complainant_phone="13900000009",
            contact_text="请白天联系",
        ),
        Envelope(PUBLIC, effective=received),
    )


def find(
    ledger: AuxLedger, complaint: UUID, day: date, number: int, result: str, reasoning: str
) -> None:
    """The finding on allegation ``number`` of ``complaint``."""
    finding = complaints.RecordFinding(allegation_number=number, result=result, reasoning=reasoning)
    cmp(ledger, complaint, day, finding)


def tell(ledger: AuxLedger, complaint: UUID, day: date, method: str, summary: str) -> None:
    """The complainant told on ``day``."""
    cmp(
        ledger,
        complaint,
        day,
        complaints.NotifyComplainant(method=method, notified_on=day, summary=summary),
    )


def sanction(
    ledger: AuxLedger,
    aux_id: UUID,
    day: date,
    sanction_id: str,
    kind: str,
    until: date | None = None,
    links: tuple[str, ...] = (),
) -> None:
    """A sanction imposed by A01's discipline department on ``day``, the statement waived in
    writing the same day before it (Art. 18)."""
    waived = auxiliary.WaiveStatement(sanction_id=sanction_id, waiver_reference="放弃陈述申辩声明")
    aux(ledger, aux_id, day, waived, DIS_A)
    imposed = auxiliary.ImposeSanction(
        sanction_id=sanction_id, kind=kind, until=until, linked_findings=list(links), **DECISION
    )
    aux(ledger, aux_id, day, imposed, DIS_A)


def insure(
    ledger: AuxLedger, aux_id: UUID, day: date, policy: str, start: date, actor: Actor
) -> None:
    """Accident insurance from ``start`` with no end, enrolled on ``day``."""
    enrolled = auxiliary.EnrolInsurance(
        kind="accident", insurer="保险公司", policy_number=policy, start=start, end=None
    )
    aux(ledger, aux_id, day, enrolled, actor)


def checked(ledger: AuxLedger, aux_id: UUID, day: date, details: str) -> None:
    """A fit health check on ``day``."""
    aux(ledger, aux_id, day, auxiliary.RecordHealthCheck(checked_on=day, fit=True, details=details))


def build(ledger: AuxLedger) -> Dataset:
    """Record the data set through the ledger's commands (three transactions)."""
    data = Dataset()
    # A correction quotes the hash of the stored record it corrects, so it needs the earlier
    # events committed: a batch before it, and one after.
    with ledger.batch():
        _before_correction(ledger, data)
    at(ledger, date(2024, 9, 1))
    ledger.correct_auxiliary(
        X2,
        auxiliary.Correct(field="name", value="乙贰", reason="录入错误"),
        Envelope(PER_A, effective=date(2024, 9, 1)),
    )
    with ledger.batch():
        _after_correction(ledger)
    rows = ledger.recorder.select_events(Organ.id_for("B02"), limit=1)
    data.b02_registered_position = rows[0].id  # type: ignore[attr-defined]
    return data


def _before_correction(ledger: AuxLedger, data: Dataset) -> None:
    d = date
    at(ledger, d(2023, 3, 1))
    ledger.register_organ(
        RegisterOrgan(code="A01", name="甲市公安局", region="南通市"), Envelope(ADMIN_A)
    )
    ledger.command_organ("A01", RegisterUnit(code="A01-U1", name="一中队"), Envelope(ADMIN_A))
    ledger.command_organ("A01", RegisterUnit(code="A01-U2", name="二中队"), Envelope(ADMIN_A))
    ledger.command_organ("A01", SetQuota(quota=3), Envelope(EST_A))
    ledger.register_organ(
        RegisterOrgan(code="B02", name="乙县公安局", region="如皋市"),
        Envelope(ADMIN_B, effective=d(2023, 2, 20)),
    )
    ledger.command_organ("B02", RegisterUnit(code="B02-U1", name="城关派出所"), Envelope(ADMIN_B))
    ledger.command_organ("B02", SetQuota(quota=2), Envelope(EST_B))
    ledger.set_pay_schedule(
        "A01",
        SetPaySchedule(
            year=2024,
            monthly_by_level={str(lv): Decimal(4000 + 500 * (lv - 1)) for lv in range(1, 11)},
        ),
        Envelope(PER_A),
    )
    ledger.record_average_wage(
        "南通市", RecordAverageWage(year=2023, annual_amount=Decimal(50000)), Envelope(PER_A)
    )

    s1, s2, s9 = ("S1", "张警官"), ("S2", "李警官"), ("S9", "王警官")
    hire(ledger, X1, d(2023, 3, 10), "A01", "A01-U1", s1, "patrol", "甲一", 1, "南通市甲路1号")
    aux(ledger, X1, d(2023, 3, 12), auxiliary.IssueCredential(kind="work_id", serial="W1"))
    insure(ledger, X1, d(2023, 3, 12), "P1", d(2023, 3, 10), PER_A)
    hire(ledger, X3, d(2023, 3, 20), "A01", "A01-U2", s2, "traffic", "丙三", 3, "南通市丙路3号")
    aux(ledger, X3, d(2023, 3, 21), auxiliary.IssueCredential(kind="work_id", serial="W3"))
    hire(
        ledger,
        X2,
        d(2023, 4, 1),
        "A01",
        "A01-U1",
        s1,
        "call_intake",
        "乙二",
        2,
        "南通市乙路2号",
        dispatch="派遣公司",
    )
    aux(ledger, X2, d(2023, 4, 2), auxiliary.IssueCredential(kind="work_id", serial="W2"))
    aux(ledger, X2, d(2023, 4, 2), auxiliary.IssueCredential(kind="uniform", serial="U2"))
    hire(ledger, X4, d(2023, 5, 1), "B02", "B02-U1", s9, "community", "丁四", 4, "如皋市丁路4号")
    aux(ledger, X4, d(2023, 5, 2), auxiliary.IssueCredential(kind="work_id", serial="W4"), PER_B)
    aux(ledger, X4, d(2023, 5, 2), auxiliary.IssueCredential(kind="uniform", serial="U4"), PER_B)
    insure(ledger, X4, d(2023, 5, 2), "P4", d(2023, 5, 1), PER_B)
    checked(ledger, X1, d(2023, 6, 1), "血压正常-甲")

    receive(ledger, C1, X1, d(2024, 1, 10), d(2024, 1, 11), ["态度恶劣", "未出示证件"])
    cmp(ledger, C1, d(2024, 1, 12), complaints.Acknowledge())
    cmp(ledger, C1, d(2024, 1, 12), complaints.Accept(category="作风纪律"))
    cmp(ledger, C1, d(2024, 1, 12), complaints.Assign(investigator_id="I1", due=d(2024, 2, 10)))
    aux(
        ledger,
        X1,
        d(2024, 1, 15),
        auxiliary.Transfer(unit="A01-U2", supervisor_id="S2", supervisor_name="李警官"),
    )
    aux(ledger, X1, d(2024, 2, 1), auxiliary.Commend(kind="citation", issuing_body="政治处"))
    find(ledger, C1, d(2024, 2, 1), 1, "sustained", "视频证实")
    find(ledger, C1, d(2024, 2, 1), 2, "not_sustained", "无证据")
    tell(ledger, C1, d(2024, 2, 3), "sms", "已告知")
    cmp(ledger, C1, d(2024, 2, 4), complaints.Close())
    sanction(ledger, X1, d(2024, 2, 5), "SAN1", "warning", links=(f"{C1}:1",))

    receive(ledger, C2, X1, d(2024, 3, 1), d(2024, 3, 1), ["推搡群众"])
    aux(ledger, X4, d(2024, 3, 1), auxiliary.Separate(reason="resigned"), PER_B)
    checked(ledger, X3, d(2024, 3, 1), "血压正常-丙")
    aux(ledger, X4, d(2024, 3, 2), auxiliary.ReturnCredential(kind="work_id", serial="W4"), PER_B)
    cmp(ledger, C2, d(2024, 3, 5), complaints.Acknowledge())
    cmp(ledger, C2, d(2024, 3, 5), complaints.Accept(category="作风纪律"))
    find(ledger, C2, d(2024, 3, 20), 1, "sustained", "证人证实")

    receive(ledger, C3, X1, d(2024, 3, 31), d(2024, 4, 1), ["索要好处"])
    cmp(ledger, C3, d(2024, 4, 1), complaints.Acknowledge())
    cmp(ledger, C3, d(2024, 4, 1), complaints.Accept(category="廉洁"))
    find(ledger, C3, d(2024, 4, 10), 1, "partly_sustained", "部分属实")
    tell(ledger, C3, d(2024, 4, 12), "phone", "已告知")
    cmp(ledger, C3, d(2024, 4, 13), complaints.Close())
    aux(ledger, X2, d(2024, 5, 1), auxiliary.ReleaseSupervisor(reason="带辅民警调离"), UNIT_A1)
    cmp(ledger, C3, d(2024, 5, 1), complaints.Reopen(reason="新证据"))
    at(ledger, d(2024, 5, 10))
    ledger.record_misconduct(
        RecordMisconduct(
            finding_id=M1,
            official_id="S1",
            official_name="张警官",
            official_role="supervisor",
            organ="A01",
            unit="A01-U1",
            kind="neglect_of_duty",
            summary="未落实带辅责任",
            decision="诫勉谈话",
        ),
        Envelope(DIS_A, effective=d(2024, 5, 10)),
    )
    find(ledger, C3, d(2024, 5, 10), 1, "unfounded", "新证据推翻")
    tell(ledger, C3, d(2024, 5, 12), "phone", "已告知复查结果")
    cmp(ledger, C3, d(2024, 5, 15), complaints.Close())
    at(ledger, d(2024, 6, 1))
    ledger.amend_misconduct(
        M1,
        AmendDecision(decision="通报批评", reason="复核"),
        Envelope(DIS_A, effective=d(2024, 6, 1)),
    )
    receive(ledger, C4, X1, d(2024, 6, 2), d(2024, 6, 3), ["接警后未回复"])
    # Recorded on 2024-06-10, effective 2024-04-20: a backdated assignment.
    at(ledger, d(2024, 6, 10))
    data.x2_backdated_assignment_at = ledger.clock()
    ledger.command_auxiliary(
        X2,
        auxiliary.AssignSupervisor(supervisor_id="S3", supervisor_name="赵警官"),
        Envelope(PER_A, effective=d(2024, 4, 20)),
    )
    sanction(ledger, X2, d(2024, 7, 1), "SAN2", "suspension", until=d(2024, 7, 31))
    aux(ledger, X2, d(2024, 8, 1), auxiliary.Reinstate(reason="停职期满"), DIS_A)

    receive(ledger, C5, X3, d(2024, 8, 1), d(2024, 8, 2), ["玩手机", "越权执法", "态度恶劣"])
    cmp(ledger, C5, d(2024, 8, 2), complaints.Acknowledge())
    cmp(ledger, C5, d(2024, 8, 2), complaints.Accept(category="作风纪律"))
    for n in (1, 2, 3):
        find(ledger, C5, d(2024, 8, 20), n, "sustained", "查实")
    tell(ledger, C5, d(2024, 8, 22), "letter", "已告知")
    cmp(ledger, C5, d(2024, 8, 23), complaints.Close())


def _after_correction(ledger: AuxLedger) -> None:
    d = date
    receive(ledger, C6, X2, d(2024, 9, 1), d(2024, 9, 2), ["态度冷漠"])
    cmp(ledger, C6, d(2024, 9, 2), complaints.Acknowledge())
    cmp(ledger, C6, d(2024, 9, 3), complaints.Decline(reason="不属于受理范围"))
    sanction(ledger, X1, d(2024, 9, 10), "SAN3", "criticism")
    # Recorded on 2024-09-12, effective 2024-09-05: before the sanction it appeals against.
    # AppealSanction refuses that now; a ledger kept before the rule holds such an event, and
    # replays it unchanged, so the event is stored as that ledger stored it.
    at(ledger, d(2024, 9, 12))
    rec = ledger.recording(Envelope(DIS_A, effective=d(2024, 9, 5)))
    x1 = ledger.load(Auxiliary, X1)
    x1.trigger_event(
        Auxiliary.SanctionAppealed, **rec.fields(), sanction_id="SAN3", grounds="对事实有异议"
    )
    ledger.save(x1)
    aux(ledger, X1, d(2024, 12, 31), auxiliary.ChangeLevel(level=3, reason="promotion"))
    at(ledger, TODAY)


def record_assessments(ledger: AuxLedger) -> None:
    """The 2023 assessments (Art. 9, 11), recorded on top of the data set on 2024-12-31 (the
    data set itself has none, so its versions and timelines stay as they are): X1 excellent,
    X2 competent and then moved to A01-U2 the same day (assessed in A01-U1), X3 none (X4 is
    separated: the domain refuses an assessment now)."""
    aux(ledger, X1, TODAY, auxiliary.Evaluate(year=2023, grade="excellent"))
    aux(ledger, X2, TODAY, auxiliary.Evaluate(year=2023, grade="competent"))
    aux(
        ledger,
        X2,
        TODAY,
        auxiliary.Transfer(unit="A01-U2", supervisor_id="S2", supervisor_name="李警官"),
    )


def backdated(
    ledger: AuxLedger, aux_id: UUID, effective: date, command: auxiliary.AuxiliaryCommand
) -> None:
    """``command`` on ``aux_id`` by ``PER_A``, recorded on ``TODAY`` and effective on
    ``effective``."""
    at(ledger, TODAY)
    ledger.command_auxiliary(aux_id, command, Envelope(PER_A, effective=effective))


def record_lifecycle(ledger: AuxLedger) -> None:
    """X1: probation passed, pre-service training passed, on annual leave since 12-20 (planned
    to 12-27). X2: probation to 2025-01-31 undecided, pre-service training failed. X3:
    probation to 2023-09-19 undecided, no training, sick leave 11-01 to 11-09."""
    backdated(ledger, X1, date(2023, 3, 10), lifecycle.StartProbation(until=date(2023, 9, 9)))
    backdated(ledger, X1, date(2023, 9, 1), lifecycle.CompleteProbation(passed=True))
    backdated(ledger, X2, date(2024, 12, 1), lifecycle.StartProbation(until=date(2025, 1, 31)))
    backdated(ledger, X3, date(2023, 3, 20), lifecycle.StartProbation(until=date(2023, 9, 19)))
    training: dict[str, Any] = {"course": "岗前培训班", "hours": 80, "kind": "pre_service"}
    backdated(
        ledger,
        X1,
        date(2023, 3, 10),
        lifecycle.RecordTraining(
            **training, start=date(2023, 3, 1), end=date(2023, 3, 9), passed=True
        ),
    )
    backdated(
        ledger,
        X2,
        date(2023, 4, 1),
        lifecycle.RecordTraining(
            **training, start=date(2023, 4, 1), end=date(2023, 4, 20), passed=False
        ),
    )
    backdated(
        ledger,
        X1,
        date(2024, 12, 20),
        lifecycle.StartLeave(leave_id="L-1", kind="annual", planned_end=date(2024, 12, 27)),
    )
    backdated(ledger, X3, date(2024, 11, 1), lifecycle.StartLeave(leave_id="L-1", kind="sick"))
    backdated(ledger, X3, date(2024, 11, 10), lifecycle.EndLeave(leave_id="L-1"))
