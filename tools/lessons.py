"""The course's five lessons: which notebooks they are, their titles, figures, exercises and saved outputs.

    python tools/lessons.py            # one line per lesson: figures, exercises with solutions, recorded run time
    python tools/lessons.py --fold     # fold every solution cell (`#| code-fold: true`) in JupyterLab too
    python tools/lessons.py --check    # the lesson shape (issue 22): goals, summary, exercises, short cells, quiet
    python tools/lessons.py --format   # ruff-format the lessons' exported cells (`make export` runs it)

A lesson ends with its exercises, then its summary; each worked solution is a code cell whose first line is
`#| code-fold: true` (Quarto folds it on an nbdev site) and whose metadata is `{"jupyter": {"source_hidden": true}}`
(JupyterLab and `make site` fold it); `--fold` sets that metadata from the directive. The solutions' assertions run
under `nbdev_test`.
"""

import argparse, json, re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NBS = ROOT / 'nbs'
LESSONS = ['00_toy_rec', '10_sid', '20_sft', '30_rl', '40_eval']  # the design card's five lessons, in order
TITLE = re.compile(r'^# (Lesson|Reference) (\d\d(?:\.\d\d)?) — \S')
RUNTIME = re.compile(r'[Rr]uns top to bottom in about ([^;,.]+)')
# what a saved output must not contain: absolute paths, memory addresses, progress bars (timings are checked by eye)
UNSTABLE = {
    'an absolute path': re.compile(r'(?<![\w.~])/(?:tmp|work|home|root|private|var/folders|Users)/'),
    'a memory address': re.compile(r' at 0x[0-9a-f]{6,}'),
    'a progress bar': re.compile(r'\d+/\d+ \[\d\d:\d\d|it/s\]|s/it\]'),
}


def path(name: str) -> Path:
    return NBS / f'{name}.ipynb'


def load(p) -> dict:
    return json.loads(Path(p).read_text(encoding='utf-8'))


def src(c) -> str:
    return ''.join(c['source']) if isinstance(c['source'], list) else c['source']


def title(nb: dict) -> str:
    "The first line of the first markdown cell."
    c = next((c for c in nb['cells'] if c['cell_type'] == 'markdown'), None)
    return src(c).splitlines()[0] if c else ''


def directives(cell: dict) -> dict[str, str]:
    "The cell's `#| key: value` (or `#| flag`) lines."
    out = {}
    for ln in src(cell).splitlines():
        if not ln.startswith('#|'):
            break
        k, _, v = ln[2:].strip().partition(':')
        for part in [k] if v else k.split():
            out[part.strip()] = v.strip() if v else ''
    return out


def is_solution(cell: dict) -> bool:
    "A worked solution: a code cell with `#| code-fold: true`."
    return cell['cell_type'] == 'code' and directives(cell).get('code-fold', '').lower() in ('true', 'show')


def solutions(nb: dict) -> list[dict]:
    return [c for c in nb['cells'] if is_solution(c)]


def folded(cell: dict) -> bool:
    return bool(cell.get('metadata', {}).get('jupyter', {}).get('source_hidden'))


def images(nb: dict) -> int:
    "Saved image outputs (PNG, JPEG, SVG)."
    return sum(
        any(k.startswith('image/') for k in o.get('data', {}))
        for c in nb['cells']
        if c['cell_type'] == 'code'
        for o in c.get('outputs', [])
    )


def output_text(cell: dict) -> str:
    "The text of a cell's saved outputs (streams, text/plain, text/html, errors)."
    parts = []
    for o in cell.get('outputs', []):
        if 'text' in o:
            parts.append(src({'source': o['text']}))
        for k, v in o.get('data', {}).items():
            if k.startswith('text/'):
                parts.append(src({'source': v}))
        if o.get('output_type') == 'error':
            parts.append('\n'.join(o.get('traceback', [])))
    return '\n'.join(parts)


