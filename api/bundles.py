"""Evidence bundle export for the CLI and HTTP: who may see what, the case file, the zip.

``export_bundle`` decides which data subjects' personal fields the actor may read (the same
rules as every read, ``api.personal``), gathers the verifiable members (``ledger.bundle``),
adds the Chinese case file (PDF, reportlab), ``VERIFY.md`` and the standalone verifier, and
records the export as a signed ``RecordAccess`` event per exported record (the complaint and
the auxiliary it names): what was exported, the personal fields opened, and why.

Invariants:
- A refused export (no reason, unknown or out-of-scope subject, a role that may not export)
  records nothing; the reason is checked with the access records' own rule
  (``ledger.access.check_reason``) before anything is collected; the access events (the
  complaint and the auxiliary it names) are saved in one transaction, only after the bundle
  is complete.
- The case file embeds a CJK TrueType font when the machine has one (Debian:
  ``fonts-wqy-zenhei``, ``fonts-wqy-microhei``, ``fonts-arphic-uming``: fonts with
  Latin glyphs too), otherwise it uses
  reportlab's built-in CID font ``STSong-Light`` (not embedded; PDF readers supply it).
"""

from __future__ import annotations

import base64
import hashlib
import io
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from api.personal import disclose
from domain.values import Actor, Role
from ledger import bundle_verifier as bv
from ledger.access import AccessError, ReasonRequiredError, check_reason, new_access
from ledger.bundle import (
    BundleContent,
    BundleRecord,
    collect,
    unmatched_refused,
    verifier_source,
    write_zip,
)
from ledger.records import AuxLedger

EXPORT_ROLES = (Role.inspector, Role.discipline)
PDF_MEMBER = bv.CASE_FILE
VERIFY_MEMBER = bv.VERIFY_TEXT
VERIFIER_MEMBER = bv.VERIFIER

AUXILIARY_PERSONAL = (
    "resident_id",
    "phone",
    "address",
    "fit",
    "details",
    "medical_details",
    "value",
    "statement",
)
COMPLAINANT_PERSONAL = (
    "complainant_name",
    "complainant_phone",
    "complainant_resident_id",
    "complainant_address",
    "contact_text",
)

FONT_CANDIDATES = (
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
)
_font_lock = threading.Lock()
_font_name: str | None = None


@dataclass(frozen=True)
class ExportedBundle:
    """A finished bundle: the zip's bytes and what went into it."""

    data: bytes
    content: BundleContent

    @property
    def filename(self) -> str:
        """A file name for the download."""
        stamp = self.content.exported_at.strftime("%Y%m%dT%H%M%SZ")
        return (
            f"auxledger-bundle-{self.content.kind}-{self.content.subject_id.hex[:12]}-{stamp}.zip"
        )


def open_subjects(
    actor: Actor, reason: str, kind: str, content_subjects: dict[str, UUID]
) -> set[UUID]:
    """The data subjects all of whose personal fields this actor may read in clear."""
    allowed: set[UUID] = set()
    for record_type, fields in (
        ("auxiliary", AUXILIARY_PERSONAL),
        ("complaint", COMPLAINANT_PERSONAL),
    ):
        subject = content_subjects.get(record_type)
        if subject is None:
            continue
        shown = disclose(record_type, actor, reason, dict.fromkeys(fields, "x"))
        if set(shown.clear) >= set(fields):
            allowed.add(subject)
    return allowed


