"""SFT levers on Amazon 2018 Scientific: each lever is one change to a recipe, trained under a wall-clock budget and
evaluated on a whole split (50 constrained beams) under both history protocols; writes
bench/results/sft_levers_<split>.json (rewritten after every lever, so an interrupted run loses nothing) and prints
the table. Levers are chosen on the validation split (the default); the test split is read once, for the final
configuration, by bench/run_scientific.py. (bench/results/sft_levers.json holds the earlier table, measured on test.)

    python bench/sft_levers.py                      # every lever not yet in the JSON, two at a time (one core each)
    python bench/sft_levers.py --only wide drop03   # some levers
    python bench/sft_levers.py --table              # print the table from the JSON
    python bench/sft_levers.py --run runs/demo --out runs/levers-demo --only compact --budget 0.5 --results /tmp/x.json

Paired differences (per user of the split, NDCG@10) are against SASRec and against each lever's `vs` (its control).
Needs the data, SID and baselines stages of configs/scientific.yaml in runs/scientific
(`python -m minionerec.pipeline --config configs/scientific.yaml --only data sid baselines`).
"""

import argparse, json, os, subprocess, sys, threading, time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from minionerec.metrics import paired_difference
from per_user import PROTOCOLS, predictions_ndcg, sasrec_ndcg

ROOT = Path(__file__).resolve().parents[1]
from minionerec.core import atomic_write_json, run_info
from minionerec.results import sft_levers_table

RUN = DEFAULT_RUN = ROOT / 'runs' / 'scientific'
OUT = DEFAULT_OUT = ROOT / 'runs' / 'levers'
SPLIT = 'valid'  # where levers are compared (--split)
BUDGET = 20  # minutes of training per lever (one core)

# the recipe every lever changes one thing of; every run trains for the budget (the learning rate decays over it)
COMPACT = (
    '--tasks seq_sid --prompt-style compact --whole-sequences --group-by-length --max-history 20 --vocab-size '
    '300 --hidden 128 --layers 2 --heads 4 --kv-heads 2 --lr 3e-3 --warmup 0.02 --batch-size 64 --max-steps '
    '1000000 --eval-steps 250 --eval-samples 2000 --eval-beams 20 --patience 0 --dropout 0.1'
).split()
COLLAB_SID = 'runs/collab/sid'  # text + SASRec item embeddings, 3 levels of 256 codes: see collab_sid()
COLLAB4_SID = 'runs/collab_l4/sid'  # the same, 4 levels of 256 (the shape of LC-Rec's released indices)
COLLAB_LEVELS = {COLLAB_SID: 3, COLLAB4_SID: 4}  # each collaborative SID spec's number of levels
# name -> (what changes, SFT arguments, the lever it is compared with, SID folder)
LEVERS = {
    'text': (
        "last session's recipe: text prompts, one sample per prefix (seq_sid + title2sid)",
        (
            '--tasks seq_sid title2sid --hidden 128 --layers 2 --lr 3e-3 --warmup 0.02 --batch-size 64 '
            '--max-steps 1000000 --eval-steps 300 --eval-samples 2000 --eval-beams 20 --patience 0'
        ).split(),
        None,
        None,
    ),
    'compact': (
        "compact prompts (SIDs only) + whole-sequence training + dropout 0.1, vocab 300",
        COMPACT,
        'text',
        None,
    ),
    'drop03': ("dropout 0.3", COMPACT + ['--dropout', '0.3'], 'compact', None),
    'collab': ("SIDs from text + SASRec item embeddings", COMPACT, 'compact', COLLAB_SID),
    'wide': (
        "hidden 256, 4 layers, 8 heads",
        COMPACT + ['--hidden', '256', '--layers', '4', '--heads', '8', '--kv-heads', '4'],
        'compact',
        None,
    ),
    'smooth': ("label smoothing 0.1", COMPACT + ['--label-smoothing', '0.1'], 'compact', None),
    # MiniOneRec's alignment tasks on the compact recipe: item title -> SID and SID -> title
    'align': (
        "compact + the alignment tasks title2sid and sid2title (MiniOneRec's language alignment, compact form)",
        COMPACT + ['--tasks', 'seq_sid', 'title2sid', 'sid2title'],
        'compact',
        None,
    ),
    # the alignment ablation on the final recipe (collab): MiniOneRec's language-alignment tasks on vs off
    'collab_align': (
        "collab + the alignment tasks title2sid and sid2title",
        COMPACT + ['--tasks', 'seq_sid', 'title2sid', 'sid2title'],
        'collab',
        COLLAB_SID,
    ),
    'collab_l4': ("collab with 4-level SIDs (4 x 256 codes) instead of 3", COMPACT, 'collab', COLLAB4_SID),
    'collab_drop03': ("collab + dropout 0.3", COMPACT + ['--dropout', '0.3'], 'collab', COLLAB_SID),
    'collab_wide': (
        "collab + hidden 256, 4 layers, 8 heads",
        COMPACT + ['--hidden', '256', '--layers', '4', '--heads', '8', '--kv-heads', '4'],
        'collab',
        COLLAB_SID,
    ),
}


