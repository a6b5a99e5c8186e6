#!/bin/bash
# Temporary verification driver (deleted after use).
set -x
P=$(cd "$(dirname "$0")" && pwd)
W=/tmp/w; mkdir -p $W
python3 -c "import sys, torch, transformers, tokenizers; print(sys.version, torch.__version__, transformers.__version__, tokenizers.__version__, torch.cuda.device_count())"
nvidia-smi -L
echo "== cuda_check"
python3 $P/cuda_check.py --gpus 1 --gpu-name H1; echo rc=$?
python3 $P/cuda_check.py --gpus 1 --gpu-name ""; echo rc=$?
python3 $P/cuda_check.py --gpus 2 --marker $W/m1; echo rc=$?; ls $W/m1
python3 $P/cuda_check.py --gpus 1 --gpu-name A100 --marker $W/m2; echo rc=$?; ls $W/m2
CUDA_VISIBLE_DEVICES= python3 $P/cuda_check.py --gpus 1; echo rc=$?
python3 -c "import torch,time; x=torch.zeros(1,device='cuda'); time.sleep(20)" & BG=$!; sleep 8
python3 $P/cuda_check.py --gpus 1 --gpu-name ""; echo rc=$?; kill $BG
echo "== build_tiny x2 on 2 cores"
export CUDA_VISIBLE_DEVICES_SAVE=1
for d in t1 t2; do /usr/bin/time -f "build wall %e s" env CUDA_VISIBLE_DEVICES= taskset -c 0,1 python3 $P/build_tiny.py --out $W/$d 2>&1 | tail -3; done
sha256sum $W/t1/model.safetensors $W/t2/model.safetensors
mkdir -p $W/task/templates; cp $P/arith_generator.py $W/task/; printf 'echo "Remaining time (hours:minutes):"\necho "0:05"\n' > $W/task/timer.sh
printf 'print("dummy evaluate")\nprint("accuracy 0.0")\n' > $W/task/evaluate.py
export TASKDIR=$W/task
CUDA_VISIBLE_DEVICES= taskset -c 0,1 python3 $P/_verify_measure.py $W/t1 sample 2>&1 | grep accuracy
echo "== agent cpu 2 cores, 600 steps"
cd $W/task && CUDA_VISIBLE_DEVICES= PTB_BASE_MODEL=$W/t1 PTB_TASK=arith PTB_REFERENCE_EVAL_LIMIT=0 PTB_REFERENCE_MAX_STEPS=${STEPS:-600} taskset -c 0,1 python3 $P/reference_agent.py 2>&1 | grep -v "^step [0-9]*[1-9]00 \|^step [0-9]*50 " | tail -8
CUDA_VISIBLE_DEVICES= taskset -c 0,1 python3 $P/_verify_measure.py $W/task/final_model greedy 2>&1 | grep -v Warn
echo "== agent gpu default steps, eval 3"
rm -rf final_model; PTB_BASE_MODEL=$W/t1 PTB_TASK=arith PTB_REFERENCE_EVAL_LIMIT=3 python3 $P/reference_agent.py 2>&1 | tail -8
python3 $P/_verify_measure.py $W/task/final_model greedy 2>&1 | grep accuracy
