"""The cluster kit executed, not only parsed: every launch script runs for real under `accelerate launch` with
DeepSpeed ZeRO-2 (launch/zero2-cpu.yaml, the CPU twin of launch/zero2.yaml) and two gloo processes, on the synthetic
catalogue and the tiny preset, a few steps each — the code path an 8-GPU job takes, minus CUDA and bf16.

What each run's folder must record: 2 processes, ZeRO stage 2 (`launch` in the stage's manifest, written from the
settings in force), a checkpoint that `--resume` continues from (SFT), a policy that moved while the reference stayed
put and an intact sample-id binding on both ranks (RL), the same predictions as one process (evaluation).
The twin-config test keeps launch/*-cpu.yaml equal to their GPU files in every key but the CPU ones.
"""

import json, os, subprocess, sys, time
from pathlib import Path

import numpy as np
import pytest
import yaml

from conftest import TINY_SFT_ARGS

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
# DeepSpeed JIT-builds its shared-memory communication op on first use (~1 min);
# one build per venv (`make install` does it)
EXT_DIR = Path(sys.prefix) / 'torch_extensions'

# the keys in which a CPU twin may (and must) differ from its GPU config, with their CPU values
CPU_KEYS = {'use_cpu': True, 'mixed_precision': 'no'}
TWINS = {'zero2.yaml': 'zero2-cpu.yaml', 'ddp.yaml': 'ddp-cpu.yaml'}


def twin_differences(gpu: dict, cpu: dict, prefix: str = '') -> list[str]:
    "Every key (dotted path) in which two accelerate configs differ, but the CPU keys at the top level."
    out = []
    for k in sorted(set(gpu) | set(cpu), key=str):
        name = f'{prefix}{k}'
        if not prefix and k in CPU_KEYS:
            continue
        if k not in gpu or k not in cpu:
            out.append(f"{name}: only in {'the CPU twin' if k in cpu else 'the GPU config'}")
        elif isinstance(gpu[k], dict) and isinstance(cpu[k], dict):
            out += twin_differences(gpu[k], cpu[k], f'{name}.')
        elif gpu[k] != cpu[k]:
            out.append(f'{name}: {gpu[k]!r} (GPU) != {cpu[k]!r} (CPU)')
    return out


def _load(p: Path) -> dict:
    return yaml.safe_load(p.read_text())


@pytest.mark.parametrize('gpu', sorted(TWINS))
def test_cpu_twin_differs_only_where_it_must(gpu):
    g, c = _load(ROOT / 'launch' / gpu), _load(ROOT / 'launch' / TWINS[gpu])
    assert twin_differences(g, c) == [], f"launch/{TWINS[gpu]} drifted from launch/{gpu}"
    assert {k: c[k] for k in CPU_KEYS} == CPU_KEYS
    assert g['use_cpu'] is False and g['mixed_precision'] == 'bf16'


def test_twin_check_catches_a_changed_shared_key(tmp_path):
    "A deliberate change of a shared key in one file (top level or inside deepspeed_config) makes the twin check fail."
    src = (ROOT / 'launch' / 'zero2-cpu.yaml').read_text()
    for old, new in (
        ('zero_stage: 2', 'zero_stage: 3'),
        ('gradient_clipping: auto', 'gradient_clipping: 1.0'),
        ('rdzv_backend: static', 'rdzv_backend: c10d'),
        ('distributed_type: DEEPSPEED', 'distributed_type: MULTI_GPU'),
    ):
        assert old in src
        (tmp_path / 'z.yaml').write_text(src.replace(old, new))
        diff = twin_differences(_load(ROOT / 'launch' / 'zero2.yaml'), _load(tmp_path / 'z.yaml'))
        assert len(diff) == 1 and old.split(':')[0] in diff[0], diff
    (tmp_path / 'z.yaml').write_text(src + 'gpu_ids: all\n')  # a key added to one file only
    assert twin_differences(_load(ROOT / 'launch' / 'zero2.yaml'), _load(tmp_path / 'z.yaml')) == [
        'gpu_ids: only in the CPU twin'
    ]


# ----------------------------------------------------------------------------------------------------------------------
# Real runs. They need DeepSpeed (the `cluster` extra); `make test` installs it and sets MINIONEREC_REQUIRE_DEEPSPEED=1,
# so there a missing DeepSpeed is a failure, not a skip.


