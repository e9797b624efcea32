"""Benchmark the SID stage on amazon18-scientific (4,344 items): MiniLM encoding time, then each builder's
time, level-wise utilisation and collisions before / after dedup. Prints numbers; not a test.

    python bench/sid_scientific.py [--emb /tmp/sci_emb.npy] [--encode] [--threads 2] [--methods rqkmeans rqvae ...]
"""

import argparse, json, os, time

os.environ.setdefault('HF_HUB_OFFLINE', '1')
os.environ.setdefault('TOKENIZERS_PARALLELISM', 'false')
import torch
from minionerec.core import data_root
from minionerec.text_emb import encode_items, load_items
from minionerec.sid_index import sid_report, dedup_codes
from minionerec.sid_builders import BUILDERS, make_builder

p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
p.add_argument('--emb', default='/tmp/sci_emb.npy', help='embedding cache (.npy + .json)')
p.add_argument('--encode', action='store_true', help='(re)encode and time it, even if the cache exists')
p.add_argument('--threads', type=int, default=2)
p.add_argument('--levels', type=int, default=3)
p.add_argument('--codes-per-level', type=int, default=256)
p.add_argument('--methods', nargs='+', default=list(BUILDERS), help='builders; METHOD+sinkhorn switches that option on')
p.add_argument('--json', default=None, help='also write the results here')
a = p.parse_args()
torch.set_num_threads(a.threads)
try:
    import faiss

    faiss.omp_set_num_threads(a.threads)
except ImportError:
    pass

items = load_items(str(data_root() / 'amazon18-scientific' / 'Scientific.item.json'))
print(
    f'{len(items)} items, torch threads {torch.get_num_threads()}, '
    f'load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs'
)
res = {}
if a.encode or not os.path.exists(a.emb):
    if os.path.exists(a.emb):
        os.remove(a.emb)
    t0, c0 = time.time(), time.process_time()
    emb = encode_items(items, cache_path=a.emb)
    t, c = time.time() - t0, time.process_time() - c0
    res['encode'] = dict(seconds=round(t, 1), cpu_seconds=round(c, 1), shape=list(emb.shape))
    print(f'MiniLM encode (title + description, max_length 128): {t:.1f}s wall, {c:.1f}s CPU, {emb.shape}', flush=True)
else:
    emb = encode_items(items, cache_path=a.emb)  # checked against the cache's metadata
for m in a.methods:
    name, *opts = m.split('+')  # e.g. rqvae+sinkhorn: the builder with sinkhorn=True
    t0, c0 = time.time(), time.process_time()
    b = make_builder(name, levels=a.levels, codes_per_level=a.codes_per_level, seed=0, **{o: True for o in opts})
    codes = b.fit(emb)
    t, c = time.time() - t0, time.process_time() - c0
    r = sid_report(codes, a.codes_per_level)
    fin, dsize = dedup_codes(codes)
    rf = sid_report(fin)
    res[m] = dict(
        seconds=round(t, 1),
        cpu_seconds=round(c, 1),
        utilisation=[round(x['utilisation'], 4) for x in r['per_level']],
        used=[x['used'] for x in r['per_level']],
        perplexity=[round(x['perplexity'], 1) for x in r['per_level']],
        collided_items=r['collided_items'],
        collision_groups=r['collision_groups'],
        collision_rate=round(r['collision_rate'], 4),
        max_group=r['max_group'],
        after_dedup_collided=rf['collided_items'],
        sid_length=int(fin.shape[1]),
        dedup_size=dsize,
    )
    print(m, json.dumps(res[m]), flush=True)
print(
    f"\n{'method':<22}{'wall s':>8}{'cpu s':>8}  {'util a/b/c':<20}{'collided':>9}{'rate':>8}{'max grp':>8}{'after':>6}"
)
for m in a.methods:
    r = res[m]
    print(
        f"{m:<22}{r['seconds']:>8}{r['cpu_seconds']:>8}  {'/'.join(f'{u:.3f}' for u in r['utilisation']):<20}"
        f"{r['collided_items']:>9}{r['collision_rate']:>8}{r['max_group']:>8}{r['after_dedup_collided']:>6}"
    )
if a.json:
    json.dump(res, open(a.json, 'w'), indent=2)