def unstable_outputs(nb: dict) -> list[str]:
    "What in the saved outputs would change from run to run or machine to machine (and errors)."
    out = []
    for i, c in enumerate(nb['cells']):
        if c['cell_type'] != 'code':
            continue
        if any(o.get('output_type') == 'error' for o in c.get('outputs', [])):
            out.append(f'cell {i}: an error output')
        text = output_text(c)
        out += [f'cell {i}: {what}: {m.group(0)!r}' for what, rx in UNSTABLE.items() if (m := rx.search(text))]
    return out


MAX_CELL_LINES, MAX_OUTPUT_LINES = 30, 40
# an exported cell is package code, formatted by ruff (one function or class per cell; not compressed to fit 30 lines)
MAX_EXPORT_LINES = 60
# what a lesson's saved output must not show: a trainer's or TRL's log dict, a library warning
NOISE = {
    'a trainer log dict': re.compile(r"\{'(?:loss|train_runtime|eval_loss|grad_norm|learning_rate|epoch|reward)'\s*:"),
    'a library warning': re.compile(r'\w*Warning\b|\[WARNING|^WARNING\b|Setting (?:ds_)?accelerator to', re.M),
}


def exported(c: dict) -> bool:
    "Is `c` a code cell that nbdev exports to the package (`#| export` or `#| export MODULE`)?"
    return c['cell_type'] == 'code' and any(re.match(r'#\|\s*export\b', ln) for ln in src(c).splitlines())


def long_cells(nb: dict, limit: int = MAX_CELL_LINES, export_limit: int = MAX_EXPORT_LINES) -> list[str]:
    "Code cells longer than `limit` lines (`export_limit` for exported cells; the `#|` directive lines not counted)."
    out = []
    for i, c in enumerate(nb['cells']):
        if c['cell_type'] != 'code':
            continue
        n = sum(1 for ln in src(c).splitlines() if not ln.startswith('#|'))
        if n > (export_limit if exported(c) else limit):
            out.append(f'cell {i} ({c.get("id")}): {n} lines')
    return out


def format_exported(p: Path) -> int:
    "Run `ruff format` (ruff.toml) on each exported cell of notebook `p`, directives kept; returns the cells changed."
    import subprocess, sys

    nb, n = load(p), 0
    for c in filter(exported, nb['cells']):
        lines = src(c).splitlines()
        k = next((j for j, ln in enumerate(lines) if not ln.startswith('#|')), len(lines))
        body = '\n'.join(lines[k:]) + '\n'
        cmd = [sys.executable, '-m', 'ruff', 'format', '--stdin-filename', str(p.with_suffix('.py')), '-']
        r = subprocess.run(cmd, input=body, capture_output=True, text=True, cwd=ROOT)
        if r.returncode:
            raise SystemExit(f'{p.relative_to(ROOT)}, cell {c.get("id")}: ruff format failed:\n{r.stderr}')
        new = '\n'.join(lines[:k] + [r.stdout.rstrip('\n')])
        if new != src(c):
            c['source'], n = new.splitlines(keepends=True), n + 1
    if n:
        Path(p).write_text(json.dumps(nb, indent=1, ensure_ascii=False) + '\n', encoding='utf-8')
    return n


def long_outputs(nb: dict, limit: int = MAX_OUTPUT_LINES) -> list[str]:
    "Code cells whose saved text output is longer than `limit` lines."
    out = []
    for i, c in enumerate(nb['cells']):
        if c['cell_type'] != 'code':
            continue
        n = sum(
            len(src({'source': o['text']}).splitlines())
            if 'text' in o
            else len(src({'source': o.get('data', {}).get('text/plain', '')}).splitlines())
            for o in c.get('outputs', [])
        )
        if n > limit:
            out.append(f'cell {i} ({c.get("id")}): {n} output lines')
    return out


