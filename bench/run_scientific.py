"""Run the `scientific` config end to end and write bench/results/scientific.json (the README's results table).

    python bench/run_scientific.py                      # pipeline into runs/scientific, then collect
    python bench/run_scientific.py --collect-only       # only rebuild the JSON from a finished run folder

Pop, SASRec, SFT and SFT+RL on amazon18-scientific (leave-one-out, history ≤ 20, full ranking for the
baselines, 50 constrained beams for the generative models): HR@1/5/10, NDCG@5/10, invalid outputs,
training minutes per stage, and the decode benchmark's constraint speed-up (bench/decode.py).
"""
import argparse, json, os, platform, subprocess, sys, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KEYS = ('HR@1', 'HR@5', 'HR@10', 'NDCG@5', 'NDCG@10', 'invalid', 'n')


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--config', default='configs/scientific.yaml'); ap.add_argument('--run-dir', default=None)
    ap.add_argument('--collect-only', action='store_true'); ap.add_argument('--skip-decode-bench', action='store_true', help='do not rerun bench/decode.py (keep the last figures)')
    a = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    from minionerec.core import atomic_write_json
    from minionerec.pipeline import PipelineConfig, load_config, run_pipeline, read_manifest
    cfg = load_config(a.config)
    run = Path(a.run_dir or cfg['run_dir']); run = run if run.is_absolute() else ROOT/run
    if not a.collect_only: run_pipeline(PipelineConfig(config=a.config, run_dir=str(run)))
    m = json.loads((run/'metrics.json').read_text())
    names = {'popularity': 'Pop', 'sasrec': 'SASRec', 'sft': 'SFT', 'rl': 'SFT+RL'}
    from minionerec.data import load_dataset
    n_test = len(load_dataset(run/'data').splits['test'])
    table = {}
    for k, name in names.items():
        if k not in m: continue
        row = {x: m[k][x] for x in KEYS if x in m[k]}
        row.setdefault('n', n_test)                                    # the baselines rank every item for every test user
        row['ranking'] = f"{m[k]['beams']} constrained beams" if 'beams' in m[k] else 'full ranking'
        table[name] = row
    mans = {s: read_manifest(run/s) or {} for s in ('data', 'sid', 'baselines', 'sft', 'rl', 'eval_sft', 'eval_rl')}
    minutes = {s: round(man['seconds'] / 60, 1) for s, man in mans.items() if 'seconds' in man}
    dest = ROOT/'bench'/'results'/'scientific.json'
    if a.skip_decode_bench:                                            # keep the last decode figures
        decode = json.loads(dest.read_text()).get('decode_benchmark') if dest.exists() else None
    else:
        p = subprocess.run([sys.executable, str(ROOT/'bench'/'decode.py')], capture_output=True, text=True, cwd=ROOT)
        decode = json.loads(p.stdout.strip().splitlines()[-1]) if p.returncode == 0 else {'error': p.stderr[-500:]}
    out = dict(dataset='amazon18-scientific', protocol='leave-one-out, history <= 20', config=a.config, models=table,
               stage_minutes=minutes, decode_benchmark=decode, machine=f"{platform.machine()}, {os.cpu_count()} CPU cores, no GPU",
               date=time.strftime('%Y-%m-%d'))
    atomic_write_json(dest, out)
    print(json.dumps(out, indent=2))
    print(markdown(out))


def markdown(res:dict) -> str:
    "The README's results table from a scientific.json dict."
    rows = ['| model | ' + ' | '.join(KEYS[:-1]) + ' | test samples | ranking |', '|---' * (len(KEYS) + 2) + '|']
    for name, m in res['models'].items():
        cell = lambda k: '–' if m.get(k) is None else (str(m[k]) if isinstance(m[k], int) else f'{m[k]:.4f}')
        rows.append(f'| {name} | ' + ' | '.join(cell(k) for k in KEYS[:-1]) + f" | {m.get('n', '–'):,} | {m.get('ranking', '–')} |")
    return '\n'.join(rows)


if __name__ == '__main__':
    main()
