"The cluster kit: each launch script resolves and validates its command (accelerate's and the stage's parser)."

import os, subprocess, sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, 'PYTHON': sys.executable}

CASES = {
    'text2emb.sh': ['runs/x/data', 'runs/x/emb.npy'],
    'sft.sh': [],
    'rl.sh': ['runs/x'],
    'eval.sh': ['runs/x', 'runs/x/rl'],
}


@pytest.mark.parametrize('script', sorted(CASES))
def test_dry_run(script):
    p = subprocess.run(
        ['bash', f'launch/{script}', *CASES[script], '--dry-run'],
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert p.returncode == 0, p.stdout + p.stderr
    cmd, ok = p.stdout.strip().splitlines()[-2:]
    assert cmd.startswith('accelerate launch --config_file launch/') and ' -m minionerec.' in cmd
    assert ok.startswith('ok: minionerec.') and 'on 8 process(es)' in ok


def test_dry_run_rejects_a_bad_flag():
    p = subprocess.run(
        ['bash', 'launch/eval.sh', 'runs/x', 'runs/x/rl', '--beams', 'many', '--dry-run'],
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert p.returncode != 0 and "invalid int value: 'many'" in p.stderr


def test_zero2_config_is_consistent():
    from check import check

    r = check(
        [
            '--config_file',
            'launch/zero2.yaml',
            '-m',
            'minionerec.evaluate',
            '--model',
            'm',
            '--data',
            'd',
            '--sid',
            's',
            '--out',
            'o',
        ]
    )
    assert r['processes'] == 8 and r['mixed_precision'] == 'bf16'


@pytest.mark.parametrize('script,config', [('sft.sh', 'zero2-cpu.yaml'), ('eval.sh', 'ddp-cpu.yaml')])
def test_dry_run_cpu_twin(script, config):
    "The CPU twins pass the same checks (ZeRO stage 2, batch sizes left to the trainer) with the process count CI uses."
    p = subprocess.run(
        ['bash', f'launch/{script}', *CASES[script], '--dry-run'],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**ENV, 'CONFIG': f'launch/{config}', 'NPROC': '2', 'MAIN_PORT': '0'},
    )
    assert p.returncode == 0, p.stdout + p.stderr
    cmd, ok = p.stdout.strip().splitlines()[-2:]
    assert f'--config_file launch/{config} --num_processes 2 --main_process_port 0 -m minionerec.' in cmd
    assert 'on 2 process(es), mixed precision no' in ok, ok
