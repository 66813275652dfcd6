#!/usr/bin/env bash
# Back up the ledger database named by AUXLEDGER_DATABASE_URL into one file, while it serves.
#
#   deploy/backup.sh OUT
#
# PostgreSQL: `pg_dump --format=custom` (one consistent snapshot; with `?schema=S` in the URL,
# that schema only), checked afterwards with `pg_restore --list`.
# SQLite: the online backup API (`sqlite3 DB ".backup OUT"`), consistent while the API writes,
# checked afterwards with `PRAGMA integrity_check`.
#
# OUT is created with mode 0600 and must not exist. The backup holds the database only: back
# up AUXLEDGER_KEY_DIR separately (it is never in the database), and never back up or restore
# a witness folder (AUXLEDGER_WITNESS_DIR): the witness is what shows a rollback.
# Exit 0 written, 1 failed, 2 usage; one line on stderr when it is not 0.
set -euo pipefail
umask 077

fail() { echo "backup.sh: $2" >&2; exit "$1"; }

[ $# -eq 1 ] || fail 2 "usage: backup.sh OUT (the database is AUXLEDGER_DATABASE_URL)"
out=$1
url=${AUXLEDGER_DATABASE_URL:-}
[ -n "$url" ] || fail 2 "AUXLEDGER_DATABASE_URL is not set"
[ ! -e "$out" ] || fail 2 "$out already exists; name a new file"
[ -d "$(dirname -- "$out")" ] || fail 2 "the folder of $out does not exist"

case $url in
sqlite:///*)
    db=${url#sqlite:///}
    [ -f "$db" ] || fail 2 "no SQLite database at $db (AUXLEDGER_DATABASE_URL)"
    case $out in *"'"* | *'"'*) fail 2 "OUT must not contain quotes" ;; esac
    if ! err=$(sqlite3 -bail "$db" ".timeout 30000" ".backup '$out'" 2>&1); then
        rm -f -- "$out"
        fail 1 "sqlite3 .backup failed: ${err%%$'\n'*}"
    fi
    check=$(sqlite3 "$out" "PRAGMA integrity_check" 2>&1 || true)
    [ "$check" = ok ] || { rm -f -- "$out"; fail 1 "the copy fails PRAGMA integrity_check"; }
    ;;
postgresql://* | postgres://*)
    base=${url%%\?*}
    schema=
    if [ "$base" != "$url" ]; then
        query=${url#*\?}
        case $query in
        schema=*) schema=${query#schema=} ;;
        *) fail 2 "AUXLEDGER_DATABASE_URL: unknown URL parameter in ?$query" ;;
        esac
        [[ $schema =~ ^[a-z_][a-z0-9_]*$ ]] || fail 2 "AUXLEDGER_DATABASE_URL: bad schema name"
    fi
    args=(--format=custom --file="$out" --dbname="$base")
    [ -z "$schema" ] || args+=(--schema="$schema")
    if ! err=$(pg_dump "${args[@]}" 2>&1); then
        rm -f -- "$out"
        fail 1 "pg_dump failed: ${err%%$'\n'*}"
    fi
    pg_restore --list "$out" >/dev/null 2>&1 || { rm -f -- "$out"; fail 1 "pg_restore cannot read the dump"; }
    ;;
*) fail 2 "AUXLEDGER_DATABASE_URL: expected sqlite:///<path> or postgresql://..." ;;
esac
echo "$out"
