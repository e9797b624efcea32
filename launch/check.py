"""Validate an `accelerate launch` command line without running it (the launch scripts' --dry-run).

    python launch/check.py --config_file launch/zero2.yaml --num_processes 8 -m minionerec.sft --data ... --out ...

Checks, with accelerate's own parsers: the launcher arguments, the config file (DeepSpeed ZeRO stage,
mixed precision, batch sizes left to the trainer), and the stage's own arguments with the stage's parser.
"""
import importlib, sys
from pathlib import Path


def check(argv):
    "Raise SystemExit with a message naming the problem; return a summary dict when all is well."
    from accelerate.commands.launch import launch_command_parser
    from accelerate.commands.config.config_args import load_config_from_file
    a = launch_command_parser().parse_args(argv)
    if not a.module: sys.exit("check: the launch scripts run stages as modules (-m minionerec.<stage>)")
    cfg = None
    if a.config_file:
        if not Path(a.config_file).exists(): sys.exit(f"check: no such accelerate config: {a.config_file}")
        cfg = load_config_from_file(a.config_file)
        if str(cfg.distributed_type).endswith('DEEPSPEED'):
            ds = cfg.deepspeed_config or {}
            if ds.get('zero_stage') != 2: sys.exit(f"check: {a.config_file}: zero_stage is {ds.get('zero_stage')}, expected 2")
            for k in ('train_micro_batch_size_per_gpu', 'gradient_accumulation_steps', 'train_batch_size'):
                if k in ds and ds[k] != 'auto':
                    sys.exit(f"check: {a.config_file}: {k}={ds[k]} — leave batch sizes 'auto' so they follow the trainer's arguments on any number of processes")
    mod = a.training_script
    try: m = importlib.import_module(mod) if mod.startswith('minionerec.') else None
    except ModuleNotFoundError: m = None
    if getattr(m, 'CONFIG', None) is None:                       # every stage module names its config dataclass `CONFIG`
        sys.exit(f"check: {mod!r} is not a stage module of minionerec (a module with a CONFIG dataclass)")
    from minionerec.core import dataclass_parser
    ns = dataclass_parser(m.CONFIG, prog=f'python -m {mod}').parse_args(a.training_script_args)
    return dict(module=mod, processes=a.num_processes or (cfg.num_processes if cfg else None),
                mixed_precision=a.mixed_precision or (cfg.mixed_precision if cfg else None), args=vars(ns))


if __name__ == '__main__':
    r = check(sys.argv[1:])
    print(f"ok: {r['module']} on {r['processes']} process(es), mixed precision {r['mixed_precision']}; "
          + ' '.join(f"{k}={v}" for k, v in r['args'].items() if v not in (None, False, '')))
