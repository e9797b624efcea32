"""The module map (ARCHITECTURE.md) against the code: allowed imports, no cycles, no hidden imports, short modules."""

import ast, dataclasses, importlib, re

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / 'minionerec'
MAX_LINES = 450


def table(path: Path = ROOT / 'ARCHITECTURE.md') -> dict[str, tuple[int, set[str]]]:
    "module -> (layer, modules it may use), from the table of an ARCHITECTURE.md."
    rows = []
    for line in path.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip('|').split('|')]
        if len(cells) != 4 or not cells[0].isdigit():
            continue
        mods = re.findall(r'`(\w+)`', cells[1])
        assert mods, f"{path}: a table row names no module: {line}"
        may = set(re.findall(r'`(\w+)`', cells[3].split('(')[0])) or set(
            re.findall(r'\b(\w+)\b', cells[3].split('(')[0])
        )
        rows.append((int(cells[0]), mods, may, 'rows above' in cells[3]))
    out, every = {}, {m for _, ms, *_ in rows for m in ms}
    for layer, mods, may, above in rows:
        below = {m for l, ms, *_ in rows if l < layer for m in ms}
        for i, m in enumerate(mods):  # a row of several modules: a later one may use an earlier one
            out[m] = (layer, (below if above else may & every) | set(mods[:i]))
    return out


def module_of(path: Path) -> str:
    "The map's name of a file: its first component under minionerec/ (data/*.py are `data`)."
    return path.relative_to(PKG).parts[0].removesuffix('.py')


