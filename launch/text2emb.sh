#!/usr/bin/env bash
# Encode every item's text into an embedding matrix, sharded over the GPUs of one node.
# Usage: launch/text2emb.sh DATA OUT.npy [extra minionerec.text_emb options, e.g. --model Qwen/Qwen3-Embedding-0.6B --pooling last]
# Each process encodes items rank, rank+P, ...; the chunks are gathered in item order and rank 0 writes OUT.npy + OUT.json.
# --dry-run (anywhere) prints the resolved command and validates it with accelerate's parser and the stage's own.
set -euo pipefail
DATA=${1:?dataset folder, name or *.item.json}; OUT=${2:?output .npy}; shift 2
source "$(dirname "$0")/_launch.sh"
CONFIG=${CONFIG:-launch/ddp.yaml} launch_stage minionerec.text_emb --data "$DATA" --out "$OUT" "$@"
