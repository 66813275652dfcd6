"""The PostgreSQL recorder's statements, rendered once per recorder (psycopg then caches
their conversion).

The append statement is the optimistic and the locked path's one write (see
``PostgresLedgerRecorder``); the others are small and named for what they do.
"""

from __future__ import annotations

from dataclasses import dataclass

from psycopg.sql import SQL, Composed, Identifier

from ledger.persistence.schema import (
    CHECKPOINTS,
    HEAD,
    LEAVES,
    MASTER_CHECK,
    NODES,
    SEQUENCER,
    SUBJECT_KEYS,
)


@dataclass(frozen=True)
class Statements:
    """Every statement the recorder runs, for one schema and events table."""

    append: str
    append_with_keys: str
    sequence: str
    insert_checkpoint: str
    erase_key: str
    erasure_count: str
    select_head: str
    latest_checkpoint: str
    select_nodes: str
    select_events_with_ids: Composed


def statements(schema_name: str, events_table: str) -> Statements:
    """Render the recorder's statements for ``schema_name`` and ``events_table``."""
    schema = Identifier(schema_name)
    # One statement appends a batch, atomically (the pool's connections are in autocommit
    # mode, so a lone statement is its own transaction): the head moves only if it is
    # still what this process last saw (else "division by zero" aborts the statement --
    # nothing is stored -- and the write is retried with the head row locked first);
    # new data keys are stored (refused unless each subject has exactly this key); the
    # events are inserted; their leaves take the notification ids in the order the
    # database assigned them, and the statement fails unless that is the order the leaf
    # hashes were computed in (the order of the events parameter); the new nodes and the
    # signed checkpoint are inserted; listeners are notified, as the library does.
    #
    # Writers are serialised by the head row: a write commits only if it moved the head
    # from the size this process knew, which it can only know once every earlier write
    # has committed. So commit order is leaf order and notification-id order, which is
    # what the library's LOCK TABLE ... IN EXCLUSIVE MODE is for, without the two extra
    # statements per write.
    keys_cte = (
        " sk AS ("
        " INSERT INTO {s}.{subject_keys} (subject_id, wrapped, master_key_id, created_at)"
        " SELECT n.subject, n.wrapped, n.master, now()"
        " FROM unnest(%(key_subjects)s::uuid[], %(key_wrapped)s::bytea[],"
        " %(key_masters)s::text[]) AS n(subject, wrapped, master), hc WHERE hc.moved = 1"
        # Only a key wrapped by the ledger's current master key, if one is recorded (the row
        # is share-locked, so a rotation commits before or after this write, never during
        # it); another counts as a conflict and the write seals again.
        " AND n.master = COALESCE((SELECT m.master_key_id FROM {s}.{master_check} m"
        " WHERE m.id = 1 FOR SHARE), n.master)"
        " ON CONFLICT (subject_id) DO UPDATE SET subject_id = EXCLUDED.subject_id"
        " WHERE {s}.{subject_keys}.wrapped = EXCLUDED.wrapped"
        " RETURNING 1),"
    )
    key_guard = (
        # Not a constant, or the planner would fold the cast (and fail) before running. The
        # failing cast's SQLSTATE (22P02) is how the recorder knows the refusal (errors.py).
        " / (SELECT CASE WHEN count(*) = %(key_count)s OR (SELECT moved FROM hc) = 0 THEN 1"
        " ELSE CAST('subject key conflict ' || count(*) AS int) END FROM sk)"
    )
    append = (
        "WITH h AS ("
        " UPDATE {s}.{head} SET tree_size = %(size)s, frontier = %(frontier)s,"
        " active_key_id = %(key)s"
        " WHERE id = 1 AND tree_size = %(old_size)s AND active_key_id = %(old_key)s"
        " RETURNING 1),"
        # Everything else is inserted only once the head row is moved (and so locked):
        # a write never holds an index entry another writer needs while it waits for
        # the head row (which would deadlock until PostgreSQL's deadlock_timeout).
        " hc AS MATERIALIZED (SELECT count(*) AS moved FROM h),"
        "{keys_cte}"
        " ins AS ("
        " INSERT INTO {s}.{events} (originator_id, originator_version, topic, state)"
        " SELECT u.* FROM unnest(%(oids)s::uuid[], %(versions)s::bigint[],"
        " %(topics)s::text[], %(states)s::bytea[]) AS u, hc WHERE hc.moved = 1"
        " RETURNING notification_id, originator_id, originator_version),"
        " lv AS ("
        " INSERT INTO {s}.{leaves} (leaf_index, notification_id, originator_id,"
        " originator_version)"
        " SELECT %(old_size)s + row_number() OVER (ORDER BY notification_id) - 1,"
        " notification_id, originator_id, originator_version FROM ins"
        " RETURNING leaf_index, notification_id, originator_id, originator_version),"
        " nd AS ("
        " INSERT INTO {s}.{nodes} (level, idx, hash)"
        " SELECT u.* FROM unnest(%(levels)s::smallint[], %(indexes)s::bigint[],"
        " %(hashes)s::bytea[]) AS u, hc WHERE hc.moved = 1),"
        " cp AS ("
        " INSERT INTO {s}.{checkpoints} (tree_size, root, note, key_id, created_at)"
        " SELECT %(size)s, %(root)s, %(note)s, %(signer)s, now() FROM hc"
        " WHERE hc.moved = 1),"
        " guard AS MATERIALIZED ("
        " SELECT 1 / (SELECT moved FROM hc){key_guard}"
        " / (CASE WHEN array_agg(lv.originator_id ORDER BY lv.leaf_index) = %(oids)s::uuid[]"
        " AND array_agg(lv.originator_version ORDER BY lv.leaf_index)"
        " = %(versions)s::bigint[] THEN 1 ELSE 0 END) AS ok FROM lv),"
        " nt AS MATERIALIZED (SELECT pg_notify(%(channel)s, '')::text AS sent)"
        # The guard and the notification are the outer side (always evaluated: an
        # aggregate has its one row even when nothing was inserted) and their values
        # are used, or the planner would drop them unevaluated.
        " SELECT lv.notification_id FROM guard CROSS JOIN nt LEFT JOIN lv ON true"
        " WHERE guard.ok = 1 AND nt.sent = '' ORDER BY lv.leaf_index"
    )

    def render(text: str, **tables: str) -> str:
        """``text`` with ``{s}`` the schema and each other ``{name}`` the table (or function)
        of that name in it, as the string the recorder runs."""
        names = {name: Identifier(table) for name, table in tables.items()}
        return SQL(text).format(s=schema, **names).as_string(None)

    append_tables = {
        "head": HEAD,
        "events": events_table,
        "leaves": LEAVES,
        "nodes": NODES,
        "checkpoints": CHECKPOINTS,
        "subject_keys": SUBJECT_KEYS,
        "master_check": MASTER_CHECK,
    }
    return Statements(
        append=render(append.replace("{keys_cte}", "").replace("{key_guard}", ""), **append_tables),
        append_with_keys=render(
            append.replace("{keys_cte}", keys_cte).replace("{key_guard}", key_guard),
            **append_tables,
        ),
        sequence=render("SELECT * FROM {s}.{fn}(%s, %s, %s, %s, %s, %s, %s, %s, %s)", fn=SEQUENCER),
        insert_checkpoint=render(
            "INSERT INTO {s}.{t} (tree_size, root, note, key_id, created_at) "
            "VALUES (%s, %s, %s, %s, now()) ON CONFLICT (tree_size) DO NOTHING",
            t=CHECKPOINTS,
        ),
        erase_key=render(
            "WITH e AS (UPDATE {s}.{t} SET wrapped = NULL, erased_at = now() "
            "WHERE subject_id = %s AND wrapped IS NOT NULL RETURNING subject_id), "
            "h AS (UPDATE {s}.{head} SET erasures = erasures + 1 WHERE id = 1 "
            "AND EXISTS (SELECT 1 FROM e)) "
            "SELECT subject_id FROM e",
            t=SUBJECT_KEYS,
            head=HEAD,
        ),
        erasure_count=render("SELECT erasures FROM {s}.{t} WHERE id = 1", t=HEAD),
        select_head=render(
            "SELECT tree_size, frontier, active_key_id FROM {s}.{t} WHERE id = 1 FOR UPDATE",
            t=HEAD,
        ),
        latest_checkpoint=render(
            "SELECT tree_size, note FROM {s}.{t} WHERE tree_size <= %s "
            "ORDER BY tree_size DESC LIMIT 1",
            t=CHECKPOINTS,
        ),
        select_nodes=render(
            "SELECT n.level, n.idx, n.hash FROM {s}.{t} n "
            "JOIN unnest(%s::smallint[], %s::bigint[]) AS w(level, idx) "
            "ON n.level = w.level AND n.idx = w.idx",
            t=NODES,
        ),
        select_events_with_ids=SQL(
            "SELECT notification_id, originator_id, originator_version, topic, state "
            "FROM {s}.{t} WHERE originator_id = %s"
        ).format(s=schema, t=Identifier(events_table)),
    )