def _need_deepspeed():
    try:
        import deepspeed  # noqa: F401
    except ImportError:
        if os.environ.get('MINIONEREC_REQUIRE_DEEPSPEED') == '1':
            raise
        pytest.skip("DeepSpeed is not installed (pip install -e '.[cluster]')")


def _env(**kw) -> dict:
    return {
        **os.environ,
        'PATH': f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        'PYTHON': sys.executable,
        'OMP_NUM_THREADS': '1',
        'MKL_NUM_THREADS': '1',
        'HF_HUB_OFFLINE': '1',
        'HF_HUB_DISABLE_TELEMETRY': '1',
        'TOKENIZERS_PARALLELISM': 'false',
        'TRL_EXPERIMENTAL_SILENCE': '1',
        'DS_ACCELERATOR': 'cpu',
        'TORCH_EXTENSIONS_DIR': str(EXT_DIR),
        'CONFIG': 'launch/zero2-cpu.yaml',
        'NPROC': '2',
        'MAIN_PORT': '0',
        **{k: str(v) for k, v in kw.items()},
    }


def _script(script: str, *args, env: dict, timeout: int = 600) -> float:
    "Run launch/SCRIPT for real; returns its wall time."
    t0 = time.time()
    p = subprocess.run(
        ['bash', f'launch/{script}', *map(str, args)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert p.returncode == 0, f"launch/{script} failed ({p.returncode})\n{p.stdout[-4000:]}\n{p.stderr[-6000:]}"
    print(f"launch/{script}: {time.time() - t0:.0f} s")
    return time.time() - t0


def _zero2(launch: dict):
    assert launch['processes'] == 2 and launch['distributed_type'] == 'DEEPSPEED' and launch['zero_stage'] == 2, launch
    assert launch['backend'] == 'gloo' and launch['mixed_precision'] == 'no', launch


# small SFT settings through sft.sh's own variables; the rest as extra arguments (they win over the script's defaults)
SFT_ENV = dict(BASE='tiny', MICRO=4, ACCUM=2, LR='1e-3', TASKS='seq_sid', EVAL_STEPS=2, EVAL_SAMPLES=6, EVAL_BEAMS=10)
SFT_ARGS = [*TINY_SFT_ARGS, '--max-length', '128']


@pytest.fixture(scope='module')
def world(tmp_path_factory):
    "A run folder with data/ (synthetic) and sid/ (random 3x6 codes) — the scripts' RUN layout."
    _need_deepspeed()
    from minionerec.data import load_rec_dataset
    from minionerec.sid_index import save_sids

    d = tmp_path_factory.mktemp('zero2')
    ds = load_rec_dataset('synthetic', seed=0, n_items=120, n_users=80)
    ds.save(d / 'data')
    codes = np.random.default_rng(0).integers(0, 6, (len(ds.items), 3))
    save_sids(d / 'sid', ds.items['item_id'].tolist(), codes, 6, titles=ds.items['title'].tolist())
    return d


@pytest.fixture(scope='module')
def sft_run(world):
    """launch/sft.sh twice: 2 optimizer steps (the run stops at its step-2 checkpoint, as a preempted job would), then
    `--resume --max-steps 4` continues from that checkpoint. Returns the run folder (RUN/sft is the model)."""
    env = _env(DATA=world / 'data', SID=world / 'sid', OUT=world / 'sft', **SFT_ENV)
    _script('sft.sh', *SFT_ARGS, '--max-steps', '2', env=env)
    first = json.loads((world / 'sft' / 'manifest.json').read_text())
    _script('sft.sh', *SFT_ARGS, '--max-steps', '4', '--resume', env=env)
    return world, first


def test_sft_zero2_two_processes_and_resume(sft_run):
    d, first = sft_run
    out = d / 'sft'
    _zero2(first['launch'])
    assert first['steps'] == 2 and first['resumed_from'] is None
    # ZeRO-2 partitions the optimizer states: the DeepSpeed checkpoint holds one shard per rank
    shards = sorted(p.name for p in (out / 'checkpoints' / 'checkpoint-2').glob('global_step2/*optim_states.pt'))
    assert len(shards) == 2 and any('rank_0' in s for s in shards) and any('rank_1' in s for s in shards), shards
    man = json.loads((out / 'manifest.json').read_text())
    _zero2(man['launch'])
    assert man['processes'] == 2 and man['steps'] == 4
    assert man['resumed_from'] and Path(man['resumed_from']).name == 'checkpoint-2'
    hist = json.loads((out / 'log_history.json').read_text())
    assert sorted(h['step'] for h in hist if 'loss' in h) == [1, 2, 3, 4]  # steps 1-2 came back with the checkpoint
    assert (out / 'checkpoints' / 'checkpoint-4').is_dir()
    m = json.loads((out / 'metrics.json').read_text())['sft']
    assert m['n'] == 6 and m['invalid'] == 0 and m['steps'] == 4
    assert (out / 'config.json').exists() and (out / 'prompt.json').exists()


# Records, inside every RL process, the weights of the policy and of the reference model before and after training
# and how many rows that rank's reward functions checked against the sample-id binding. Loaded through PYTHONPATH
# (sitecustomize) and active only when MINIONEREC_RL_PROBE names a folder; it patches TRL's GRPOTrainer.train as
# soon as TRL's module is imported, so launch/rl.sh runs unchanged.
PROBE = r'''
import importlib.abc, importlib.machinery, os, sys
_OUT = os.environ.get('MINIONEREC_RL_PROBE')

def _digest(m):
    import hashlib
    m = getattr(m, 'module', m)                                   # a DeepSpeedEngine wraps the module
    h = hashlib.sha1()
    for k, v in sorted(m.state_dict().items()):
        h.update(k.encode()); h.update(v.detach().float().cpu().numpy().tobytes())
    return h.hexdigest()

def _patch(mod):
    import json
    cls = mod.GRPOTrainer
    orig = cls.train
    def train(self, *a, **k):
        rec = dict(
            rank=self.accelerator.process_index,
            policy_before=_digest(self.model),
            ref_before=_digest(self.ref_model),
            ref_type=type(self.ref_model).__name__,
        )
        r = orig(self, *a, **k)
        rec |= dict(
            policy_after=_digest(self.model),
            ref_after=_digest(self.ref_model),
            wrapped_type=type(self.model_wrapped).__name__,
            binding_checked=sum(getattr(f, 'checked', 0) for f in self.reward_funcs),
            steps=self.state.global_step,
        )
        with open(os.path.join(_OUT, f"rank{rec['rank']}.json"), 'w') as f: json.dump(rec, f)
        return r
    cls.train = train

class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name != 'trl.trainer.grpo_trainer': return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None: return spec
        run = spec.loader.exec_module
        def exec_module(module): run(module); _patch(module)
        spec.loader.exec_module = exec_module
        return spec

if _OUT: sys.meta_path.insert(0, _Finder())
'''


def test_rl_zero2_policy_moves_reference_stays(sft_run, tmp_path):
    "launch/rl.sh under ZeRO-2 with 2 processes: GRPO's constrained generation runs on the DeepSpeed-wrapped policy."
    d, _ = sft_run
    (tmp_path / 'probe').mkdir()
    (tmp_path / 'site' / 'sitecustomize.py').parent.mkdir()
    (tmp_path / 'site' / 'sitecustomize.py').write_text(PROBE)
    env = _env(
        REWARDS='ranking hierarchical',
        PROMPTS=2,
        MINIONEREC_RL_PROBE=tmp_path / 'probe',
        PYTHONPATH=os.pathsep.join(filter(None, [str(tmp_path / 'site'), os.environ.get('PYTHONPATH')])),
    )
    # G=4 groups, 2 prompts per device, 2 steps, fp32 on CPU (rl.sh asks for bf16, the GPU setting)
    _script(
        'rl.sh',
        d,
        '--num-generations',
        '4',
        '--max-steps',
        '2',
        '--subsample',
        '16',
        '--title2sid',
        '8',
        '--lr',
        '1e-3',
        '--no-bf16',
        env=env,
    )
    out = d / 'rl'
    man = json.loads((out / 'manifest.json').read_text())
    _zero2(man['launch'])
    m = json.loads((out / 'summary.json').read_text())
    assert m['processes'] == 2 and m['steps'] == 2 and m['kl'] is not None
    ranks = [json.loads((tmp_path / 'probe' / f'rank{r}.json').read_text()) for r in (0, 1)]
    for r in ranks:
        assert r['steps'] == 2 and r['wrapped_type'] == 'DeepSpeedEngine' and r['ref_type'] == 'DeepSpeedEngine', r
        assert r['policy_before'] == r['ref_before'], r  # both start as the SFT model
        assert r['policy_after'] != r['policy_before'], r  # GRPO moved the policy ...
        assert r['ref_after'] == r['ref_before'], r  # ... and left the reference alone
        # every row each rank's 2 reward functions scored matched its sample id: 2 rewards x 2 steps x (2 prompts x G=4)
        assert r['binding_checked'] == 2 * 2 * 8, r
    assert ranks[0]['policy_after'] == ranks[1]['policy_after']  # ZeRO-2 keeps the replicas identical
    assert m['binding_checked'] == 2 * 2 * 8
    # the saved policy is the trained one, not the SFT start
    from safetensors.numpy import load_file

    a, b = load_file(str(d / 'sft' / 'model.safetensors')), load_file(str(out / 'model.safetensors'))
    assert a.keys() == b.keys() and any(not np.array_equal(a[k], b[k]) for k in a)
    assert (out / 'tokenizer.json').exists() and (out / 'prompt.json').exists()


def test_eval_zero2_matches_one_process(sft_run):
    "launch/eval.sh under the ZeRO-2 config with 2 processes: the same predictions as one plain process."
    d, _ = sft_run
    args = ['--beams', '5', '--limit', '10', '--no-progress']
    _script('eval.sh', d, d / 'sft', *args, env=_env())
    launch = json.loads((d / 'eval' / 'manifest.json').read_text())['launch']
    # inference wraps no model in DeepSpeed: the processes form a plain gloo group, under the launch's ZeRO-2 settings
    assert launch['processes'] == 2 and launch['zero_stage'] == 2 and launch['backend'] == 'gloo', launch
    assert launch['distributed_type'] in ('DEEPSPEED', 'MULTI_CPU'), launch
    m2, p2 = (
        json.loads((d / 'eval' / 'metrics.json').read_text())['sft'],
        (d / 'eval' / 'predictions.jsonl').read_text(),
    )
    p = subprocess.run(
        [
            sys.executable,
            '-m',
            'minionerec.evaluate',
            '--model',
            str(d / 'sft'),
            '--data',
            str(d / 'data'),
            '--sid',
            str(d / 'sid'),
            '--split',
            'test',
            '--batch-size',
            '4',
            '--out',
            str(d / 'eval1'),
            '--device',
            'cpu',
            *args,
        ],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert p.returncode == 0, p.stderr[-3000:]
    m1, p1 = (
        json.loads((d / 'eval1' / 'metrics.json').read_text())['sft'],
        (d / 'eval1' / 'predictions.jsonl').read_text(),
    )
    assert m2['processes'] == 2 and m1['processes'] == 1 and m2['n'] == 10 and m2['invalid'] == 0
    assert p1 == p2 and m1['HR@5'] == m2['HR@5'] and m1['NDCG@5'] == m2['NDCG@5']


def test_text2emb_ddp_two_processes(world, tmp_path):
    "launch/text2emb.sh, the CPU twin of ddp.yaml, the packaged MiniLM: the gathered matrix equals one process's."
    _script(
        'text2emb.sh',
        world / 'data',
        tmp_path / 'emb.npy',
        '--batch-size',
        '32',
        env=_env(CONFIG='launch/ddp-cpu.yaml'),
    )
    emb = np.load(tmp_path / 'emb.npy')
    meta = json.loads((tmp_path / 'emb.json').read_text())
    assert meta['launch']['processes'] == 2 and meta['launch']['backend'] == 'gloo', meta['launch']
    from minionerec.text_emb import encode_items, load_items

    items = load_items(str(world / 'data'))
    ref = encode_items(items, batch_size=32, device='cpu', progress=False)
    assert emb.shape == ref.shape == (len(items), 384)
    np.testing.assert_allclose(emb, ref, atol=1e-5)
