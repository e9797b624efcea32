"""Execute notebooks top to bottom in a real Jupyter kernel (nbclient, as `jupyter nbconvert --execute` does).

    python tools/execute_nbs.py                      # every notebook under nbs/, two at a time
    python tools/execute_nbs.py nbs/00_toy_rec.ipynb --save   # also write the outputs back into the notebook

`nbdev_test` runs cells in-process and skips `#| eval: false` cells; a learner's "Run All" in JupyterLab
does neither. This runs every cell in a kernel started from `nbs/` (the notebooks' own folder), except
cells carrying one of settings.ini's `tst_flags` (`#| slow`, `#| gpu`, `#| notest`): those are long
real-data runs that CI cannot afford, and are left unexecuted (with `--save`, their outputs stay empty).
"""
import argparse, configparser, re, sys, time
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


def execute(path:str, save:bool=False, timeout:int=900) -> tuple[str, float, str|None]:
    "Run one notebook; returns (name, seconds, error or None)."
    p = Path(path); t0 = time.time()
    nb = nbformat.read(p, as_version=4)
    flags, kept = skip_flags(), {}
    for i, c in enumerate(nb.cells):
        if c.cell_type == 'code' and flagged(c, flags):
            kept[i] = c.source; c.source = '# (not executed here: ' + c.source.splitlines()[0] + ')'
    try:
        NotebookClient(nb, timeout=timeout, kernel_name='python3', resources={'metadata': {'path': str(p.parent)}}).execute()
    except Exception as e:  # CellExecutionError carries the cell and the traceback
        msg = str(e)
        return p.name, time.time() - t0, msg[-4000:]
    for i, src in kept.items(): nb.cells[i].source, nb.cells[i].outputs, nb.cells[i].execution_count = src, [], None
    if save: nbformat.write(nb, p)
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
