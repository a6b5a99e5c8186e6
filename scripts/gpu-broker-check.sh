#!/usr/bin/env bash
# The evaluation broker on a GPU machine without vLLM: the sealed agent's `evaluate.py --limit 20`
# goes through the broker, which serves the snapshot with the transformers engine
# (PTB_ENGINE=transformers) on the GPU and answers a score. Then the broker's overhead: the
# client-side wall time of each evaluate.py call against direct `ptb eval` runs of the same model,
# limit and engine, in blocks before and after the run. Expects in $PTB_DEVICE_DIR what
# scripts/gpu-check.sh expects. Writes results under $OUT.
set -x
D=${PTB_DEVICE_DIR:-$(pwd)/.device}
N=${PTB_BENCH_REPEATS:-5}
LIMIT=${PTB_BENCH_LIMIT:-20}
mkdir -p /tmp/bw && for f in $D/*.deb; do dpkg -x $f /tmp/bw; done
export PATH=/tmp/bw/usr/bin:$PATH LD_LIBRARY_PATH=/tmp/bw/usr/lib/x86_64-linux-gnu:/tmp/bw/lib/x86_64-linux-gnu
mkdir -p /opt/ptb && xz -dc $D/ptb.xz > /opt/ptb/ptb && chmod +x /opt/ptb/ptb && cp -r $D/*.resources /opt/ptb/
nvidia-smi -L
PY=$(command -v python3)
export PTB_HOME=/var/tmp/ptbhome PTB=/opt/ptb/ptb PTB_ENGINE=transformers
$PTB setup --use-python $PY 2>&1 | tail -2
MODEL=$PTB_HOME/models/tiny
RUNS=/var/tmp/runs
cat > /var/tmp/fast.yaml <<Y
monitor_interval_seconds: 10
term_grace_seconds: 30
Y
direct() {
  for i in $(seq 1 $N); do
    s=$(date +%s.%N)
    $PTB eval --task arith --model-path $MODEL --limit $LIMIT --gpus 1 --output-dir /var/tmp/direct-$1-$i > /var/tmp/direct-$1-$i.log 2>&1
    e=$(date +%s.%N)
    echo "DIRECT $1 $i $(python3 -c "print(round($e-$s,2))") $(tail -1 /var/tmp/direct-$1-$i.log)"
  done
}
direct before
# The sealed agent: copies the base to final_model and asks the broker N times, timing each call.
cat > /var/tmp/asker.yaml <<Y
name: asker
scaffold: command
command: ["bash", "-c", "cp -r \"\$PTB_BASE_MODEL\" final_model && for i in \$(seq 1 $N); do s=\$(date +%s.%N); python evaluate.py --model-path final_model --limit $LIMIT --json-output-file /tmp/r.json > /tmp/out.txt 2>&1; rc=\$?; e=\$(date +%s.%N); echo \"BROKER \$i \$(python -c \"print(round(\$e-\$s,2))\") rc=\$rc \$(cat /tmp/r.json 2>/dev/null)\"; tail -3 /tmp/out.txt; done"]
Y
timeout 420 $PTB run --task arith --model tiny --agent command --agent-config /var/tmp/asker.yaml --gpus 1 --hours 0.25 \
   --runs-dir $RUNS --name broker --config /var/tmp/fast.yaml --skip-base --eval-limit $LIMIT 2>&1 | tail -25
direct after
R=$(ls -d $RUNS/*broker* | head -1)
grep -o 'BROKER [0-9]* [0-9.]* rc=[0-9]*' $R/trace.jsonl
cat $R/broker.jsonl
grep -h '"engine"' $R/broker/*/eval/metrics.json | head -3
mkdir -p /var/tmp/keep && cp $R/run.json $R/broker.jsonl $R/integrity.json /var/tmp/keep/ 2>/dev/null
cp /var/tmp/direct-before-1/metrics.json /var/tmp/keep/direct-metrics.json
tar czf $OUT/broker-gpu.tgz -C /var/tmp/keep .
