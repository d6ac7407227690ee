# bench/wrk_lib.sh — sourced after common.sh: run wrk against GET /status/{id} and summarise.

# run_wrk OUTFILE THREADS CONNECTIONS SECONDS IDS_FILE : wrk's report in OUTFILE, its CPU seconds
# (user+sys, from measure.py) in OUTFILE.cpu.
run_wrk() {
  local out=$1 threads=$2 conns=$3 secs=$4 ids=$5
  /usr/bin/python3 "$BENCH_DIR/measure.py" "$out.cpu" \
    wrk -t"$threads" -c"$conns" -d"${secs}s" --timeout 10s --latency \
        -s "$BENCH_DIR/status.lua" "$SIM_URL" -- "$ids" "$CREWAI_TOKEN" >"$out" 2>&1
}

# wrk_field OUTFILE NAME : rps | p50 | p99 (ms) | requests | errors (socket errors + non-2xx) | cpu
wrk_field() {
  local out=$1
  case $2 in
    rps) awk '/^Requests\/sec:/ {printf "%.0f", $2}' "$out" ;;
    requests) awk '/requests in/ {print $1}' "$out" ;;
    p50|p99)
      awk -v p="${2#p}%" '$1 == p {
        v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v);
        if (u == "us") v /= 1000; else if (u == "s") v *= 1000; else if (u == "m") v *= 60000;
        printf "%.2f", v }' "$out" ;;
    errors)
      awk '/Socket errors:/ {gsub(/,/, ""); e += $4 + $6 + $8 + $10}
           /Non-2xx/ {e += $NF} END {print e + 0}' "$out" ;;
    cpu) awk '{printf "%.2f", $2 + $3}' "$out.cpu" ;;
  esac
}
