"""The course's settings for nbmake, the pytest plugin that runs each notebook top to bottom in a Jupyter kernel
started from the notebook's folder, as "Run All" in JupyterLab does. Loaded with `-p tools.nbkernel`:

    python -m pytest -p tools.nbkernel --nbmake -n 2 nbs/                          # `make nbkernel`
    python -m pytest -p tools.nbkernel --nbmake --overwrite nbs/10_sid.ipynb       # `make lessons`: save the outputs

1. Cells carrying one of settings.ini's `tst_flags` (`#| slow`, `#| gpu`, `#| notest`: long real-data runs that CI
   cannot afford) are not executed: nbclient skips the cells tagged `skip-execution`; nbdev_clean drops the tags.
2. A failure's report starts with the notebook and the cell (index and id); nbmake shows its source and traceback.
3. With `--overwrite`, a notebook that ran is saved as a lesson reads: its own metadata (not the kernel's), no stderr
   output (library warnings), the run time in its first cell, cleaned by `nbdev_clean`. One that failed is put back.
"""

import configparser
import re
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbmake import nb_run
from nbmake.pytest_items import NotebookFailedException

ROOT = Path(__file__).resolve().parents[1]
_cfg = configparser.ConfigParser(delimiters=['='])
_cfg.read(ROOT / 'settings.ini')
FLAGS = set(_cfg['DEFAULT'].get('tst_flags', '').split())
DIRECTIVE = re.compile(r'#\|\s*(\S+)')


def flagged(cell) -> bool:
    "True when the code cell carries a `#| <flag>` directive from settings.ini's `tst_flags`."
    lines = cell.source.splitlines() if cell.cell_type == 'code' else []
    return any((m := DIRECTIVE.match(ln)) and m.group(1) in FLAGS for ln in lines)


class FlagSkippingClient(nb_run.NotebookClient):
    "nbclient's client as nbmake starts it, with the flagged cells tagged to be skipped."

    def __init__(self, nb, **kw):
        super().__init__(nb, **kw)
        for c in nb.cells:
            if flagged(c):
                c.metadata.setdefault('tags', []).append(self.skip_cells_with_tag)


nb_run.NotebookClient = FlagSkippingClient  # nbmake (pinned in settings.ini) builds its client from this name

RUNTIME = re.compile(r'(Runs top to bottom in about )([^;,.]+?)( on a)')


def record_runtime(nb, seconds: float):
    "Write the run time, in whole minutes (no churn from noise), into the first cell's `Runs top to bottom in about …`."
    n = max(1, round(seconds / 60))
    c = nb.cells[0]
    c.source = RUNTIME.sub(lambda m: f"{m.group(1)}{n} minute{'s' if n > 1 else ''}{m.group(3)}", c.source, count=1)


def is_stderr(output) -> bool:
    return output.output_type == 'stream' and output.name == 'stderr'


def tidy(p: Path, metadata, seconds: float):
    "The notebook that nbmake wrote back, as a lesson is saved (see the module docstring)."
    nb = nbformat.read(p, as_version=4)
    nb.metadata = metadata
    for c in nb.cells:
        if flagged(c):  # not run: no outputs from an earlier run are kept either
            c.outputs, c.execution_count = [], None
        elif c.cell_type == 'code':
            c.outputs = [o for o in c.outputs if not is_stderr(o)]
    record_runtime(nb, seconds)
    nbformat.write(nb, p)
    subprocess.run([str(Path(sys.executable).parent / 'nbdev_clean'), '--fname', str(p)], check=True, cwd=ROOT)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    "With `--overwrite`: tidy the notebook that ran, put back the one that failed."
    if not (getattr(item, 'nbmake', False) and item.config.option.overwrite):
        return (yield)
    p, t0 = Path(item.filename), time.time()
    text = p.read_text(encoding='utf-8')
    try:
        result = yield
    except BaseException:
        p.write_text(text, encoding='utf-8')
        raise
    tidy(p, nbformat.reads(text, as_version=4).metadata, time.time() - t0)
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    "Name the notebook and the cell that failed first in the report (and so in pytest's short summary under xdist)."
    report = yield
    if call.excinfo and call.excinfo.errisinstance(NotebookFailedException):
        res = call.excinfo.value.args[0]
        i = res.error.failing_cell_index
        cell = res.nb.cells[i] if 0 <= i < len(res.nb.cells) else {}
        where = f"{item.nodeid.split('::')[0]}: cell {i} (id {cell.get('id')}) failed"
        report.longrepr.term = f'{where}\n{report.longrepr.term}'
    return report
