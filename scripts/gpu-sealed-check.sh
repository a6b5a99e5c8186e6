#!/usr/bin/env bash
# Sealed-view check on a GPU machine: the agent's `ls /` in the default bubblewrap sandbox shows
# only the allow-list, and the base model, the Python environment and the GPU are usable inside;
# the reference agent trains on the GPU and its evaluate.py call goes through the evaluation
# broker. Expects in $PTB_DEVICE_DIR what scripts/gpu-check.sh expects (static ptb.xz, its
# *.resources bundles, the bubblewrap .debs). Writes results under $OUT.
set -x
D=${PTB_DEVICE_DIR:-$(pwd)/.device}
mkdir -p /tmp/bw && for f in $D/*.deb; do dpkg -x $f /tmp/bw; done
export PATH=/tmp/bw/usr/bin:$PATH LD_LIBRARY_PATH=/tmp/bw/usr/lib/x86_64-linux-gnu:/tmp/bw/lib/x86_64-linux-gnu
mkdir -p /opt/ptb && xz -dc $D/ptb.xz > /opt/ptb/ptb && chmod +x /opt/ptb/ptb && cp -r $D/*.resources /opt/ptb/
bwrap --version; nvidia-smi -L
PY=$(command -v python3); echo "python3: $PY -> $(readlink -f $PY)"
# A user home with a canary, and a PTB_HOME with data and credentials the agent must not see.
export HOME=/var/tmp/userhome PTB_HOME=/var/tmp/ptbhome PTB=/opt/ptb/ptb
mkdir -p $HOME $PTB_HOME/credentials && echo "CANARY-HOME-42" > $HOME/.netrc && echo "CANARY-CRED-42" > $PTB_HOME/credentials/token
$PTB setup --use-python $PY 2>&1 | tail -3
RUNS=/var/tmp/runs
cat > /var/tmp/fast.yaml <<Y
monitor_interval_seconds: 10
term_grace_seconds: 30
Y
cat > /var/tmp/probe.yaml <<'Y'
name: probe
scaffold: command
command: ["bash", "-c", "echo \"LS-ROOT: $(ls / | tr '\\n' ' ')\"; echo \"PTB_HOME=[$PTB_HOME]\"; cat ~/.netrc /var/tmp/userhome/.netrc /var/tmp/ptbhome/credentials/token 2>&1 | head -3; ls /var/tmp/ptbhome 2>&1; ls /opt /root 2>&1 | head -4; nvidia-smi -L; python -c \"import torch, transformers, json, os; print('torch', torch.__version__, 'cuda', torch.cuda.is_available(), torch.cuda.device_count(), torch.cuda.get_device_name(0)); x = torch.randn(2048, 2048, device='cuda'); print('matmul ok', float((x @ x).abs().mean()) > 0); print('base model', json.load(open(os.environ['PTB_BASE_MODEL'] + '/config.json'))['model_type'])\"; cp -r $PTB_BASE_MODEL final_model"]
Y
timeout 300 $PTB run --task arith --model tiny --agent command --agent-config /var/tmp/probe.yaml --gpus 1 --hours 0.05 \
   --runs-dir $RUNS --name probe --skip-base --config /var/tmp/fast.yaml 2>&1 | grep -v "^  | [A-Z0-9#\`-]" | tail -40
# The reference agent on the GPU; its evaluate.py --limit 5 goes through the broker (no vLLM on
# this machine: the broker's clear error must come back to the agent, the run goes on).
PTB_REFERENCE_EVAL_LIMIT=5 timeout 420 $PTB run --task arith --model tiny --agent reference --gpus 1 --hours 0.04 \
   --runs-dir $RUNS --name gpu --config /var/tmp/fast.yaml --skip-base 2>&1 | grep -v "^  | step" | tail -30
echo "canary in stored files:"; grep -rl "CANARY-" $RUNS | grep -v /workspace/ || echo none
# One archive ($OUT takes at most 8 files): each run's record, the head of its trace, the broker log.
mkdir -p /var/tmp/keep && for r in $RUNS/*; do n=/var/tmp/keep/$(basename $r); mkdir -p $n; cp $r/run.json $r/integrity.json $r/submission.json $r/broker.jsonl $n/ 2>/dev/null; grep -v '"line":"step' $r/trace.jsonl | head -120 > $n/trace-head.jsonl; done
tar czf $OUT/runs.tgz -C /var/tmp/keep .
