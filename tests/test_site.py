"""The course home and its pages: README and nbs/index.ipynb agree (the two commands, the lesson tables); `make site`
renders one page per notebook with links from the home page; every lesson page loads in headless Chromium without
errors or network requests and shows its figures."""
import os, re, sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT/'tools'))
import build_site as S  # noqa: E402
import lessons as L  # noqa: E402


def home_md() -> str: return '\n\n'.join(L.src(c) for c in L.load(ROOT/'nbs'/'index.ipynb')['cells'] if c['cell_type'] == 'markdown')
def readme() -> str: return (ROOT/'README.md').read_text(encoding='utf-8')


def section(md:str, heading:str) -> str:
    "The text of `## heading` up to the next `## ` heading."
    m = re.search(rf'^## {re.escape(heading)}\n(.*?)(?=^## |\Z)', md, re.M | re.S)
    assert m, f'no "## {heading}" section'
    return m[1]


def commands(md:str) -> str:
    "The code block of the two commands."
    m = re.search(r'```bash\n(.*?)```', section(md, 'The two commands'), re.S)
    return m[1].strip()


def table_rows(md:str) -> list[str]:
    "Table rows naming a notebook, links made relative to nbs/."
    return [re.sub(r'\]\(nbs/', '](', ln.strip()) for ln in md.splitlines() if ln.startswith('|') and '.ipynb' in ln]


def test_readme_commands_match_home():
    assert commands(readme()) == commands(home_md())
    assert 'make demo' in commands(readme()) and 'make test' in commands(readme())


def test_readme_lesson_tables_match_home():
    home = table_rows(section(home_md(), 'The lesson path')) + table_rows(section(home_md(), 'Reference notebooks'))
    assert table_rows(section(readme(), 'Lessons')) == home
    lessons = table_rows(section(home_md(), 'The lesson path'))
    assert [re.search(r'`(\w+)\.ipynb`', r)[1] for r in lessons] == L.LESSONS, 'the lesson path is the five lessons, in order'
    for row in home:                                     # each row names the notebook's title number and an existing file
        nb = re.search(r'\(([\w/]+\.ipynb)\)', row)[1]
        assert (ROOT/'nbs'/nb).exists(), nb
        kind_num = re.match(r'\| (Lesson|Reference) (\d\d) \|', row)
        assert kind_num and L.title(L.load(ROOT/'nbs'/nb)).startswith(f'# {kind_num[1]} {kind_num[2]} — '), row
    listed = {re.search(r'\(([\w/]+\.ipynb)\)', r)[1] for r in home}
    top = {p.name for p in (ROOT/'nbs').glob('*.ipynb') if p.name != 'index.ipynb'}
    assert listed == top, f'not in the home page: {sorted(top - listed)}; unknown: {sorted(listed - top)}'


@pytest.fixture(scope='module')
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp('site')
    return out, S.build(out)


def test_site_pages_and_links(site):
    out, pages = site
    assert (out/'index.html').exists()
    home = (out/'index.html').read_text(encoding='utf-8')
    for name in L.LESSONS:
        assert (out/f'{name}.html').exists(), name
        assert f'href="{name}.html"' in home, f'the home page does not link to {name}.html'
    assert len(pages) == 1 + len([p for p in (ROOT/'nbs').rglob('*.ipynb') if '.ipynb_checkpoints' not in p.parts and p.name != 'index.ipynb'])
    for p in pages:
        html = p.read_text(encoding='utf-8')
        assert not re.search(r'<(script|link|img)[^>]+(src|href)="(https?:)?//', html), f'{p.name} loads something from the network'
        for target in re.findall(r'href="([\w/.]+\.html)"', html):
            assert (p.parent/target).resolve().exists(), f'{p.name}: broken link {target}'


def test_site_figures_embedded(site):
    out, _ = site
    for name in L.LESSONS:
        n = L.images(L.load(L.path(name)))
        assert (out/f'{name}.html').read_text(encoding='utf-8').count('src="data:image/') >= n, name


def test_site_in_headless_chromium(site):
    "Every lesson page (and the home page) loads without errors or external requests, and every figure decodes."
    import browser
    if not browser.chromium():
        if os.environ.get('MINIONEREC_REQUIRE_BROWSER'): pytest.fail('chromium is not installed (apt-get install chromium)')
        pytest.skip('chromium is not installed (Debian: apt-get install chromium); .ci/run installs it')
    out, _ = site
    with browser.Browser() as b:
        for name in ['index'] + L.LESSONS:
            r = b.open((out/f'{name}.html').as_uri())
            assert not r['errors'], (name, r['errors'])
            assert not r['external'], (name, r['external'])
            bad = [i for i in r['images'] if not (i['ok'] and i['w'] > 0 and i['h'] > 0)]
            assert not bad, (name, bad)
            want = 0 if name == 'index' else L.images(L.load(L.path(name)))
            assert len(r['images']) >= want, f'{name}: {len(r["images"])} figures shown, the notebook has {want}'
            assert r['title'].startswith('Lesson' if name != 'index' else 'MiniOneRec'), (name, r['title'])
