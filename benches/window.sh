#!/usr/bin/env bash
# The window's startup, side by side with an empty eframe app (benches/
# empty_window.rs: same dependencies, window size and theme, drawing nothing):
# for each file, the time until the window is visible (eframe shows it after
# its first frame is painted), resident memory 3 s later, and CPU over the 5 s
# after that. Median of RUNS runs, taken in rounds (every case once per round)
# so a busy moment of the machine falls on all of them. Reported as ratios to
# the baseline. Targets (issue 13): window shown within 1.2x with 10,000
# patients and 1.3x with 50,000, memory within 1.3x, idle CPU 0%.
#
#   benches/window.sh [RUNS]      (default 5)
#
# Needs: a release build (cargo build --release), the baseline
# (cargo bench --no-run --bench empty_window), xdotool, and a display: when
# DISPLAY is unset it starts Xvfb (apt-get install xvfb xdotool).
# The generated clinics are kept in target/window-bench/ for the next run.
set -euo pipefail
runs=${1:-5}
root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/target/release/clinilog"
[ -x "$bin" ] || { echo "build first: cargo build --release" >&2; exit 1; }
base=$(ls -t "$root"/target/release/deps/empty_window-* 2>/dev/null | grep -v '\.d$' | head -1 || true)
[ -n "$base" ] || { echo "build the baseline first: cargo bench --no-run --bench empty_window" >&2; exit 1; }
command -v xdotool >/dev/null || { echo "needs xdotool (apt-get install xdotool)" >&2; exit 1; }

if [ -z "${DISPLAY:-}" ]; then
    export DISPLAY=:97
    # -noreset: the server must not reset when the last client leaves (a
    # window closing), or the next one cannot connect for a moment.
    Xvfb "$DISPLAY" -screen 0 1600x1000x24 -noreset >/dev/null 2>&1 &
    xvfb=$!
    trap 'kill $xvfb 2>/dev/null || true' EXIT
    until xdotool getdisplaygeometry >/dev/null 2>&1; do sleep 0.1; done
fi

data="$root/target/window-bench"
mkdir -p "$data"
[ -s "$data/demo.sqlite" ] || "$bin" demo --db "$data/demo.sqlite" >/dev/null
[ -s "$data/clinic-10000x26.sqlite" ] || "$bin" demo --db "$data/clinic-10000x26.sqlite" --clinic 10000 --weeks 26 >/dev/null
[ -s "$data/clinic-50000x4.sqlite" ] || "$bin" demo --db "$data/clinic-50000x4.sqlite" --clinic 50000 --weeks 4 >/dev/null
# Preferences in a folder of their own, as on a workstation in use: who
# records is known (no first-run question).
export XDG_DATA_HOME="$data/xdg" XDG_CONFIG_HOME="$data/xdg"
prefs="$XDG_DATA_HOME/clinilog/app.ron"
if ! grep -q clinician "$prefs" 2>/dev/null; then
    mkdir -p "$(dirname "$prefs")"
    echo '{"clinilog_prefs":"(clinician:\"Bench\")"}' > "$prefs"
fi

names=(empty demo 10000x26 50000x4)
cmds=("$base --window"
      "$bin --db $data/demo.sqlite"
      "$bin --db $data/clinic-10000x26.sqlite"
      "$bin --db $data/clinic-50000x4.sqlite")
tck=$(getconf CLK_TCK)
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# One run: prints "seconds_to_window rss_kb cpu_percent".
measure() {
    sync
    local t0 t1 pid
    t0=$(date +%s.%N)
    $1 >/dev/null 2>"$data/last-stderr" &
    pid=$!
    until xdotool search --onlyvisible --pid "$pid" >/dev/null 2>&1; do
        kill -0 "$pid" 2>/dev/null || { echo "the window never showed: $1" >&2; exit 1; }
        sleep 0.005
    done
    t1=$(date +%s.%N)
    sleep 3
    local rss c0 c1
    rss=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")
    c0=$(ticks "$pid")
    sleep 5
    c1=$(ticks "$pid")
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    echo "$(echo "$t1 - $t0" | bc) $rss $(echo "($c1 - $c0) * 100 / ($tck * 5)" | bc -l)"
}

# Warm-up, not measured: each file is opened until its check (SQLite's
# quick_check, seconds of reading on a 1 GB file) and its audit chain's
# (seconds of hashing) have passed and are remembered, as after a first
# open on a workstation; an unchanged file is not read whole again. The first open of a changed file pays that check on
# a thread (see the README); this script measures the opens after it.
for f in demo clinic-10000x26 clinic-50000x4; do
    "$bin" --db "$data/$f.sqlite" >/dev/null 2>&1 &
    pid=$!
    # Remembered twice: its SQLite check, and its audit chain found intact.
    for _ in $(seq 1 600); do
        [ "$(grep -o "$data/$f.sqlite" "$prefs" 2>/dev/null | wc -l)" -ge 2 ] && break
        sleep 0.1
    done
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    grep -q "$data/$f.sqlite" "$prefs" || { echo "the check of $f.sqlite was not remembered" >&2; exit 1; }
done

declare -A shown mem cpu
for ((r = 1; r <= runs; r++)); do
    for i in "${!names[@]}"; do
        read -r s m c < <(measure "${cmds[$i]}")
        shown[${names[$i]}]+="$s "
        mem[${names[$i]}]+="$m "
        cpu[${names[$i]}]+="$c "
    done
    echo "round $r of $runs done" >&2
done

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
b_s=$(echo "${shown[empty]}" | median)
b_m=$(echo "${mem[empty]}" | median)
echo
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GB", $2/1048576}' /proc/meminfo), $(uname -sr), display $DISPLAY"
printf '%-10s %14s %8s %14s %8s %9s\n' file "window shown" ratio "resident mem" ratio "idle CPU"
for n in "${names[@]}"; do
    s=$(echo "${shown[$n]}" | median)
    m=$(echo "${mem[$n]}" | median)
    c=$(echo "${cpu[$n]}" | median)
    printf '%-10s %12.0f ms %7.2fx %11.0f MB %7.2fx %8.1f%%\n' "$n" "$(echo "$s * 1000" | bc)" \
        "$(echo "$s / $b_s" | bc -l)" "$(echo "$m / 1024" | bc -l)" "$(echo "$m / $b_m" | bc -l)" "$c"
done
