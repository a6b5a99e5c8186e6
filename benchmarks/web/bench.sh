#!/usr/bin/env bash
# Times every page of `ptb serve` on the web fixture (a 50 MB trace by default) with curl.
#   benchmarks/web/bench.sh [PTB] [DIR]
# PTB: the ptb binary (default: the release build, `swift build -c release` first).
# Prints, per page, the first request (cold: builds the trace's line index) and the median and
# max of 5 warm requests, in seconds. Target: every page < 1 s.
set -euo pipefail
cd "$(dirname "$0")/../.."
PTB="${1:-$(swift build -c release --show-bin-path)/ptb}"
DIR="${2:-/var/tmp/ptb-web-bench}"
TRACE_MB="${TRACE_MB:-50}"
rm -rf "$DIR"
"$PTB" web-fixture "$DIR" --trace-mb "$TRACE_MB"
"$PTB" serve --port 0 --runs-dir "$DIR/runs" --home "$DIR/home" > "$DIR/serve.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q "listening on" "$DIR/serve.log" && break; sleep 0.2; done
BASE="$(grep -o 'http://[^ ]*' "$DIR/serve.log" | head -1)"
BASE="${BASE%/}"
BIG=alpha_humaneval_long
LINES=$(wc -l < "$DIR/runs/$BIG/events.jsonl")
LAST=$(( (LINES + 199) / 200 ))
echo "trace: $(du -h "$DIR/runs/$BIG/events.jsonl" | cut -f1) events.jsonl, $(du -h "$DIR/runs/$BIG/trace.jsonl" | cut -f1) trace.jsonl, $LINES lines, $LAST pages"
printf '%-28s %8s %8s %8s %9s\n' page cold warm-med warm-max bytes
time_page() {
  local name="$1" path="$2" t cold
  cold=$(curl -s -o /dev/null -w '%{time_total}' "$BASE$path")
  local ts=()
  for _ in 1 2 3 4 5; do ts+=("$(curl -s -o /dev/null -w '%{time_total}' "$BASE$path")"); done
  local sorted; sorted=$(printf '%s\n' "${ts[@]}" | sort -n)
  local bytes; bytes=$(curl -s "$BASE$path" | wc -c)
  printf '%-28s %8.3f %8.3f %8.3f %9d\n' "$name" "$cold" "$(echo "$sorted" | sed -n 3p)" "$(echo "$sorted" | tail -1)" "$bytes"
}
time_page "trace page 1 (events)" "/run/$BIG/trace"
time_page "trace middle page" "/run/$BIG/trace?page=$((LAST / 2))"
time_page "trace last page" "/run/$BIG/trace?page=$LAST"
time_page "raw trace page 1" "/run/$BIG/trace?file=trace"
time_page "trace search (needle)" "/run/$BIG/trace?q=NEEDLE-7f3a9c"
time_page "trace search (200+ hits)" "/run/$BIG/trace?q=learning+rate"
time_page "raw trace search" "/run/$BIG/trace?file=trace&q=NEEDLE-7f3a9c"
time_page "leaderboard" "/"
time_page "leaderboard by method" "/?group=method"
time_page "agent" "/agent/alpha?group=method"
time_page "runs" "/runs"
time_page "sweeps" "/sweeps"
time_page "sweep" "/sweep/ablation"
time_page "run (monitor chart)" "/run/$BIG"
time_page "samples (incorrect)" "/run/$BIG/samples?filter=incorrect"
time_page "samples search" "/run/$BIG/samples?q=SAMPLE-NEEDLE-42"
time_page "baselines" "/baselines"
time_page "404" "/run/..%2F..%2Fetc%2Fpasswd"
