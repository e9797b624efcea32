"""GPU check (issue 8): SFT of the `tiny` preset (bf16 autocast on a GPU), then constrained decoding.

SFT runs a few hundred steps.

Self-contained: the synthetic default catalogue and random 3-level SIDs (no ../shared data, no text encoder, no
faiss), so it runs on a bare device machine with only this repository and its Python dependencies. Prints
training throughput (steps/s, samples/s, tokens/s) and decoding throughput (prompts/s) with `trie_beam_search`;
the last line printed is JSON. On a CPU it is a smoke test (use few steps).

    python bench/gpu_check.py                         # 300 SFT steps, 512 test prompts, 50 beams, batch 32
    python bench/gpu_check.py --steps 5 --prompts 16 --batch 8 --beams 10      # CPU smoke test

With more than one GPU visible it then runs one short SFT of the same model under `accelerate launch` + DeepSpeed
ZeRO-2 (launch/sft.sh with launch/zero2.yaml, one process per GPU) and prints its tokens/s too (key `zero2`), so the
first run on a multi-GPU machine measures the cluster path itself. `--zero2 on` forces it (on a CPU:
launch/zero2-cpu.yaml with 2 gloo processes, a smoke test), `--zero2 off` skips it; it needs DeepSpeed
(`pip install -e ".[cluster]"`).

    # CPU smoke test of both:
    python bench/gpu_check.py --steps 5 --prompts 16 --batch 8 --beams 10 --zero2 on --zero2-steps 4

On the workplace's device machine (its image has torch, transformers, accelerate, tokenizers; not trl), carry
the pure-Python trl wheel (`echo /.whl/ >> .git/info/exclude; pip download --no-deps -d .whl trl==1.16.0`) and run

    python3 -m pip install -q --no-index --no-deps --target /tmp/site .whl/*.whl
    PYTHONPATH=/tmp/site:. python3 bench/gpu_check.py
"""

