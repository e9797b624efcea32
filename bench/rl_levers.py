"""RL levers (Amazon 2018 Scientific by default; `--run` names another data set's run): from one SFT start, each GRPO
variant and a matched SFT control (the same start trained on with SFT for the same wall-clock minutes) are evaluated
on a whole split (50 constrained beams, both history protocols; the validation split by default: choices are made
there, the test split is read once by bench/run_scientific.py); writes bench/results/rl_levers_<split>.json (after
every run) and prints the table with paired standard errors against the start and against the control.

    python bench/rl_levers.py --start runs/levers/collab            # every variant not yet in the JSON, two at a time
    python bench/rl_levers.py --start runs/levers/collab --only rank_collab control
    python bench/rl_levers.py --table
    python bench/rl_levers.py --run runs/instruments --start runs/instruments/sft --out runs/rl_levers_instruments \
        --results bench/results/rl_levers_instruments_valid.json --budget 15 --only control rank_collab rule ranking
    python bench/rl_levers.py --start runs/levers/collab_l4 --out runs/rl_levers_l4 --only rank_collab \
        --results bench/results/rl_levers_l4_valid.json --recipe runs/rl_levers/rank_collab   # paired with the recipe

The start is an SFT output folder (its SID folder is read from its manifest, its SFT arguments from its lever.json or,
for a pipeline's SFT stage, its stage.json).
"""

import argparse, json, re, sys, threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
from minionerec.core import atomic_write_json
from minionerec.results import rl_levers_table
from minionerec.metrics import paired_difference
import sft_levers as S
from sft_levers import evaluate_split, lever_meta, per_sample_file, sasrec_ranks, sft_command, sh

OUT = ROOT / 'runs' / 'rl_levers'
BUDGET = 20  # minutes of training per run (one core)
RECIPE = 'rank_collab'  # the configuration chosen on validation: every GRPO variant is also paired against it

GRPO = (
    '--preset minionerec --group-mode beam --num-generations 16 --prompts-per-device 2 --lr 5e-5 --subsample '
    '20000 --epochs 1'
).split()
# name -> (what, arguments of minionerec.rl; None = the SFT control)
VARIANTS = {
    'control': ("SFT control: the start trained on with SFT (lr 3e-4, cosine over the same minutes)", None),
    'ranking': (
        "GRPO, ranking reward (hit + rank-aware penalty; MiniOneRec's), beam groups of 16",
        GRPO + ['--rewards', 'ranking'],
    ),
    'rank_collab': (
        "GRPO, ranking + SASRec's rank of each item within its group (weights 1, 1)",
        GRPO + ['--rewards', 'ranking', 'collaborative_rank', '--reward-weights', '1', '1'],
    ),
    # MiniOneRec's ablations at this scale: each reward alone and summed (above), beam vs sampled groups
    'rule': ("GRPO, rule reward alone (1 for the target, else 0)", GRPO + ['--rewards', 'rule']),
    'collab_only': (
        "GRPO, SASRec's rank of each item within its group alone",
        GRPO + ['--rewards', 'collaborative_rank'],
    ),
    'rank_collab_sample': (
        "as rank_collab, groups sampled at temperature 1 (constrained) instead of beams",
        GRPO + ['--rewards', 'ranking', 'collaborative_rank', '--reward-weights', '1', '1', '--group-mode', 'sample'],
    ),
    # the drift levers (Instruments: KL in the thousands at lr 5e-5): MiniOneRec's learning rate, a 100x larger beta
    'ranking_lr1e5': (
        "GRPO, ranking reward, learning rate 1e-5 (MiniOneRec's) instead of 5e-5",
        GRPO + ['--rewards', 'ranking', '--lr', '1e-5'],
    ),
    'ranking_beta01': (
        "GRPO, ranking reward, KL weight beta 0.1 instead of 0.001",
        GRPO + ['--rewards', 'ranking', '--beta', '0.1'],
    ),
    # dense groups (Instruments: 84% of the ranking reward's groups missed the target): the target refilled into a
    # group that misses it (off-policy guidance, Reference 32), at G = 16 and at G = 4 with 4x the users per step
    'ranking_refill': (
        "GRPO, ranking reward, a group that misses its target gets it in place of its last member",
        GRPO + ['--rewards', 'ranking', '--refill'],
    ),
    'ranking_refill_g4': (
        "as ranking_refill, groups of 4 and 8 prompts per step (the same rows per step, 4x the users)",
        GRPO + ['--rewards', 'ranking', '--refill', '--num-generations', '4', '--prompts-per-device', '8'],
    ),
    # toward SASRec under exclude history (valid: RL 0.94x SASRec there): SASRec's order weighs twice the ranking reward
    'rank_collab_w2': (
        "as rank_collab, reward weights 1 (ranking) and 2 (collaborative_rank)",
        GRPO + ['--rewards', 'ranking', 'collaborative_rank', '--reward-weights', '1', '2'],
    ),
    # a second seed of the chosen configuration and of its control (the data order, the groups' draws, dropout)
    'control_s1': ("the SFT control with seed 1 (the first: the stage's default, 0)", None),
    'rank_collab_s1': (
        "rank_collab with seed 1 (the first: the stage's default, 42)",
        GRPO + ['--rewards', 'ranking', 'collaborative_rank', '--seed', '1'],
    ),
    'rank_collab_excl': (
        "as rank_collab, groups exclude the history",
        GRPO + ['--rewards', 'ranking', 'collaborative_rank', '--reward-weights', '1', '1', '--exclude-history'],
    ),
    # group size: 8 beams and 4 users per step, or 32 beams and 1 user per step (the same rows per step)
    'rank_collab_g8': (
        "as rank_collab, groups of 8 beams and 4 prompts per step",
        GRPO + ['--rewards', 'ranking', 'collaborative_rank', '--num-generations', '8', '--prompts-per-device', '4'],
    ),
    'rank_collab_g32': (
        "as rank_collab, groups of 32 beams and 1 prompt per step",
        GRPO + ['--rewards', 'ranking', 'collaborative_rank', '--num-generations', '32', '--prompts-per-device', '1'],
    ),
    # the KL weight on Scientific (the recipe drifts to KL 15 at beta 0.001): 10x beta, two seeds (measured: a tie)
    'rank_collab_beta001': (
        "as rank_collab, KL weight beta 0.01 instead of 0.001",
        GRPO + ['--rewards', 'ranking', 'collaborative_rank', '--reward-weights', '1', '1', '--beta', '0.01'],
    ),
    'rank_collab_beta001_s1': (
        "rank_collab_beta001 with seed 1 (paired with control_s1)",
        GRPO
        + ['--rewards', 'ranking', 'collaborative_rank', '--reward-weights', '1', '1', '--beta', '0.01', '--seed', '1'],
    ),
    # the whole epoch (20,000 prompts at 2 a step: 10,000 steps, the learning rate decayed to 0; 15 minutes reach half
    # of it) against a control trained with SFT for the same 30 minutes
    'control_m30': ("the SFT control trained for 30 minutes", None),
    'rank_collab_m30': (
        "rank_collab for 30 minutes (the whole RL epoch)",
        GRPO + ['--rewards', 'ranking', 'collaborative_rank', '--reward-weights', '1', '1'],
    ),
}