def collab_dir(spec: str = COLLAB_SID) -> Path:
    "Where the collaborative SIDs `spec` of `RUN` live: `spec` for Scientific's run, else OUT/<its folder>_sid."
    return ROOT / spec if RUN == DEFAULT_RUN else OUT / f'{Path(spec).parent.name}_sid'


def collab_sid(spec: str = COLLAB_SID) -> Path:
    "The collaborative SID folder: the text embeddings of the SID stage joined with SASRec's item embeddings."
    out, levels = collab_dir(spec), COLLAB_LEVELS[spec]
    if not (out / 'index.json').exists():
        emb = next((RUN / 'sid').glob('emb-*.npy'))
        sh(
            [
                sys.executable,
                '-m',
                'minionerec.sid',
                '--data',
                str(RUN / 'data'),
                '--out',
                str(out),
                '--method',
                'rqkmeans-constrained',
                '--levels',
                str(levels),
                '--codes-per-level',
                '256',
                '--seed',
                '0',
                '--embeddings',
                str(emb),
                '--collab-emb',
                str(RUN / 'baselines' / 'sasrec' / 'item_emb.npy'),
            ],
            OUT / f'{Path(spec).parent.name}_sid.log',
            threads=2,
        )
    return out


def sh(cmd: list[str], log: Path, threads: int = 1) -> float:
    "Run a command with `threads` torch threads, output to `log`; seconds taken."
    t0 = time.time()
    env = {**os.environ, 'OMP_NUM_THREADS': str(threads), 'HF_HUB_OFFLINE': '1', 'TOKENIZERS_PARALLELISM': 'false'}
    with open(log, 'a') as f:
        p = subprocess.run(cmd, cwd=ROOT, env=env, stdout=f, stderr=subprocess.STDOUT)
    if p.returncode:
        raise RuntimeError(f"{' '.join(cmd[:4])} ... exited {p.returncode}; see {log}")
    return time.time() - t0


def results_file(split: str) -> Path:
    "Where the lever table of `split` is kept."
    return ROOT / 'bench' / 'results' / f'sft_levers_{split}.json'


def sasrec_ranks() -> dict[bool, np.ndarray]:
    "Per-sample NDCG@10 of the trained SASRec on `SPLIT`, both protocols (sample order of the split)."
    return sasrec_ndcg(RUN, SPLIT)


def run_lever(name: str, budget: float) -> dict:
    "Train one lever under the budget, evaluate it on the whole `SPLIT` under both protocols."
    what, args, vs, sid = LEVERS[name]
    sid = collab_dir(sid) if sid in COLLAB_LEVELS else RUN / 'sid'
    out = OUT / name
    out.mkdir(parents=True, exist_ok=True)
    log = out / 'log.txt'
    atomic_write_json(out / 'lever.json', {'name': name, 'what': what, 'args': args, 'sid': str(sid)})
    if not (out / 'model.safetensors').exists():
        sh(sft_command(out, sid, budget, args), log)
    man = json.loads((out / 'manifest.json').read_text())
    if Path(man['inputs']['data']).resolve() != (RUN / 'data').resolve():
        raise ValueError(f"{out}: trained on {man['inputs']['data']}, not on {RUN / 'data'}: give another --out")
    res = {
        'what': what,
        'args': args,
        'vs': vs,
        'sid': str(sid.relative_to(ROOT) if sid.is_relative_to(ROOT) else sid),
        'train_minutes': round(man['seconds']['train'] / 60, 1),
        'steps': man['steps'],
        'best_step': man['best_step'],
        'valid_subset_NDCG@10': man['best_metric'],
    }
    return res | evaluate_split(out, sid, log)


def sft_command(out: Path, sid: Path, budget: float, args: list) -> list[str]:
    "The SFT stage on this run's data for `budget` minutes, no test split; reused by rl_levers.py (its control)."
    folders = ['--data', str(RUN / 'data'), '--sid', str(sid), '--out', str(out)]
    quiet = '--test-samples 0 --no-progress --logging-steps 50'.split()
    return [sys.executable, '-m', 'minionerec.sft', *folders, *quiet, '--time-limit', str(budget), *args]


def eval_dir(model: Path) -> Path:
    "Where a model's evaluation on `SPLIT` is written: `model/eval_<split>/`."
    return Path(model) / f'eval_{SPLIT}'


def evaluate_command(
    model: Path, sid: Path, out: Path, name: str = 'm', beams: int = 50, extra: tuple = ()
) -> list[str]:
    "minionerec.evaluate of `model` on the whole `SPLIT` of this run's data, both protocols, `extra` options."
    folders = ['--model', str(model), '--data', str(RUN / 'data'), '--sid', str(sid), '--out', str(out)]
    opts = ['--split', SPLIT, '--beams', str(beams), '--batch-size', '16', '--history', 'both', '--name', name]
    return [sys.executable, '-m', 'minionerec.evaluate', *folders, *opts, '--no-progress', *extra]


