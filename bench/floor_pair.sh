#!/usr/bin/env bash
# bench/floor_pair.sh — two crewctl builds against the floor, paired: each round runs floor_loop
# (and floor_loop --post-body reader: kickoff bodies given as crewctl gives them, see floor_loop.cpp),
# then BASE and this build's crewctl with the journal, and this build also with
# `--journal-sync normal`, then both with --no-journal, against ONE simulator reset before each
# client. CPU is the whole process's task-clock (`perf stat`), requests are the simulator's count.
# Prints the median µs of CPU per request of each client over the rounds, its ratio to the floor's
# median (and, when crewctl links an allocator of its own, to the floor's on that allocator), and
# every round's figure: on a 2-core machine one client varies by ±25% from run to run, so compare
# builds within a series, never across series taken at different times.
#   BASE=/path/to/older/crewctl bench/floor_pair.sh [ROUNDS=5] [ITEMS=2000]
source "$(dirname "$0")/common.sh"
ROUNDS=${1:-5}
ITEMS=${2:-2000}
BASE=${BASE:?set BASE to the crewctl build to compare with}
CREWCTL=$BUILD/tools/crewctl/crewctl
need_built "$BENCH_BIN/floor_loop" "$CREWCTL" "$BASE"
command -v perf >/dev/null || { echo "perf is not installed" >&2; exit 2; }
load_note
echo "# $ITEMS items of the research crew, --concurrency 100, --poll-interval 0.05, --time-scale 0.0005"

start_sim sim --crew "$ROOT/examples/crews/research.json" --time-scale 0.0005 --seed 1
write_items "$ITEMS" "$WORK/items.jsonl"

# run NAME CMD... : appends "NAME CPU_MS REQUESTS" to $WORK/rows.
run() {
  local name=$1
  shift
  rm -f "$WORK"/out.jsonl*
  curl -sf -X POST -H "Authorization: Bearer $CREWAI_TOKEN" "$SIM_URL/_sim/reset" >/dev/null
  perf stat -x, -e task-clock -o "$WORK/stat" -- "$@" >"$WORK/$name.log" 2>&1 ||
    { echo "$name failed:" >&2; tail -5 "$WORK/$name.log" >&2; exit 1; }
  local requests
  requests=$(sim_stats | /usr/bin/python3 -c 'import json,sys
r = json.load(sys.stdin)["requests"]
print(sum(r.get("POST /kickoff", {}).values()) + sum(r.get("GET /status", {}).values()))')
  echo "$name $(awk -F, '$3 == "task-clock" {print $1}' "$WORK/stat") $requests" >>"$WORK/rows"
}

# The allocator this build's crewctl links (cmake/CrewaiAllocator.cmake), if any: the floor runs
# on it too (LD_PRELOAD), so that the ratio can also be read like for like.
ALLOC=$(ldd "$CREWCTL" | awk '/libmimalloc/ {print $3}')
common=(--url "$SIM_URL" --concurrency 100 --poll-interval 0.05 -o "$WORK/out.jsonl")
for r in $(seq 1 "$ROUNDS"); do
  run floor "$BENCH_BIN/floor_loop" --url "$SIM_URL" --items "$ITEMS" --concurrency 100 \
    --connections 64 --poll-interval 0.05
  if [[ -n $ALLOC ]]; then
    run floor:crewctl-malloc env LD_PRELOAD="$ALLOC" "$BENCH_BIN/floor_loop" --url "$SIM_URL" \
      --items "$ITEMS" --concurrency 100 --connections 64 --poll-interval 0.05
  fi
  run floor:post-reader "$BENCH_BIN/floor_loop" --url "$SIM_URL" --items "$ITEMS" --concurrency 100 \
    --connections 64 --poll-interval 0.05 --post-body reader
  run base:journal "$BASE" batch "$WORK/items.jsonl" "${common[@]}"
  run base:no-journal "$BASE" batch "$WORK/items.jsonl" "${common[@]}" --no-journal
  run this:journal "$CREWCTL" batch "$WORK/items.jsonl" "${common[@]}"
  run this:journal-sync-normal "$CREWCTL" batch "$WORK/items.jsonl" "${common[@]}" --journal-sync normal
  run this:no-journal "$CREWCTL" batch "$WORK/items.jsonl" "${common[@]}" --no-journal
done

/usr/bin/python3 - "$WORK/rows" <<'PY'
import collections, statistics, sys
us = collections.defaultdict(list)
for line in open(sys.argv[1]):
    name, ms, requests = line.split()
    us[name].append(float(ms) * 1000 / int(requests))
floor = statistics.median(us["floor"])
alike = statistics.median(us["floor:crewctl-malloc"]) if "floor:crewctl-malloc" in us else None
for name in us:
    m = statistics.median(us[name])
    also = f" ({m / alike:4.2f}x on crewctl's malloc)" if alike else ""
    print(f"{name:26s} {m:8.1f} us/request {m / floor:6.2f}x{also}   rounds: " +
          " ".join(f"{x:.1f}" for x in us[name]))
PY