def export_bundle(
    ledger: AuxLedger,
    actor: Actor,
    *,
    kind: str,
    subject_id: UUID,
    reason: str,
    purpose: str,
    now: datetime | None = None,
    before_record: Any = None,
) -> ExportedBundle:
    """Build the bundle and record the export (see the module docstring).

    ``before_record`` (optional callable taking the zip bytes) runs after the bundle is built
    and before the access is recorded: the CLI writes its file there, so a failed write
    records nothing.
    """
    text = bundle_reason(reason)
    subjects: dict[str, UUID] = {}
    if kind == "complaint":
        complaint = ledger.complaint(subject_id)
        subjects = {
            "auxiliary": unmatched_refused(complaint),
            "complaint": complaint.complainant_id,
        }
    else:
        subjects = {"auxiliary": subject_id}
    content = collect(
        ledger,
        kind=kind,
        subject_id=subject_id,
        actor=actor,
        reason=text,
        exported_at=(now or datetime.now(tz=UTC)).replace(microsecond=0),
        open_subjects=open_subjects(actor, text, kind, subjects),
    )
    members = dict(content.members)
    members[PDF_MEMBER] = case_file_pdf(content)
    members[VERIFY_MEMBER] = VERIFY_TEXT.encode("utf-8")
    members[VERIFIER_MEMBER] = verifier_source()
    data = write_zip(members)
    exported = [(kind, subject_id)]
    if kind == "complaint":
        exported.append(("auxiliary", content.auxiliary.id))
    accesses = [
        new_access(
            actor,
            record_type=record_type,
            record_id=record_id,
            fields=content.opened_field_names,
            reason=text,
            purpose=f"{purpose}: evidence bundle of {kind} {subject_id.hex[:12]}, "
            f"{len(content.records)} records, checkpoint {content.anchor.tree_size}",
        )
        for record_type, record_id in exported
    ]
    if before_record is not None:
        before_record(data)
    ledger.save(*accesses)  # one transaction: both access records or neither
    return ExportedBundle(data=data, content=content)


def bundle_reason(reason: str | None) -> str:
    """The export's reason, trimmed, held to the access records' rule (``check_reason``).

    Checked before anything is collected or written, so a reason the access record would
    refuse never leaves a bundle behind. Raises ``ReasonRequiredError`` naming the rule.
    """
    try:
        return check_reason(reason or "")
    except AccessError as e:
        raise ReasonRequiredError(f"an evidence bundle export needs a reason: {e}") from None


# --------------------------------------------------------------------------- the case file


TOPIC_NAMES = {
    "Hired": "录用",
    "ContractRenewed": "续签合同",
    "PostChanged": "岗位变更",
    "Transferred": "调动",
    "SupervisorAssigned": "指定带辅民警",
    "SupervisorReleased": "解除带辅民警",
    "Evaluated": "年度考核",
    "LevelChanged": "层级调整",
    "CredentialIssued": "发放证件",
    "CredentialRevoked": "吊销证件",
    "CredentialReturned": "交回证件",
    "InsuranceEnrolled": "参加保险",
    "HealthChecked": "健康检查",
    "DutyInjuryRecorded": "因公负伤",
    "CostAdvanced": "垫付费用",
    "InfringementRecorded": "权益受侵害",
    "Commended": "表彰奖励",
    "SanctionImposed": "处分",
    "SanctionAppealed": "申诉",
    "AppealDecided": "申诉决定",
    "SanctionRevoked": "撤销处分",
    "Reinstated": "恢复履职",
    "ReferredForProsecution": "移送司法",
    "StatementHeard": "听取陈述申辩",
    "StatementWaived": "书面放弃陈述申辩",
    "ReferralOutcomeRecorded": "移送司法结果",
    "Separated": "离职",
    "ReturnedToAgency": "退回派遣单位",
    "Corrected": "更正",
    "PersonalDataCorrected": "更正个人信息",
    "ProbationStarted": "开始试用期",
    "ProbationCompleted": "试用期考核结果",
    "TrainingRecorded": "参加培训",
    "LeaveStarted": "开始休假",
    "LeaveEnded": "休假结束",
    "Received": "受理投诉",
    "Acknowledged": "确认收到",
    "Accepted": "立案",
    "Declined": "不予受理",
    "InvestigatorAssigned": "指定调查人",
    "FindingRecorded": "调查结论",
    "ComplainantNotified": "告知投诉人",
    "Withdrawn": "撤回",
    "Closed": "办结",
    "Reopened": "重新调查",
    "Started": "密钥登记（初始）",
    "KeyCreated": "新建密钥",
    "KeyActivated": "启用密钥",
    "KeyRetired": "停用密钥",
    "KeyRevoked": "吊销密钥",
    "Erased": "个人信息删除",
}
GROUP_NAMES = {
    "subject": "本案",
    "related": "被投诉辅警",
    "key-registry": "密钥登记",
    "erasure": "删除记录",
}
MASKED = "[已遮蔽 masked]"
PERSONAL_LABELS = {
    "resident_id": "公民身份号码",
    "phone": "联系电话",
    "address": "住址",
    "complainant_name": "投诉人姓名",
    "complainant_phone": "投诉人电话",
    "complainant_address": "投诉人住址",
}


