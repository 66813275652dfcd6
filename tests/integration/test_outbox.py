"""The outbox of notifications to complainants, on both backends: queued by the office,
projected into ``rm_outbox``, delivered by one worker at a time, every attempt a signed
event; the log-only adapter records the truth (nothing sent)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from api.cli import main
from api.notifications import (
    MAX_ATTEMPTS,
    DeliveryResult,
    DeliveryWorker,
    LogOnlyAdapter,
    OutgoingMessage,
)
from domain.commands.complaint import Acknowledge, Decline, QueueNotification
from domain.commands.organ import RegisterOrgan
from domain.values import Actor, DeliveryOutcome, MessageStatus
from ledger.config import Settings
from ledger.records import AuxLedger, Envelope
from projections.queries.outbox import due_messages, messages_of
from projections.service import ReadModels
from tests.builders import complaint_command, hire, set_up_organ
from tests.serving import use_environ

WHEN = datetime(2026, 11, 3, 2, 0, tzinfo=UTC)
DAY = date(2026, 11, 3)
ORGAN = "320600"
ADMIN = Actor("admin-1", "admin", ORGAN, None)
OFFICE = Actor("office-1", "complaints", ORGAN, None)
PHONE, ADDRESS, TEXT = "19911112222", "崇川区试验路9号", "您反映的问题经核查不予受理"


class Counting:
    """The log-only adapter, counting the messages it is handed (the worker's partner)."""

    name = "log"

    def __init__(self) -> None:
        self.inner = LogOnlyAdapter()
        self.handed: list[UUID] = []
        self.lock = threading.Lock()

    def deliver(self, message: OutgoingMessage) -> DeliveryResult:
        with self.lock:
            self.handed.append(message.message_id)
        return self.inner.deliver(message)


class Refusing:
    """A provider that is down: every attempt fails, not permanently."""

    name = "refusing"

    def deliver(self, message: OutgoingMessage) -> DeliveryResult:
        return DeliveryResult.failed("provider_unreachable")


@pytest.fixture
def ledger(aux_ledger: AuxLedger) -> AuxLedger:
    aux_ledger.clock = lambda: WHEN
    set_up_organ(
        aux_ledger,
        RegisterOrgan(code=ORGAN, name="试验市公安局", region="试验市"),
        [(f"{ORGAN}-U1", "试验派出所")],
        5,
        admin=ADMIN,
        establishment=Actor("est-1", "establishment", ORGAN, None),
        effective=date(2025, 1, 1),
    )
    return aux_ledger


@pytest.fixture
def models(ledger: AuxLedger) -> Iterator[ReadModels]:
    read_models = ReadModels(ledger)
    read_models.ensure()
    try:
        yield read_models
    finally:
        read_models.close()


def _declined(ledger: AuxLedger) -> UUID:
    """A complaint with a result (not accepted) and the complainant's phone and address."""
    auxiliary = hire(ledger, ORGAN, Actor("hr-1", "personnel", ORGAN, None), date(2025, 1, 1))
    received = ledger.receive_complaint(
        complaint_command(
            auxiliary_id=auxiliary.originator_id,
            complainant_phone=PHONE,
            complainant_address=ADDRESS,
        ),
        Envelope(Actor("public", "public", ORGAN, None), effective=DAY),
    )
    complaint_id = received.originator_id
    ledger.command_complaint(complaint_id, Acknowledge(), Envelope(OFFICE, effective=DAY))
    ledger.command_complaint(
        complaint_id, Decline(reason="不属于受理范围"), Envelope(OFFICE, effective=DAY)
    )
    return complaint_id


def _queue(ledger: AuxLedger, complaint_id: UUID, channel: str) -> UUID:
    message_id = uuid4()
    ledger.command_complaint(
        complaint_id,
        QueueNotification(message_id=message_id, channel=channel, text=TEXT),
        Envelope(OFFICE, effective=DAY),
    )
    return message_id


def test_two_workers_deliver_each_message_once(ledger: AuxLedger, models: ReadModels) -> None:
    complaint_id = _declined(ledger)
    queued = {_queue(ledger, complaint_id, ch) for ch in ("sms", "letter", "phone")}
    models.catch_up("complainant")
    assert {r.message_id for r in due_messages(models, WHEN)} == queued
    adapter = Counting()
    workers = [DeliveryWorker(ledger, models, adapter, clock=lambda: WHEN) for _ in range(2)]
    start = threading.Barrier(2)
    counts = []

    def run(worker: DeliveryWorker) -> None:
        start.wait()
        counts.append(worker.run_once())

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(adapter.handed) == sorted(queued)  # each handed over exactly once
    assert sum(c.delivered for c in counts) == 3
    # The other worker, once it leads, finds the outbox not yet projected: the record
    # decides, and nothing is handed over again.
    for w in workers:
        w.close()
    again = workers[1].run_once()
    assert (again.led, again.delivered, again.skipped) == (True, 0, 3)
    assert len(adapter.handed) == 3
    complaint = ledger.complaint(complaint_id)
    outcomes = {m.channel.value: (m.status, m.outcome, m.attempts) for m in complaint.messages}
    assert outcomes == {
        "sms": (MessageStatus.delivered, DeliveryOutcome.not_sent_log_only, 1),
        "letter": (MessageStatus.delivered, DeliveryOutcome.not_sent_log_only, 1),
        "phone": (MessageStatus.delivered, DeliveryOutcome.pending_staff_call, 1),
    }
    models.catch_up("complainant")
    assert due_messages(models, WHEN + timedelta(days=1)) == []
    rows = messages_of(models, complaint_id)
    assert {(r.channel, r.status, r.outcome) for r in rows} == {
        ("sms", "delivered", "not_sent_log_only"),
        ("letter", "delivered", "not_sent_log_only"),
        ("phone", "delivered", "pending_staff_call"),
    }
    workers[1].close()


def test_a_worker_waits_while_another_holds_the_lock(ledger: AuxLedger, models: ReadModels) -> None:
    complaint_id = _declined(ledger)
    _queue(ledger, complaint_id, "sms")
    models.catch_up("complainant")
    adapter = Counting()
    first = DeliveryWorker(ledger, models, adapter, clock=lambda: WHEN)
    second = DeliveryWorker(ledger, models, adapter, clock=lambda: WHEN)
    assert first.lock.acquire()
    try:
        assert not second.run_once().led
        assert adapter.handed == []
    finally:
        first.close()
    assert second.run_once().delivered == 1
    second.close()


def test_failures_back_off_and_are_given_up(ledger: AuxLedger, models: ReadModels) -> None:
    complaint_id = _declined(ledger)
    message_id = _queue(ledger, complaint_id, "sms")
    now = [WHEN]
    worker = DeliveryWorker(ledger, models, Refusing(), clock=lambda: now[0])
    try:
        for attempt in range(1, MAX_ATTEMPTS + 1):
            models.catch_up("complainant")
            assert worker.run_once().failed == 1, attempt
            message = ledger.complaint(complaint_id).message(message_id)
            assert message is not None and message.attempts == attempt
            models.catch_up("complainant")
            if message.retry_at is None:
                break
            assert message.retry_at > now[0]
            assert worker.run_once().failed == 0  # not due before its retry instant
            now[0] = message.retry_at
        assert message.status is MessageStatus.failed
        assert message.attempts == MAX_ATTEMPTS
        assert message.last_reason == "provider_unreachable"
        models.catch_up("complainant")
        (row,) = messages_of(models, complaint_id)
        assert (row.status, row.attempts, row.next_attempt_at) == ("failed", MAX_ATTEMPTS, None)
        assert due_messages(models, now[0] + timedelta(days=365)) == []
    finally:
        worker.close()


def test_the_log_adapter_logs_ids_only(
    ledger: AuxLedger, models: ReadModels, caplog: pytest.LogCaptureFixture
) -> None:
    complaint_id = _declined(ledger)
    message_id = _queue(ledger, complaint_id, "sms")
    models.catch_up("complainant")
    worker = DeliveryWorker(ledger, models, LogOnlyAdapter(), clock=lambda: WHEN)
    with caplog.at_level(logging.INFO, logger="auxledger.notifications"):
        assert worker.run_once().delivered == 1
    worker.close()
    text = caplog.text
    assert str(message_id) in text and "not sent" in text
    assert PHONE not in text and TEXT not in text and ADDRESS not in text
    assert PHONE not in repr(
        OutgoingMessage(
            message_id=message_id,
            complaint_id=complaint_id,
            channel=ledger.complaint(complaint_id).messages[0].channel,
            text=TEXT,
            attempt=1,
            phone=PHONE,
        )
    )


def test_the_deliver_verb_makes_one_pass(
    ledger: AuxLedger,
    models: ReadModels,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    complaint_id = _declined(ledger)
    _queue(ledger, complaint_id, "letter")
    models.catch_up("complainant")
    use_environ(settings, monkeypatch)
    monkeypatch.setenv("AUXLEDGER_NOTIFY_ADAPTER", "log")
    assert main(["notifications", "deliver", "--once"]) == 0
    assert capsys.readouterr().out.strip() == "delivered 1, failed 0, skipped 0"
    (message,) = ledger.complaint(complaint_id).messages
    assert message.outcome is DeliveryOutcome.not_sent_log_only
    monkeypatch.setenv("AUXLEDGER_NOTIFY_ADAPTER", "carrier-pigeon")
    assert main(["notifications", "deliver", "--once"]) != 0
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "AUXLEDGER_NOTIFY_ADAPTER" in err
