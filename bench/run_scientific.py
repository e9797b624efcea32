"""Run a real-data config end to end and write bench/results/<config>.json (the README's results tables).

    python bench/run_scientific.py                      # configs/scientific.yaml into runs/scientific, then collect
    python bench/run_scientific.py --collect-only       # only rebuild the JSON from a finished run folder
    python bench/run_scientific.py --config configs/instruments.yaml        # → bench/results/instruments.json
    python bench/run_scientific.py --skip-decode-bench --models sft=runs/levers/collab \
        rl=runs/rl_levers/rank_collab control=runs/rl_levers/control   # the models chosen on validation, read on test

`--models` reports folders trained by the lever scripts (chosen on the validation split) in place of the run's
sft / rl / control stages; each must have been evaluated on test by them (`FOLDER/eval_test`: `bench/sft_levers.py
--split test`, `bench/rl_levers.py --split test`), so the test split is decoded once per model.

Pop, SASRec, SFT, SFT+RL and RL's matched control (the SFT model trained on with SFT for RL's minutes) on
amazon18-scientific (leave-one-out, history ≤ 20, the whole test split; full ranking for the baselines, 50
constrained beams for the generative models), under both history protocols: HR@1/5/10/20/50, NDCG@5/10/20/50,
invalid outputs (counted from the decoded tokens; the baselines are re-scored here at every cut-off). Paired
differences of per-user NDCG@10 with their standard errors (`rl − sft`, `rl − control`, `sft − sasrec`, ...), RL's
zero-advantage fractions (summed reward and each reward alone, on the
same groups), training minutes per stage, and the decode benchmark's figures (bench/decode.py).
"""

import argparse, json, subprocess, sys
from pathlib import Path


from minionerec.core import atomic_write_json, run_info
from minionerec.pipeline import PipelineConfig, load_config, read_stage, run_pipeline
from minionerec.metrics import paired_difference, per_sample_ndcg
from minionerec.results import scientific_table
from per_user import HISTORY, PROTOCOLS, dataset, predictions_ndcg

ROOT = Path(__file__).resolve().parents[1]
KS = (1, 5, 10, 20, 50)
KEYS = (*(f'HR@{k}' for k in KS), *(f'NDCG@{k}' for k in KS[1:]), 'invalid', 'n')
NAMES = {'popularity': 'Pop', 'sasrec': 'SASRec', 'sft': 'SFT', 'rl': 'SFT+RL', 'control': 'SFT+SFT (control)'}
# (a, b): the paired difference a − b of per-user NDCG@10 reported in the JSON
PAIRS = (('sft', 'sasrec'), ('rl', 'sft'), ('control', 'sft'), ('rl', 'control'), ('rl', 'sasrec'))


def per_user(run: Path, evals: dict, sasrec: dict) -> dict:
    "Per-test-user NDCG@10 of every model, both protocols: {protocol: {model: array}} (test-split order)."
    out = {p: {} for p in PROTOCOLS}
    for p, arr in sasrec.items():
        out[p]['sasrec'] = arr
    for m, folder in evals.items():
        for p, suffix in PROTOCOLS.items():
            f = folder / f'predictions{suffix}.jsonl'
            if f.exists():
                out[p][m] = predictions_ndcg(f, run / 'data', 'test')
    return out


def baseline_metrics(run: Path, m: dict) -> tuple[dict, dict]:
    "Pop and SASRec re-scored on test at every K in KS, both protocols; SASRec's per-user NDCG@10 from those ranks."
    from minionerec.baselines import Popularity, encode_split, evaluate_scores
    from minionerec.sasrec import SASRec

    ds, out, sasrec = dataset(run / 'data'), {}, {}
    sp = encode_split(ds, 'test', HISTORY, past=True)
    models = {'popularity': Popularity.fit(ds, m.get('popularity', {}).get('source', 'interactions'))}
    if (run / 'baselines' / 'sasrec').exists():
        models['sasrec'] = SASRec.from_pretrained(run / 'baselines' / 'sasrec')
    for name, model in models.items():
        for p, suffix in PROTOCOLS.items():
            scores, ranks = evaluate_scores(model, sp, bool(suffix), ks=KS, return_ranks=True)
            out[name + suffix] = {**m.get(name + suffix, {}), **scores}
            if name == 'sasrec':
                sasrec[p] = per_sample_ndcg(ranks.tolist())
    return out, sasrec


