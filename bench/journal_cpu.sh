#!/usr/bin/env bash
# bench/journal_cpu.sh — what the journal costs per item, in counts that a busy machine does not
# skew much: `crewctl batch -o out.jsonl` (journal on) and the same with --no-journal, alternating,
# against ONE simulator, each under `perf stat` (task-clock = CPU of all its threads, context
# switches; this VM has no hardware counters, so no instruction counts: callgrind gives those).
# Prints the median of REPEATS runs per configuration, per item, and the journal's share =
# (journal - no-journal) / journal.
#   bench/journal_cpu.sh [ITEMS=2000] [CONCURRENCY=100] [POLL_INTERVAL=0.05] [TIME_SCALE=0.0005] [REPEATS=3]
# CREWCTLS="before=/path/crewctl after=build/release/tools/crewctl/crewctl" compares builds, paired:
# each repeat runs every build with and without journal, in turn.
# PERF_RECORD=1 also samples one journal run per thread and per symbol (perf record, cpu-clock at
# 4 kHz) and prints the top of both reports.
source "$(dirname "$0")/common.sh"
ITEMS=${1:-2000}
CONC=${2:-100}
POLL=${3:-0.05}
SCALE=${4:-0.0005}
REPEATS=${5:-3}
CREWCTLS=${CREWCTLS:-crewctl=$BUILD/tools/crewctl/crewctl}
for b in $CREWCTLS; do need_built "${b#*=}"; done
CREWCTL=${CREWCTLS##*=}  # the last build: the one PERF_RECORD samples
command -v perf >/dev/null || { echo "perf is not installed" >&2; exit 2; }
load_note
echo "# $ITEMS items of the research crew, --concurrency $CONC, --poll-interval $POLL, --time-scale $SCALE"

start_sim sim --crew "$ROOT/examples/crews/research.json" --time-scale "$SCALE" --seed 1
write_items "$ITEMS" "$WORK/items.jsonl"
common=(batch "$WORK/items.jsonl" --url "$SIM_URL" --concurrency "$CONC" --poll-interval "$POLL")
events=task-clock,context-switches

# run NAME CREWCTL ARGS... : one crewctl batch under perf stat; appends "NAME TASK_MS CS".
run() {
  local name=$1 crewctl=$2
  shift 2
  rm -f "$WORK"/out.jsonl*
  perf stat -x, -e "$events" -o "$WORK/$name.stat" -- "$crewctl" "${common[@]}" "$@" \
    -o "$WORK/out.jsonl" >"$WORK/$name.log" 2>&1 || { tail -5 "$WORK/$name.log" >&2; exit 1; }
  awk -F, -v name="$name" '
    $3 == "task-clock" { t = $1 } $3 == "context-switches" { c = $1 }
    END { print name, t, c }' "$WORK/$name.stat" >>"$WORK/rows"
}

for _ in $(seq 1 "$REPEATS"); do
  for b in $CREWCTLS; do
    run "${b%%=*}:journal" "${b#*=}"
    run "${b%%=*}:no-journal" "${b#*=}" --no-journal
  done
done

/usr/bin/python3 - "$WORK/rows" "$ITEMS" "$REPEATS" <<'EOF'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    name, *v = line.split()
    rows.setdefault(name, []).append([float(x) for x in v])
items = int(sys.argv[2])
med = {n: [statistics.median(r[i] for r in rs) for i in range(2)] for n, rs in rows.items()}
print("%-24s %12s %12s   (median of %s runs; min cpu_us/item; each run's cpu ms)" % ("build:config", "cpu_us/item", "ctx_sw/item", sys.argv[3]))
builds = []
for n in rows:
    b = n.split(":")[0]
    if b not in builds:
        builds.append(b)
for b in builds:
    for c in ("journal", "no-journal"):
        n = b + ":" + c
        print("%-24s %12.1f %12.2f   min %.1f; %s" % (n, med[n][0] * 1000 / items, med[n][1] / items,
                                          min(r[0] for r in rows[n]) * 1000 / items,
                                          " ".join("%.0f" % r[0] for r in rows[n])))
    j, nj = med[b + ":journal"], med[b + ":no-journal"]
    print("%-24s %12.1f %12.2f   journal share of client CPU: %.1f %%" % (
        b + ":journal cost", (j[0] - nj[0]) * 1000 / items, (j[1] - nj[1]) / items, 100 * (j[0] - nj[0]) / j[0]))
EOF

if [[ ${PERF_RECORD:-0} == 1 ]]; then
  rm -f "$WORK"/out.jsonl*
  perf record -q -e cpu-clock -F 4000 -o "$WORK/perf.data" -- "$CREWCTL" "${common[@]}" \
    -o "$WORK/out.jsonl" >"$WORK/record.log" 2>&1
  perf report -i "$WORK/perf.data" --stdio --sort pid 2>/dev/null | grep -v '^#' | grep . | head -8
  perf report -i "$WORK/perf.data" --stdio --sort dso,sym 2>/dev/null |
    grep -v '^#' | grep . | head -40
fi
