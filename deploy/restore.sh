#!/usr/bin/env bash
# Restore a backup made by deploy/backup.sh into a NEW database, AUXLEDGER_DATABASE_URL.
#
#   deploy/restore.sh BACKUP
#
# PostgreSQL: the database must exist (`createdb`) and must not hold the ledger's schema yet;
# `pg_restore --single-transaction --exit-on-error --no-owner`, so a failed restore leaves
# nothing behind; grants are restored, so the roles they name must exist on the server.
# With `?schema=S` the backup must be of schema S.
# SQLite: the database file must not exist; the backup is copied there (mode 0600).
#
# Then, with the same AUXLEDGER_WITNESS_DIR as before: `auxledger verify` (exit 0: the
# restored ledger extends what the witness saw; exit 1 `witness_rollback`: it is older) and
# `auxledger projections check`. Exit 0 restored, 1 failed, 2 usage; one line on stderr.
set -euo pipefail
umask 077

fail() { echo "restore.sh: $2" >&2; exit "$1"; }

[ $# -eq 1 ] || fail 2 "usage: restore.sh BACKUP (into AUXLEDGER_DATABASE_URL)"
backup=$1
url=${AUXLEDGER_DATABASE_URL:-}
[ -n "$url" ] || fail 2 "AUXLEDGER_DATABASE_URL is not set"
[ -f "$backup" ] || fail 2 "no backup file at $backup"
magic=$(head -c 5 -- "$backup" | tr -d '\0')

case $url in
sqlite:///*)
    db=${url#sqlite:///}
    [ "$magic" = SQLit ] || fail 2 "$backup is not a SQLite backup"
    [ ! -e "$db" ] || fail 2 "$db already exists; restore into a new database file"
    [ -d "$(dirname -- "$db")" ] || fail 2 "the folder of $db does not exist"
    check=$(sqlite3 "$backup" "PRAGMA integrity_check" 2>&1 || true)
    [ "$check" = ok ] || fail 1 "$backup fails PRAGMA integrity_check"
    tmp="$db.restoring"
    cp -- "$backup" "$tmp" && chmod 600 "$tmp" && mv -- "$tmp" "$db" || {
        rm -f -- "$tmp"
        fail 1 "could not copy the backup to $db"
    }
    ;;
postgresql://* | postgres://*)
    [ "$magic" = PGDMP ] || fail 2 "$backup is not a pg_dump custom-format backup"
    base=${url%%\?*}
    schema=public
    if [ "$base" != "$url" ]; then
        query=${url#*\?}
        case $query in
        schema=*) schema=${query#schema=} ;;
        *) fail 2 "AUXLEDGER_DATABASE_URL: unknown URL parameter in ?$query" ;;
        esac
        [[ $schema =~ ^[a-z_][a-z0-9_]*$ ]] || fail 2 "AUXLEDGER_DATABASE_URL: bad schema name"
    fi
    if [ "$schema" != public ]; then
        contents=$(pg_restore --list "$backup" 2>/dev/null) || fail 2 "pg_restore cannot read $backup"
        grep -Eq "^[0-9]+; [0-9]+ [0-9]+ SCHEMA - $schema " <<<"$contents" ||
            fail 2 "$backup holds no schema $schema (AUXLEDGER_DATABASE_URL names it)"
    fi
    if ! tables=$(psql --no-psqlrc -Atq --dbname="$base" \
        -c "SELECT count(*) FROM pg_namespace n LEFT JOIN pg_class c ON c.relnamespace = n.oid
            AND c.relkind = 'r' WHERE n.nspname = '$schema' AND (n.nspname <> 'public' OR c.oid IS NOT NULL)" 2>&1); then
        fail 1 "cannot reach the target database: ${tables%%$'\n'*}"
    fi
    [ "$tables" = 0 ] || fail 2 "schema $schema already exists in the target database; restore into a new one"
    if ! err=$(pg_restore --single-transaction --exit-on-error --no-owner \
        --dbname="$base" "$backup" 2>&1); then
        fail 1 "pg_restore failed (nothing restored): ${err%%$'\n'*}"
    fi
    ;;
*) fail 2 "AUXLEDGER_DATABASE_URL: expected sqlite:///<path> or postgresql://..." ;;
esac
echo "restored $backup; now run: auxledger verify && auxledger projections check --drift-only"
