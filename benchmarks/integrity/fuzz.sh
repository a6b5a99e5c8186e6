#!/usr/bin/env bash
# The full safetensors-header fuzz run: a million random and mutated headers through the
# validator in a release build (the test suite runs 20,000 by default).
#
#   bash benchmarks/integrity/fuzz.sh [ITERATIONS]
set -euo pipefail
cd "$(dirname "$0")/../.."
export PTB_FUZZ_ITERATIONS="${1:-1000000}"
swift build -c release --build-tests
/usr/bin/time -f "wall %e s, user %U s, sys %S s, max RSS %M KiB" \
    swift test -c release --skip-build --filter 'PTBIntegrityTests.FuzzTests' 2>&1 | grep -E "fuzz:|passed|failed|wall"
