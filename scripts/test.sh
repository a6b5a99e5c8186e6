#!/usr/bin/env bash
# The whole test suite, integration tests included (real bubblewrap, real vLLM on CPU, real
# training). Installs what it needs; the Python environment and tiny model live in
# $PTB_TEST_HOME (default .ptb-test-home/ in the checkout) and are reused when present.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
export PTB_TEST_HOME="${PTB_TEST_HOME:-$ROOT/.ptb-test-home}"
export PTB_REQUIRE_INTEGRATION="${PTB_REQUIRE_INTEGRATION:-1}"

need_apt=()
command -v bwrap >/dev/null || need_apt+=(bubblewrap)
[ -e /usr/include/sqlite3.h ] || need_apt+=(libsqlite3-dev)
# The judge and data-pull tests serve HTTP with small python3 scripts.
command -v python3 >/dev/null || need_apt+=(python3)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "==> apt-get install ${need_apt[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${need_apt[@]}"
fi

echo "==> swift build --build-tests"
swift build --build-tests
PTB="$(swift build --show-bin-path)/ptb"

echo "==> ptb setup into $PTB_TEST_HOME"
PTB_HOME="$PTB_TEST_HOME" "$PTB" setup

echo "==> swift test"
swift test --skip-build

# Live Slurm: a single-node cluster with two fake GPUs (needs root: daemons, mknod). The sweep
# scenarios include real `ptb` runs on the tiny model from $PTB_TEST_HOME.
if [ "$(id -u)" = 0 ] && [ "${PTB_SKIP_SLURM:-0}" != 1 ]; then
  echo "==> live Slurm sweep test"
  PTB_SLURM_LIVE_HOME="$PTB_TEST_HOME" bash scripts/slurm/live-test.sh
else
  echo "==> live Slurm sweep test skipped (needs root and PTB_SKIP_SLURM unset)"
fi
