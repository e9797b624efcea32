"""Acceptance figure of Reference 41: popularity and SASRec on amazon18-scientific against RecBole 1.2.1.

Leave-one-out, full ranking.

    OMP_NUM_THREADS=1 python bench/baselines_scientific.py --out /tmp/runs/sci-baselines \
        [--device cpu] [any BaselinesConfig option]

Trains SASRec to early stopping (valid NDCG@10, patience 10), prints test HR@5/10 and NDCG@5/10 of both models with the
history kept (RecBole's protocol for sequential models) and excluded, the epochs and the wall time.
"""

import sys, time
import torch
from minionerec.baselines import BaselinesConfig, run_baselines
from minionerec.core import parse_config
from minionerec.metrics import metrics_table

# RecBole 1.2.1 on the same data (../shared/data/README.md): SASRec history kept (sequential models mask nothing),
# Pop with the user's training items masked (RecBole masks history for general models).
REFERENCE = {
    'RecBole SASRec': {'HR@5': 0.0788, 'HR@10': 0.1021, 'NDCG@5': 0.0569, 'NDCG@10': 0.0643},
    'RecBole Pop (history excluded)': {'HR@10': 0.0114, 'NDCG@10': 0.0048},
}

if __name__ == '__main__':
    argv = sys.argv[1:]
    if '--data' not in argv:
        argv = ['--data', 'amazon18-scientific'] + argv
    if '--out' not in argv:
        argv += ['--out', '/tmp/runs/sci-baselines']
    cfg = parse_config(BaselinesConfig, argv, prog='bench/baselines_scientific.py')
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), device {cfg.device}")
    t0 = time.time()
    res = run_baselines(cfg)
    wall = time.time() - t0
    rows = {k: v for k, v in res.items() if k not in ('history', 'model')}
    print(metrics_table({**rows, **REFERENCE}))
    s = res['sasrec']
    print(
        f"SASRec: {s['epochs']} epochs, best epoch {s['best_epoch']}, training {s['train_seconds']:.0f} s; "
        f"whole run {wall:.0f} s"
    )
    print(f"SASRec NDCG@10 vs RecBole: {s['NDCG@10']:.4f} / 0.0643 = {s['NDCG@10'] / 0.0643:.3f}")
