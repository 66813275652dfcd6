"""Posts, units and supervisors over time (Art. 9, 10); responsibility on a date."""

from __future__ import annotations

from datetime import date

from domain.auxiliary import Auxiliary
from domain.commands.auxiliary import AssignSupervisor, ChangePost, ReleaseSupervisor
from domain.commands.organ import RegisterOrgan
from domain.errors import (
    InvalidDateRangeError,
    InvalidFieldError,
    InvalidTransitionError,
    NotAnAuxiliaryPostError,
    NotAuthorisedError,
    OutsideScopeError,
    UnknownUnitError,
)
from domain.organ import Organ
from domain.values import Actor, AuxiliaryStatus, PostCategory, PostType, Responsibility

from .refusals import Refusal, refusals
from .support import (
    DISCIPLINE,
    HIRE_DAY,
    ORGAN_CODE,
    PERSONNEL,
    UNIT_A,
    UNIT_A_ACTOR,
    UNIT_B,
    UNIT_B_ACTOR,
    UNREGISTERED_UNIT,
    cst,
    hiring,
    move_to_unit_b,
    rec,
    refused,
    replay,
    transfer_to,
)

FEB_1 = date(2024, 2, 1)
FEB_15 = date(2024, 2, 15)
FEB_20 = date(2024, 2, 20)
MAR_1 = date(2024, 3, 1)


def test_change_post(auxiliary: Auxiliary) -> None:
    auxiliary.change_post(rec(PERSONNEL, FEB_1), ChangePost(post_type="technical_support"))
    assert auxiliary.post_type is PostType.technical_support
    assert auxiliary.post_category is PostCategory.civilian
    assert auxiliary.post_on(date(2024, 1, 31)) is PostType.patrol
    [event] = auxiliary.collect_events()
    assert isinstance(event, Auxiliary.PostChanged) and event.post_type == "technical_support"


@refusals(
    change_post_refuses_the_same_post=Refusal(
        PERSONNEL, ChangePost(post_type="巡逻防控"), InvalidFieldError, field="post_type"
    ),
    change_post_refuses_article_2_work=Refusal(
        PERSONNEL, ChangePost(post_type="膳食"), NotAnAuxiliaryPostError
    ),
    only_the_personnel_department_changes_posts=Refusal(
        UNIT_A_ACTOR, ChangePost(post_type="traffic"), NotAuthorisedError
    ),
)
def test_change_post_refusals(auxiliary: Auxiliary, organ: Organ, refusal: Refusal) -> None:
    refusal.check(auxiliary, organ)


def test_transfer_moves_unit_and_supervisor(auxiliary: Auxiliary, organ: Organ) -> None:
    move_to_unit_b(auxiliary, organ, FEB_1)
    assert (auxiliary.unit, auxiliary.supervisor_id) == (UNIT_B, "PO-2002")
    assert auxiliary.responsibility_on(date(2024, 1, 31)) == Responsibility(
        ORGAN_CODE, UNIT_A, "PO-1001", "测试警官甲"
    )
    assert auxiliary.responsibility_on(FEB_1) == Responsibility(
        ORGAN_CODE, UNIT_B, "PO-2002", "测试警官乙"
    )
    [event] = auxiliary.collect_events()
    assert isinstance(event, Auxiliary.Transferred)
    assert (event.unit, event.supervisor_id, event.supervisor_name) == (
        UNIT_B,
        "PO-2002",
        "测试警官乙",
    )


@refusals(
    transfer_needs_a_registered_unit=Refusal(
        PERSONNEL, transfer_to(UNREGISTERED_UNIT), UnknownUnitError, effective=FEB_1
    ),
    transfer_to_the_same_unit_is_refused=Refusal(
        PERSONNEL, transfer_to(UNIT_A), InvalidFieldError, field="unit", effective=FEB_1
    ),
    only_the_personnel_department_transfers=Refusal(
        UNIT_A_ACTOR, transfer_to(UNIT_B), NotAuthorisedError, effective=FEB_1
    ),
)
def test_transfer_refusals(auxiliary: Auxiliary, organ: Organ, refusal: Refusal) -> None:
    refusal.check(auxiliary, organ)


