#!/usr/bin/env bash
# SFT (or VAFT) of a pretrained causal LM on one node with 8 GPUs, DeepSpeed ZeRO-2, bf16.
# Defaults are MiniOneRec's sft.sh / sft.py: Qwen2.5-1.5B, global batch 1024 (8 GPUs x 16 x accumulation 8),
# 10 epochs, lr 3e-4 (cosine), prompt + completion <= 512 tokens, early stopping after 3 validations without
# a better valid NDCG@10; upstream's tasks (seq_sid, title2sid, sid2title, seq_sid2title).
# Every path and setting is an environment variable; extra arguments go to minionerec.sft, e.g.
#   DATA=runs/ind/data SID=runs/ind/sid OUT=runs/ind/sft launch/sft.sh --objective vaft
#   BASE=/models/Qwen2.5-7B NPROC=4 ACCUM=16 launch/sft.sh --freeze-llm
# CPU run of this same script, DeepSpeed ZeRO-2 included, with two gloo processes (what CI runs, tests/test_launch_zero2.py):
#   CONFIG=launch/zero2-cpu.yaml NPROC=2 DS_ACCELERATOR=cpu BASE=tiny DATA=... SID=... OUT=... launch/sft.sh --max-steps 4
# (`accelerate launch --cpu --num_processes 2` silently starts ONE process: use the CPU twin config instead.)
# --dry-run (anywhere) prints the resolved command and validates it with accelerate's parser and the stage's own.
set -euo pipefail
source "$(dirname "$0")/_launch.sh"
DATA=${DATA:-runs/ind/data}
SID=${SID:-runs/ind/sid}
OUT=${OUT:-runs/ind/sft}
BASE=${BASE:-Qwen/Qwen2.5-1.5B}
NPROC=${NPROC:-8}
MICRO=${MICRO:-16}
ACCUM=${ACCUM:-$(( 1024 / (MICRO * NPROC) ))}
EPOCHS=${EPOCHS:-10}
LR=${LR:-3e-4}
TASKS=${TASKS:-seq_sid title2sid sid2title seq_sid2title}
launch_stage minionerec.sft \
  --data "$DATA" --sid "$SID" --base "$BASE" --out "$OUT" \
  --tasks $TASKS --epochs "$EPOCHS" --lr "$LR" --warmup 20 --batch-size "$MICRO" --grad-accum "$ACCUM" \
  --max-length 512 --eval-steps ${EVAL_STEPS:-200} --eval-samples ${EVAL_SAMPLES:-1000} --eval-beams ${EVAL_BEAMS:-20} \
  --patience 3 --test-beams 50 --no-progress "$@"
