#!/usr/bin/env bash
# Side by side: `clinilog demo --clinic N --weeks W` (the generated clinic,
# written through the store in one transaction) against the sqlite3 shell
# inserting the same rows (the generated file's data, dumped as INSERTs) in
# one transaction into an empty file with the same schema, indexes and
# triggers. Prints both times and the ratio (target: at most 1.5).
#
#   benches/clinic_vs_sqlite3.sh [PATIENTS] [WEEKS]     (default 10000 26)
#
# Needs: a release build (cargo build --release) and sqlite3.
set -euo pipefail
n=${1:-10000}
weeks=${2:-26}
root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/target/release/clinilog"
[ -x "$bin" ] || { echo "build first: cargo build --release" >&2; exit 1; }
command -v sqlite3 >/dev/null || { echo "needs the sqlite3 shell (apt-get install sqlite3)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

sync
t0=$(date +%s.%N)
"$bin" demo --db "$work/clinilog.sqlite" --clinic "$n" --weeks "$weeks" >/dev/null
t1=$(date +%s.%N)

# The same rows for the shell: the schema (with its pragmas), then the data.
{
    echo "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
    echo "PRAGMA user_version = $(sqlite3 "$work/clinilog.sqlite" 'PRAGMA user_version');"
    sqlite3 "$work/clinilog.sqlite" .schema
} > "$work/schema.sql"
sqlite3 "$work/clinilog.sqlite" ".dump --data-only" > "$work/rows.sql"
sqlite3 "$work/shell.sqlite" < "$work/schema.sql" >/dev/null
sync
t2=$(date +%s.%N)
{ echo "BEGIN;"; cat "$work/rows.sql"; echo "COMMIT;"; } | sqlite3 "$work/shell.sqlite"
t3=$(date +%s.%N)

count() { sqlite3 "$1" "SELECT (SELECT count(*) FROM patients) || ' patients, ' ||
    (SELECT count(*) FROM entries) || ' entries, ' || (SELECT count(*) FROM observations) || ' observations, ' ||
    (SELECT count(*) FROM audit_log) || ' audit rows'"; }
echo "clinilog:      $(count "$work/clinilog.sqlite")"
echo "sqlite3 shell: $(count "$work/shell.sqlite")"
ours=$(echo "$t1 - $t0" | bc)
shell=$(echo "$t3 - $t2" | bc)
printf 'clinilog demo --clinic %d --weeks %d: %.1f s\nsqlite3 shell, same rows: %.1f s\nratio: %.2f (target <= 1.5)\n' \
    "$n" "$weeks" "$ours" "$shell" "$(echo "$ours / $shell" | bc -l)"
