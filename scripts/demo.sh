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
# No debug info either (-gnone, -g0): nobody steps through the demo in a debugger, and it is a
# tenth of the compile time (the vendored BoringSSL is C).
BUILD_FLAGS=(--product ptb -Xswiftc -gnone -Xcc -g0)
echo "==> [1/3] building ptb (debug, no debug info)"
# Meanwhile (network, not CPU) the pinned uv: setup installs the Python packages with it, which
# downloads, unpacks and compiles in parallel (install 32 s against pip's 84 s here). Without it,
# setup uses pip.
TOOLS="$PTB_HOME/tools"
mkdir -p "$PTB_HOME/logs"
( bash scripts/install-uv.sh "$TOOLS" ) > "$PTB_HOME/logs/demo-uv.log" 2>&1 &
uv_install=$!
swift build "${BUILD_FLAGS[@]}"
PTB="$(swift build "${BUILD_FLAGS[@]}" --show-bin-path)/ptb"
t1=$(date +%s)
echo "==> [2/3] ptb setup (Python environment + tiny model, in $PTB_HOME; the installer's output goes to $PTB_HOME/logs/setup.log)"
if wait "$uv_install"; then
  PATH="$TOOLS/bin:$PATH" "$PTB" setup --installer uv || {
    echo "    (setup with uv failed, see $PTB_HOME/logs/setup.log: again with pip)"; "$PTB" setup; }
else
  echo "    (uv could not be installed, see $PTB_HOME/logs/demo-uv.log: setup installs with pip)"
  "$PTB" setup
fi
t2=$(date +%s)
echo "==> [3/3] ptb run"
"$PTB" run --task arith --model tiny --agent reference --hours "${PTB_DEMO_HOURS:-0.05}" "$@"
t3=$(date +%s)
echo "==> demo done: build $((t1 - t0)) s, setup $((t2 - t1)) s, run $((t3 - t2)) s, total $((t3 - t0)) s"
