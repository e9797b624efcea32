"End-to-end checks of the command lines, run as a user runs them (`python -m ...` from the repository root)."

import json, os, subprocess, sys
from pathlib import Path


ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, 'OMP_NUM_THREADS': '1', 'HF_HUB_OFFLINE': '1'}


def run(*args, check=True):
    "Run `python -m ...` from the repository root; return the completed process."
    p = subprocess.run([sys.executable, '-m', *args], cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=600)
    if check and p.returncode:
        raise AssertionError(f"{args} exited {p.returncode}:\n{p.stdout[-2000:]}\n{p.stderr[-2000:]}")
    return p


def test_toy_train_help():
    out = run('minionerec.toy_train', '--help').stdout
    for opt in ('--num-items', '--max-len', '--epochs', '--device', '--amp', '--grad-accum', '--resume', '--out'):
        assert opt in out


def test_toy_train_toy_data(tmp_path):
    p = run(
        'minionerec.toy_train',
        '--dataset',
        'toy',
        '--num-items',
        '200',
        '--num-users',
        '600',
        '--max-len',
        '30',
        '--epochs',
        '1',
        '--device',
        'cpu',
        '--amp',
        '--no-progress',
        '--out',
        str(tmp_path),
    )
    m = json.loads((tmp_path / 'metrics.json').read_text())
    assert set(m) == {'toy_rec', 'popularity'}
    assert m['toy_rec']['HR@10'] > 2 * m['popularity']['HR@10'], m
    assert 'HR@10: model / popularity' in p.stdout
    assert (tmp_path / 'checkpoint.pt').exists() and (tmp_path / 'training.png').exists()


def test_toy_train_jsonl_and_errors(tmp_path):
    data = tmp_path / 'toy.jsonl'
    run(
        'minionerec.toy_train',
        'make-data',
        '--out',
        str(data),
        *'--num-users 300 --num-items 80 --max-len 20 --n 400'.split(),
    )
    assert len(data.read_text().splitlines()) == 400
    train = ('minionerec.toy_train', '--dataset', 'jsonl', '--train-path', str(data), '--epochs', '1')
    run(*train, '--num-items', '80', '--no-progress')
    bad = run(*train, '--num-items', '40', check=False)
    assert bad.returncode != 0 and 'toy.jsonl:' in bad.stderr and 'outside 1..40' in bad.stderr
