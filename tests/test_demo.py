"`make demo`'s job end to end: the pipeline on configs/demo.yaml (synthetic catalogue, tiny model, CPU)."

import json, os, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _pipeline(run_dir: Path, timeout: int) -> subprocess.CompletedProcess:
    "`make demo`'s command (configs/demo.yaml) into `run_dir`."
    env = {**os.environ, 'OMP_NUM_THREADS': '2', 'HF_HUB_OFFLINE': '1', 'TOKENIZERS_PARALLELISM': 'false'}
    cmd = [sys.executable, *'-m minionerec.pipeline --config configs/demo.yaml --run-dir'.split(), str(run_dir)]
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


def test_demo_pipeline(tmp_path):
    p = _pipeline(tmp_path / 'demo', timeout=1800)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    m = json.loads((tmp_path / 'demo' / 'metrics.json').read_text())
    assert {'popularity', 'sasrec', 'sft', 'rl'} <= set(m)
    assert m['sft']['invalid'] == 0 and m['rl']['invalid'] == 0
    assert m['sft']['HR@10'] > 2 * m['popularity']['HR@10'], m  # the synthetic data is built so that it can
    for png in ('hr_at_k.png', 'code_usage.png', 'sft/curves.png', 'rl/rl.png', 'baselines/training.png'):
        assert (tmp_path / 'demo' / png).exists(), png
    # a second run skips every finished stage
    p = _pipeline(tmp_path / 'demo', timeout=600)
    assert p.returncode == 0 and p.stdout.count('skipped') == 7, p.stdout[-2000:]