def _font() -> str:
    """Register the Chinese font once per process; its reportlab name."""
    global _font_name  # noqa: PLW0603 - one registration per process
    with _font_lock:
        if _font_name is not None:
            return _font_name
        from reportlab.pdfbase import pdfmetrics  # noqa: PLC0415 - heavy, only for PDFs
        from reportlab.pdfbase.cidfonts import UnicodeCIDFont  # noqa: PLC0415
        from reportlab.pdfbase.ttfonts import TTFont  # noqa: PLC0415

        for path, index in FONT_CANDIDATES:
            if Path(path).exists():
                try:
                    pdfmetrics.registerFont(TTFont("AuxCJK", path, subfontIndex=index))
                except Exception:  # noqa: S112 - a damaged font file: try the next one
                    continue
                _font_name = "AuxCJK"
                return _font_name
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
        _font_name = "STSong-Light"
        return _font_name


def _value(payload: dict[str, Any], name: str) -> Any:
    value = payload.get(name)
    if isinstance(value, dict) and "_type_" in value:
        return value.get("_data_")
    return value


def _event_name(topic: str) -> str:
    short = topic.rsplit(".", 1)[-1]
    return TOPIC_NAMES.get(short, short)


def _shown(content: BundleContent, record: BundleRecord, name: str) -> str:
    """A payload field as the case file shows it (opened, masked or plain)."""
    raw = record.payload.get(name)
    if isinstance(raw, dict) and raw.get("_type_") == "pii":
        opened = content.opened.get((record.member, name))
        return MASKED if opened is None else str(opened)
    value = _value(record.payload, name)
    return "" if value is None else str(value)


def _fingerprint(vkey: str) -> str:
    raw = bv.parse_vkey(vkey).public[1:]
    return hashlib.sha256(raw).hexdigest()


