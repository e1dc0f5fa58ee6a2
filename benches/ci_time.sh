#!/usr/bin/env bash
# How long CI takes: `.ci/run` on a clean clone of HEAD, as CI runs it
# (CI=true, no target/ folder: a cold build), then again after touching one
# UI file (a warm build: what a developer waits for after a change to a
# screen). Prints each run's total and the steps `.ci/run` times itself
# (setup, fmt, clippy, the test build and run).
#
#   benches/ci_time.sh [COMMIT]   (default HEAD; needs ../shared beside the
#                                  repository, as CI has it)
#
# The clone is made in a temporary folder and removed afterwards; the cargo
# registry (~/.cargo) is shared, as on CI's machine, so downloads are not
# counted. Run it on an otherwise idle machine: it takes as long as CI.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
shared=$(cd "$repo/../shared" && pwd)
work=$(mktemp -d)
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
git clone -q "$repo" "$work/main"
cp -r "$shared" "$work/shared"
cd "$work/main"
git checkout -q "${1:-HEAD}"
echo "commit $(git rev-parse --short HEAD) on $(nproc) cores"

run() {
    local what=$1 start=$SECONDS
    if ! CI=true bash .ci/run >"$work/$what.log" 2>&1; then
        tail -30 "$work/$what.log"
        echo "$what: .ci/run failed" >&2
        exit 1
    fi
    echo "$what: $((SECONDS - start)) s in all"
    grep '^ci: ' "$work/$what.log" | sed 's/^/  /' || true
}

run cold
# One UI file changed (wherever the commit keeps the window's theme).
theme=$(git ls-files | grep -E '(^|/)ui/(src/)?theme\.rs$|clinilog-ui/src/theme\.rs$' | head -1)
echo "// touched by benches/ci_time.sh" >> "$theme"
run warm
