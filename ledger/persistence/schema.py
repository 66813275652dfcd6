"""The ledger's own tables (beside the library's events table), for both backends.

Invariants:
- Table names are fixed here and nowhere else; the recorders, the log reader
  (``ledger.log``), the data-key stores and the tests take them from this module.
- ``CREATE ... IF NOT EXISTS`` / ``INSERT ... OR IGNORE``: running the statements again (a
  second ``auxledger init``) changes nothing that exists.
- The PostgreSQL sequencer's body is ``sequencer.sql`` beside this file, read once at import
  through ``importlib.resources`` (so it ships in the wheel as package data, see
  ``pyproject.toml``), and created with the tables by ``CREATE OR REPLACE``.
"""

from __future__ import annotations

from importlib.resources import files

from psycopg.sql import SQL, Composed, Identifier

NODES = "ledger_log_nodes"
LEAVES = "ledger_log_leaves"
HEAD = "ledger_log_head"
CHECKPOINTS = "ledger_checkpoints"
SUBJECT_KEYS = "ledger_subject_keys"
MASTER_CHECK = "ledger_master_key"
SEQUENCER = "ledger_sequence"

SEQUENCER_RESOURCE = "sequencer.sql"


def sequencer_source() -> str:
    """The sequencer's ``CREATE OR REPLACE FUNCTION`` statement, with ``{s}``-style holes."""
    return (
        files(__package__ or "ledger.persistence")
        .joinpath(SEQUENCER_RESOURCE)
        .read_text(encoding="utf-8")
    )


# Read at import: a missing file (a broken install) fails at start, not at the first write.
SEQUENCER_FUNCTION = sequencer_source()


def sqlite_create_statements() -> list[str]:
    """The log, checkpoint and data-key tables in SQLite, and the head row."""
    return [
        f"CREATE TABLE IF NOT EXISTS {NODES} (level INTEGER NOT NULL, idx INTEGER NOT NULL, "
        "hash BLOB NOT NULL, PRIMARY KEY (level, idx)) WITHOUT ROWID",
        f"CREATE TABLE IF NOT EXISTS {LEAVES} (leaf_index INTEGER PRIMARY KEY, "
        "notification_id INTEGER NOT NULL UNIQUE, originator_id TEXT NOT NULL, "
        "originator_version INTEGER NOT NULL)",
        f"CREATE TABLE IF NOT EXISTS {HEAD} (id INTEGER PRIMARY KEY CHECK (id = 1), "
        "tree_size INTEGER NOT NULL, frontier BLOB NOT NULL, active_key_id BLOB NOT NULL, "
        "erasures INTEGER NOT NULL DEFAULT 0)",
        f"INSERT OR IGNORE INTO {HEAD} (id, tree_size, frontier, active_key_id) "  # noqa: S608
        "VALUES (1, 0, x'', x'')",
        f"CREATE TABLE IF NOT EXISTS {CHECKPOINTS} (tree_size INTEGER PRIMARY KEY, "
        "root BLOB NOT NULL, note TEXT NOT NULL, key_id BLOB NOT NULL, "
        "created_at TEXT NOT NULL)",
        f"CREATE TABLE IF NOT EXISTS {SUBJECT_KEYS} (subject_id TEXT PRIMARY KEY, "
        "wrapped BLOB, master_key_id TEXT NOT NULL, created_at TEXT NOT NULL, "
        "erased_at TEXT)",
        f"CREATE TABLE IF NOT EXISTS {MASTER_CHECK} (id INTEGER PRIMARY KEY CHECK (id = 1), "
        "master_key_id TEXT NOT NULL, check_value BLOB NOT NULL)",
    ]


def postgres_create_statements(schema_name: str, events_table: str) -> list[Composed]:
    """The same tables in PostgreSQL, the head row, and the sequencer function."""
    schema = Identifier(schema_name)
    return [
        SQL(
            "CREATE TABLE IF NOT EXISTS {s}.{t} (level smallint NOT NULL, idx bigint NOT NULL,"
            " hash bytea NOT NULL, PRIMARY KEY (level, idx))"
        ).format(s=schema, t=Identifier(NODES)),
        SQL(
            "CREATE TABLE IF NOT EXISTS {s}.{t} (leaf_index bigint PRIMARY KEY, "
            "notification_id bigint NOT NULL UNIQUE, originator_id uuid NOT NULL, "
            "originator_version bigint NOT NULL)"
        ).format(s=schema, t=Identifier(LEAVES)),
        SQL(
            "CREATE TABLE IF NOT EXISTS {s}.{t} (id int PRIMARY KEY CHECK (id = 1), "
            "tree_size bigint NOT NULL, frontier bytea NOT NULL, active_key_id bytea NOT NULL, "
            "erasures bigint NOT NULL DEFAULT 0)"
        ).format(s=schema, t=Identifier(HEAD)),
        SQL(
            "INSERT INTO {s}.{t} (id, tree_size, frontier, active_key_id) "
            "VALUES (1, 0, ''::bytea, ''::bytea) ON CONFLICT DO NOTHING"
        ).format(s=schema, t=Identifier(HEAD)),
        SQL(
            "CREATE TABLE IF NOT EXISTS {s}.{t} (tree_size bigint PRIMARY KEY, "
            "root bytea NOT NULL, note text NOT NULL, key_id bytea NOT NULL, "
            "created_at timestamptz NOT NULL)"
        ).format(s=schema, t=Identifier(CHECKPOINTS)),
        SQL(
            "CREATE TABLE IF NOT EXISTS {s}.{t} (subject_id uuid PRIMARY KEY, wrapped bytea, "
            "master_key_id text NOT NULL, created_at timestamptz NOT NULL, "
            "erased_at timestamptz)"
        ).format(s=schema, t=Identifier(SUBJECT_KEYS)),
        SQL(
            "CREATE TABLE IF NOT EXISTS {s}.{t} (id int PRIMARY KEY CHECK (id = 1), "
            "master_key_id text NOT NULL, check_value bytea NOT NULL)"
        ).format(s=schema, t=Identifier(MASTER_CHECK)),
        SQL(SEQUENCER_FUNCTION).format(
            s=schema,
            fn=Identifier(SEQUENCER),
            head=Identifier(HEAD),
            events=Identifier(events_table),
            leaves=Identifier(LEAVES),
            nodes=Identifier(NODES),
            subject_keys=Identifier(SUBJECT_KEYS),
            master_check=Identifier(MASTER_CHECK),
        ),
    ]
