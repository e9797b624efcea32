"""Constrained beam search: our vectorised trie processor vs HF `prefix_allowed_tokens_fn` (MiniOneRec's way).

Same tiny model, same real prompts (MiniOneRec's released Industrial test split and SIDs), same beams.
Timings: both methods in one process, alternating batch by batch, best of --repeats (the machine is shared);
peak memory: each method alone in its own subprocess. The last line printed is JSON.

    python bench/decode.py                      # 64 prompts, 50 beams, batch 8
    python bench/decode.py --prompts 16 --beams 20
"""

import argparse, json, os, resource, subprocess, sys, time

import torch


def setup(n_prompts, seed=0):
    "The tiny model, the catalogue and the encoded prompt batches (real test histories)."
    from minionerec.data import load_rec_dataset
    from minionerec.catalogue import Catalogue
    from minionerec.models import build_tiny
    from minionerec.prompts import PromptBuilder

    ds = load_rec_dataset('minionerec-industrial')
    index, titles = ds.sids(), ds.item_titles()
    model, tok = build_tiny(
        list(titles.values()),
        sorted({t for v in index.values() for t in v}),
        vocab_size=3000,
        hidden=128,
        layers=2,
        seed=seed,
    )
    model.eval()
    cat = Catalogue(index, tok)
    pb = PromptBuilder(index, titles, tokenizer=tok)
    rows = ds.splits['test'].head(n_prompts).to_dict('records')
    return model, tok, cat, [pb.prompt('seq_sid', r['history']) for r in rows]


def decode(mode, model, tok, cat, prompts, beams):
    "Generate for one batch of prompts with `mode`; returns (sequences, scores, seconds, constraint seconds, steps)."
    from transformers import LogitsProcessorList
    from transformers.generation.logits_process import PrefixConstrainedLogitsProcessor
    from minionerec.decoding import TrieLogitsProcessor, generation_config, prefix_allowed_tokens_fn

    enc = tok(prompts, return_tensors='pt', padding=True, add_special_tokens=False)
    P = enc['input_ids'].shape[1]
    if mode == 'fast':  # our own engine: prompt encoded once, KV cache shared by the beams (no processor involved)
        from minionerec.decoding import trie_beam_search

        t0 = time.perf_counter()
        r = trie_beam_search(model, enc['input_ids'], enc['attention_mask'], cat.trie, beams)
        return r.items.tolist(), r.scores.tolist(), time.perf_counter() - t0, 0.0, 1
    if mode == 'ours':
        proc = TrieLogitsProcessor(cat.trie, P)
    else:
        inner = PrefixConstrainedLogitsProcessor(prefix_allowed_tokens_fn(cat.trie, P), beams)

        class Timed:  # time the callback-based processor alone, exactly as TrieLogitsProcessor times itself
            seconds, steps = 0.0, 0

            def __call__(self, ids, sc):
                t = time.perf_counter()
                out = inner(ids, sc)
                self.seconds += time.perf_counter() - t
                self.steps += 1
                return out

        proc = Timed()
    t0 = time.perf_counter()
    with torch.no_grad():
        out = model.generate(
            **enc, logits_processor=LogitsProcessorList([proc]), generation_config=generation_config(cat.trie, beams)
        )
    return (
        out.sequences[:, P:].tolist(),
        out.sequences_scores.tolist(),
        time.perf_counter() - t0,
        proc.seconds,
        proc.steps,
    )


def timing(n_prompts, beams, batch, threads, repeats):
    "Both methods in one process, alternating batch by batch (the machine is shared: same conditions for both)."
    torch.set_num_threads(threads)
    model, tok, cat, prompts = setup(n_prompts)
    res = {m: dict(seconds=0.0, constraint_s=0.0, steps=0, seqs=[], scores=[]) for m in ('ours', 'callback', 'fast')}
    for s in range(0, len(prompts), batch):
        best = {}
        for r in range(repeats):
            for m in ('ours', 'callback', 'fast') if r % 2 == 0 else ('fast', 'callback', 'ours'):
                seqs, sc, sec, cs, steps = decode(m, model, tok, cat, prompts[s : s + batch], beams)
                if m not in best or sec < best[m][2]:
                    best[m] = (seqs, sc, sec, cs, steps)
        for m, (seqs, sc, sec, cs, steps) in best.items():
            r = res[m]
            r['seqs'] += seqs
            r['scores'] += sc
            r['seconds'] += sec
            r['constraint_s'] += cs
            r['steps'] += steps
    for r in res.values():
        r.update(
            prompts=len(prompts),
            prompts_per_s=len(prompts) / r['seconds'],
            constraint_ms_per_step=1000 * r['constraint_s'] / r['steps'],
        )
    res['catalogue'] = dict(items=len(cat.sids), nodes=cat.trie.num_nodes, mb=cat.trie.nbytes / 2**20)
    return res


