#!/usr/bin/env bash
# Runs ptb's live Slurm test: starts the single-node cluster (installing slurm-wlm/munge if
# needed), runs the PTB_SLURM_LIVE suite, and stops the daemons it started unless
# PTB_SLURM_KEEP=1. Needs root (daemons, mknod). Prints the time each step took.
#
# The command-style scenario (array submit, fake-GPU binding, scancel of one task, retry) needs
# nothing else (~9 s). The ptb-mode scenario (real `ptb sweep exec` runs, one cancelled in its
# evaluate phase and resumed by retry, ~2 min) also runs when PTB_SLURM_LIVE_HOME names a PTB_HOME
# after `ptb setup` (Python env + tiny model); it uses .build/debug/ptb, or PTB_SLURM_LIVE_PTB.
set -euo pipefail
cd "$(dirname "$0")/../.."
here=scripts/slurm
t0=$(date +%s.%N)
started_here=0
if ! sinfo -h -o '%T' 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then
  bash "$here/start-cluster.sh"
  started_here=1
fi
t1=$(date +%s.%N)
cleanup() { if [ "$started_here" = 1 ] && [ "${PTB_SLURM_KEEP:-0}" != 1 ]; then bash "$here/stop-cluster.sh"; fi; }
trap cleanup EXIT
swift build --build-tests
t2=$(date +%s.%N)
PTB_SLURM_LIVE=1 swift test --skip-build --filter 'PTBJobsTests.LiveSlurmTests'
t3=$(date +%s.%N)
awk -v a="$t0" -v b="$t1" -v c="$t2" -v d="$t3" 'BEGIN { printf "cluster start %.1f s, build %.1f s, live test %.1f s\n", b - a, c - b, d - c }'
