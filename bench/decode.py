"""Constrained beam search: our vectorised trie processor vs HF `prefix_allowed_tokens_fn` (MiniOneRec's way).

Same tiny model, same real prompts (MiniOneRec's released Industrial test split and SIDs), same beams.
Each method runs in its own subprocess so that peak memory is its own. The last line printed is JSON.

    python bench/decode.py                      # 64 prompts, 50 beams, batch 8
    python bench/decode.py --prompts 16 --beams 20
"""
import argparse, json, os, resource, subprocess, sys, time

import torch


def run(mode, n_prompts, beams, batch, threads, seed=0):
    "Decode `n_prompts` prompts with `mode` ('ours' | 'callback'); returns timings and outputs."
    torch.set_num_threads(threads)
    from transformers import LogitsProcessorList
    from transformers.generation.logits_process import PrefixConstrainedLogitsProcessor
    from minionerec.data import load_dataset
    from minionerec.decoding import TrieLogitsProcessor, generation_config, prefix_allowed_tokens_fn
    from minionerec.evaluate import Catalogue
    from minionerec.models import build_tiny
    from minionerec.prompts import PromptBuilder
    ds = load_dataset('minionerec-industrial')
    index = ds.sids()
    tokens = sorted({t for v in index.values() for t in v})
    titles = ds.item_titles()
    model, tok = build_tiny(list(titles.values()), tokens, vocab_size=3000, hidden=128, layers=2, seed=seed)
    model.eval()
    cat = Catalogue(index, tok)
    pb = PromptBuilder(index, titles, tokenizer=tok)
    rows = ds.splits['test'].head(n_prompts).to_dict('records')
    seqs, scores, gen_s, cons_s, steps = [], [], 0.0, 0.0, 0
    for s in range(0, len(rows), batch):
        enc = tok([pb.prompt('seq_sid', r['history']) for r in rows[s:s + batch]], return_tensors='pt', padding=True, add_special_tokens=False)
        P = enc['input_ids'].shape[1]
        if mode == 'ours':
            proc = TrieLogitsProcessor(cat.trie, P)
        else:
            proc = PrefixConstrainedLogitsProcessor(prefix_allowed_tokens_fn(cat.trie, P), beams)
            inner = proc.__call__
            class Timed:  # time the callback-based processor alone
                seconds, steps = 0.0, 0
                def __call__(self, ids, sc):
                    t = time.perf_counter(); out = inner(ids, sc); Timed.seconds += time.perf_counter() - t; Timed.steps += 1; return out
            proc = Timed()
        t0 = time.perf_counter()
        with torch.no_grad():
            out = model.generate(**enc, logits_processor=LogitsProcessorList([proc]), generation_config=generation_config(cat.trie, beams))
        gen_s += time.perf_counter() - t0
        cons_s += proc.seconds; steps += proc.steps
        seqs += out.sequences[:, P:].tolist(); scores += out.sequences_scores.tolist()
    return dict(mode=mode, prompts=len(rows), beams=beams, batch=batch, seconds=gen_s, prompts_per_s=len(rows) / gen_s,
                constraint_s=cons_s, steps=steps, constraint_ms_per_step=1000 * cons_s / steps,
                peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, items=len(cat.sids),
                trie_nodes=cat.trie.num_nodes, trie_mb=cat.trie.nbytes / 2**20, seqs=seqs, scores=scores)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--prompts', type=int, default=64); ap.add_argument('--beams', type=int, default=50)
    ap.add_argument('--batch', type=int, default=8); ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--mode', choices=['ours', 'callback']); a = ap.parse_args()
    if a.mode:  # child process
        print(json.dumps(run(a.mode, a.prompts, a.beams, a.batch, a.threads))); return
    res = {}
    for mode in ('ours', 'callback'):
        p = subprocess.run([sys.executable, __file__, '--mode', mode, '--prompts', str(a.prompts), '--beams', str(a.beams),
                            '--batch', str(a.batch), '--threads', str(a.threads)], capture_output=True, text=True,
                           env={**os.environ, 'OMP_NUM_THREADS': str(a.threads), 'HF_HUB_OFFLINE': '1'})
        if p.returncode: sys.exit(f"{mode} failed:\n{p.stderr[-3000:]}")
        res[mode] = json.loads(p.stdout.strip().splitlines()[-1])
    o, c = res['ours'], res['callback']
    identical = o['seqs'] == c['seqs'] and max(abs(x - y) for x, y in zip(o['scores'], c['scores'])) < 1e-4
    print(f"catalogue: {o['items']} SIDs, trie {o['trie_nodes']} nodes ({o['trie_mb']:.1f} MB); {o['prompts']} prompts, "
          f"{a.beams} beams, batch {a.batch}, {a.threads} thread(s)")
    for r in (o, c):
        print(f"{r['mode']:>9}: {r['prompts_per_s']:6.2f} prompts/s end to end, constraint {r['constraint_ms_per_step']:8.2f} ms/step "
              f"({r['constraint_s']:.2f} s of {r['seconds']:.2f} s), peak RSS {r['peak_rss_mb']:.0f} MB")
    print(json.dumps(dict(speedup=round(c['constraint_s'] / o['constraint_s'], 2), e2e_speedup=round(c['seconds'] / o['seconds'], 3),
                          identical=identical, prompts=o['prompts'], beams=a.beams, batch=a.batch,
                          ours_ms_per_step=round(o['constraint_ms_per_step'], 3), callback_ms_per_step=round(c['constraint_ms_per_step'], 3),
                          ours_prompts_per_s=round(o['prompts_per_s'], 3), callback_prompts_per_s=round(c['prompts_per_s'], 3),
                          ours_peak_rss_mb=round(o['peak_rss_mb']), callback_peak_rss_mb=round(c['peak_rss_mb']))))


if __name__ == '__main__':
    main()