import argparse, json, os, subprocess, sys, tempfile, time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--steps', type=int, default=300, help='SFT optimizer steps')
    ap.add_argument('--batch-size', type=int, default=64, help='SFT micro-batch')
    ap.add_argument('--prompts', type=int, default=512, help='test prompts to decode')
    ap.add_argument('--beams', type=int, default=50)
    ap.add_argument('--batch', type=int, default=32, help='prompts per decode call')
    ap.add_argument('--out', default=None, help='work folder (default: a temporary one)')
    ap.add_argument(
        '--zero2',
        choices=['auto', 'on', 'off'],
        default='auto',
        help='also run SFT under accelerate + DeepSpeed ZeRO-2 (auto: when more than one GPU is visible)',
    )
    ap.add_argument('--zero2-steps', type=int, default=100, help='optimizer steps of the ZeRO-2 SFT')
    a = ap.parse_args()
    from minionerec.data import load_rec_dataset
    from minionerec.catalogue import Catalogue
    from minionerec.evaluate import evaluate_generative
    from minionerec.models import load_model
    from minionerec.prompts import PromptBuilder, prompt_settings
    from minionerec.sft import main as sft_main
    from minionerec.sid_index import load_index, save_sids

    dev = 'cuda' if torch.cuda.is_available() else 'cpu'
    info = dict(
        device=torch.cuda.get_device_name(0) if dev == 'cuda' else 'cpu',
        torch=torch.__version__,
        bf16=dev == 'cuda' and torch.cuda.is_bf16_supported(),
    )
    print(info, flush=True)
    work = Path(a.out or tempfile.mkdtemp(prefix='gpu_check_'))
    ds = load_rec_dataset('synthetic', seed=0, n_items=1000, n_users=1500)
    ds.save(work / 'data')
    codes = np.random.default_rng(0).integers(0, 32, (len(ds.items), 3))
    save_sids(work / 'sid', ds.items['item_id'].tolist(), codes, 32, titles=ds.items['title'].tolist())
    t0 = time.time()
    sft_main(
        [
            '--data',
            str(work / 'data'),
            '--sid',
            str(work / 'sid'),
            '--out',
            str(work / 'sft'),
            '--tasks',
            'seq_sid',
            '--max-steps',
            str(a.steps),
            '--batch-size',
            str(a.batch_size),
            '--lr',
            '3e-3',
            '--eval-steps',
            str(10**9),
            '--patience',
            '0',
            '--test-samples',
            '0',
            '--logging-steps',
            str(max(1, a.steps // 10)),
            '--no-progress',
        ]
    )
    sft_wall = time.time() - t0
    log = json.loads((work / 'sft' / 'log_history.json').read_text())
    end = next(h for h in reversed(log) if 'train_runtime' in h)
    model, tok = load_model(work / 'sft')
    model.to(dev).eval()
    index = load_index(work / 'sid' / 'index.json', allow_collisions=True, allow_mixed_lengths=True)
    cat = Catalogue(index, tok)
    pb = PromptBuilder(index, ds.item_titles(), tokenizer=tok, **prompt_settings(work / 'sft'))
    train = ds.splits['train'].head(512).to_dict('records')
    tokens = np.mean([len(pb.encode(pb.example('seq_sid', r['target'], r['history']))['input_ids']) for r in train])
    rows = ds.splits['test'].head(a.prompts).to_dict('records')
    evaluate_generative(model, pb, cat, rows[: a.batch], a.beams, a.batch, progress=False)  # warm-up
    if dev == 'cuda':
        torch.cuda.synchronize()
    t1 = time.time()
    m, _ = evaluate_generative(model, pb, cat, rows, a.beams, a.batch, progress=False)
    if dev == 'cuda':
        torch.cuda.synchronize()
    dec = time.time() - t1
    sps = end['train_samples_per_second']
    res = info | dict(
        sft_steps=a.steps,
        sft_batch=a.batch_size,
        sft_wall_s=round(sft_wall, 1),
        train_runtime_s=round(end['train_runtime'], 1),
        steps_per_s=round(end['train_steps_per_second'], 2),
        samples_per_s=round(sps, 1),
        mean_tokens_per_sample=round(float(tokens), 1),
        tokens_per_s=round(sps * float(tokens)),
        decode_prompts=len(rows),
        beams=a.beams,
        decode_batch=a.batch,
        decode_s=round(dec, 2),
        prompts_per_s=round(len(rows) / dec, 1),
        invalid=m['invalid'],
        test_HR10=round(m['HR@10'], 4),
        peak_gpu_mb=round(torch.cuda.max_memory_allocated() / 2**20) if dev == 'cuda' else None,
    )
    if a.zero2 == 'on' or (a.zero2 == 'auto' and torch.cuda.device_count() > 1):
        res['zero2'] = zero2_sft(work, a.zero2_steps, a.batch_size, float(tokens))
        print(json.dumps(res['zero2']), flush=True)
    print(json.dumps(res))


def zero2_sft(work: Path, steps: int, batch_size: int, tokens_per_sample: float) -> dict:
    "launch/sft.sh under accelerate + DeepSpeed ZeRO-2, one process per GPU (2 gloo processes on a CPU): throughput."
    try:
        import deepspeed  # noqa: F401
    except ImportError:
        return dict(skipped="DeepSpeed is not installed (pip install -e '.[cluster]')")
    gpus = torch.cuda.device_count()
    nproc = gpus if gpus > 1 else 2
    out = work / 'sft_zero2'
    env = {
        **os.environ,
        'PATH': f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        'CONFIG': 'launch/zero2.yaml' if gpus else 'launch/zero2-cpu.yaml',
        'NPROC': str(nproc),
        'MAIN_PORT': '0',
        'DATA': str(work / 'data'),
        'SID': str(work / 'sid'),
        'OUT': str(out),
        'BASE': 'tiny',
        'TASKS': 'seq_sid',
        'MICRO': str(batch_size),
        'ACCUM': '1',
        'LR': '3e-3',
        'EVAL_STEPS': str(10**9),
    }
    if not gpus:
        env |= {'DS_ACCELERATOR': 'cpu', 'OMP_NUM_THREADS': '1'}
    t0 = time.time()
    p = subprocess.run(
        [
            'bash',
            str(ROOT / 'launch' / 'sft.sh'),
            '--max-steps',
            str(steps),
            '--patience',
            '0',
            '--test-samples',
            '0',
            '--logging-steps',
            str(max(1, steps // 10)),
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    wall = time.time() - t0
    if p.returncode != 0:
        print(p.stdout[-3000:], p.stderr[-5000:], sep='\n', file=sys.stderr)
        return dict(failed=p.returncode, wall_s=round(wall, 1))
    man = json.loads((out / 'manifest.json').read_text())
    end = next(h for h in reversed(json.loads((out / 'log_history.json').read_text())) if 'train_runtime' in h)
    sps = end['train_samples_per_second']  # all processes together (global batch per step)
    return dict(
        launch=man['launch'],
        steps=man['steps'],
        micro_batch=batch_size,
        processes=nproc,
        wall_s=round(wall, 1),
        train_runtime_s=round(end['train_runtime'], 1),
        steps_per_s=round(end['train_steps_per_second'], 2),
        samples_per_s=round(sps, 1),
        tokens_per_s=round(sps * tokens_per_sample),
    )


if __name__ == '__main__':
    main()