def sft_args_of(start: Path) -> list[str]:
    "The SFT arguments of `start`: its lever.json (bench/sft_levers.py), else its stage.json command line (a pipeline)."
    if (start / 'lever.json').exists():
        return json.loads((start / 'lever.json').read_text())['args']
    if not (start / 'stage.json').exists():
        raise FileNotFoundError(f'{start}: neither lever.json nor stage.json: not an SFT output folder')
    argv, out, i = json.loads((start / 'stage.json').read_text())['argv'], [], 0
    argv = argv[argv.index('minionerec.sft') + 1 :]
    while i < len(argv):  # drop the folders and what the control sets itself
        if argv[i] in ('--out', '--data', '--sid', '--base', '--time-limit', '--test-samples'):
            i += 2
            continue
        if argv[i] not in ('--no-progress',):
            out.append(argv[i])
        i += 1
    return out


def suffix(name: str, tag: str) -> str | None:
    "The number of a variant's `_<tag>N` suffix (`_s1`: seed 1, `_m30`: 30 minutes), else None."
    m = re.search(rf'_{tag}(\d+)(?=_|$)', name)
    return m[1] if m else None


def control_of(name: str) -> str:
    "A variant's matched control: `control` with its seed and minutes suffixes (`rank_collab_s1`: `control_s1`)."
    return 'control' + ''.join(f'_{t}{n}' for t in 'sm' if (n := suffix(name, t)) is not None)


def minutes_of(name: str, budget: float) -> float:
    "A variant's training minutes: its `_mN` suffix, else the script's budget."
    m = suffix(name, 'm')
    return float(m) if m is not None else budget


def run_variant(name: str, start: Path, sid: Path, sft_args: list, budget: float) -> dict:
    "Train one variant (or the control) from `start` for `budget` minutes; the whole split, both protocols."
    what, args = VARIANTS[name]
    out, budget = OUT / name, minutes_of(name, budget)
    out.mkdir(parents=True, exist_ok=True)
    log = out / 'log.txt'
    if not (out / 'model.safetensors').exists():
        if args is None:
            cont = [a for a in sft_args]
            for flag, val in (('--lr', '3e-4'), ('--warmup', '0.02'), ('--base', str(start))):
                cont += [flag, val]
            if (seed := suffix(name, 's')) is not None:
                cont += ['--seed', seed]
            sh(sft_command(out, sid, budget, cont), log)
        else:
            folders = ['--sft', str(start), '--data', str(S.RUN / 'data'), '--sid', str(sid), '--out', str(out)]
            sasrec = ['--sasrec', str(S.RUN / 'baselines' / 'sasrec')]
            sh([sys.executable, '-m', 'minionerec.rl', *folders, *sasrec, '--time-limit', str(budget), *args], log)
    res = {'what': what, 'args': args}
    if args is None:
        man = json.loads((out / 'manifest.json').read_text())
        res |= {'train_minutes': round(man['seconds']['train'] / 60, 1), 'steps': man['steps']}
    else:
        m = json.loads((out / 'summary.json').read_text())
        res |= {
            'train_minutes': round(m['seconds'] / 60, 1),
            'steps': m['steps'],
            'zero_advantage_fraction': m['zero_advantage_fraction'],
            'hit_rate': m['hit_rate'],
            'group_hit_rate': m['group_hit_rate'],
            'kl': m['kl'],
        }
        if m.get('refill_rate') is not None:  # the share of groups that missed their target before refilling
            res['refill_rate'] = m['refill_rate']
    res |= evaluate(out, sid, log)
    return res


