"""Run a real-data config end to end and write bench/results/<config>.json (the README's results tables).

    python bench/run_scientific.py                      # configs/scientific.yaml into runs/scientific, then collect
    python bench/run_scientific.py --collect-only       # only rebuild the JSON from a finished run folder
    python bench/run_scientific.py --config configs/instruments.yaml        # → bench/results/instruments.json

Pop, SASRec, SFT, SFT+RL and RL's matched control (the SFT model trained on with SFT for RL's minutes) on
amazon18-scientific (leave-one-out, history ≤ 20, the whole test split; full ranking for the baselines, 50
constrained beams for the generative models), under both history protocols: HR@1/5/10, NDCG@5/10, invalid outputs
(counted from the decoded tokens). Paired differences of per-user NDCG@10 with their standard errors (`rl − sft`,
`rl − control`, `sft − sasrec`, ...), RL's zero-advantage fractions (summed reward and each reward alone, on the
same groups), training minutes per stage, and the decode benchmark's figures (bench/decode.py).
"""

import argparse, json, subprocess, sys
from pathlib import Path


from minionerec.core import atomic_write_json, run_info
from minionerec.pipeline import PipelineConfig, load_config, read_stage, run_pipeline
from minionerec.metrics import paired_difference
from minionerec.results import scientific_table
from per_user import predictions_ndcg, sasrec_ndcg

ROOT = Path(__file__).resolve().parents[1]
KEYS = ('HR@1', 'HR@5', 'HR@10', 'NDCG@5', 'NDCG@10', 'invalid', 'n')
NAMES = {'popularity': 'Pop', 'sasrec': 'SASRec', 'sft': 'SFT', 'rl': 'SFT+RL', 'control': 'SFT+SFT (control)'}
PROTOCOLS = {'keep_history': '', 'exclude_history': '_exclude_history'}
# (a, b): the paired difference a − b of per-user NDCG@10 reported in the JSON
PAIRS = (('sft', 'sasrec'), ('rl', 'sft'), ('control', 'sft'), ('rl', 'control'), ('rl', 'sasrec'))


def per_user(run: Path) -> dict:
    "Per-test-user NDCG@10 of every model, both protocols: {protocol: {model: array}} (test-split order)."
    out = {p: {} for p in PROTOCOLS}
    if (run / 'baselines' / 'sasrec').exists():
        sas = sasrec_ndcg(run, 'test')
        for p, suffix in PROTOCOLS.items():
            out[p]['sasrec'] = sas[bool(suffix)]
    for m in ('sft', 'rl', 'control'):
        for p, suffix in PROTOCOLS.items():
            f = run / f'eval_{m}' / f'predictions{suffix}.jsonl'
            if f.exists():
                out[p][m] = predictions_ndcg(f, run / 'data', 'test')
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--config', default='configs/scientific.yaml')
    ap.add_argument('--run-dir', default=None)
    ap.add_argument('--collect-only', action='store_true')
    ap.add_argument(
        '--skip-decode-bench', action='store_true', help='do not rerun bench/decode.py (keep the last figures)'
    )
    a = ap.parse_args()
    cfg = load_config(a.config)
    run = Path(a.run_dir or cfg['run_dir'])
    run = run if run.is_absolute() else ROOT / run
    if not a.collect_only:
        run_pipeline(PipelineConfig(config=a.config, run_dir=str(run)))
    m = json.loads((run / 'metrics.json').read_text())
    from minionerec.data import load_rec_dataset

    n_test = len(load_rec_dataset(run / 'data').splits['test'])
    models = {}
    for k, name in NAMES.items():
        rows = {}
        for p, suffix in PROTOCOLS.items():
            if k + suffix not in m:
                continue
            row = {x: m[k + suffix][x] for x in KEYS if x in m[k + suffix]}
            row.setdefault('n', n_test)  # the baselines rank every item for every test user
            rows[p] = row
        if rows:
            models[name] = rows | {
                'ranking': f"{m[k]['beams']} constrained beams" if 'beams' in m.get(k, {}) else 'full ranking'
            }
    pu = per_user(run)
    diffs = {
        p: {f'{x} − {y}': paired_difference(pu[p][x], pu[p][y]) for x, y in PAIRS if x in pu[p] and y in pu[p]}
        for p in PROTOCOLS
    }
    mans = {
        s: read_stage(run / s) or {}
        for s in ('data', 'sid', 'baselines', 'sft', 'rl', 'control', 'eval_sft', 'eval_rl', 'eval_control')
    }
    minutes = {s: round(man['seconds'] / 60, 1) for s, man in mans.items() if 'seconds' in man}
    rl = (
        json.loads((run / 'rl' / 'summary.json').read_text())
        if (run / 'rl' / 'summary.json').exists()
        else json.loads((run / 'rl' / 'metrics.json').read_text())['rl']
        if (run / 'rl' / 'metrics.json').exists()
        else {}
    )  # (runs before 0.1's rename)
    rl_summary = {
        k: rl.get(k)
        for k in (
            'rewards',
            'G',
            'steps',
            'seconds',
            'zero_advantage_fraction',
            'zero_advantage_by_reward',
            'hit_rate',
            'group_hit_rate',
            'kl',
        )
    }
    dest = ROOT / 'bench' / 'results' / f'{Path(a.config).stem}.json'
    old = json.loads(dest.read_text()) if dest.exists() else {}
    if a.skip_decode_bench or Path(a.config).stem != 'scientific':
        decode = old.get('decode_benchmark')  # keep the last figures
    else:
        p = subprocess.run(
            [sys.executable, str(ROOT / 'bench' / 'decode.py')], capture_output=True, text=True, cwd=ROOT
        )
        decode = json.loads(p.stdout.strip().splitlines()[-1]) if p.returncode == 0 else {'error': p.stderr[-500:]}
    out = dict(
        dataset=cfg['data'].get('source'),
        protocol='leave-one-out, history <= 20, the whole test split',
        config=a.config,
        headline_protocol=(
            'keep_history (nothing excluded); exclude_history bans the items each user had before the target'
        ),
        models=models,
        paired_ndcg10=diffs,
        rl=rl_summary,
        stage_minutes=minutes,
        decode_benchmark=decode,
        **run_info(ROOT),
    )
    atomic_write_json(dest, out)
    print(json.dumps(out, indent=2))
    print(scientific_table(out))


if __name__ == '__main__':
    main()
