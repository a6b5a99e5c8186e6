#!/usr/bin/env bash
# One complete ptb run on a CPU-only machine: installs what it needs, builds ptb, sets up the
# Python environment and the tiny base model, post-trains it with the reference agent on the
# synthetic `arith` task, and prints the base model's score and the final score.
set -euo pipefail
cd "$(dirname "$0")/.."
export PTB_HOME="${PTB_HOME:-$HOME/.ptb}"

if ! command -v bwrap >/dev/null; then
  echo "==> installing bubblewrap (the agent sandbox)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq bubblewrap
fi
t0=$(date +%s)
# A debug build: the demo's work (training and evaluation) runs in Python, and ptb's own checks
# on a tiny model take seconds either way; a release build took 14 of the demo's 24 minutes.
# No debug info (-gnone, -g0) and no index store: nobody steps through the demo in a debugger or
# an IDE. Nothing runs beside the compiler: pip downloading the wheels meanwhile (tried in session
# 8) made the build 86 s slower on 2 cores and setup only 15 s faster.
BUILD_FLAGS=(--product ptb --disable-index-store -Xswiftc -gnone -Xcc -g0)
echo "==> [1/3] building ptb (debug, no debug info)"
swift build "${BUILD_FLAGS[@]}"
PTB="$(swift build "${BUILD_FLAGS[@]}" --show-bin-path)/ptb"
t1=$(date +%s)
echo "==> [2/3] ptb setup (Python environment + tiny model, in $PTB_HOME; pip's output goes to $PTB_HOME/logs/setup.log)"
"$PTB" setup
t2=$(date +%s)
echo "==> [3/3] ptb run"
"$PTB" run --task arith --model tiny --agent reference --hours "${PTB_DEMO_HOURS:-0.05}" "$@"
t3=$(date +%s)
echo "==> demo done: build $((t1 - t0)) s, setup $((t2 - t1)) s, run $((t3 - t2)) s, total $((t3 - t0)) s"