def test_transfer_stays_within_the_organ(auxiliary: Auxiliary) -> None:
    other = Organ.register(
        rec(Actor("admin-09", "admin", "other-bureau", None), date(2023, 12, 1)),
        RegisterOrgan(code="other-bureau", name="另一公安局", region="另一市"),
    )
    refused(auxiliary, OutsideScopeError, move_to_unit_b, auxiliary, other, FEB_1)


def test_the_using_unit_assigns_a_supervisor(auxiliary: Auxiliary) -> None:
    auxiliary.assign_supervisor(
        rec(UNIT_A_ACTOR, FEB_1),
        AssignSupervisor(supervisor_id="PO-1002", supervisor_name="测试警官丙"),
    )
    assert (auxiliary.supervisor_id, auxiliary.supervisor_name) == ("PO-1002", "测试警官丙")
    assert auxiliary.unit == UNIT_A
    [event] = auxiliary.collect_events()
    assert isinstance(event, Auxiliary.SupervisorAssigned)


def test_the_personnel_department_assigns_a_supervisor(auxiliary: Auxiliary) -> None:
    auxiliary.assign_supervisor(
        rec(PERSONNEL, FEB_1),
        AssignSupervisor(supervisor_id="PO-1002", supervisor_name="测试警官丙"),
    )
    assert auxiliary.supervisor_id == "PO-1002"


def test_release_supervisor_leaves_a_gap_that_is_allowed(auxiliary: Auxiliary) -> None:
    auxiliary.release_supervisor(rec(UNIT_A_ACTOR, FEB_1), ReleaseSupervisor(reason="民警调岗"))
    assert auxiliary.supervisor_id is None and auxiliary.supervisor_name is None
    assert auxiliary.status is AuxiliaryStatus.active
    assert auxiliary.responsibility_on(FEB_1) == Responsibility(ORGAN_CODE, UNIT_A, None, None)
    [event] = auxiliary.collect_events()
    assert isinstance(event, Auxiliary.SupervisorReleased) and event.reason == "民警调岗"


def _released(auxiliary: Auxiliary) -> None:
    auxiliary.release_supervisor(rec(PERSONNEL, FEB_1), ReleaseSupervisor(reason="民警调岗"))
    auxiliary.collect_events()


NEW_SUPERVISOR = AssignSupervisor(supervisor_id="PO-1002", supervisor_name="测试警官丙")


@refusals(
    another_unit_may_not_assign_a_supervisor=Refusal(
        UNIT_B_ACTOR, NEW_SUPERVISOR, OutsideScopeError, says="Art. 10", effective=FEB_1
    ),
    assigning_the_same_supervisor_is_refused=Refusal(
        PERSONNEL,
        AssignSupervisor(supervisor_id="PO-1001", supervisor_name="测试警官甲"),
        InvalidFieldError,
        field="supervisor_id",
        effective=FEB_1,
    ),
    release_needs_a_supervisor_on_that_date=Refusal(
        PERSONNEL,
        ReleaseSupervisor(reason="again"),
        InvalidTransitionError,
        effective=FEB_15,
        given=_released,
    ),
    only_unit_or_personnel_release_a_supervisor=Refusal(
        DISCIPLINE, ReleaseSupervisor(reason="r"), NotAuthorisedError, effective=FEB_1
    ),
    assignments_may_not_precede_the_hire=Refusal(
        PERSONNEL, NEW_SUPERVISOR, InvalidDateRangeError, effective=date(2024, 1, 1)
    ),
)
def test_supervisor_refusals(auxiliary: Auxiliary, organ: Organ, refusal: Refusal) -> None:
    refusal.check(auxiliary, organ)


# ------------------------------------------------------------------- backdated history


