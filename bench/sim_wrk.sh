#!/usr/bin/env bash
# bench/sim_wrk.sh — the simulator at scale: 10,000 live runs, then wrk on GET /status/{id} with
# 100 and 2,000 keep-alive connections. Prints req/s, p99, errors and the simulator's peak RSS.
#   bench/sim_wrk.sh [SECONDS_PER_RUN=10] [RUNS=10000]
source "$(dirname "$0")/common.sh"
source "$BENCH_DIR/wrk_lib.sh"
SECS=${1:-10}
RUNS=${2:-10000}
need_built "$BENCH_BIN/bench_seed_runs"
load_note

start_sim sim --crew "$BENCH_DIR/crews/long.json" --time-scale 0.001 --seed 1
echo "simulator pid $SIM_PID at $SIM_URL, RSS at start $(proc_kib "$SIM_PID" VmRSS) KiB"
t0=$(date +%s.%N)
"$BENCH_BIN/bench_seed_runs" --url "$SIM_URL" --count "$RUNS" --out "$WORK/ids.txt"
echo "seeding took $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.2f", b - a}') s; RSS with $RUNS runs: $(proc_kib "$SIM_PID" VmRSS) KiB"

printf '%-12s %10s %10s %10s %12s %8s\n' connections req/s p50_ms p99_ms requests errors
for conns in 100 2000; do
  run_wrk "$WORK/wrk-$conns.txt" 2 "$conns" "$SECS" "$WORK/ids.txt"
  printf '%-12s %10s %10s %10s %12s %8s\n' "$conns" "$(wrk_field "$WORK/wrk-$conns.txt" rps)" \
    "$(wrk_field "$WORK/wrk-$conns.txt" p50)" "$(wrk_field "$WORK/wrk-$conns.txt" p99)" \
    "$(wrk_field "$WORK/wrk-$conns.txt" requests)" "$(wrk_field "$WORK/wrk-$conns.txt" errors)"
done
live=$(sim_stats | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["runs"]["live"])')
echo "live runs after the load: $live"
echo "simulator VmHWM (peak RSS): $(proc_kib "$SIM_PID" VmHWM) KiB, VmRSS now: $(proc_kib "$SIM_PID" VmRSS) KiB"
if [[ ${VERBOSE:-0} == 1 ]]; then cat "$WORK"/wrk-*.txt; fi
