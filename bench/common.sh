# bench/common.sh — sourced by the benchmark scripts: paths, the simulator's life cycle, cleanup.
# Every process started through start_bg/start_sim is stopped on exit (trap EXIT).
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
BUILD=${CREWAI_BENCH_BUILD:-$ROOT/build/bench}
SIM_BIN=${CREWAI_SIM_BIN:-$BUILD/sim/crewai-sim}  # CREWAI_SIM_BIN: another build, for paired runs
BENCH_BIN=$BUILD/bench
export CREWAI_TOKEN=${CREWAI_BENCH_TOKEN:-bench-token}
WORK=$(mktemp -d /tmp/crewai-bench.XXXXXX)
BG_PIDS=()

cleanup() {
  local pid
  for pid in "${BG_PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${BG_PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Raise the open-file limit for thousands of connections.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || ulimit -n 65536 2>/dev/null || true

need_built() {
  local f
  for f in "$@"; do
    if [[ ! -x $f ]]; then
      echo "missing $f: cmake -S $ROOT -B $BUILD -G Ninja -DCMAKE_BUILD_TYPE=Release &&" \
           "cmake --build $BUILD -j2 --target bench" >&2
      exit 2
    fi
  done
}

# start_sim NAME ARGS... : runs crewai-sim, sets SIM_PID and SIM_URL (waits for "listening on").
start_sim() {
  local name=$1
  shift
  need_built "$SIM_BIN"
  "$SIM_BIN" --token "$CREWAI_TOKEN" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
  SIM_PID=$!
  BG_PIDS+=("$SIM_PID")
  local line="" i
  for i in $(seq 1 200); do
    line=$(head -n1 "$WORK/$name.out" 2>/dev/null || true)
    [[ $line == listening* ]] && break
    sleep 0.05
  done
  if [[ $line != listening* ]]; then
    echo "simulator did not start:" >&2
    cat "$WORK/$name.err" >&2
    exit 1
  fi
  SIM_URL="http://${line#listening on }"
}

# stop_pid PID : TERM and wait.
stop_pid() {
  kill -TERM "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

# proc_kib PID KEY : a /proc/PID/status line (VmHWM, VmRSS) in KiB.
proc_kib() {
  awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"
}

# sim_stats : the simulator's /_sim/stats body.
sim_stats() {
  curl -sf -H "Authorization: Bearer $CREWAI_TOKEN" "$SIM_URL/_sim/stats"
}

# cpu_ticks PID : utime+stime of a process in clock ticks (from /proc/PID/stat).
cpu_ticks() {
  awk '{print $14 + $15}' "/proc/$1/stat"
}

# write_items N FILE: N research-crew items, {"topic": "topic-<i>", "current_year": "2025"}, one per line.
write_items() {
  /usr/bin/python3 -c 'import json,sys
for i in range(int(sys.argv[1])): print(json.dumps({"topic": "topic-%d" % i, "current_year": "2025"}))' \
    "$1" >"$2"
}

load_note() {
  echo "# $(date -u '+%Y-%m-%d %H:%M UTC') $(nproc) cores, load:$(uptime | sed 's/.*load average://')"
}
