"""Beam width as a lever, measured at its limit: one model's constrained beam search (50 beams) against exact scoring
of the whole catalogue (every SID's log-probability, minionerec.evaluate --exact: infinite beams) on the first N users
of a split, both history protocols; writes bench/results/beam_width_<split>.json and prints the comparison.

    python bench/beam_width.py                                   # the chosen RL model, 500 validation users
    python bench/beam_width.py --model runs/levers/collab --limit 200

If beam search already finds the exact top 10 for (nearly) every user, no wider beam can raise NDCG@10: the lever is
closed. Exact scoring costs about a second per user on one core (4,344 SIDs), so it runs on a prefix of the split.
"""

import argparse, json
from pathlib import Path

import numpy as np

from minionerec.core import atomic_write_json, run_info
from minionerec.metrics import paired_difference, per_sample_ndcg
import sft_levers as S
from per_user import PROTOCOLS

ROOT = Path(__file__).resolve().parents[1]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--model', default='runs/rl_levers/rank_collab', help='a model folder')
    ap.add_argument('--sid', default='runs/collab/sid', help="the model's SID folder")
    ap.add_argument('--run', default='runs/scientific', help="the run folder whose data/ the model is evaluated on")
    ap.add_argument('--split', default='valid', choices=['valid', 'test'])
    ap.add_argument('--limit', type=int, default=500, help='the first N users of the split')
    ap.add_argument('--beams', type=int, default=50)
    a = ap.parse_args(argv)
    model = ROOT / a.model
    S.configure(a.split, a.run, S.DEFAULT_OUT.relative_to(ROOT))
    out = model / f'eval_{a.split}_exact{a.limit}'
    out.mkdir(parents=True, exist_ok=True)
    S.evaluate_split(
        model, ROOT / a.sid, out / 'log.txt', out=out, beams=a.beams, extra=('--limit', str(a.limit), '--exact')
    )
    m = json.loads((out / 'metrics.json').read_text())
    res = {'model': a.model, 'n': a.limit, 'beams': a.beams}
    for p, suffix in PROTOCOLS.items():
        rows = [json.loads(r) for r in (out / f'predictions{suffix}.jsonl').read_text().splitlines()]
        beam, exact = per_sample_ndcg([r['rank'] for r in rows]), per_sample_ndcg([r['exact_rank'] for r in rows])
        mm = m['m' + suffix]
        res[p] = {
            **{k: mm[k] for k in ('HR@10', 'HR@50', 'NDCG@10', 'exact_HR@10', 'exact_HR@50', 'exact_NDCG@10')},
            'beam_recall_of_exact_top10': mm['beam_recall_of_exact_top10'],
            'users_with_full_recall': float(np.mean([r['beam_recall'] == 1 for r in rows])),
            'exact_minus_beam': paired_difference(exact, beam),
        }
    res['_meta'] = {'split': a.split, 'decoding': f'{a.beams} constrained beams vs exact scoring', **run_info(ROOT)}
    dest = ROOT / 'bench' / 'results' / f'beam_width_{a.split}.json'
    atomic_write_json(dest, res)
    for p in PROTOCOLS:
        r, d = res[p], res[p]['exact_minus_beam']
        print(
            f"{p}: NDCG@10 beams {r['NDCG@10']:.4f}, exact {r['exact_NDCG@10']:.4f} (exact − beams {d['diff']:+.4f} ± "
            f"{d['se']:.4f}); beam recall of the exact top 10 {r['beam_recall_of_exact_top10']:.3f}, "
            f"full for {r['users_with_full_recall']:.1%} of {a.limit} users"
        )


if __name__ == '__main__':
    main()
