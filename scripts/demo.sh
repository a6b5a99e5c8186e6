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
echo "==> building ptb"
swift build -c release --product ptb
PTB="$(swift build -c release --show-bin-path)/ptb"
echo "==> ptb setup (Python environment + tiny model, in $PTB_HOME)"
"$PTB" setup
echo "==> ptb run"
"$PTB" run --task arith --model tiny --agent reference --hours "${PTB_DEMO_HOURS:-0.05}" "$@"