def evaluate(model: Path, sid: Path, log: Path) -> dict:
    "The whole split (sft_levers.SPLIT), 50 beams, keep and exclude history."
    return evaluate_split(model, sid, log)


def main(argv=None):
    global OUT
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        '--start', default='runs/levers/collab', help='the SFT start (an output folder of bench/sft_levers.py)'
    )
    ap.add_argument('--only', nargs='*', help='variants to run (default: all not yet done)')
    ap.add_argument('--budget', type=float, default=BUDGET, help='training minutes per run')
    ap.add_argument('--parallel', type=int, default=2, help='runs at a time (one torch thread each)')
    ap.add_argument('--table', action='store_true', help='only print the table')
    ap.add_argument('--pair-only', action='store_true', help='no training: recompute the paired differences')
    ap.add_argument('--split', default=S.SPLIT, choices=['valid', 'test'], help='where the variants are compared')
    ap.add_argument('--run', default=str(S.RUN.relative_to(ROOT)), help='run folder with data, sid, baselines stages')
    ap.add_argument('--out', default=str(OUT.relative_to(ROOT)), help='folder of the RL runs')
    ap.add_argument('--results', help='results file (default: bench/results/rl_levers_<split>.json)')
    ap.add_argument('--recipe', help=f"the chosen configuration's run folder for vs_recipe (default: OUT/{RECIPE})")
    a = ap.parse_args(argv)
    S.check_run_args(a, ap, OUT)
    S.configure(a.split, a.run, S.OUT.relative_to(ROOT))
    OUT = ROOT / a.out
    RESULTS = Path(a.results) if a.results else ROOT / 'bench' / 'results' / f'rl_levers_{a.split}.json'
    res = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    if not a.table:
        start = ROOT / a.start
        man = json.loads((start / 'manifest.json').read_text())
        sid, sft_args = Path(man['inputs']['sid']), sft_args_of(start)
        OUT.mkdir(parents=True, exist_ok=True)
        res['_start'] = {'folder': a.start, **evaluate(start, sid, OUT / 'start_eval.log')}
        lock = threading.Lock()

        def one(k):
            r = run_variant(k, start, sid, sft_args, a.budget)
            with lock:
                res[k] = r
                atomic_write_json(RESULTS, res)
            print(
                f"{k}: NDCG@10 {r['keep_history']['NDCG@10']:.4f} / excl. {r['exclude_history']['NDCG@10']:.4f}",
                flush=True,
            )

        todo = [] if a.pair_only else [k for k in (a.only or VARIANTS) if a.only or k not in res]
        with ThreadPoolExecutor(a.parallel) as ex:
            list(ex.map(one, todo))
        s = {ex: per_sample_file(start, ex) for ex in (False, True)}
        recipe_dir = ROOT / a.recipe if a.recipe else OUT / RECIPE if RECIPE in res else None
        recipe = {ex: per_sample_file(recipe_dir, ex) for ex in (False, True)} if recipe_dir else None
        if recipe_dir:
            res['_recipe'] = str(recipe_dir.relative_to(ROOT))
        for k in [k for k in res if not k.startswith('_')]:
            mine = {ex: per_sample_file(OUT / k, ex) for ex in (False, True)}
            res[k]['vs_start'], res[k]['vs_start_keep'] = (
                paired_difference(mine[True], s[True]),
                paired_difference(mine[False], s[False]),
            )
            if not k.startswith('control') and OUT / k != recipe_dir and recipe:  # against the chosen configuration
                res[k]['vs_recipe'], res[k]['vs_recipe_keep'] = (
                    paired_difference(mine[True], recipe[True]),
                    paired_difference(mine[False], recipe[False]),
                )
            if not k.startswith('control') and control_of(k) in res:
                c = {ex: per_sample_file(OUT / control_of(k), ex) for ex in (False, True)}
                res[k]['vs_control'], res[k]['vs_control_keep'] = (
                    paired_difference(mine[True], c[True]),
                    paired_difference(mine[False], c[False]),
                )
        sas = sasrec_ranks()
        res['_sasrec'] = {'keep_history': float(sas[False].mean()), 'exclude_history': float(sas[True].mean())}
        res['_meta'] = lever_meta(a.budget)
        atomic_write_json(RESULTS, res)
    print(rl_levers_table(res))


if __name__ == '__main__':
    main()
