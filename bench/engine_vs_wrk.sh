#!/usr/bin/env bash
# bench/engine_vs_wrk.sh — request efficiency, side by side: the crewctl transport engine (one
# libcurl multi handle, one thread) and wrk (one thread, -t1) against the same simulator's
# GET /status/{id}, with the same number of connections; and between them curl_get_loop, a bare
# libcurl multi loop with the same load (libcurl's own floor: what the engine costs above it is the
# engine's). Prints req/s and client CPU per request for each, and the ratios.
#   bench/engine_vs_wrk.sh [SECONDS=8] [CONNECTIONS="100 2000"]
source "$(dirname "$0")/common.sh"
source "$BENCH_DIR/wrk_lib.sh"
SECS=${1:-8}
CONNS=${2:-100 2000}
need_built "$BENCH_BIN/bench_seed_runs" "$BENCH_BIN/engine_vs_wrk" "$BENCH_BIN/curl_get_loop"
load_note

start_sim sim --crew "$BENCH_DIR/crews/long.json" --time-scale 0.001 --seed 1
"$BENCH_BIN/bench_seed_runs" --url "$SIM_URL" --count 2000 --out "$WORK/ids.txt"

printf '%-6s | %-34s | %-34s | %-34s | %s\n' conns "engine: req/s  us_cpu/req  p99_ms  err" \
  "libcurl: req/s  us_cpu/req  p99_ms  err" "wrk -t1: req/s  us_cpu/req  p99_ms  err" \
  "engine/wrk: req/s  cpu/req   libcurl/wrk cpu  engine/libcurl cpu"
# result_field FILE NAME: NAME=value from the RESULT line that engine_vs_wrk and curl_get_loop print.
result_field() {
  sed -n "s/^RESULT.* $2=\([0-9.]*\).*/\1/p" "$1"
}
# run_client VAR PROGRAM CONNS: runs PROGRAM (engine_vs_wrk or curl_get_loop) with the load and
# sets VAR_rps, VAR_cpu, VAR_p99 and VAR_err from its RESULT line.
run_client() {
  local out="$WORK/$1-$3.txt"
  "$BENCH_BIN/$2" --url "$SIM_URL" --ids "$WORK/ids.txt" --connections "$3" --seconds "$SECS" >"$out"
  printf -v "$1_rps" %s "$(result_field "$out" rps)"
  printf -v "$1_cpu" %s "$(result_field "$out" cpu_us_per_req)"
  printf -v "$1_p99" %s "$(result_field "$out" p99_ms)"
  printf -v "$1_err" %s "$(result_field "$out" errors)"
}
for conns in $CONNS; do
  run_client e engine_vs_wrk "$conns"
  run_client c curl_get_loop "$conns"

  run_wrk "$WORK/wrk-$conns.txt" 1 "$conns" "$SECS" "$WORK/ids.txt"
  w_rps=$(wrk_field "$WORK/wrk-$conns.txt" rps)
  w_req=$(wrk_field "$WORK/wrk-$conns.txt" requests)
  w_cpu=$(awk -v c="$(wrk_field "$WORK/wrk-$conns.txt" cpu)" -v n="$w_req" \
    'BEGIN {printf "%.2f", c / n * 1e6}')
  w_p99=$(wrk_field "$WORK/wrk-$conns.txt" p99)
  w_err=$(wrk_field "$WORK/wrk-$conns.txt" errors)

  ratios=$(awk -v er="$e_rps" -v wr="$w_rps" -v ec="$e_cpu" -v wc="$w_cpu" -v cc="$c_cpu" \
    'BEGIN {printf "%.2fx  %.2fx   %.2fx   %.2fx", er / wr, ec / wc, cc / wc, ec / cc}')
  printf '%-6s | %9s %10s %8s %4s | %9s %10s %8s %4s | %9s %10s %8s %4s | %s\n' "$conns" \
    "$e_rps" "$e_cpu" "$e_p99" "$e_err" "$c_rps" "$c_cpu" "$c_p99" "$c_err" \
    "$w_rps" "$w_cpu" "$w_p99" "$w_err" "$ratios"
done
echo "simulator VmHWM: $(proc_kib "$SIM_PID" VmHWM) KiB"