def case_file_pdf(content: BundleContent) -> bytes:
    """The Chinese case file: cover, dossier, timeline, complaints and decisions, verification."""
    from reportlab.lib import colors  # noqa: PLC0415
    from reportlab.lib.pagesizes import A4  # noqa: PLC0415
    from reportlab.lib.styles import ParagraphStyle  # noqa: PLC0415
    from reportlab.lib.units import mm  # noqa: PLC0415
    from reportlab.platypus import (  # noqa: PLC0415
        LongTable,
        PageBreak,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    font = _font()
    body = ParagraphStyle("body", fontName=font, fontSize=10, leading=15, wordWrap="CJK")
    small = ParagraphStyle("small", parent=body, fontSize=8, leading=11)
    title = ParagraphStyle("title", parent=body, fontSize=20, leading=28, spaceAfter=12)
    heading = ParagraphStyle("heading", parent=body, fontSize=14, leading=20, spaceBefore=8)
    grid = TableStyle(
        [
            ("FONTNAME", (0, 0), (-1, -1), font),
            ("FONTSIZE", (0, 0), (-1, -1), 8),
            ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
        ]
    )

    def p(text: object, style: ParagraphStyle = body) -> Paragraph:
        safe = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return Paragraph(safe, style)

    def pairs(rows: list[tuple[str, object]]) -> Table:
        table = Table([[p(k, small), p(v, small)] for k, v in rows], colWidths=[40 * mm, 130 * mm])
        table.setStyle(grid)
        return table

    aux = content.auxiliary
    actor = content.actor
    what = "辅警个人档案" if content.kind == "auxiliary" else "投诉案件及被投诉辅警档案"
    story: list[Any] = [
        p("电子证据包 · 案卷", title),
        p("auxledger evidence bundle — case file", body),
        Spacer(1, 8 * mm),
        pairs(
            [
                ("导出内容 What", f"{what}（{content.kind} {content.subject_id}）"),
                ("当事辅警 For whom", f"{aux.name}（{aux.id}）"),
                ("所属机关 Organ", f"{aux.organ} / {aux.unit or ''}"),
                ("导出人 Exported by", f"{actor.actor_id}（{actor.role}，{actor.organ}）"),
                ("导出时间 When", content.exported_at.isoformat()),
                ("导出事由 Why", content.reason),
                ("记录数 Records", str(len(content.records))),
                (
                    "检查点 Checkpoint",
                    f"{content.anchor.tree_size} / {content.anchor.root.hex()}",
                ),
            ]
        ),
        Spacer(1, 6 * mm),
        p(
            "本案卷为可读副本；证明效力在于证据包中的签名记录、默克尔证明、检查点和公钥，"
            "可用随附的 verify_bundle.py 离线核验（见 VERIFY.md）。",
            body,
        ),
        PageBreak(),
        p("一、档案 Dossier", heading),
    ]
    personal = (
        [(k, str(getattr(aux, k))) for k in ("resident_id", "phone", "address")]
        if aux.id in content.opened_subjects or aux.id in content.erased_subjects
        else [(k, MASKED) for k in ("resident_id", "phone", "address")]
    )
    story.append(
        pairs(
            [
                ("姓名 Name", aux.name),
                ("性别 Gender", str(aux.gender)),
                ("状态 Status", str(aux.status)),
                ("入职日期 Hired on", str(aux.hired_on)),
                ("用工形式 Employment", str(aux.employment_form)),
                ("合同期限 Contract", f"{aux.contract_start} — {aux.contract_end}"),
                ("岗位 Post", f"{aux.post_category} / {aux.post_type}"),
                ("层级 Level", str(aux.level)),
                ("带辅民警 Supervisor", f"{aux.supervisor_name or ''} {aux.supervisor_id or ''}"),
                (
                    "证件 Credentials",
                    "；".join(f"{c.kind} {c.serial} {c.status}" for c in aux.credentials),
                ),
                *[(f"{PERSONAL_LABELS[k]} {k}", v) for k, v in personal],
            ]
        )
    )
    story += [p("二、时间线 Timeline", heading)]
    # Plain strings, not Paragraphs: a 500-event timeline lays out in a fraction of the time.
    rows: list[list[str]] = [["#", "日志位置", "时间 (UTC)", "生效", "事项", "记录人", "记录"]]
    for number, record in enumerate(sorted(content.records, key=lambda r: r.leaf_index), start=1):
        recorded_by = _value(record.payload, "actor") or {}
        who = (
            f"{recorded_by.get('role', '')} {recorded_by.get('organ', '')}"
            if isinstance(recorded_by, dict)
            else ""
        )
        rows.append(
            [
                str(number),
                str(record.leaf_index),
                str(_value(record.payload, "timestamp") or "")[:19].replace("T", " "),
                str(_value(record.payload, "effective") or ""),
                _event_name(record.topic)[:14],
                who[:24],
                f"{GROUP_NAMES.get(record.group, record.group)} v{record.version}",
            ]
        )
    timeline = LongTable(
        rows,
        colWidths=[10 * mm, 18 * mm, 32 * mm, 20 * mm, 32 * mm, 30 * mm, 28 * mm],
        repeatRows=1,
    )
    timeline.setStyle(grid)
    story.append(timeline)

    story.append(p("三、投诉与处理决定 Complaints and decisions", heading))
    complaint = content.complaint
    if complaint is not None:
        received = next(
            (r for r in content.records if r.group == "subject" and r.version == 1), None
        )
        complainant = [
            (name, _shown(content, received, name) if received else MASKED)
            for name in ("complainant_name", "complainant_phone", "complainant_address")
        ]
        story.append(
            pairs(
                [
                    ("投诉编号 Complaint", str(complaint.id)),
                    ("状态 Status", str(complaint.status)),
                    ("受理日期 Received", str(complaint.received_on)),
                    ("事发时间 Incident at", str(complaint.incident_at)),
                    ("事发地点 Place", complaint.incident_place),
                    (
                        "投诉事项 Allegations",
                        "；".join(f"{a.number}. {a.text}" for a in complaint.allegations),
                    ),
                    (
                        "调查结论 Findings",
                        "；".join(
                            f"{n}: {f.result}" for n, f in sorted(complaint.findings.items())
                        ),
                    ),
                    *[(f"{PERSONAL_LABELS[k]} {k}", v) for k, v in complainant],
                ]
            )
        )
    sanctions = [
        (
            f"处分 {s.sanction_id}",
            f"{s.kind} 自 {s.effective} 至 {s.until or '—'}；{s.status}；申诉 {s.appeal}"
            f"；文书编号 {s.document_number or '—'}",
        )
        for s in aux.sanctions.values()
    ]
    decisions = [
        (f"v{r.version} {_event_name(r.topic)}", _value(r.payload, "effective") or "")
        for r in content.records
        if r.group in ("subject", "related")
        and r.topic.rsplit(".", 1)[-1]
        in (
            "SanctionImposed",
            "SanctionAppealed",
            "AppealDecided",
            "SanctionRevoked",
            "Reinstated",
            "ReferredForProsecution",
            "StatementHeard",
            "StatementWaived",
            "ReferralOutcomeRecorded",
            "Commended",
            "FindingRecorded",
            "Closed",
        )
    ]
    story.append(pairs(sanctions + decisions or [("—", "无 none")]))

    story += [PageBreak(), p("四、核验声明 Verification statement", heading)]
    story.append(
        pairs(
            [
                ("日志 Origin", content.anchor.note.split("\n", 1)[0]),
                ("锚定检查点 树大小 Anchor tree size", str(content.anchor.tree_size)),
                ("锚定检查点 根 Anchor root (base64)", _b64(content.anchor.root)),
                ("锚定检查点 根 Anchor root (hex)", content.anchor.root.hex()),
                ("最新检查点 树大小 Newest tree size", str(content.newest.tree_size)),
                ("最新检查点 根 Newest root (base64)", _b64(content.newest.root)),
                *[
                    (
                        f"公钥 Key {bv.parse_vkey(k['vkey']).key_id.hex()}（{k['status']}）",
                        f"{k['vkey']}  SHA-256: {_fingerprint(k['vkey'])}",
                    )
                    for k in content.keys
                ],
                ("已开启字段 Opened fields", str(len(content.opened))),
            ]
        )
    )
    story += [
        Spacer(1, 4 * mm),
        p(
            "核验方法：在任何装有 Python 3 和 cryptography 的电脑上离线运行 "
            "python3 verify_bundle.py 本证据包.zip（或 auxledger bundle verify 本证据包.zip）。"
            "核验器检查每条记录的签名、哈希链、默克尔包含证明、两个检查点之间的一致性证明、"
            "公钥有效期以及已开启的个人信息字段；任何一个字节被改动都会被指出。"
            "请将上方根密钥指纹与机关公开发布的公钥核对，并将检查点与独立见证方保存的检查点核对。",
            body,
        ),
        p(
            "How to check: run python3 verify_bundle.py BUNDLE.zip offline (Python 3 with the "
            "cryptography package), or auxledger bundle verify BUNDLE.zip. Compare the key "
            "fingerprints with the ledger's published keys and the checkpoint with one kept by "
            "an independent witness.",
            small,
        ),
    ]

    buffer = io.BytesIO()

    def footer(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(font, 7)
        canvas.drawString(
            15 * mm,
            10 * mm,
            f"auxledger 证据包 {content.kind} {content.subject_id} · 检查点 "
            f"{content.anchor.tree_size} · 第 {doc.page} 页",
        )
        canvas.restoreState()

    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=18 * mm,
        title=f"auxledger evidence bundle {content.kind} {content.subject_id}",
        author=actor.actor_id,
        invariant=1,
    )
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


VERIFY_TEXT = """\
# 如何核验本证据包 / How to verify this bundle

## 中文

本证据包由 auxledger（辅警档案防篡改账本）导出。每一条记录都用账本的 Ed25519 密钥签名，
按档案串成哈希链，并写入 RFC 9162 默克尔日志；日志的每个状态由签名检查点（C2SP 格式）确认。

离线核验（只需 Python 3 和 `cryptography` 包，不需要联网，也不需要 auxledger）：

    python3 -m pip install cryptography
    python3 verify_bundle.py 证据包.zip

输出“核验通过”表示：
1. `records/` 中每条记录的签名有效，签名密钥在该记录的日志位置处有效；
2. 每条记录都有包含证明（`proofs/inclusion.json`），指向锚定检查点（`checkpoints/anchor.txt`）；
3. 锚定检查点与最新检查点（`checkpoints/newest.txt`）之间的一致性证明成立
   （`proofs/consistency.json`）；
4. 公钥（`keys/log-keys.json`，C2SP vkey）及其有效期与证据包中的密钥登记记录一致；
5. 已开启的个人信息（`opened/fields.json`）正是签名记录中密文所加密的内容——用该当事人的
   数据密钥（`opened/subject-keys.json`，仅含导出人有权查看的当事人，绝无主密钥）解密核对；
   已删除的当事人显示 `[erased]`，其删除记录也在证据包中。

任何一个字节被改动，核验器都会指出是哪一个文件、什么原因。
请将输出中的根密钥和检查点根哈希与账本公开发布的公钥、以及独立见证方（如检察机关、纪检监察机关）
保存的检查点核对：`--log-vkey VKEY` 指定信任的公钥，`--witness-vkey VKEY`（可多次）和
`--witnesses-required K`（旧名 `--witness-threshold`）要求至少 K 个见证方的联署。

`opened/subject-keys.json` 中是当事人长期使用的数据密钥本身：它能解开该当事人在任何记录中的全部
个人信息密文（不含他人的）。此后对该当事人的删除不影响本证据包中的副本，请按个人信息妥善保管。

`case-file.pdf` 是供阅读的案卷，本身不是证明；证明在上述文件中。

## English

This bundle was exported from auxledger, a tamper-evident ledger of auxiliary-police records.
Every record is signed with the ledger's Ed25519 key, hash-chained per file and appended to an
RFC 9162 Merkle log whose states are fixed by signed C2SP checkpoints.

Verify offline (Python 3 and the `cryptography` package only; no network, no auxledger):

    python3 -m pip install cryptography
    python3 verify_bundle.py BUNDLE.zip

"VALID" means:
1. every record in `records/` carries a valid signature by a key valid at its log position;
2. every record has an inclusion proof (`proofs/inclusion.json`) to the anchor checkpoint
   (`checkpoints/anchor.txt`);
3. the anchor checkpoint is consistent with the newest one (`checkpoints/newest.txt`,
   `proofs/consistency.json`);
4. the public keys (`keys/log-keys.json`, C2SP vkeys) and their validity match the key
   registry records in the bundle;
5. the opened personal fields (`opened/fields.json`) are exactly what the signed ciphertext
   encrypts: the data keys of the subjects the exporter may read (`opened/subject-keys.json`;
   never the master key) decrypt and authenticate it. An erased subject's fields read
   `[erased]`, and the signed erasure record is in the bundle.

A change of any single byte is reported with the file it is in and the reason. Compare the
genesis key and the checkpoint roots printed with the keys the ledger publishes and with a
checkpoint kept by an independent witness: `--log-vkey VKEY` pins the trusted key,
`--witness-vkey VKEY` (repeatable) with `--witnesses-required K` (older name:
`--witness-threshold`) requires K witness cosignatures.

`opened/subject-keys.json` holds each subject's long-lived data key itself: it opens that
subject's personal fields in any record (never another person's). An erasure of the subject
later does not reach this copy: keep the bundle as the personal record it is.

`case-file.pdf` is the human-readable case file; it is not itself the proof.
"""