def evaluate_split(
    model: Path, sid: Path, log: Path, name: str = 'm', out: Path | None = None, beams: int = 50, extra: tuple = ()
) -> dict:
    "`evaluate_command` into `out` (default `eval_dir(model)`) unless done; HR/NDCG per protocol (rl_levers.py too)."
    out = out or eval_dir(model)
    if not (out / 'predictions_exclude_history.jsonl').exists():
        sh(evaluate_command(model, sid, out, name, beams, extra), log)
    m = json.loads((out / 'metrics.json').read_text())
    return {
        p: {k: v for k, v in m[name + suffix].items() if k.startswith(('HR@', 'NDCG@')) or k in ('invalid', 'n')}
        for p, suffix in PROTOCOLS.items()
    }


def lever_meta(budget: float) -> dict:
    "The `_meta` entry of a lever results file: data, protocol, decoding, training budget, commit, machine, date."
    return {
        'dataset': json.loads((RUN / 'data' / 'manifest.json').read_text())['name'],
        'protocol': f'leave-one-out, history <= 20, the whole {SPLIT} split',
        'split': SPLIT,
        'data': str(RUN.relative_to(ROOT) if RUN.is_relative_to(ROOT) else RUN),
        'decoding': '50 constrained beams',
        'budget_minutes': budget,
        **run_info(),
    }


def per_sample_file(model: Path, ex: bool) -> np.ndarray:
    "Per-sample NDCG@10 of a model evaluated on `SPLIT` (sample order of the split)."
    f = eval_dir(model) / ('predictions_exclude_history.jsonl' if ex else 'predictions.jsonl')
    return predictions_ndcg(f, RUN / 'data', SPLIT)


def check_run_args(a, ap, default_out: Path = DEFAULT_OUT):
    "Another data set's run needs its own --out and --results: the defaults hold Scientific's levers."
    if (ROOT / a.run).resolve() != DEFAULT_RUN.resolve() and (a.results is None or (ROOT / a.out) == default_out):
        ap.error(f"--run {a.run}: give --out and --results too (the defaults hold the levers of {DEFAULT_RUN.name})")


def configure(split: str, run: str, out: str):
    "Set the split, run folder and output folder every function here reads (rl_levers.py calls it too)."
    global SPLIT, RUN, OUT
    SPLIT, RUN, OUT = split, ROOT / run, ROOT / out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--only', nargs='*', help='levers to run (default: all not yet done)')
    ap.add_argument('--budget', type=float, default=BUDGET, help='training minutes per lever')
    ap.add_argument('--parallel', type=int, default=2, help='levers at a time (one torch thread each)')
    ap.add_argument('--table', action='store_true', help='only print the table')
    ap.add_argument('--split', default=SPLIT, choices=['valid', 'test'], help='where the levers are compared')
    ap.add_argument('--run', default=str(RUN.relative_to(ROOT)), help='run folder with the data, sid, baselines stages')
    ap.add_argument('--out', default=str(OUT.relative_to(ROOT)), help='folder of the lever runs')
    ap.add_argument('--results', help='results file (default: bench/results/sft_levers_<split>.json)')
    a = ap.parse_args(argv)
    check_run_args(a, ap)
    configure(a.split, a.run, a.out)
    RESULTS = Path(a.results) if a.results else results_file(SPLIT)
    res = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    if not a.table:
        todo = [k for k in (a.only or LEVERS) if a.only or k not in res]
        OUT.mkdir(parents=True, exist_ok=True)
        for spec in {LEVERS[k][3] for k in todo} & COLLAB_LEVELS.keys():
            collab_sid(spec)
        lock = threading.Lock()

        def one(k):
            r = run_lever(k, a.budget)
            with lock:
                res[k] = r
                atomic_write_json(RESULTS, res)
            print(
                f"{k}: NDCG@10 {r['keep_history']['NDCG@10']:.4f} / excl. {r['exclude_history']['NDCG@10']:.4f} "
                f"({r['train_minutes']} min)",
                flush=True,
            )

        with ThreadPoolExecutor(a.parallel) as ex:
            list(ex.map(one, todo))
        sas = sasrec_ranks()
        res['_sasrec'] = {'keep_history': float(sas[False].mean()), 'exclude_history': float(sas[True].mean())}
        for k in [k for k in res if not k.startswith('_')]:
            res[k]['vs_sasrec'] = paired_difference(per_sample_file(OUT / k, True), sas[True])
            res[k]['vs_sasrec_keep_history'] = paired_difference(per_sample_file(OUT / k, False), sas[False])
            vs = LEVERS.get(k, (None,) * 4)[2]
            for key, ex in (('vs_control', True), ('vs_control_keep', False)):
                mine = per_sample_file(OUT / k, ex)
                res[k][key] = paired_difference(mine, per_sample_file(OUT / vs, ex)) if vs in res else None
        res['_meta'] = lever_meta(a.budget)
        atomic_write_json(RESULTS, res)
    print(sft_levers_table(res))


if __name__ == '__main__':
    main()
