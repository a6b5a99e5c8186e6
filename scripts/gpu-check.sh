#!/usr/bin/env bash
# GPU check on an H100 machine: CUDA precheck, GPU monitor, GPU-process cleanup, and the
# reference agent training on the GPU, all through the real ptb binary and bubblewrap.
# Expects in $PTB_DEVICE_DIR: ptb.xz (a static `swift build -c release -Xswiftc -static-executable`,
# stripped and xz-compressed), its *.resources bundles, and the Debian bubblewrap .debs
# (`apt-get download bubblewrap libcap2 libselinux1 libpcre2-8-0`). Writes results under $OUT.
set -x
D=${PTB_DEVICE_DIR:-$(pwd)/.device}
mkdir -p /tmp/bw && for f in $D/*.deb; do dpkg -x $f /tmp/bw; done
export PATH=/tmp/bw/usr/bin:$PATH LD_LIBRARY_PATH=/tmp/bw/usr/lib/x86_64-linux-gnu:/tmp/bw/lib/x86_64-linux-gnu
mkdir -p /opt/ptb && xz -dc $D/ptb.xz > /opt/ptb/ptb && chmod +x /opt/ptb/ptb && cp -r $D/*.resources /opt/ptb/
bwrap --version; nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
PY=$(command -v python3); $PY -c "import torch, transformers; print('torch', torch.__version__, 'transformers', transformers.__version__, 'cuda', torch.cuda.is_available())"
export PTB_HOME=/var/tmp/ptbhome PTB=/opt/ptb/ptb
$PTB setup --use-python $PY 2>&1 | tail -3
RUNS=/var/tmp/runs
cat > /var/tmp/fast.yaml <<Y
monitor_interval_seconds: 10
term_grace_seconds: 30
Y
# 1. reference agent on the GPU in bubblewrap (no vLLM here, so the final evaluation is expected to fail)
PTB_REFERENCE_EVAL_LIMIT=0 timeout 400 $PTB run --task arith --model tiny --agent reference --gpus 1 --hours 0.04 \
   --runs-dir $RUNS --name gpu --config /var/tmp/fast.yaml 2>&1 | grep -v "^  | step" | tail -40
# 2. a GPU count the machine does not have: no-gpu before the agent starts
$PTB run --task arith --model tiny --agent none --gpus 2 --runs-dir $RUNS --name twogpus 2>&1 | tail -8
# 3. an agent that leaves a GPU process behind outside its group (setsid): cleaned before evaluation
cat > /var/tmp/leaky.yaml <<Y
name: leaky
scaffold: command
command: ["bash", "-c", "setsid python3 -c 'import torch,time; x=torch.ones(1024,1024,device=\"cuda\"); print(\"leaker up\", flush=True); time.sleep(900)' & sleep 20; nvidia-smi --query-compute-apps=pid,name --format=csv,noheader; echo agent-exits"]
Y
$PTB run --task arith --model tiny --agent command --agent-config /var/tmp/leaky.yaml --sandbox none --gpus 1 --hours 0.05 \
   --runs-dir $RUNS --name leaky --skip-base 2>&1 | tail -14
echo "GPU processes after ptb exited:"; nvidia-smi --query-compute-apps=pid,name --format=csv,noheader
ps aux | grep -c "[t]ime.sleep(900)"
for r in $RUNS/*; do n=$(basename $r); mkdir -p $OUT/$n; cp $r/run.json $r/monitor.jsonl $r/result.json $OUT/$n/ 2>/dev/null; grep -v '"line":"step' $r/trace.jsonl | head -60 > $OUT/$n/trace-head.jsonl; done
