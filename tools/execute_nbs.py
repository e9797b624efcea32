"""Execute notebooks top to bottom in a real Jupyter kernel (nbclient, as `jupyter nbconvert --execute` does).

    python tools/execute_nbs.py                      # every notebook under nbs/, two at a time
    python tools/execute_nbs.py nbs/00_toy_rec.ipynb --save   # also write the outputs back into the notebook

`nbdev_test` runs cells in-process and skips `#| eval: false` cells; a learner's "Run All" in JupyterLab
does neither. This runs every cell in a kernel started from `nbs/` (the notebooks' own folder), except
cells carrying one of settings.ini's `tst_flags` (`#| slow`, `#| gpu`, `#| notest`): those are long
real-data runs that CI cannot afford, and are left unexecuted (with `--save`, their outputs stay empty).
With `--save` the notebook keeps its own metadata and is cleaned by `nbdev_clean` (settings.ini), so that it stays
in sync for `make sync-check`; `make lessons` saves the five lessons this way.
"""
import argparse, configparser, os, re, subprocess, sys, time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]


def skip_flags() -> set[str]:
    "The nbdev test flags of settings.ini: cells carrying one of them are not executed."
    cfg = configparser.ConfigParser(delimiters=['=']); cfg.read(ROOT/'settings.ini')
    return set(cfg['DEFAULT'].get('tst_flags', '').split())


def flagged(cell, flags:set[str]) -> bool:
    "True when the code cell carries a `#| <flag>` directive from `flags`."
    return any(re.match(r'#\|\s*(\S+)', ln) and re.match(r'#\|\s*(\S+)', ln).group(1) in flags
               for ln in cell.source.splitlines() if ln.startswith('#|'))


RUNTIME = re.compile(r'(Runs top to bottom in about )([^;,.]+?)( on a)')


def record_runtime(nb, seconds:float):
    "Write the measured run time, in whole minutes (no churn from noise), into the first cell's `Runs top to bottom in about …`."
    n = max(1, round(seconds / 60))
    c = nb.cells[0]
    c.source = RUNTIME.sub(lambda m: f"{m.group(1)}{n} minute{'s' if n > 1 else ''}{m.group(3)}", c.source, count=1)


def execute(path:str, save:bool=False, timeout:int=900) -> tuple[str, float, str|None]:
    "Run one notebook; returns (name, seconds, error or None)."
    p = Path(path); t0 = time.time()
    nb = nbformat.read(p, as_version=4)
    flags, kept, meta = skip_flags(), {}, dict(nb.metadata)
    for i, c in enumerate(nb.cells):
        if c.cell_type == 'code' and flagged(c, flags):
            kept[i] = c.source; c.source = '# (not executed here: ' + c.source.splitlines()[0] + ')'
    try:
        if save: os.environ.update(TQDM_DISABLE='1', HF_HUB_DISABLE_PROGRESS_BARS='1')   # no progress bars in saved outputs
        NotebookClient(nb, timeout=timeout, kernel_name='python3', resources={'metadata': {'path': str(p.parent)}}).execute()
    except Exception as e:  # CellExecutionError carries the cell and the traceback
        msg = str(e)
        return p.name, time.time() - t0, msg[-4000:]
    for i, src in kept.items(): nb.cells[i].source, nb.cells[i].outputs, nb.cells[i].execution_count = src, [], None
    if save:                                                              # a saved lesson shows results, not library warnings
        for c in nb.cells:
            if c.cell_type == 'code': c.outputs = [o for o in c.outputs if not (o.output_type == 'stream' and o.name == 'stderr')]
    if save:
        nb.metadata = nbformat.from_dict(meta)                            # not the kernel's (kernelspec, language_info)
        record_runtime(nb, time.time() - t0)
        nbformat.write(nb, p)
        subprocess.run([str(Path(sys.executable).parent/'nbdev_clean'), '--fname', str(p)], check=True, cwd=ROOT)
    return p.name, time.time() - t0, None


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('notebooks', nargs='*', help='notebooks (default: every nbs/*.ipynb)')
    ap.add_argument('--save', action='store_true', help='write the outputs back into the notebooks')
    ap.add_argument('--workers', type=int, default=2)
    ap.add_argument('--timeout', type=int, default=900, help='seconds per cell')
    a = ap.parse_args(argv)
    nbs = a.notebooks or sorted(str(p) for p in (ROOT/'nbs').rglob('*.ipynb') if '.ipynb_checkpoints' not in p.parts)
    failed = []
    with ProcessPoolExecutor(a.workers) as ex:
        for name, sec, err in ex.map(execute, nbs, [a.save] * len(nbs), [a.timeout] * len(nbs)):
            print(f"{'FAIL' if err else 'ok  '} {name} ({sec:.0f} s)", flush=True)
            if err: failed.append(name); print(err, file=sys.stderr)
    if failed: sys.exit(f"{len(failed)} notebook(s) failed in a Jupyter kernel: {', '.join(failed)}")
    print(f"{len(nbs)} notebooks ran top to bottom in a Jupyter kernel")


if __name__ == '__main__': main()
