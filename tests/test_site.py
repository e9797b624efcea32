"""The course home and its site: README and nbs/index.ipynb agree (the two commands, the lesson tables); `make site`
(MkDocs + Material + mkdocs-jupyter) builds one page per notebook with the navigation in course order, solutions folded,
`#| hide` cells left out, figures embedded and nothing loaded from the network; served from 127.0.0.1, every lesson
page loads in headless Chromium without errors or external requests and shows its figures, and the search box finds
a word of one lesson."""

import functools, http.server, json, os, re, threading, time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
import build_site as S
import lessons as L


def home_md() -> str:
    return '\n\n'.join(L.src(c) for c in L.load(ROOT / 'nbs' / 'index.ipynb')['cells'] if c['cell_type'] == 'markdown')


def readme() -> str:
    return (ROOT / 'README.md').read_text(encoding='utf-8')


def section(md: str, heading: str) -> str:
    "The text of `## heading` up to the next `## ` heading."
    m = re.search(rf'^## {re.escape(heading)}\n(.*?)(?=^## |\Z)', md, re.M | re.S)
    assert m, f'no "## {heading}" section'
    return m[1]


def commands(md: str) -> str:
    "The code block of the two commands."
    m = re.search(r'```bash\n(.*?)```', section(md, 'The two commands'), re.S)
    return m[1].strip()


def table_rows(md: str) -> list[str]:
    "Table rows naming a notebook, links made relative to nbs/."
    return [re.sub(r'\]\(nbs/', '](', ln.strip()) for ln in md.splitlines() if ln.startswith('|') and '.ipynb' in ln]


def test_readme_commands_match_home():
    assert commands(readme()) == commands(home_md())
    assert 'make demo' in commands(readme()) and 'make test' in commands(readme())


def test_readme_lesson_tables_match_home():
    home = table_rows(section(home_md(), 'The lesson path')) + table_rows(section(home_md(), 'Reference notebooks'))
    assert table_rows(section(readme(), 'Lessons')) == home
    lessons = table_rows(section(home_md(), 'The lesson path'))
    assert [re.search(r'`(\w+)\.ipynb`', r)[1] for r in lessons] == L.LESSONS, (
        'the lesson path is the five lessons, in order'
    )
    for row in home:  # each row names the notebook's title number and an existing file
        nb = re.search(r'\(([\w/]+\.ipynb)\)', row)[1]
        assert (ROOT / 'nbs' / nb).exists(), nb
        kind_num = re.match(r'\| (Lesson|Reference) (\d\d) \|', row)
        assert kind_num and L.title(L.load(ROOT / 'nbs' / nb)).startswith(f'# {kind_num[1]} {kind_num[2]} — '), row
    listed = {re.search(r'\(([\w/]+\.ipynb)\)', r)[1] for r in home}
    top = {p.name for p in (ROOT / 'nbs').glob('*.ipynb') if p.name != 'index.ipynb'}
    assert listed == top, f'not in the home page: {sorted(top - listed)}; unknown: {sorted(listed - top)}'


def notebooks() -> list[Path]:
    return [p for p in (ROOT / 'nbs').rglob('*.ipynb') if '.ipynb_checkpoints' not in p.parts]


@pytest.fixture(scope='module')
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp('site')
    return out, S.build(out)


