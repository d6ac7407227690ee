#!/usr/bin/env bash
# bench/journal_syscalls.sh — what the journal and the results file cost in system calls: one
# `crewctl batch -o out.jsonl` (journal on, its default beside -o) of ITEMS research-crew items under
# `strace -f -y`, counting pwrite64/write/fsync/fdatasync by the file they went to (the journal's
# WAL, the journal itself — checkpoints —, the results file), the bytes written to the WAL and the
# transactions (WAL frame headers whose "database size after commit" field is set: commit frames).
# Counts, not times: strace slows the client down, so no CPU figure here (bench/floor.sh has those).
#   bench/journal_syscalls.sh [ITEMS=2000] [CONCURRENCY=100] [POLL_INTERVAL=0.05] [TIME_SCALE=0.0005]
source "$(dirname "$0")/common.sh"
ITEMS=${1:-2000}
CONC=${2:-100}
POLL=${3:-0.05}
SCALE=${4:-0.0005}
CREWCTL=$BUILD/tools/crewctl/crewctl
need_built "$CREWCTL"
command -v strace >/dev/null || { echo "strace is not installed" >&2; exit 2; }
load_note
echo "# $ITEMS items of the research crew, --concurrency $CONC, --poll-interval $POLL, --time-scale $SCALE"

start_sim sim --crew "$ROOT/examples/crews/research.json" --time-scale "$SCALE" --seed 1
write_items "$ITEMS" "$WORK/items.jsonl"

strace -f --seccomp-bpf -y -qq -xx -s 8 -o "$WORK/strace.log" -e trace=pwrite64,write,fsync,fdatasync -e signal=none \
  "$CREWCTL" batch "$WORK/items.jsonl" --url "$SIM_URL" --concurrency "$CONC" --poll-interval "$POLL" \
  -o "$WORK/out.jsonl" >"$WORK/batch.log" 2>&1 || { tail -5 "$WORK/batch.log" >&2; exit 1; }
echo "# $(grep -c '"state": *"succeeded"' "$WORK/out.jsonl" || true) of $ITEMS succeeded"

/usr/bin/python3 - "$WORK/strace.log" "$ITEMS" <<'EOF'
import collections, re, sys
calls = collections.Counter()
wal_bytes = 0
commits = 0
start = re.compile(r'^\d+\s+(pwrite64|write|fsync|fdatasync)\((\d+)<([^>]*)>')
size = re.compile(r', (\d+), \d+(?:\)| <unfinished)')
for line in open(sys.argv[1], errors='replace'):
    m = start.match(line)
    if not m:
        continue
    call, path = m.group(1), m.group(3)
    if path.startswith('\\x'):  # -xx prints the fd's path in hex too
        path = bytes.fromhex(path.replace('\\x', '')).decode(errors='replace')
    target = ('journal WAL' if path.endswith('-wal') else 'journal shm' if path.endswith('-shm')
              else 'journal' if path.endswith('.journal')
              else 'results file' if path.endswith(('.jsonl', '.partial')) else 'sockets/other')
    calls[(call, target)] += 1
    if call == 'pwrite64' and target == 'journal WAL':
        s = size.search(line)
        n = int(s.group(1)) if s else 0
        wal_bytes += n
        head = re.search(r'"((?:\\x[0-9a-f]{2}){8})"', line)
        if n == 24 and head and int(head.group(1).replace('\\x', '')[8:16], 16) != 0:
            commits += 1
items = int(sys.argv[2])
print('%-10s %-14s %8s %10s' % ('call', 'file', 'count', 'per item'))
for (call, target), n in sorted(calls.items()):
    print('%-10s %-14s %8d %10.2f' % (call, target, n, n / items))
print('WAL bytes written: %d (%.1f KiB per item)' % (wal_bytes, wal_bytes / 1024 / items))
print('transactions (WAL commit frames): %d (%.2f per item)' % (commits, commits / items))
EOF
