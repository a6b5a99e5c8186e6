#!/usr/bin/env bash
# Stops the daemons started by start-cluster.sh, by the PIDs it recorded (never by name).
set -uo pipefail
STATE="${PTB_SLURM_STATE:-/tmp/ptb-slurm}"
[ -f "$STATE/pids.txt" ] || { echo "stop-cluster.sh: no $STATE/pids.txt; nothing to stop" >&2; exit 0; }
while read -r name pid; do
  [ -n "${pid:-}" ] || continue
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" && echo "stopped $name ($pid)"
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
done < "$STATE/pids.txt"
rm -f "$STATE/pids.txt"
