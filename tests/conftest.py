"Shared fixtures: seeds, free ports and the tiny end-to-end worlds (synthetic data, random SIDs, an untrained model)."

import json, os, random, socket, zlib
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault('OMP_NUM_THREADS', '1')
os.environ.setdefault('HF_HUB_OFFLINE', '1')
os.environ.setdefault('HF_HUB_DISABLE_TELEMETRY', '1')


@pytest.fixture(autouse=True)
def global_seed(request):
    "Each test starts from its own global seed: MINIONEREC_SEED (default 0; `make stress` varies it) and the test id."
    import torch  # after the thread settings above

    seed = (int(os.environ.get('MINIONEREC_SEED', '0')) * 1_000_003 + zlib.crc32(request.node.nodeid.encode())) % 2**32
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    return seed


# The SFT model of the multi-process tests (torchrun, accelerate + ZeRO-2): a 1-layer, 32-wide Qwen2 trained from
# scratch on 5-item histories, evaluated with 10 beams on 6 test samples.
TINY_SFT_ARGS = (
    '--vocab-size 500 --hidden 32 --layers 1 --heads 2 --kv-heads 1 --max-history 5 --logging-steps 1 '
    '--test-beams 10 --test-samples 6'
).split()


def free_port() -> int:
    "A TCP port the OS reports free on 127.0.0.1 (for a rendezvous: `--master_port`)."
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def make_world(
    d: Path, n_items: int, n_users: int, codes_per_level: int, model: str | None = None, extra_texts=()
) -> Path:
    "Into `d`: `data/` (synthetic), `sid/` (random 3-level codes, deduplicated), an untrained model if `model` given."
    from minionerec.data import load_rec_dataset
    from minionerec.models import build_tiny
    from minionerec.sid_index import save_sids

    ds = load_rec_dataset('synthetic', seed=0, n_items=n_items, n_users=n_users)
    ds.save(d / 'data')
    titles = ds.items['title'].tolist()
    codes = np.random.default_rng(0).integers(0, codes_per_level, (len(ds.items), 3))
    save_sids(d / 'sid', ds.items['item_id'].tolist(), codes, codes_per_level, titles=titles)
    if model:
        toks = json.loads((d / 'sid' / 'tokens.json').read_text())
        build_tiny(titles + list(extra_texts), toks, out=d / model, vocab_size=600, hidden=32, layers=1)
    return d


@pytest.fixture(scope='session')
def tiny_run(tmp_path_factory):
    "A run folder with `data/` (300 items, 200 users), `sid/` (3x8 codes) and `tiny/` (an untrained model)."
    return make_world(tmp_path_factory.mktemp('tiny_run'), 300, 200, 8, model='tiny')
