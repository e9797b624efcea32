"Two CPU processes (gloo) train the SFT stage: `torchrun --nproc_per_node 2 -m minionerec.sft ... --max-steps 2`."

import json, os, shutil, subprocess, sys
from pathlib import Path

import pytest
from conftest import TINY_SFT_ARGS, free_port, make_world

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, 'OMP_NUM_THREADS': '1', 'HF_HUB_OFFLINE': '1', 'TOKENIZERS_PARALLELISM': 'false'}


@pytest.fixture(scope='module')
def setup(tmp_path_factory):
    return make_world(tmp_path_factory.mktemp('sft2'), 200, 150, 8)


def test_two_processes_train_two_steps(setup):
    torchrun = shutil.which('torchrun', path=str(Path(sys.executable).parent)) or shutil.which('torchrun')
    if torchrun is None:
        pytest.skip('torchrun not found')
    d = setup
    cmd = [
        torchrun,
        *f'--nproc_per_node 2 --master_addr 127.0.0.1 --master_port {free_port()} -m minionerec.sft'.split(),
        *('--data', str(d / 'data'), '--sid', str(d / 'sid'), '--out', str(d / 'sft'), '--tasks', 'seq_sid'),
        *'--max-steps 2 --eval-steps 2 --eval-samples 6 --eval-beams 10 --batch-size 4 --grad-accum 2'.split(),
        *TINY_SFT_ARGS,
        '--no-progress',
    ]
    p = subprocess.run(cmd, cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    man = json.loads((d / 'sft' / 'manifest.json').read_text())
    assert man['processes'] == 2 and man['steps'] == 2
    m = json.loads((d / 'sft' / 'metrics.json').read_text())['sft']
    assert m['n'] == 6 and m['invalid'] == 0  # the 6 test samples were split over both processes and gathered
    assert (d / 'sft' / 'config.json').exists() and (d / 'sft' / 'curves.png').exists()
