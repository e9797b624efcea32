"GRPO over the catalogue, 2 CPU processes (`torchrun --nproc_per_node 2 -m minionerec.rl`), a tiny synthetic setup."

import json, os, shutil, subprocess, sys
from pathlib import Path

import pytest
from conftest import free_port, make_world

ROOT = Path(__file__).resolve().parents[1]
ENV = {
    **os.environ,
    'OMP_NUM_THREADS': '1',
    'HF_HUB_OFFLINE': '1',
    'HF_HUB_DISABLE_TELEMETRY': '1',
    'TRL_EXPERIMENTAL_SILENCE': '1',
}


@pytest.mark.skipif(
    shutil.which('torchrun', path=str(Path(sys.executable).parent)) is None, reason='torchrun not installed'
)
def test_rl_two_processes(tmp_path):
    from minionerec.prompts import PLAIN

    make_world(tmp_path, 120, 80, 6, model='sft', extra_texts=[PLAIN] * 20)
    torchrun = str(Path(sys.executable).parent / 'torchrun')
    cmd = [
        torchrun,
        '--nproc_per_node',
        '2',
        '--master_port',
        str(free_port()),
        '-m',
        'minionerec.rl',
        '--sft',
        str(tmp_path / 'sft'),
        '--data',
        str(tmp_path / 'data'),
        '--sid',
        str(tmp_path / 'sid'),
        '--out',
        str(tmp_path / 'rl'),
        '--num-generations',
        '4',
        '--prompts-per-device',
        '2',
        '--max-steps',
        '2',
        '--subsample',
        '24',
        '--title2sid',
        '8',
        '--rewards',
        'ranking',
        'hierarchical',
        '--lr',
        '1e-3',
    ]
    p = subprocess.run(cmd, cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=240)
    assert p.returncode == 0, f"{p.stdout[-3000:]}\n{p.stderr[-3000:]}"
    m = json.loads((tmp_path / 'rl' / 'summary.json').read_text())
    assert m['processes'] == 2 and m['steps'] == 2
    # rank 0's reward functions checked every row they scored: 2 rewards x 2 steps x (2 prompts x G=4) rows
    assert m['binding_checked'] == 2 * 2 * 8, m
    # 2 steps x 2 processes x 2 prompts: the fraction of those 8 groups whose rewards were all equal
    assert m['zero_advantage_fraction'] in {k / 8 for k in range(9)} and m['kl'] is not None and m['kl'] >= 0
    assert (tmp_path / 'rl' / 'model.safetensors').exists() and (tmp_path / 'rl' / 'tokenizer.json').exists()
    logs = [json.loads(l) for l in (tmp_path / 'rl' / 'logs.jsonl').read_text().splitlines()]
    assert len(logs) == 2 and all('time/generate' in h for h in logs)
