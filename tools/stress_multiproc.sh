#!/usr/bin/env bash
# Issue 12's flakiness check: the three multi-process tests N times in a row while another process keeps one core busy.
#   bash tools/stress_multiproc.sh [N=20]      (prints one line per run, then the pass counts; exit 1 on any failure)
set -uo pipefail
cd "$(dirname "$0")/.."
N=${1:-20}
yes > /dev/null &  BUSY=$!                     # the busy core
trap 'kill $BUSY 2>/dev/null' EXIT
declare -A pass=()
for i in $(seq 1 "$N"); do
  for t in tests/test_launch_zero2.py::test_eval_zero2_matches_one_process tests/test_sft_multiproc.py tests/test_rl_multiproc.py; do
    if OMP_NUM_THREADS=1 HF_HUB_OFFLINE=1 .venv/bin/pytest -q -p no:cacheprovider "$t" > /tmp/stress_last.log 2>&1; then
      pass[$t]=$(( ${pass[$t]:-0} + 1 )); r=pass
    else r=FAIL; cp /tmp/stress_last.log "/tmp/stress_fail_${i}_$(basename "${t%%::*}" .py).log"; fi
    echo "run $i $(basename "$t"): $r"
  done
done
fail=0
for t in tests/test_launch_zero2.py::test_eval_zero2_matches_one_process tests/test_sft_multiproc.py tests/test_rl_multiproc.py; do
  echo "$(basename "$t"): ${pass[$t]:-0}/$N passed"; [ "${pass[$t]:-0}" = "$N" ] || fail=1
done
exit $fail