def peak_rss(mode, n_prompts, beams, batch, threads):
    "Peak resident memory of a process that decodes with `mode` only."
    torch.set_num_threads(threads)
    model, tok, cat, prompts = setup(n_prompts)
    for s in range(0, len(prompts), batch):
        decode(mode, model, tok, cat, prompts[s : s + batch], beams)
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--prompts', type=int, default=64)
    ap.add_argument('--beams', type=int, default=50)
    ap.add_argument('--batch', type=int, default=8)
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument(
        '--repeats', type=int, default=2, help='decode each batch this many times per method, keep the fastest'
    )
    ap.add_argument('--rss', choices=['ours', 'callback'], help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.rss:
        print(peak_rss(a.rss, a.prompts, a.beams, a.batch, a.threads))
        return
    env = {**os.environ, 'OMP_NUM_THREADS': str(a.threads), 'HF_HUB_OFFLINE': '1'}
    rss = {
        m: float(
            subprocess.run(
                [
                    sys.executable,
                    __file__,
                    '--rss',
                    m,
                    '--prompts',
                    str(min(a.prompts, 2 * a.batch)),
                    '--beams',
                    str(a.beams),
                    '--batch',
                    str(a.batch),
                    '--threads',
                    str(a.threads),
                ],
                capture_output=True,
                text=True,
                env=env,
                check=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        for m in ('ours', 'callback')
    }
    res = timing(a.prompts, a.beams, a.batch, a.threads, a.repeats)
    o, c, f, cat = res['ours'], res['callback'], res['fast'], res['catalogue']
    identical = o['seqs'] == c['seqs'] and max(abs(x - y) for x, y in zip(o['scores'], c['scores'])) < 1e-4
    print(
        f"catalogue: {cat['items']} SIDs, trie {cat['nodes']} nodes ({cat['mb']:.1f} MB); {o['prompts']} prompts, "
        f"{a.beams} beams, batch {a.batch}, {a.threads} thread(s), best of {a.repeats}"
    )
    for m, r in (('ours', o), ('callback', c)):
        print(
            f"{m:>9}: {r['prompts_per_s']:6.2f} prompts/s end to end, "
            f"constraint {r['constraint_ms_per_step']:7.2f} ms/step "
            f"({r['constraint_s']:.2f} s of {r['seconds']:.2f} s), peak RSS {rss[m]:.0f} MB"
        )
    print(
        f"     fast: {f['prompts_per_s']:6.2f} prompts/s end to end "
        "(trie_beam_search: prompt encoded once, KV cache shared by the beams)"
    )
    print(
        json.dumps(
            dict(
                speedup=round(c['constraint_s'] / o['constraint_s'], 2),
                e2e_speedup=round(c['seconds'] / o['seconds'], 3),
                identical=identical,
                prompts=o['prompts'],
                beams=a.beams,
                batch=a.batch,
                threads=a.threads,
                ours_ms_per_step=round(o['constraint_ms_per_step'], 3),
                callback_ms_per_step=round(c['constraint_ms_per_step'], 3),
                ours_prompts_per_s=round(o['prompts_per_s'], 3),
                callback_prompts_per_s=round(c['prompts_per_s'], 3),
                ours_peak_rss_mb=round(rss['ours']),
                callback_peak_rss_mb=round(rss['callback']),
                fast_engine_prompts_per_s=round(f['prompts_per_s'], 3),
                fast_engine_e2e_speedup=round(c['seconds'] / f['seconds'], 3),
            )
        )
    )


if __name__ == '__main__':
    main()
