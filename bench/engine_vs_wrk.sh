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
for conns in $CONNS; do
  "$BENCH_BIN/engine_vs_wrk" --url "$SIM_URL" --ids "$WORK/ids.txt" --connections "$conns" \
    --seconds "$SECS" >"$WORK/engine-$conns.txt"
  e_rps=$(result_field "$WORK/engine-$conns.txt" rps)
  e_cpu=$(result_field "$WORK/engine-$conns.txt" cpu_us_per_req)
  e_p99=$(result_field "$WORK/engine-$conns.txt" p99_ms)
  e_err=$(result_field "$WORK/engine-$conns.txt" errors)

  "$BENCH_BIN/curl_get_loop" --url "$SIM_URL" --ids "$WORK/ids.txt" --connections "$conns" \
    --seconds "$SECS" >"$WORK/curl-$conns.txt"
  c_rps=$(result_field "$WORK/curl-$conns.txt" rps)
  c_cpu=$(result_field "$WORK/curl-$conns.txt" cpu_us_per_req)
  c_p99=$(result_field "$WORK/curl-$conns.txt" p99_ms)
  c_err=$(result_field "$WORK/curl-$conns.txt" errors)

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
