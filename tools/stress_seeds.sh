#!/usr/bin/env bash
# Issue 21's proof that the tests do not depend on the seed or the thread count: N rounds of the five lessons' nbdev_test
# and the whole pytest suite, each round with another global seed (MINIONEREC_SEED, read by tools/seeding/sitecustomize.py
# in every process and by tests/conftest.py per test) and OMP_NUM_THREADS alternating 1 and 2.
#   bash tools/stress_seeds.sh [N=20] [FIRST_SEED=1]      (`make stress`; one line per round; stops at the first failure)
set -uo pipefail
cd "$(dirname "$0")/.."
N=${1:-20}
FIRST=${2:-1}
LESSONS=$(python3 tools/lessons.py --list)
LOGS=runs/stress; mkdir -p "$LOGS"
empty=$(mktemp -d); trap 'rmdir "$empty" 2>/dev/null' EXIT
export PYTHONPATH="$PWD/tools/seeding${PYTHONPATH:+:$PYTHONPATH}" HF_HUB_OFFLINE=1 HF_HUB_DISABLE_TELEMETRY=1 \
       TOKENIZERS_PARALLELISM=false MINIONEREC_REQUIRE_DEEPSPEED=1 DS_ACCELERATOR=cpu MINIONEREC_QUICK=1
t_all=$SECONDS
for i in $(seq 0 $((N - 1))); do
  seed=$((FIRST + i)); thr=$((1 + i % 2)); log="$LOGS/round-$seed.log"; t0=$SECONDS
  export MINIONEREC_SEED=$seed OMP_NUM_THREADS=$thr MKL_NUM_THREADS=$thr
  for nb in $LESSONS; do
    if ! MINIONEREC_DATA=$empty .venv/bin/nbdev_test --path "$nb" >> "$log" 2>&1; then
      echo "round $((i + 1))/$N seed $seed threads $thr: FAILED in $nb (log: $log)"
      echo "reproduce: MINIONEREC_SEED=$seed OMP_NUM_THREADS=$thr PYTHONPATH=tools/seeding .venv/bin/nbdev_test --path $nb"
      exit 1
    fi
  done
  t1=$SECONDS
  if ! .venv/bin/pytest -q -p no:cacheprovider tests >> "$log" 2>&1; then
    echo "round $((i + 1))/$N seed $seed threads $thr: FAILED in pytest (log: $log)"; tail -5 "$log"
    echo "reproduce: MINIONEREC_SEED=$seed OMP_NUM_THREADS=$thr PYTHONPATH=tools/seeding .venv/bin/pytest tests"
    exit 1
  fi
  echo "round $((i + 1))/$N seed $seed threads $thr: lessons passed ($((t1 - t0)) s), pytest $(tail -1 "$log" | tr -d '=') ($((SECONDS - t1)) s)"
done
echo "$N rounds passed in $(((SECONDS - t_all) / 60)) min"