def chosen_models(specs: list[str]) -> dict[str, Path]:
    "`--models sft=DIR ...` → {stage: folder}, each folder checked to hold its test evaluation."
    out = {}
    for spec in specs:
        stage, _, folder = spec.partition('=')
        if stage not in ('sft', 'rl', 'control') or not folder:
            raise SystemExit(f"--models {spec!r}: expected sft=DIR, rl=DIR or control=DIR")
        f = Path(folder) if Path(folder).is_absolute() else ROOT / folder
        if not (f / 'eval_test' / 'predictions_exclude_history.jsonl').exists():
            raise SystemExit(f"--models {spec!r}: no {f}/eval_test: run its lever script with --split test first")
        out[stage] = f
    return out


def model_metrics(chosen: dict[str, Path]) -> dict:
    "The lever scripts' test metrics (keyed 'm') under the run's model names, both protocols."
    out = {}
    for stage, f in chosen.items():
        m = json.loads((f / 'eval_test' / 'metrics.json').read_text())
        for suffix in PROTOCOLS.values():
            out[stage + suffix] = m['m' + suffix]
    return out


def chosen_minutes(chosen: dict[str, Path]) -> dict:
    "Training minutes of the chosen folders (SFT manifests; RL's summary.json)."
    out = {}
    for stage, f in chosen.items():
        if (f / 'summary.json').exists():
            out[stage] = round(json.loads((f / 'summary.json').read_text())['seconds'] / 60, 1)
        else:
            out[stage] = round(json.loads((f / 'manifest.json').read_text())['seconds']['train'] / 60, 1)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--config', default='configs/scientific.yaml')
    ap.add_argument('--run-dir', default=None)
    ap.add_argument('--collect-only', action='store_true')
    ap.add_argument(
        '--skip-decode-bench', action='store_true', help='do not rerun bench/decode.py (keep the last figures)'
    )
    ap.add_argument('--models', nargs='+', metavar='STAGE=DIR', help='report these lever folders as sft / rl / control')
    a = ap.parse_args()
    cfg = load_config(a.config)
    run = Path(a.run_dir or cfg['run_dir'])
    run = run if run.is_absolute() else ROOT / run
    chosen = chosen_models(a.models) if a.models else {}
    if not a.collect_only and not chosen:
        run_pipeline(PipelineConfig(config=a.config, run_dir=str(run)))
    m = json.loads((run / 'metrics.json').read_text())
    m = {k: v for k, v in m.items() if k.split('_exclude_history')[0] not in chosen} | model_metrics(chosen)
    base, sasrec = baseline_metrics(run, m)
    m |= base
    n_test = len(dataset(run / 'data').splits['test'])
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
    evals = {s: chosen[s] / 'eval_test' if s in chosen else run / f'eval_{s}' for s in ('sft', 'rl', 'control')}
    pu = per_user(run, evals, sasrec)
    diffs = {
        p: {f'{x} − {y}': paired_difference(pu[p][x], pu[p][y]) for x, y in PAIRS if x in pu[p] and y in pu[p]}
        for p in PROTOCOLS
    }
    mans = {
        s: read_stage(run / s) or {}
        for s in ('data', 'sid', 'baselines', 'sft', 'rl', 'control', 'eval_sft', 'eval_rl', 'eval_control')
    }
    done_here = lambda s: s.removeprefix('eval_') not in chosen  # the chosen folders' stages ran elsewhere
    minutes = {s: round(man['seconds'] / 60, 1) for s, man in mans.items() if 'seconds' in man and done_here(s)}
    minutes |= chosen_minutes(chosen)
    rl_dir = chosen.get('rl', run / 'rl')
    rl = (
        json.loads((rl_dir / 'summary.json').read_text())
        if (rl_dir / 'summary.json').exists()
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
    rel = lambda f: str(f.relative_to(ROOT) if f.is_relative_to(ROOT) else f)
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
        **(
            {
                'models_from': {s: rel(f) for s, f in chosen.items()},
                'models_note': 'trained by bench/sft_levers.py / bench/rl_levers.py (the arguments of the config) and '
                'chosen on the validation split; the test split decoded once per model (FOLDER/eval_test)',
            }
            if chosen
            else {}
        ),
    )
    atomic_write_json(dest, out)
    print(json.dumps(out, indent=2))
    print(scientific_table(out))


if __name__ == '__main__':
    main()
