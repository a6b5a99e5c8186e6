#!/usr/bin/env bash
# `ptb doctor` on a GPU machine (issue 19): the static ptb from .device/ (see scripts/gpu-check.sh),
# bubblewrap from Debian packages, the machine's own Python (torch + transformers; no vLLM), and
# the tiny model. Prints doctor's table and JSON for --gpus 1, and keeps both under $OUT.
set -x
D=${PTB_DEVICE_DIR:-$(pwd)/.device}
mkdir -p /tmp/bw && for f in $D/*.deb; do dpkg -x $f /tmp/bw; done
export PATH=/tmp/bw/usr/bin:$PATH LD_LIBRARY_PATH=/tmp/bw/usr/lib/x86_64-linux-gnu:/tmp/bw/lib/x86_64-linux-gnu
mkdir -p /opt/ptb && xz -dc $D/ptb.xz > /opt/ptb/ptb && chmod +x /opt/ptb/ptb && cp -r $D/*.resources /opt/ptb/
nvidia-smi -L
export PTB_HOME=/var/tmp/ptbhome PTB=/opt/ptb/ptb PTB_ENGINE=transformers
$PTB setup --use-python "$(command -v python3)" 2>&1 | tail -2
mkdir -p "${OUT:-/tmp/out}"
s=$(date +%s.%N)
$PTB doctor --gpus 1 --model tiny --min-free-gb 20 2>&1 | tee "${OUT:-/tmp/out}/doctor.txt"
echo "doctor exit: ${PIPESTATUS[0]}"
e=$(date +%s.%N)
python3 -c "print('doctor took', round($e-$s, 1), 's')"
$PTB doctor --gpus 1 --model tiny --min-free-gb 20 --json > "${OUT:-/tmp/out}/doctor.json" 2>&1
# A broken prerequisite on the real machine: no GPU visible to the sandbox.
CUDA_VISIBLE_DEVICES="" $PTB doctor --gpus 1 --model tiny --min-free-gb 20 2>&1 | tee "${OUT:-/tmp/out}/doctor-no-gpu.txt"
echo "doctor (no GPU) exit: ${PIPESTATUS[0]}"
