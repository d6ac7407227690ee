#!/usr/bin/env bash
# bench/batch_bench.sh — batch cost: batch_bench at 1,000 and 10,000 runs in flight (items =
# max_concurrent), without and with the SQLite journal, each against a fresh simulator process
# (research crew; --time-scale 0.04 makes a run last ~5 s so that every item is in flight at once).
#   bench/batch_bench.sh [SIZES="1000 10000"] [TIME_SCALE=0.04]
source "$(dirname "$0")/common.sh"
SIZES=${1:-1000 10000}
SCALE=${2:-0.04}
need_built "$BENCH_BIN/batch_bench"
load_note

printf '%-30s %8s %9s %11s %9s %12s %9s %9s\n' config runs/s cpu_s/1k peak_rss_MiB \
  in_flight KiB/in_flight wall_s succeeded
for n in $SIZES; do
  for journal in no yes; do
    start_sim "sim-$n-$journal" --crew "$ROOT/examples/crews/research.json" --time-scale "$SCALE" --seed 1
    jflag=()
    [[ $journal == yes ]] && jflag=(--journal "$WORK/journal-$n.db")
    "$BENCH_BIN/batch_bench" --url "$SIM_URL" --items "$n" --concurrency "$n" "${jflag[@]}" \
      --label "n$n-journal-$journal" >"$WORK/batch-$n-$journal.txt"
    line=$(grep '^RESULT' "$WORK/batch-$n-$journal.txt")
    field() { sed "s/.* $1=\([^ ]*\).*/\1/" <<<"$line"; }
    printf '%-30s %8s %9s %11s %9s %12s %9s %9s\n' "$n in flight, journal=$journal" \
      "$(field runs_per_s)" "$(field cpu_s_per_1000)" "$(field peak_rss_mib)" \
      "$(field peak_in_flight)" "$(field rss_kib_per_run_in_flight)" "$(field wall_s)" \
      "$(field succeeded)/$n"
    kicked=$(sim_stats | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["kickoffs"]["total"])')
    [[ $kicked == "$n" ]] || echo "  note: simulator counted $kicked kickoffs for $n items"
    stop_pid "$SIM_PID"
  done
done