def imports(path: Path) -> list[tuple[str, int, bool, str]]:
    "(imported minionerec module or other top-level name, line, inside a function?, source line) of every import."
    src = path.read_text()
    lines = src.splitlines()
    tree = ast.parse(src)
    out = []

    def visit(node, in_fn):
        for ch in ast.iter_child_nodes(node):
            fn = in_fn or isinstance(ch, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(ch, ast.ImportFrom):
                if ch.level:  # relative: resolve against the file's package
                    base = path.parent.relative_to(ROOT).parts[
                        : len(path.parent.relative_to(ROOT).parts) - ch.level + 1
                    ]
                    name = '.'.join(base + ((ch.module,) if ch.module else ()))
                else:
                    name = ch.module or ''
                names = [name + '.' + a.name for a in ch.names] if name in ('minionerec',) else [name]
                out.extend((n, ch.lineno, in_fn, lines[ch.lineno - 1]) for n in names)
            elif isinstance(ch, ast.Import):
                out.extend((a.name, ch.lineno, in_fn, lines[ch.lineno - 1]) for a in ch.names)
            visit(ch, fn)

    visit(tree, False)
    return out


def ours(name: str) -> str | None:
    parts = name.split('.')
    return parts[1] if parts[0] == 'minionerec' and len(parts) > 1 and parts[1] != '__version__' else None


def files():
    return [
        p
        for p in sorted(PKG.rglob('*.py'))
        if p.name not in ('_modidx.py',) and p.relative_to(PKG).parts[0] != '__init__.py'
    ]


def test_table_names_every_module():
    mods = {module_of(p) for p in files()}
    assert mods == set(table()), (
        f"modules not in ARCHITECTURE.md: {mods - set(table())}; rows without a module: {set(table()) - mods}"
    )


def check_imports(t: dict, alias: dict[str, str] = {}) -> list[str]:
    "Every import between our modules that map `t` forbids (`alias` renames modules the map does not name)."
    bad = []
    for p in files():
        m = alias.get(module_of(p), module_of(p))
        for name, line, _, _ in imports(p):
            o = ours(name)
            o = alias.get(o, o)
            if o is None or o == m:
                continue
            if m not in t or o not in t:
                bad.append(f"{p.relative_to(ROOT)}:{line}: `{m}` or `{o}` is not in the map")
                continue
            layer, may = t[m]
            if o not in may:
                bad.append(
                    f"{p.relative_to(ROOT)}:{line}: `{m}` imports `{o}` (may use {sorted(may) or 'nothing of ours'})"
                )
            elif t[o][0] > layer:
                bad.append(f"{p.relative_to(ROOT)}:{line}: `{m}` (layer {layer}) imports `{o}` (layer {t[o][0]})")
    return bad


def test_table_parser():
    "Rows of several modules, 'the rows above' and explicit lists all parse; a forbidden import is reported."
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        f = Path(d) / 'A.md'
        f.write_text(
            "| layer | m | owns | may use |\n|---|---|---|---|\n| 0 | `core` (02) | x | nothing of ours |\n"
            "| 1 | `data` (05) | x | core |\n| 2 | `a`, `b` (10) | x | core, data (b drives a) |\n"
            "| 3 | `sft` | x | the rows above |\n"
            "| 3 | `rewards` (31) | x | `a` |\n"
        )
        t = table(f)
        assert t['core'] == (0, set()) and t['data'] == (1, {'core'})
        assert t['a'] == (2, {'core', 'data'}) and t['b'] == (2, {'core', 'data', 'a'})
        assert t['sft'] == (3, {'core', 'data', 'a', 'b'})
    assert check_imports({m: (0, set()) for m in table()}), (
        "a map that allows nothing must report the package's imports"
    )


def test_imports_follow_the_table():
    bad = check_imports(table())
    assert not bad, '\n'.join(bad)


def test_no_import_cycle():
    graph = {module_of(p): set() for p in files()}
    for p in files():
        graph[module_of(p)] |= {o for n, *_ in imports(p) if (o := ours(n)) and o != module_of(p)}
    seen, stack = set(), []

    def dfs(m):
        if m in stack:
            raise AssertionError(f"import cycle: {' -> '.join(stack[stack.index(m) :] + [m])}")
        if m in seen:
            return
        stack.append(m)
        for o in sorted(graph[m]):
            dfs(o)
        stack.pop()
        seen.add(m)

    for m in sorted(graph):
        dfs(m)


def test_no_hidden_imports():
    "An import inside a function is allowed only for an optional heavy dependency, said so in a comment on its line."
    bad = [
        f"{p.relative_to(ROOT)}:{line}: {src.strip()}"
        for p in files()
        for name, line, in_fn, src in imports(p)
        if in_fn and not re.search(r'#.*\b(optional|heavy)\b', src)
    ]
    assert not bad, (
        "imports inside functions (move them to the top, or say why they are optional/heavy):\n" + '\n'.join(bad)
    )


def test_package_imports_itself_relatively():
    "Our modules import each other relatively (`from .core import`), as nbdev writes single-line imports."
    bad = [
        f"{p.relative_to(ROOT)}:{n}: {line.strip()}"
        for p in files()
        for n, line in enumerate(p.read_text().splitlines(), 1)
        if re.match(r'\s*(from minionerec[\s.]|import minionerec\b)', line)
    ]
    assert not bad, "absolute self-imports (nbdev leaves a multi-line import absolute: split it):\n" + '\n'.join(bad)


def test_modules_are_short_and_stages_show_their_command_line():
    long = {str(p.relative_to(ROOT)): n for p in files() if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not long, f"modules over {MAX_LINES} lines: {long}"
    for stage in ('data', 'text_emb', 'sid', 'baselines', 'sft', 'rl', 'evaluate', 'pipeline'):
        p = PKG / stage / '__init__.py' if (PKG / stage).is_dir() else PKG / f'{stage}.py'
        doc = ast.get_docstring(ast.parse(p.read_text())) or ''
        assert f'python -m minionerec.{stage}' in doc, (
            f"{p.relative_to(ROOT)}: the module docstring does not show `python -m minionerec.{stage} ...`"
        )
        src = '\n'.join(q.read_text() for q in ((PKG / stage).glob('*.py') if (PKG / stage).is_dir() else [p]))
        assert 'write_manifest(' in src, f"minionerec.{stage} writes no manifest through core.write_manifest"
        main_src = ast.get_source_segment(
            src, next(n for n in ast.walk(ast.parse(src)) if isinstance(n, ast.FunctionDef) and n.name == 'main')
        )
        assert 'stage_processes()' in main_src, f"minionerec.{stage}.main does not run in core.stage_processes()"
        cfg = getattr(importlib.import_module(f'minionerec.{stage}'), 'CONFIG', None)
        assert dataclasses.is_dataclass(cfg), (
            f"minionerec.{stage}: no `CONFIG = <its options dataclass>` (launch/check.py needs it)"
        )


def cells_of(path: Path) -> list[tuple[int, str]]:
    "(first line, code) of each notebook cell nbdev wrote into a module: the text between its `# %%` markers."
    lines, out, start = path.read_text().splitlines(), [], None
    for i, ln in enumerate(lines + ['# %% end'], 1):
        if ln.startswith('# %% '):
            if start is not None:
                out.append((start, '\n'.join(lines[start : i - 1]).strip('\n') + '\n'))
            start = i
    return out


def test_package_code_is_formatted_and_fits_120_columns():
    "Every cell of the package is `ruff format`-ted; only nbdev's own layout (blank lines, `__all__`) is left to it."
    import subprocess, sys, tempfile

    cells = {
        (p, line): code
        for p in sorted(PKG.rglob('*.py'))
        if p.name != '_modidx.py'
        for line, code in cells_of(p)
        if not code.startswith('__all__ = [')
    }
    assert len(cells) > 100, f'only {len(cells)} cells found: has nbdev changed its `# %%` markers?'
    with tempfile.TemporaryDirectory() as d:
        names = {}
        for k, ((p, line), code) in enumerate(cells.items()):
            f = Path(d) / f'cell{k}.py'
            f.write_text(code)
            names[f.name] = f'{p.relative_to(ROOT)}:{line}'
        r = subprocess.run(
            [sys.executable, '-m', 'ruff', 'format', '--check', '--config', str(ROOT / 'ruff.toml'), d],
            capture_output=True,
            text=True,
        )
    bad = [names[m] for m in re.findall(r'(cell\d+\.py)', r.stdout + r.stderr)]
    assert r.returncode == 0 and not bad, f'not ruff-formatted (make export formats the notebooks): {bad}\n{r.stderr}'
    long = []
    for p in sorted(PKG.rglob('*.py')):
        if p.name == '_modidx.py':
            continue
        text = p.read_text()
        m = re.search(r'^__all__ = \[.*?\]$', text, re.M | re.S)  # nbdev wraps it at 120 + 10 characters
        skip = range(text[: m.start()].count('\n') + 1, text[: m.end()].count('\n') + 2) if m else range(0)
        long += [
            f'{p.relative_to(ROOT)}:{i}' for i, ln in enumerate(text.splitlines(), 1) if len(ln) > 120 and i not in skip
        ]
    assert not long, f'lines over 120 characters: {long}'
