#!/usr/bin/env bash
# ptb's SHA-256 (Sources/CPTBHash, which replaced swift-crypto) against OpenSSL (Python's hashlib)
# and coreutils' sha256sum, side by side on the same 256 MiB of random bytes, one core each.
# Prints MB/s, the ratio to OpenSSL, and fails if any digest differs.
set -euo pipefail
cd "$(dirname "$0")/../.."
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
head -c $((256 << 20)) /dev/urandom > "$work/data"
${CC:-clang} -O2 -I Sources/CPTBHash/include benchmarks/hash/sha256_bench.c Sources/CPTBHash/ptbhash.c -o "$work/bench"
"$work/bench" "$work/data" > "$work/ptb.txt"
python3 - "$work/data" > "$work/openssl.txt" <<'PY'
import hashlib, sys, time
b = open(sys.argv[1], "rb").read()
t = time.perf_counter(); h = hashlib.sha256(b).hexdigest(); s = time.perf_counter() - t
print("openssl-hashlib", round(len(b) / s / 1e6), h)
PY
t0=$(date +%s.%N); sum=$(sha256sum "$work/data" | cut -c1-64); t1=$(date +%s.%N)
echo "coreutils-sha256sum $(python3 -c "print(round($((256 << 20)) / ($t1 - $t0) / 1e6))") $sum" > "$work/coreutils.txt"
cat "$work/ptb.txt" "$work/openssl.txt" "$work/coreutils.txt" | python3 -c '
import sys
rows = [l.split() for l in sys.stdin if len(l.split()) == 3]
ref = next(float(r[1]) for r in rows if r[0] == "openssl-hashlib")
print("%-22s %7s %10s" % ("implementation", "MB/s", "vs OpenSSL"))
for name, mbs, _ in rows: print("%-22s %7.0f %9.2fx" % (name, float(mbs), float(mbs) / ref))
digests = {r[2] for r in rows}
print("digests agree" if len(digests) == 1 else "DIGESTS DIFFER: %s" % digests)
sys.exit(0 if len(digests) == 1 else 1)'
