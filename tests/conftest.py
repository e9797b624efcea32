"Shared fixtures: a tiny end-to-end setup (synthetic data, SIDs, untrained tiny model) built once per session."
import json, os, random, zlib

import numpy as np
import pytest

os.environ.setdefault('OMP_NUM_THREADS', '1')
os.environ.setdefault('HF_HUB_OFFLINE', '1')
os.environ.setdefault('HF_HUB_DISABLE_TELEMETRY', '1')


@pytest.fixture(autouse=True)
def global_seed(request):
    "Each test starts from its own global seed: MINIONEREC_SEED (default 0; `make stress` varies it) mixed with the test id."
    import torch  # after the thread settings above

    seed = (int(os.environ.get('MINIONEREC_SEED', '0')) * 1_000_003 + zlib.crc32(request.node.nodeid.encode())) % 2**32
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    return seed


@pytest.fixture(scope='session')
def tiny_run(tmp_path_factory):
    "A run folder with `data/` (synthetic), `sid/` (random 3x8 codes, deduplicated) and `tiny/` (an untrained model)."
    from minionerec.data import load_rec_dataset
    from minionerec.models import build_tiny
    from minionerec.sid import save_sids
    d = tmp_path_factory.mktemp('tiny_run')
    ds = load_rec_dataset('synthetic', seed=0, n_items=300, n_users=200)
    ds.save(d/'data')
    codes = np.random.default_rng(0).integers(0, 8, (len(ds.items), 3))
    save_sids(d/'sid', ds.items['item_id'].tolist(), codes, 8, titles=ds.items['title'].tolist())
    toks = json.loads((d/'sid'/'tokens.json').read_text())
    build_tiny(ds.items['title'].tolist(), toks, out=d/'tiny', vocab_size=600, hidden=32, layers=1)
    return d
