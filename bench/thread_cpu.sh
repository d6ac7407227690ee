#!/usr/bin/env bash
# bench/thread_cpu.sh — where a batch's CPU goes, thread by thread: `crewctl batch -o out.jsonl` in
# several configurations, alternating, against ONE simulator reset before each run, each under
# `perf record -e sched:sched_stat_runtime`: the scheduler's own account of each thread's run time
# (kernel time included), exact where sampling is not, and recorded only at ticks and switches, so
# it adds next to no CPU of its own (cpu-clock sampling at 4 kHz added ~30% on this VM). The SDK
# names its threads (crewai-engine, crewai-journal, crewai-observer; transport/thread_name.hpp), so
# the journal's own CPU is read directly instead of as the difference of two whole-process figures,
# which on this 2-core machine vary by ±25% from run to run (floor_pair.sh). "other" is the main
# thread (start, reading the items, the journal's open and its last checkpoint at close) and
# crewctl's signal watcher.
# Prints, per configuration, the median over ROUNDS of each thread's CPU in µs per request (requests
# = the simulator's kickoffs + status reads), and the journal thread's share of the whole process.
#   bench/thread_cpu.sh [ROUNDS=5] [ITEMS=2000] [NAME="crewctl-args" ...]
# Default configurations: journal (the fsync default), `--journal-sync normal`, `--no-journal`.
# A configuration's args may start with a crewctl binary (a path ending in /crewctl) to pair builds:
#   bench/thread_cpu.sh 5 2000 before="/tmp/old/crewctl" after=""
source "$(dirname "$0")/common.sh"
ROUNDS=${1:-5}
ITEMS=${2:-2000}
shift $(($# < 2 ? $# : 2))
CONFIGS=("$@")
[[ ${#CONFIGS[@]} -gt 0 ]] || CONFIGS=(journal="" journal-sync-normal="--journal-sync normal" no-journal="--no-journal")
CREWCTL=$BUILD/tools/crewctl/crewctl
need_built "$CREWCTL"
command -v perf >/dev/null || { echo "perf is not installed" >&2; exit 2; }
[[ $(perf list sched:sched_stat_runtime 2>/dev/null) == *sched_stat_runtime* ]] ||
  { echo "this kernel has no sched:sched_stat_runtime tracepoint (or perf may not read it)" >&2; exit 2; }
load_note
echo "# $ITEMS items of the research crew, --concurrency 100, --poll-interval 0.05, --time-scale 0.0005"

start_sim sim --crew "$ROOT/examples/crews/research.json" --time-scale 0.0005 --seed 1
write_items "$ITEMS" "$WORK/items.jsonl"

# run NAME ROUND ARGS : one batch under perf record; appends "NAME ROUND REQUESTS COMM NS" rows.
run() {
  local name=$1 round=$2 crewctl=$CREWCTL
  local -a args
  read -r -a args <<<"$3"
  if [[ ${#args[@]} -gt 0 && ${args[0]} == */crewctl ]]; then
    crewctl=${args[0]}
    args=("${args[@]:1}")
  fi
  rm -f "$WORK"/out.jsonl*
  curl -sf -X POST -H "Authorization: Bearer $CREWAI_TOKEN" "$SIM_URL/_sim/reset" >/dev/null
  perf record -q -e sched:sched_stat_runtime -o "$WORK/perf.data" -- "$crewctl" batch "$WORK/items.jsonl" \
    --url "$SIM_URL" --concurrency 100 --poll-interval 0.05 -o "$WORK/out.jsonl" "${args[@]}" \
    >"$WORK/$name.log" 2>&1 || { echo "$name failed:" >&2; tail -5 "$WORK/$name.log" >&2; exit 1; }
  local requests
  requests=$(sim_stats | /usr/bin/python3 -c 'import json,sys
r = json.load(sys.stdin)["requests"]
print(sum(r.get("POST /kickoff", {}).values()) + sum(r.get("GET /status", {}).values()))')
  perf script -i "$WORK/perf.data" -F comm,trace 2>/dev/null | awk -v n="$name" -v r="$round" -v q="$requests" '
    { for (i = 2; i <= NF; i++) if ($i ~ /^runtime=/) ns[$1] += substr($i, 9) }
    END { for (c in ns) print n, r, q, c, ns[c] }' >>"$WORK/rows"
}

for r in $(seq 1 "$ROUNDS"); do
  for c in "${CONFIGS[@]}"; do
    run "${c%%=*}" "$r" "${c#*=}"
  done
done

/usr/bin/python3 - "$WORK/rows" <<'PY'
import collections, statistics, sys
THREADS = ("crewai-engine", "crewai-journal", "crewai-observer", "other")
runs = collections.defaultdict(collections.Counter)  # (name, round) -> thread -> µs per request
order = []
for line in open(sys.argv[1]):
    name, rnd, requests, comm, ns = line.split()
    if name not in order:
        order.append(name)
    thread = comm if comm in THREADS else "other"
    runs[(name, rnd)][thread] += int(ns) / 1000 / int(requests)
print("%-22s" % "config" + "".join("%16s" % t for t in THREADS) + "%10s %14s" % ("total", "journal share"))
for name in order:
    rounds = [c for (n, _), c in runs.items() if n == name]
    med = {t: statistics.median(c[t] for c in rounds) for t in THREADS}
    total = statistics.median(sum(c.values()) for c in rounds)
    share = statistics.median(100 * c["crewai-journal"] / sum(c.values()) for c in rounds)
    print("%-22s" % name + "".join("%16.1f" % med[t] for t in THREADS) + "%10.1f %13.1f%%" % (total, share))
print("(µs of CPU per request, median of %d rounds; journal share: the journal thread's CPU over the"
      " whole process's, median of the rounds)" % len(rounds))
PY