@pytest.fixture(scope='module')
def served(site):
    "The site served over http on 127.0.0.1, at a port the OS picks (Material's search fetches its index over http)."

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *a):
            pass

    out, _ = site
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), functools.partial(Quiet, directory=str(out)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f'http://127.0.0.1:{server.server_address[1]}/'
    server.shutdown()
    server.server_close()
    thread.join()


def test_site_pages_and_links(site):
    out, pages = site
    assert pages[0] == out / 'index.html' and len(pages) == len(notebooks())
    home = (out / 'index.html').read_text(encoding='utf-8')
    for name in L.LESSONS:
        assert (out / f'{name}.html').exists(), name
        assert f'href="{name}.html"' in home, f'the home page does not link to {name}.html'
    for p in pages:
        assert p.exists(), p
        html = p.read_text(encoding='utf-8')
        assert '.ipynb"' not in html, f'{p.name}: a link to a notebook, not to its page'
        for target in re.findall(r'(?:href|src)="(?![a-z][\w+.-]*:|#)([^"#?]+)', html):  # every relative link
            assert (p.parent / target).resolve().exists(), f'{p.relative_to(out)}: broken link {target}'


# a URL the browser would fetch: in an HTML tag's src/href (not <a>), in CSS's url() or @import, in JS's src/href
_FETCHED = {
    'html': re.compile(r'<(?!a\b)\w+[^>]*\s(?:src|href|data)=["\']?(?:https?:)?//[^"\'>\s]+', re.I),
    'css': re.compile(r'url\(\s*["\']?(?:https?:)?//|@import\s+(?:url\()?\s*["\']?(?:https?:)?//', re.I),
    'js': re.compile(r'\.(?:src|href)\s*=\s*["\'`](?:https?:)?//', re.I),
}
_CDN = re.compile(
    r'https?://(?:[\w-]+\.)*(?:unpkg\.com|cdnjs\.cloudflare\.com|jsdelivr\.net|googleapis\.com|gstatic\.com'
    r'|mathjax\.org|polyfill\.io)[^"\'\s)`\\]*'
)
# Material's bundle names two scripts that it loads only for a mermaid diagram or a browser without ResizeObserver
_MATERIAL_LOADERS = {'https://unpkg.com/mermaid@11/dist/mermaid.min.js', 'https://unpkg.com/resize-observer-polyfill'}


def test_site_loads_nothing_from_the_network(site):
    "No page, stylesheet or script fetches from the network: no fonts, MathJax, require.js or mermaid from a CDN."
    out, _ = site
    files = [p for p in out.rglob('*') if p.suffix in ('.html', '.css', '.js')]
    assert {p.suffix for p in files} == {'.html', '.css', '.js'}
    for p in files:
        text = p.read_text(encoding='utf-8')
        kinds = ['html', 'css'] if p.suffix == '.html' else ['css'] if p.suffix == '.css' else ['js']
        for kind in kinds:
            assert not (m := _FETCHED[kind].search(text)), f'{p.relative_to(out)} loads {m[0]!r}'
        cdn = set(_CDN.findall(text))
        if p.suffix == '.js':
            assert cdn <= _MATERIAL_LOADERS, f'{p.relative_to(out)} names a CDN: {sorted(cdn - _MATERIAL_LOADERS)}'
        else:
            assert not cdn, f'{p.relative_to(out)} names a CDN: {sorted(cdn)}'
            assert not re.search(r'class="[^"]*\bmermaid\b|mermaid\.', text), (
                f'{p.relative_to(out)}: a mermaid diagram or script (Material would fetch mermaid.js)'
            )


def test_site_figures_embedded(site):
    out, _ = site
    for name in L.LESSONS:
        n = L.images(L.load(L.path(name)))
        assert n and (out / f'{name}.html').read_text(encoding='utf-8').count('src="data:image/') >= n, name


def test_site_cells_hidden_and_solutions_folded(site):
    "Every code cell is on its page but the `#| hide` ones (and those only of directives); each solution is folded."
    out, pages = site
    for p in pages:
        nb = L.load(ROOT / 'nbs' / p.relative_to(out).with_suffix('.ipynb'))
        shown = [
            c
            for c in nb['cells']
            if c['cell_type'] == 'code'
            and 'hide' not in L.directives(c)
            and (c.get('outputs') or any(not ln.startswith('#|') for ln in L.src(c).splitlines() if ln.strip()))
        ]
        html = p.read_text(encoding='utf-8')
        assert len(re.findall(r'<div class="jp-Cell jp-CodeCell[^"]*" id=', html)) == len(shown), p.name
        n = len(L.solutions(nb))
        assert html.count('<details class="solution"><summary>') == n, (p.name, n)
        assert n or p.stem not in L.LESSONS, f'{p.stem}: a lesson without solutions'
        for block in re.findall(r'<details class="solution">(.*?)</details>', html, re.S):
            assert 'jp-CodeCell' in block, p.name


def test_site_navigation_in_course_order(site):
    "Every lesson page's navigation lists the five lessons in order, titled as their notebooks are."
    out, _ = site
    for name in L.LESSONS:
        html = (out / f'{name}.html').read_text(encoding='utf-8')
        nav = html[html.index('md-nav--primary') :]
        links = re.findall(
            r'<a href="([\w/]+)\.html" class="md-nav__link[^"]*">\s*'
            r'<span class="md-ellipsis">\s*(.*?)\s*</span>',
            nav,
            re.S,
        )
        lessons = [(href, text) for href, text in links if href in L.LESSONS]
        assert [h for h, _ in lessons] == L.LESSONS, (name, lessons)
        for href, text in lessons:
            assert text.startswith(L.title(L.load(L.path(href)))[2:12]), (href, text)
        assert [h for h, _ in links][:6] == ['index', *L.LESSONS], 'home, then the lessons'
        refs = [h for h, _ in links if h not in L.LESSONS and h != 'index']
        folder_of = lambda h: next((ROOT / 'nbs').glob(f"[0-9][0-9]_{h.split('/')[0]}.ipynb")).stem  # data/x -> 05_data
        assert refs == sorted(refs, key=lambda h: (h if '/' not in h else folder_of(h), h)), refs


def chromium_or_skip():
    import browser

    if not browser.chromium():
        if os.environ.get('MINIONEREC_REQUIRE_BROWSER'):
            pytest.fail('chromium is not installed (apt-get install chromium)')
        pytest.skip('chromium is not installed (Debian: apt-get install chromium); .ci/run installs it')
    return browser


def test_site_in_headless_chromium(site, served):
    """Served from 127.0.0.1, the home page and every lesson page load without errors or external requests, every
    figure decodes, and the navigation shows the five lessons in order."""
    browser = chromium_or_skip()
    with browser.Browser() as b:
        for name in ['index'] + L.LESSONS:
            r = b.open(f'{served}{name}.html')
            assert not r['errors'], (name, r['errors'])
            assert not r['external'], (name, r['external'])
            bad = [i for i in r['images'] if not (i['ok'] and i['w'] > 0 and i['h'] > 0)]
            assert not bad, (name, bad)
            want = 0 if name == 'index' else L.images(L.load(L.path(name)))
            assert len(r['images']) >= want, f'{name}: {len(r["images"])} figures shown, the notebook has {want}'
            assert r['title'].startswith('Lesson' if name != 'index' else 'MiniOneRec'), (name, r['title'])
            nav = b.eval(
                "Array.from(document.querySelectorAll('nav.md-nav--primary a.md-nav__link'))"
                ".map(a => a.getAttribute('href'))"
            )
            assert [h[:-5] for h in nav if h[:-5] in L.LESSONS] == L.LESSONS, (name, nav)


SEARCH_WORD, SEARCH_LESSON = 'quantisation', '10_sid'  # a word of lesson 10 that no other lesson has


def test_site_search_in_headless_chromium(site, served):
    "Typed into the search box of another lesson's page, a word of one lesson lists that lesson, and no other."
    out, _ = site
    index = json.loads((out / 'search' / 'search_index.json').read_text(encoding='utf-8'))['docs']
    has = {d['location'].split('#')[0][:-5] for d in index if SEARCH_WORD in (d['title'] + d['text']).lower()}
    assert has & set(L.LESSONS) == {SEARCH_LESSON}, f'{SEARCH_WORD!r} is in the lessons {sorted(has & set(L.LESSONS))}'
    browser = chromium_or_skip()
    with browser.Browser() as b:
        r = b.open(f'{served}20_sft.html')
        assert not r['errors'] and not r['external'], r
        b.type('input.md-search__input', SEARCH_WORD)
        t0, found = time.time(), []
        while not found and time.time() - t0 < 30:
            time.sleep(0.2)
            found = b.eval(
                "Array.from(document.querySelectorAll('.md-search-result__list a.md-search-result__link'))"
                ".map(a => a.getAttribute('href'))"
            )
        pages = {re.sub(r'[?#].*', '', h).rsplit('/', 1)[-1][:-5] for h in found}
        assert SEARCH_LESSON in pages, (SEARCH_WORD, found)
        assert pages & set(L.LESSONS) == {SEARCH_LESSON}, found
        assert all(h.startswith(served) for h in found), found
        r = b.report()
        assert not r['errors'] and not r['external'], r
