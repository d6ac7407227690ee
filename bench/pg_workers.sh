#!/usr/bin/env bash
# bench/pg_workers.sh — the shared (PostgreSQL) journal: 1, 2 and 4 `crewctl batch` worker processes
# on one batch of ITEMS items, versus one process on the SQLite journal. Per configuration: wall time,
# runs/s, client CPU seconds per 1,000 runs (all workers), database round trips (statements, counted
# by pg_stat_statements: BEGIN and COMMIT included) and transactions per item, journal bytes per
# item, kickoffs the simulator saw, requestIds kicked off twice (must be 0) and items without a final
# record (must be 0). A throwaway cluster (unix socket only, as the postgres user when run as root,
# pg_stat_statements preloaded) and a fresh simulator per configuration; both are removed on exit.
#   bench/pg_workers.sh [ITEMS=10000] [WORKERS="1 2 4"] [TIME_SCALE=0.002] [CONCURRENCY=64]
source "$(dirname "$0")/common.sh"
ITEMS=${1:-10000}
WORKERS=${2:-1 2 4}
SCALE=${3:-0.002}
CONC=${4:-64}
CREWCTL=${CREWCTL:-$BUILD/tools/crewctl/crewctl}
need_built "$CREWCTL"
SIM_BIN=$WORK/sim  # `crewctl serve` is crewai-sim
printf '#!/bin/sh\nexec "%s" serve "$@"\n' "$CREWCTL" >"$SIM_BIN"
chmod +x "$SIM_BIN"
PGBIN=/usr/lib/postgresql/15/bin
AS=()
[[ $(id -u) -eq 0 ]] && AS=(runuser -u postgres --)
PGDIR=$WORK/pg
mkdir -p "$PGDIR"
[[ $(id -u) -eq 0 ]] && chown postgres "$WORK" "$PGDIR"
"${AS[@]}" "$PGBIN/initdb" -D "$PGDIR/data" -U postgres -A trust --no-sync >"$WORK/initdb.log"
"${AS[@]}" "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$WORK/pg.log" -w -o "-k $PGDIR -c listen_addresses='' -c shared_preload_libraries=pg_stat_statements" start >/dev/null
pg_stop() { "${AS[@]}" "$PGBIN/pg_ctl" -D "$PGDIR/data" -m immediate -w stop >/dev/null 2>&1 || true; cleanup; }
trap pg_stop EXIT
psql_q() { psql -h "$PGDIR" -U postgres -d "$1" -Atc "$2"; }
psql_q postgres "CREATE EXTENSION pg_stat_statements" >/dev/null
# statements DB, commits DB : statements run in DB (pg_stat_statements); its committed transactions.
statements() { psql_q postgres "SELECT COALESCE(sum(calls), 0) FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = '$1'"; }
commits() { psql_q "$1" "SELECT xact_commit FROM pg_stat_database WHERE datname = '$1'"; }

python3 - "$ITEMS" >"$WORK/in.jsonl" <<'PY'
import json, sys
for i in range(int(sys.argv[1])):
    print(json.dumps({"id": f"t{i}", "inputs": {"topic": f"topic {i}", "current_year": "2026"}}))
PY

# run_workers LABEL N JOURNAL... : N workers on the same input; prints the figures line.
run_workers() {
  local label=$1 n=$2 journal=$3 db=${4:-}
  start_sim "sim-$label" --crew "$ROOT/examples/crews/research.json" --time-scale "$SCALE" --seed 1
  local commits0=0 stmts0=0
  if [[ -n $db ]]; then
    commits0=$(commits "$db")
    stmts0=$(statements "$db")
  fi
  local t0 pids=() i
  t0=$(date +%s.%N)
  for i in $(seq 1 "$n"); do
    /usr/bin/time -f "%U %S" -o "$WORK/$label.cpu.$i" "$CREWCTL" batch "$WORK/in.jsonl" --journal "$journal" \
      -o "$WORK/$label.out.$i" --concurrency "$CONC" --poll-interval 0.05 -q --url "$SIM_URL" >/dev/null 2>"$WORK/$label.err.$i" &
    pids+=($!)
  done
  for i in "${pids[@]}"; do wait "$i" || true; done
  local wall cpu trips=- tx=- bytes kicked dups missing
  wall=$(echo "$(date +%s.%N) - $t0" | bc -l)
  cpu=$(cat "$WORK/$label".cpu.* | awk '{s += $1 + $2} END {print s}')
  read -r kicked dups < <(sim_stats | python3 -c 'import json,sys; k = json.load(sys.stdin)["kickoffs"]
print(k["total"], sum(1 for n in k["by_request_id"].values() if n > 1))')
  if [[ -n $db ]]; then
    trips=$(printf '%.1f' "$(echo "($(statements "$db") - $stmts0) / $ITEMS" | bc -l)")
    tx=$(printf '%.2f' "$(echo "($(commits "$db") - $commits0) / $ITEMS" | bc -l)")
    bytes=$(psql_q "$db" "SELECT sum(pg_total_relation_size(c)) FROM unnest(ARRAY['crewctl_items', 'crewctl_attempts']) c")
    missing=$(psql_q "$db" "SELECT count(*) FROM crewctl_items WHERE record IS NULL")
  else
    bytes=$(stat -c %s "$journal")
    missing=$((ITEMS - $(cat "$WORK/$label".out.* | wc -l)))
  fi
  printf '%-18s %7.1f %8.1f %9.2f %9s %8s %10.0f %8s %5s %8s\n' "$label" "$wall" "$(echo "$ITEMS / $wall" | bc -l)" \
    "$(echo "$cpu * 1000 / $ITEMS" | bc -l)" "$trips" "$tx" "$(echo "$bytes / $ITEMS" | bc -l)" "$kicked" "$dups" "$missing"
  stop_pid "$SIM_PID"
}

load_note
printf '%-18s %7s %8s %9s %9s %8s %10s %8s %5s %8s\n' config wall_s runs/s cpu_s/1k trips/item tx/item bytes/item kickoffs dups no_record
run_workers "sqlite-1-worker" 1 "$WORK/sqlite.journal"
for n in $WORKERS; do
  "${AS[@]}" "$PGBIN/createdb" -h "$PGDIR" -U postgres "w$n"
  run_workers "pg-$n-workers" "$n" "postgresql://postgres@/w$n?host=$PGDIR" "w$n"
done
load_note