def _backdated(auxiliary: Auxiliary, organ: Organ) -> None:
    """Two backdated records, the later-effective one recorded first."""
    # Recorded on 20 February: a new supervisor from 15 February.
    auxiliary.assign_supervisor(
        rec(PERSONNEL, FEB_15, at=cst(FEB_20)),
        AssignSupervisor(supervisor_id="PO-1002", supervisor_name="测试警官丙"),
    )
    # Recorded later, on 1 March: a transfer backdated to 1 February.
    move_to_unit_b(auxiliary, organ, FEB_1, at=cst(MAR_1))


def test_responsibility_on_honours_backdated_records(auxiliary: Auxiliary, organ: Organ) -> None:
    _backdated(auxiliary, organ)
    # Effective order, not recording order, decides.
    assert auxiliary.responsibility_on(date(2024, 1, 31)) == Responsibility(
        ORGAN_CODE, UNIT_A, "PO-1001", "测试警官甲"
    )
    assert auxiliary.responsibility_on(FEB_1) == Responsibility(
        ORGAN_CODE, UNIT_B, "PO-2002", "测试警官乙"
    )
    assert auxiliary.responsibility_on(date(2024, 2, 14)) == Responsibility(
        ORGAN_CODE, UNIT_B, "PO-2002", "测试警官乙"
    )
    assert auxiliary.responsibility_on(FEB_15) == Responsibility(
        ORGAN_CODE, UNIT_B, "PO-1002", "测试警官丙"
    )
    assert auxiliary.assignment_history() == ((HIRE_DAY, 1, UNIT_A), (FEB_1, 3, UNIT_B))
    assert auxiliary.supervisor_history() == (
        (HIRE_DAY, 1, "PO-1001"),
        (FEB_1, 3, "PO-2002"),
        (FEB_15, 2, "PO-1002"),
    )


def test_same_day_assignments_resolve_to_the_later_recording(auxiliary: Auxiliary) -> None:
    auxiliary.assign_supervisor(
        rec(PERSONNEL, FEB_15),
        AssignSupervisor(supervisor_id="PO-1002", supervisor_name="测试警官丙"),
    )
    auxiliary.assign_supervisor(
        rec(PERSONNEL, FEB_15, at=cst(FEB_15, hour=15)),
        AssignSupervisor(supervisor_id="PO-1003", supervisor_name="测试警官丁"),
    )
    assert auxiliary.responsibility_on(FEB_15).supervisor_id == "PO-1003"  # type: ignore[union-attr]
    assert auxiliary.supervisor_id == "PO-1003"


def test_a_unit_actor_acts_for_the_unit_answering_on_the_effective_date(
    auxiliary: Auxiliary, organ: Organ
) -> None:
    move_to_unit_b(auxiliary, organ, FEB_1)
    auxiliary.collect_events()
    # Unit A answered in January, so it may still record a January assignment ...
    auxiliary.assign_supervisor(
        rec(UNIT_A_ACTOR, date(2024, 1, 20), at=cst(FEB_20)),
        AssignSupervisor(supervisor_id="PO-1002", supervisor_name="测试警官丙"),
    )
    assert auxiliary.responsibility_on(date(2024, 1, 25)).supervisor_id == "PO-1002"  # type: ignore[union-attr]
    assert auxiliary.supervisor_id == "PO-2002"
    # ... but not one effective after the transfer.
    refused(
        auxiliary,
        OutsideScopeError,
        auxiliary.assign_supervisor,
        rec(UNIT_A_ACTOR, FEB_20),
        AssignSupervisor(supervisor_id="PO-1004", supervisor_name="测试警官戊"),
    )


def test_no_responsibility_before_the_hire(auxiliary: Auxiliary) -> None:
    assert auxiliary.responsibility_on(date(2024, 1, 1)) is None
    assert auxiliary.post_on(date(2024, 1, 1)) is None
    assert auxiliary.level_on(date(2024, 1, 1)) is None


def test_replay_rebuilds_the_histories(organ: Organ) -> None:
    auxiliary = hiring(organ)()
    _backdated(auxiliary, organ)
    rebuilt = replay(list(auxiliary.collect_events()))
    assert rebuilt == auxiliary
    assert rebuilt.responsibility_on(FEB_15) == auxiliary.responsibility_on(FEB_15)
