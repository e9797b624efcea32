# Sourced by the launch scripts. `launch_stage MODULE ARGS...` runs
#   accelerate launch --config_file $CONFIG --num_processes $NPROC [multi-node flags] -m MODULE ARGS...
# Environment: CONFIG (default launch/zero2.yaml), NPROC (processes per node x nodes, default 8),
#   NUM_MACHINES, MACHINE_RANK, MAIN_IP, MAIN_PORT for several nodes (run the script on every node);
#   on one node MAIN_PORT alone sets the rendezvous port (0: a free one, so two jobs on one node do not collide).
# On a machine without GPUs: CONFIG=launch/zero2-cpu.yaml (or ddp-cpu.yaml) and DS_ACCELERATOR=cpu (what CI runs).
# `--dry-run` anywhere in ARGS prints the resolved command and validates it (launch/check.py), running nothing.
cd "$(dirname "${BASH_SOURCE[0]}")/.."
launch_stage() {
  local module=$1; shift
  local dry=0 args=() a
  for a in "$@"; do if [ "$a" = "--dry-run" ]; then dry=1; else args+=("$a"); fi; done
  local cmd=(accelerate launch --config_file "${CONFIG:-launch/zero2.yaml}" --num_processes "${NPROC:-8}")
  if [ -n "${NUM_MACHINES:-}" ]; then
    cmd+=(--num_machines "$NUM_MACHINES" --machine_rank "${MACHINE_RANK:-0}" --main_process_ip "${MAIN_IP:?set MAIN_IP}" --main_process_port "${MAIN_PORT:-29500}")
  elif [ -n "${MAIN_PORT:-}" ]; then
    cmd+=(--main_process_port "$MAIN_PORT")
  fi
  cmd+=(-m "$module" "${args[@]}")
  if [ "$dry" = 1 ]; then
    printf '%q ' "${cmd[@]}"; echo
    "${PYTHON:-python}" launch/check.py "${cmd[@]:2}"
  else
    exec "${cmd[@]}"
  fi
}
