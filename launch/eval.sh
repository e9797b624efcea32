#!/usr/bin/env bash
# Evaluate a model with constrained beam search on 8 GPUs: the samples are split across processes and gathered.
# Usage: launch/eval.sh RUN MODEL_DIR [extra minionerec.evaluate options] [--dry-run]
#   RUN holds data/ and sid/; writes RUN/eval/metrics.json (key: the model folder's name) and predictions.jsonl.
# Defaults as MiniOneRec's evaluation: test split, 50 beams.
set -euo pipefail
RUN=${1:?run folder holding data/ sid/}; MODEL=${2:?model folder (save_pretrained)}; shift 2
source "$(dirname "$0")/_launch.sh"
CONFIG=${CONFIG:-launch/ddp.yaml} launch_stage minionerec.evaluate \
  --model "$MODEL" --data "$RUN/data" --sid "$RUN/sid" --split test --beams 50 --batch-size 4 --out "$RUN/eval" "$@"
