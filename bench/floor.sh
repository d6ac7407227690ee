#!/usr/bin/env bash
# bench/floor.sh — how far `crewctl batch` is from the floor: the bare libcurl-multi loop
# (floor_loop: crewctl's pool of 64 connections, all reused), `crewctl batch -o out.jsonl` (journal
# on, its default beside -o, with an fsync per commit), the same with `--journal-sync normal` (no
# fsync) and with --no-journal, one after the other against ONE simulator (research crew), same
# items, concurrency and poll interval. For each: client CPU (user+sys, measure.py), the requests
# the simulator counted for it (/_sim/stats, reset before each client), µs of client CPU per request
# and the ratio to the floor. REPEATS > 1 runs the four clients in turn that many times (paired, so
# that a busy machine weighs on all alike).
#   bench/floor.sh [ITEMS=2000] [CONCURRENCY=100] [POLL_INTERVAL=0.05] [TIME_SCALE=0.0005] [REPEATS=1]
source "$(dirname "$0")/common.sh"
ITEMS=${1:-2000}
CONC=${2:-100}
POLL=${3:-0.05}
SCALE=${4:-0.0005}
REPEATS=${5:-1}
CREWCTL=$BUILD/tools/crewctl/crewctl
need_built "$BENCH_BIN/floor_loop" "$CREWCTL"
load_note
echo "# $ITEMS items of the research crew, --concurrency $CONC, --poll-interval $POLL, --time-scale $SCALE"

start_sim sim --crew "$ROOT/examples/crews/research.json" --time-scale "$SCALE" --seed 1
write_items "$ITEMS" "$WORK/items.jsonl"

# requests_counted : "KICKOFFS POLLS" the simulator answered since its last reset.
requests_counted() {
  sim_stats | /usr/bin/python3 -c 'import json,sys
r = json.load(sys.stdin)["requests"]
print(sum(r.get("POST /kickoff", {}).values()), sum(r.get("GET /status", {}).values()))'
}

# measure NAME CMD... : runs a client against a freshly reset counter; appends
# "NAME CPU_S KICKOFFS POLLS OK" to $WORK/rows.
measure() {
  local name=$1
  shift
  curl -sf -X POST -H "Authorization: Bearer $CREWAI_TOKEN" "$SIM_URL/_sim/reset" >/dev/null
  /usr/bin/python3 "$BENCH_DIR/measure.py" "$WORK/$name.cpu" "$@" >"$WORK/$name.log" 2>&1 ||
    { echo "$name failed:" >&2; tail -5 "$WORK/$name.log" >&2; exit 1; }
  local cpu ok
  cpu=$(awk '{printf "%.3f", $2 + $3}' "$WORK/$name.cpu")
  if [[ $name == floor ]]; then
    ok=$(sed -n 's/.* succeeded=\([0-9]*\).*/\1/p' "$WORK/$name.log")
  else
    ok=$(grep -c '"state": *"succeeded"' "$WORK/$name.out.jsonl" || true)
  fi
  echo "$name $cpu $(requests_counted) $ok" >>"$WORK/rows"
}

common=(--url "$SIM_URL" --concurrency "$CONC" --poll-interval "$POLL")
for r in $(seq 1 "$REPEATS"); do
  measure floor "$BENCH_BIN/floor_loop" --url "$SIM_URL" --items "$ITEMS" --concurrency "$CONC" \
    --connections 64 --poll-interval "$POLL"
  rm -f "$WORK"/journal.out.jsonl*
  measure journal "$CREWCTL" batch "$WORK/items.jsonl" "${common[@]}" -o "$WORK/journal.out.jsonl"
  rm -f "$WORK"/journal-normal.out.jsonl*
  measure journal-normal "$CREWCTL" batch "$WORK/items.jsonl" "${common[@]}" --journal-sync normal \
    -o "$WORK/journal-normal.out.jsonl"
  measure no-journal "$CREWCTL" batch "$WORK/items.jsonl" "${common[@]}" --no-journal \
    -o "$WORK/no-journal.out.jsonl"
done

# One line per client: sums over the repeats, µs per request, and the ratio to the floor.
awk -v repeats="$REPEATS" '
  { cpu[$1] += $2; kick[$1] += $3; polls[$1] += $4; ok[$1] += $5 }
  END {
    printf "%-27s %9s %9s %9s %9s %11s %8s\n", "client", "succeeded", "kickoffs", "polls", "cpu_s", "us/request", "ratio"
    floor_us = cpu["floor"] * 1e6 / (kick["floor"] + polls["floor"])
    n = split("floor journal journal-normal no-journal", order, " ")
    for (i = 1; i <= n; i++) {
      c = order[i]; req = kick[c] + polls[c]
      us = req > 0 ? cpu[c] * 1e6 / req : 0
      label = c == "floor" ? "floor_loop" : c == "journal" ? "crewctl batch (journal)" : \
              c == "journal-normal" ? "  --journal-sync normal" : "crewctl batch --no-journal"
      printf "%-27s %9d %9d %9d %9.3f %11.1f %7.2fx\n", label, ok[c] / repeats, kick[c] / repeats, polls[c] / repeats, cpu[c] / repeats, us, us / floor_us
    }
  }' "$WORK/rows"
