"The evaluator under two CPU processes (torchrun + gloo) gives the same predictions as one process."
import json, os, socket, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s: s.bind(('127.0.0.1', 0)); return s.getsockname()[1]


def _eval(args, tmp, name, nproc=None):
    cmd = ([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", str(nproc), "--master_addr", "127.0.0.1", "--master_port", str(_free_port()), "-m", "minionerec.evaluate"]
           if nproc else [sys.executable, "-m", "minionerec.evaluate"])
    p = subprocess.run(cmd + args + ['--out', str(tmp/name), '--device', 'cpu', '--no-progress'], cwd=ROOT, capture_output=True,
                       text=True, timeout=600, env={**os.environ, 'OMP_NUM_THREADS': '1'})
    assert p.returncode == 0, p.stderr[-3000:]
    return json.loads((tmp/name/'metrics.json').read_text())['tiny'], (tmp/name/'predictions.jsonl').read_text()


def test_two_processes_match_one(tiny_run, tmp_path):
    args = ['--model', str(tiny_run/'tiny'), '--data', str(tiny_run/'data'), '--sid', str(tiny_run/'sid'), '--beams', '5', '--limit', '10']
    m1, p1 = _eval(args, tmp_path, 'one')
    m2, p2 = _eval(args, tmp_path, 'two', nproc=2)
    assert m2['processes'] == 2 and m1['processes'] == 1
    assert p1 == p2 and m1['HR@5'] == m2['HR@5'] and m2['n'] == 10 and m2['invalid'] == 0
