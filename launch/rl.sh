#!/usr/bin/env bash
# GRPO over the catalogue from an SFT checkpoint, one node with 8 GPUs, DeepSpeed ZeRO-2, bf16 (launch/zero2.yaml).
# Usage: launch/rl.sh RUN [extra minionerec.rl options] [--dry-run]
#   RUN holds data/, sid/, sft/; writes RUN/rl (model + tokenizer, summary.json, logs.jsonl, rl.png).
# Defaults are MiniOneRec's rl.sh: the `minionerec` preset (G=16, beta=1e-3, lr=1e-5, temperature 1.0, per-sequence
# `grpo` loss), constrained beam groups, the ranking reward, training samples plus every title -> SID sample, 2 epochs.
# Each device decodes whole groups: its batch is PROMPTS x G rows (a multiple of G by construction).
# CPU run of this same script under ZeRO-2 with two gloo processes (CI; fp32 on a CPU):
#   CONFIG=launch/zero2-cpu.yaml NPROC=2 DS_ACCELERATOR=cpu launch/rl.sh RUN --num-generations 4 --max-steps 2 --no-bf16
# then: launch/eval.sh RUN RUN/rl
set -euo pipefail
RUN=${1:?run folder holding data/ sid/ sft/}; shift
source "$(dirname "$0")/_launch.sh"
launch_stage minionerec.rl \
  --sft "$RUN/sft" --data "$RUN/data" --sid "$RUN/sid" --out "$RUN/rl" \
  --preset minionerec --group-mode "${GROUP_MODE:-beam}" --rewards ${REWARDS:-ranking} \
  --prompts-per-device "${PROMPTS:-4}" --title2sid -1 --epochs "${EPOCHS:-2}" --bf16 "$@"