def noisy_outputs(nb: dict) -> list[str]:
    "Saved outputs that show a trainer log dict or a library warning."
    out = []
    for i, c in enumerate(nb['cells']):
        if c['cell_type'] != 'code':
            continue
        text = output_text(c)
        out += [
            f'cell {i} ({c.get("id")}): {what}: {m.group(0)!r}' for what, rx in NOISE.items() if (m := rx.search(text))
        ]
    return out


def headings(nb: dict) -> list[str]:
    return [ln for c in nb['cells'] if c['cell_type'] == 'markdown' for ln in src(c).splitlines() if ln.startswith('#')]


def shape_problems(nb: dict) -> list[str]:
    "What keeps a notebook from the lesson shape: goals first, a summary and ≥ 2 exercises last, short cells, quiet."
    out = []
    first = src(nb['cells'][0]) if nb['cells'] else ''
    if not re.search(r'what you will learn', first, re.I):
        out.append('the first cell does not say "What you will learn"')
    hs = [h for h in headings(nb) if re.match(r'##\s', h)]
    if not any(re.match(r'##\s+Summary', h) for h in hs):
        out.append('no "## Summary" section')
    elif not re.match(r'##\s+Summary', hs[-1]):
        out.append(f'the last section is {hs[-1]!r}: a lesson ends with its summary')
    ex = [c for c in nb['cells'] if c['cell_type'] == 'markdown' and re.search(r'\*\*Exercise \d', src(c))]
    n_ex = sum(len(re.findall(r'\*\*Exercise \d', src(c))) for c in ex)
    if n_ex < 2:
        out.append(f'{n_ex} exercise(s) ("**Exercise N ..."), need ≥ 2')
    out += long_cells(nb) + long_outputs(nb) + noisy_outputs(nb)
    return out


def runtime(nb: dict) -> str | None:
    "The run time recorded in the first cell (`Runs top to bottom in about ...`)."
    m = RUNTIME.search(src(nb['cells'][0])) if nb['cells'] else None
    return m.group(1).strip() if m else None


def fold(p: Path) -> int:
    "Set `jupyter.source_hidden` on every solution cell of notebook `p`; returns the cells changed."
    nb, n = load(p), 0
    for c in solutions(nb):
        if not folded(c):
            c.setdefault('metadata', {}).setdefault('jupyter', {})['source_hidden'] = True
            n += 1
    if n:
        Path(p).write_text(json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False) + '\n', encoding='utf-8')
    return n


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--fold', action='store_true', help='fold the solution cells of every notebook under nbs/')
    ap.add_argument(
        '--list', action='store_true', help='print the lesson notebooks (nbs/NAME.ipynb), one line, for the Makefile'
    )
    ap.add_argument(
        '--check', action='store_true', help='list what keeps each lesson from the lesson shape; exit 1 if any'
    )
    ap.add_argument('--format', action='store_true', help="ruff-format the lessons' exported cells")
    a = ap.parse_args(argv)
    if a.format:
        for name in LESSONS:
            if n := format_exported(path(name)):
                print(f'nbs/{name}.ipynb: formatted {n} exported cell(s)')
        return
    if a.list:
        return print(' '.join(str(path(n).relative_to(ROOT)) for n in LESSONS))
    if a.check:
        bad = {name: shape_problems(load(path(name))) for name in LESSONS}
        for name, probs in bad.items():
            print(f'{name}: ' + ('ok' if not probs else '\n  ' + '\n  '.join(probs)))
        raise SystemExit(1 if any(bad.values()) else 0)
    if a.fold:
        for p in sorted(NBS.rglob('*.ipynb')):
            if '.ipynb_checkpoints' not in p.parts and (n := fold(p)):
                print(f'{p.relative_to(ROOT)}: folded {n} solution cell(s)')
    for name in LESSONS:
        nb = load(path(name))
        sol = solutions(nb)
        print(
            f"{name:12} {title(nb)[:60]:60} figures {images(nb):2}  "
            f"solutions {len(sol)} ({sum(map(folded, sol))} folded)  "
            f"run time: {runtime(nb) or '-'}"
        )


if __name__ == '__main__':
    main()
