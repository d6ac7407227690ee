#!/usr/bin/env bash
# bench/compare.sh — crewctl's design against the naive baseline (bench/naive_baseline.py), same
# workload: ITEMS items at CONCURRENCY, research crew at --time-scale 0.01 (~1.3 s a run), the
# simulator's `seed` dialect, mixed faults (bench/faults/mixed.json: status 10% 503 + Retry-After 1,
# 5% 429, 2% resets; kickoff 1% answers dropped after the run is created). Each side gets a fresh
# simulator with the same seed. Prints wall time, CPU, peak RSS (measure.py: getrusage of the child) and the kickoffs
# the simulator counted, side by side, with ratios.
#   bench/compare.sh [ITEMS=500] [CONCURRENCY=50]
source "$(dirname "$0")/common.sh"
ITEMS=${1:-500}
CONC=${2:-50}
SIM_ARGS=(--crew "$ROOT/examples/crews/research.json" --time-scale 0.01 --seed 7 --dialect seed
          --faults "$BENCH_DIR/faults/mixed.json")
load_note

# side NAME CMD... : runs one side under measure.py against a fresh simulator, prints a summary.
side() {
  local name=$1
  shift
  start_sim "sim-$name" "${SIM_ARGS[@]}"
  local cmd=("${@//@URL@/$SIM_URL}")
  /usr/bin/python3 "$BENCH_DIR/measure.py" "$WORK/$name.time" "${cmd[@]}" >"$WORK/$name.out" 2>"$WORK/$name.err" || true
  sim_stats >"$WORK/$name.stats.json"
  stop_pid "$SIM_PID"
  /usr/bin/python3 - "$name" "$WORK/$name.time" "$WORK/$name.stats.json" "$WORK/$name.out" <<'PY' >>"$WORK/summary.txt"
import json, re, sys
name, time_file, stats_file, out_file = sys.argv[1:]
wall, user, sys_s, rss_kib = open(time_file).read().split()[-4:]
stats = json.load(open(stats_file))
by_id = stats["kickoffs"].get("by_request_id", {})
dup_ids = sum(1 for c in by_id.values() if c > 1)
dup_kicks = sum(c - 1 for c in by_id.values() if c > 1)
out = open(out_file).read()
ok = re.search(r"succeeded[=:]\s*(\d+)", out)
print(json.dumps({"name": name, "wall": float(wall), "cpu": float(user) + float(sys_s),
                  "rss_mib": int(rss_kib) / 1024, "kickoffs": stats["kickoffs"]["total"],
                  "dup_ids": dup_ids, "dup_kicks": dup_kicks,
                  "succeeded": int(ok.group(1)) if ok else None}))
PY
}

# The crewai side is batch_bench (crewai::Batch, the library `crewctl batch` runs on), with adaptive
# concurrency off by default (ADAPTIVE=1 turns it on). Before f95b432 this profile's steady 15% 429/503
# on status polls pinned the adaptive limit to its floor of 1 (500 items took ~9 minutes); the limit now
# halves only on overload storms and stays at CONCURRENCY here, so both settings take about as long.
need_built "$BENCH_BIN/batch_bench"
CREWCTL_SIDE=("$BENCH_BIN/batch_bench" --url @URL@ --items "$ITEMS" --concurrency "$CONC"
              --status-path '/{id}/status' --input topic=bench,current_year=2025
              --adaptive "${ADAPTIVE:-0}" --label crewai)
echo "crewai side: batch_bench, adaptive concurrency ${ADAPTIVE:-0}; naive side: naive_baseline.py"
side crewai "${CREWCTL_SIDE[@]}"
side naive /usr/bin/python3 "$BENCH_DIR/naive_baseline.py" --url @URL@ --items "$ITEMS" \
  --concurrency "$CONC" --interval 0.5

/usr/bin/python3 - "$WORK/summary.txt" "$ITEMS" <<'PY'
import json, sys
rows = {r["name"]: r for r in map(json.loads, open(sys.argv[1]))}
items = int(sys.argv[2])
c, n = rows["crewai"], rows["naive"]
def ratio(a, b):
    return "%.2fx" % (b / a) if a else "-"
print("%-26s %12s %12s %14s" % ("%d items" % items, "crewai", "naive", "naive/crewai"))
for key, label, fmt in [("wall", "wall s", "%.2f"), ("cpu", "client CPU s", "%.2f"),
                        ("rss_mib", "client peak RSS MiB", "%.1f"),
                        ("kickoffs", "kickoffs (simulator)", "%d"),
                        ("dup_ids", "requestIds kicked >1", "%d"),
                        ("dup_kicks", "duplicate kickoffs", "%d"),
                        ("succeeded", "items succeeded", "%s")]:
    print("%-26s %12s %12s %14s" % (label, fmt % c[key] if c[key] is not None else "-",
                                    fmt % n[key] if n[key] is not None else "-",
                                    ratio(c[key], n[key]) if key in ("wall", "cpu", "rss_mib", "kickoffs") else ""))
PY
if [[ ${VERBOSE:-0} == 1 ]]; then cat "$WORK"/crewai.out "$WORK"/naive.out; fi
