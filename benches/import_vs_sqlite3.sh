#!/usr/bin/env bash
# Side by side: `clinilog import` of a generated long CSV against the sqlite3
# command-line shell inserting the same entries and observations in one
# transaction, into copies of the same file (a Clinilog file with the
# patients registered). Prints both times, the ratio (target: at most 1.5)
# and the importer's peak resident memory (target: under 300 MB).
#
#   benches/import_vs_sqlite3.sh [OBSERVATIONS]     (default 1000000)
#
# Needs: a release build (cargo build --release), sqlite3, python3, GNU time.
set -euo pipefail
n=${1:-1000000}
root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/target/release/clinilog"
[ -x "$bin" ] || { echo "build first: cargo build --release" >&2; exit 1; }
command -v sqlite3 >/dev/null || { echo "needs the sqlite3 shell (apt-get install sqlite3)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 "$root/benches/import_data.py" "$n" "$work"
"$bin" demo --db "$work/base.sqlite" >/dev/null
sqlite3 "$work/base.sqlite" < "$work/patients.sql"
cp "$work/base.sqlite" "$work/shell.sqlite"
cp "$work/base.sqlite" "$work/clinilog.sqlite"
sync

t0=$(date +%s.%N)
sqlite3 "$work/shell.sqlite" < "$work/rows.sql"
t1=$(date +%s.%N)
/usr/bin/time -f "%M" -o "$work/rss" "$bin" import --db "$work/clinilog.sqlite" "$work/results.csv" --user bench >"$work/out" || {
    cat "$work/out"; exit 1; }
t2=$(date +%s.%N)

shell=$(echo "$t1 - $t0" | bc)
ours=$(echo "$t2 - $t1" | bc)
rss_kb=$(cat "$work/rss")
tail -1 "$work/out"
count() { sqlite3 "$1" "SELECT count(*) FROM observations"; }
echo "observations: shell $(count "$work/shell.sqlite"), clinilog $(count "$work/clinilog.sqlite")"
printf 'sqlite3 shell: %.2f s\nclinilog import: %.2f s\nratio: %.2f (target <= 1.5)\npeak memory: %d MB (target < 300)\n' \
    "$shell" "$ours" "$(echo "$ours / $shell" | bc -l)" "$((rss_kb / 1024))"
