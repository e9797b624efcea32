"""The course as learners meet it: five lessons with one title scheme, saved figures, exercises with tested
solutions, stable saved outputs and a recorded run time (tools/lessons.py has the helpers)."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
import lessons as L

ALL = sorted(
    p for p in (ROOT / 'nbs').rglob('*.ipynb') if '.ipynb_checkpoints' not in p.parts and p.name != 'index.ipynb'
)


def test_the_five_lessons_exist(capsys):
    "tools/lessons.py's list is the one list: the notebooks exist and `make lessons` reads it (`lessons.py --list`)."
    for name in L.LESSONS:
        assert L.path(name).exists(), name
    assert '$(shell python3 tools/lessons.py --list)' in (ROOT / 'Makefile').read_text(), (
        'the Makefile keeps a second list'
    )
    L.main(['--list'])
    assert capsys.readouterr().out.split() == [f'nbs/{n}.ipynb' for n in L.LESSONS], 'the Makefile reads this line'


@pytest.mark.parametrize('p', ALL, ids=[str(p.relative_to(ROOT / 'nbs')) for p in ALL])
def test_title_scheme(p):
    """`# Lesson NN — ...` for the five lessons, `# Reference NN — ...` for every other notebook, numbered as its file
    (a folder's notebook, `nbs/data/01_x`, as `05.01` after the reference notebook named after its folder,
    `05_data`)."""
    t = L.title(L.load(p))
    m = L.TITLE.match(t)
    assert m, f"{p.name}: title {t!r} is not '# Lesson NN — …' or '# Reference NN — …'"
    kind, num = m.groups()
    assert kind == ('Lesson' if p.stem in L.LESSONS else 'Reference'), f'{p.name}: {t!r}'
    parent = next((ROOT / 'nbs').glob(f'[0-9][0-9]_{p.parent.name}.ipynb'), None) if p.parent != ROOT / 'nbs' else None
    want = f'{parent.name[:2]}.{p.name[:2]}' if parent else p.name[:2]  # nbs/data/01_x: 05.01 (under 05_data)
    assert num == want, f'{p.name}: numbered {num}, expected {want}'


@pytest.mark.parametrize('name', L.LESSONS)
def test_lesson_has_a_figure(name):
    "Committed executed: at least one saved image output (`make lessons` executes and saves the lessons)."
    assert L.images(L.load(L.path(name))) >= 1, f'{name}.ipynb has no saved figure: run `make lessons`'


@pytest.mark.parametrize('name', L.LESSONS)
def test_lesson_has_exercises_with_solutions(name):
    "At least two exercises, each with a worked solution: a folded code cell with assertions (run by nbdev_test)."
    nb = L.load(L.path(name))
    sol = L.solutions(nb)
    assert len(sol) >= 2, f'{name}.ipynb: {len(sol)} solution cell(s) (`#| code-fold: true`), need ≥ 2'
    for c in sol:
        assert L.folded(c), (
            f'{name}.ipynb: solution cell {c.get("id")} not folded: run `python tools/lessons.py --fold`'
        )
        assert 'assert ' in L.src(c), f'{name}.ipynb: solution cell {c.get("id")} checks nothing'
        assert not ({'slow', 'gpu', 'notest', 'eval'} & set(L.directives(c))), (
            f'{name}.ipynb: a solution nbdev_test would skip'
        )
    i = next(
        i for i, c in enumerate(nb['cells']) if c['cell_type'] == 'markdown' and L.src(c).startswith('## Exercises')
    )
    assert all(nb['cells'].index(c) > i for c in sol), f'{name}.ipynb: solutions belong after "## Exercises"'


@pytest.mark.parametrize('name', L.LESSONS)
def test_lesson_outputs_are_stable(name):
    "Saved outputs hold no absolute path, memory address, progress bar or error (re-running must not churn)."
    assert not L.unstable_outputs(L.load(L.path(name)))


@pytest.mark.parametrize('name', L.LESSONS)
def test_lesson_records_its_run_time(name):
    assert L.runtime(L.load(L.path(name))), f'{name}.ipynb: the first cell should say "Runs top to bottom in about …"'


@pytest.mark.parametrize('name', L.LESSONS)
def test_lesson_shape(name):
    "What you will learn first; a summary, ≥ 2 exercises; no code cell over 30 lines; no output over 40 lines or noisy."
    problems = L.shape_problems(L.load(L.path(name)))
    assert not problems, f'{name}.ipynb: ' + '; '.join(problems)
