"""Per-user NDCG@10 on one split, in the split's sample order: what the bench scripts pair (run_scientific.py,
sft_levers.py, rl_levers.py). SASRec is scored here; generative models are read from their `predictions*.jsonl`."""

import json
from functools import lru_cache
from pathlib import Path

import numpy as np

from minionerec.metrics import per_sample_ndcg

HISTORY = 20  # the history length the runs use (configs/*.yaml: max_history)
PROTOCOLS = {'keep_history': '', 'exclude_history': '_exclude_history'}  # protocol -> minionerec.evaluate's name suffix


@lru_cache(maxsize=4)
def dataset(data: Path):
    "The data folder's dataset, loaded once per process (every bench script pairs on the same splits)."
    from minionerec.data import load_rec_dataset

    return load_rec_dataset(data)


def sample_ids(data: Path, split: str) -> list:
    "The sample ids of `split` in its order (row numbers when the split has no `sample_id` column)."
    df = dataset(Path(data)).splits[split]
    return df['sample_id'].tolist() if 'sample_id' in df else list(range(len(df)))


def sasrec_ndcg(run: Path, split: str) -> dict[bool, np.ndarray]:
    "Per-sample NDCG@10 of `run`'s trained SASRec on `split`: {exclude_history: array}."
    from minionerec.baselines import encode_split, evaluate_scores
    from minionerec.sasrec import SASRec

    model = SASRec.from_pretrained(Path(run) / 'baselines' / 'sasrec')
    sp = encode_split(dataset(Path(run) / 'data'), split, HISTORY, past=True)
    return {ex: per_sample_ndcg(evaluate_scores(model, sp, ex, return_ranks=True)[1].tolist()) for ex in (False, True)}


def predictions_ndcg(f: Path, data: Path, split: str) -> np.ndarray:
    "Per-sample NDCG@10 of the predictions file `f` (minionerec.evaluate's), checked to cover exactly `split`."
    ids = sample_ids(data, split)
    preds = {r['sample_id']: r['rank'] for r in map(json.loads, Path(f).read_text().splitlines())}
    if sorted(preds) != sorted(ids):
        raise ValueError(f"{f}: predictions for {len(preds)} samples, the {split} split has {len(ids)}")
    return per_sample_ndcg([preds[i] for i in ids])
