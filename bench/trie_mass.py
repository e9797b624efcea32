"""Where a model's probability goes along the target's SID: the share that stays inside the catalogue trie.

    python bench/trie_mass.py runs/instruments sft rl control          # 500 validation users, teacher-forced
    python bench/trie_mass.py runs/scientific sft rl --n 2000 --json bench/results/trie_mass_scientific.json

Constrained decoding only ever lets a model choose tokens inside the trie, and GRPO only scores the completions it
decodes, so nothing in RL stops the policy from moving probability to tokens outside the trie: decoding never shows
it, but the KL term does (TRL's k3 estimator, exp(r) - r - 1 with r = ref - policy log-probability, explodes where the
reference keeps a token the policy has left). For each model and each step of the target's SID (+ EOS), on the
validation split with the model's own prompts: the mean probability of the tokens the trie allows there, and of the
target's token. One torch thread.
"""

import argparse, random
from pathlib import Path

import numpy as np
import torch

from minionerec.catalogue import Catalogue
from minionerec.core import atomic_write_json, run_info
from minionerec.data import load_rec_dataset
from minionerec.models import load_model
from minionerec.prompts import PromptBuilder, prompt_settings
from minionerec.sid_index import load_index

ROOT = Path(__file__).resolve().parents[1]


@torch.no_grad()
def trie_mass(model_dir, ds, index, rows) -> dict:
    "Per SID step: mean in-trie probability and mean target probability, teacher-forced along each row's target."
    model, tok = load_model(model_dir)
    model.eval()
    cat = Catalogue(index, tok)
    trie = cat.trie
    pb = PromptBuilder(index, ds.item_titles(), tokenizer=tok, **prompt_settings(model_dir))
    inside, target = [], []
    for r in rows:
        prompt = tok(pb.prompt('seq_sid', r['history']), add_special_tokens=False).input_ids
        ans = tok.convert_tokens_to_ids(index[r['target']]) + [trie.eos_id]
        probs = model(torch.tensor([prompt + ans])).logits[0, len(prompt) - 1 : len(prompt) + len(ans) - 1].softmax(-1)
        nodes = [int(trie.walk(torch.tensor([ans[:j]], dtype=torch.long))[0]) for j in range(len(ans))]
        inside.append([float(probs[j, trie.allowed_tokens(n)].sum()) for j, n in enumerate(nodes)])
        target.append([float(probs[j, t]) for j, t in enumerate(ans)])
    L = min(map(len, inside))  # SIDs of the dedup level are one token longer: report the common steps
    return {
        'in_trie': [round(float(np.mean([x[j] for x in inside])), 4) for j in range(L)],
        'target': [round(float(np.mean([x[j] for x in target])), 4) for j in range(L)],
        'n': len(rows),
    }


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('run', help='a pipeline run folder (data/, sid/ and the model folders)')
    ap.add_argument('models', nargs='+', help='model folders inside the run (sft, rl, control, ...)')
    ap.add_argument('--n', type=int, default=500, help='validation users (a seeded random sample)')
    ap.add_argument('--json', help='also write the figures to this file')
    a = ap.parse_args(argv)
    torch.set_num_threads(1)
    run = Path(a.run)
    ds = load_rec_dataset(run / 'data')
    index = load_index(run / 'sid' / 'index.json', allow_collisions=True, allow_mixed_lengths=True)
    rows = ds.splits['valid'].to_dict('records')
    rows = random.Random(0).sample(rows, min(a.n, len(rows)))
    res = {m: trie_mass(run / m, ds, index, rows) for m in a.models}
    print(f"{'model':10} {'step':>4} {'P(inside the trie)':>19} {'P(target token)':>16}   ({len(rows)} valid users)")
    for m, r in res.items():
        for j, (i, t) in enumerate(zip(r['in_trie'], r['target'])):
            print(f"{m:10} {j:>4} {i:>19.4f} {t:>16.4f}")
    if a.json:
        where = run.resolve().relative_to(ROOT) if run.resolve().is_relative_to(ROOT) else run  # no machine paths
        atomic_write_json(a.json, {'run': str(where), 'split': 'valid', 'models': res, **run_info()})


if __name__ == '__main__':
    main()
