"""Build the course site into `_site/` (`make site`; git-ignored) with MkDocs, Material for MkDocs and mkdocs-jupyter.

    python tools/build_site.py              # _site/index.html (nbs/index.ipynb), one page per lesson and reference
    python tools/build_site.py --out DIR    # then: python3 -m http.server -d DIR, open http://127.0.0.1:8000/

`mkdocs.yml` holds the theme and the plugins. This script writes the notebooks as the site shows them into a
staging folder (a temporary one, or `--docs DIR`): `#| hide` cells and `#|` directive lines left out, exercise
solutions tagged. It computes the navigation from their `# titles` (home, the five lessons in course order, then
the reference notebooks by number, `nbs/data/*.ipynb` under Reference 05), so a new notebook needs no edit here,
and calls MkDocs' build. Nothing is executed (the notebooks are committed executed) and nothing is loaded from the
network: figures are embedded, fonts are the system's, formulas stay TeX text, and the search (Material's, lunr
in a web worker) reads a local index, which a browser fetches over http only: serve the folder to search it.

The same file is the site's MkDocs hook (`hooks:` in mkdocs.yml): on each page it folds the solutions into a
<details> element, points links between notebooks (`[x](20_sft.ipynb)`) at their pages, and drops the MathJax and
mermaid script tags that nbconvert's template points at a CDN.
"""

import argparse
import posixpath
import re
import shutil
import tempfile
from pathlib import Path

import nbformat
from lessons import LESSONS  # the five lessons, in course order

ROOT = Path(__file__).resolve().parents[1]
NBS = ROOT / "nbs"
CONFIG = ROOT / "mkdocs.yml"
CSS = Path(__file__).resolve().parent / "site" / "extra.css"
SOLUTION = "solution"  # the cell tag that marks a worked solution in the staged notebooks
_DIRECTIVE = re.compile(r"^#\|.*$")
_HIDE = re.compile(r"^#\|\s*hide\s*$", re.M)
_FOLD = re.compile(r"^#\|\s*code-fold:\s*(true|show)\s*$", re.M | re.I)


def notebooks() -> list[Path]:
    "Every notebook of the course in the site's order: home, the lessons, then the reference notebooks by number."
    rest = sorted(p for p in NBS.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts and p.name != "index.ipynb")
    lessons = [NBS / f"{n}.ipynb" for n in LESSONS]
    return [NBS / "index.ipynb"] + lessons + [p for p in rest if p not in lessons]


def page_of(nb: Path) -> Path:
    "The page of a notebook, relative to the site root (`nbs/data/01_dataset.ipynb` → `data/01_dataset.html`)."
    return nb.relative_to(NBS).with_suffix(".html")


def title_of(nb) -> str:
    "The notebook's `# title` (its first markdown heading), without Markdown's backticks."
    for c in nb.cells:
        if c.cell_type == "markdown" and c.source.startswith("# "):
            return c.source.splitlines()[0][2:].replace("`", "").strip()
    return ""


def is_solution(cell) -> bool:
    "A worked solution: folded in JupyterLab (`jupyter.source_hidden`) or marked `#| code-fold: true`."
    hidden = cell.get("metadata", {}).get("jupyter", {}).get("source_hidden")
    return cell.cell_type == "code" and bool(hidden or _FOLD.search(cell.source))


def site_notebook(nb):
    "The notebook as the site shows it: no `#| hide` cells, no `#|` lines, no cell left empty, solutions tagged."
    cells = []
    for c in nb.cells:
        if c.cell_type == "code":
            if _HIDE.search(c.source):
                continue
            if is_solution(c):
                c.metadata["tags"] = [*c.metadata.get("tags", []), SOLUTION]
            c.source = "\n".join(ln for ln in c.source.splitlines() if not _DIRECTIVE.match(ln)).strip("\n")
            if not c.source and not c.get("outputs"):
                continue
        cells.append(c)
    nb.cells = cells
    return nb


def stage(docs: Path) -> list:
    "Write the site's notebooks into `docs` (emptied first); returns the MkDocs navigation."
    if docs.exists():
        shutil.rmtree(docs)
    docs.mkdir(parents=True)
    shutil.copy(CSS, docs / "site.css")
    titles = {}
    for src in notebooks():
        nb = nbformat.read(src, as_version=4)
        titles[src] = title_of(nb) or src.stem
        dest = docs / src.relative_to(NBS)
        dest.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(site_notebook(nb), dest)
    return navigation(titles)


def navigation(titles: dict[Path, str]) -> list:
    """Home, the lessons, the reference notebooks by number; the notebooks of a folder (`nbs/data/*`) in a section
    under the reference notebook named after it (`05_data`), with that notebook first."""
    entry = {p: {titles[p]: p.relative_to(NBS).as_posix()} for p in titles}
    folders = {}
    for p in titles:
        if p.parent != NBS:
            folders.setdefault(p.relative_to(NBS).parts[0], []).append(entry[p])
    ref = []
    for p in titles:
        if p.parent == NBS and p.name != "index.ipynb" and p.stem not in LESSONS:
            sub = folders.pop(p.stem.partition("_")[2], None)
            ref.append({titles[p]: [entry[p], *sub]} if sub else entry[p])
    ref += [{folder: pages} for folder, pages in folders.items()]  # a folder without its reference notebook
    return [{"Home": "index.ipynb"}, {"Lessons": [entry[NBS / f"{n}.ipynb"] for n in LESSONS]}, {"Reference": ref}]


def build(out: Path = ROOT / "_site", docs: Path | None = None) -> list[Path]:
    "Build the site into `out` (emptied first); returns the notebooks' pages, home first."
    from mkdocs.commands.build import build as mkdocs_build
    from mkdocs.config import load_config

    out = Path(out).resolve()
    with tempfile.TemporaryDirectory(prefix="minionerec-site-") as tmp:
        docs = Path(docs).resolve() if docs else Path(tmp) / "docs"
        nav = stage(docs)
        if out.exists():
            shutil.rmtree(out)
        cfg = load_config(str(CONFIG), docs_dir=str(docs), site_dir=str(out), nav=nav)
        mkdocs_build(cfg)
    return [out / page_of(p) for p in notebooks()]


# ---- the MkDocs hook (mkdocs.yml `hooks:`): runs on every page's HTML ----

_LINK = re.compile(r'href="(?![a-z][a-z0-9+.-]*:|#)([^"#?]+\.ipynb)(#[^"]*)?"')
_CELL_OPEN = re.compile(r'<div class="jp-Cell jp-CodeCell[^"]*\bcelltag_' + SOLUTION + r'\b[^"]*">')
_DIV = re.compile(r"<div\b|</div>")
_MATHJAX = re.compile(r"<!-- Load mathjax -->.*?<!-- End of mathjax configuration -->", re.S)
# what the search leaves out: the copy button ("Copied!"), the hidden copy of each cell's code, the `In [ ]:` prompts
_NO_SEARCH = re.compile(r'<div class="(?:zeroclipboard-container|clipboard-copy-txt|jp-(?:In|Out)putPrompt )')
_MERMAID = re.compile(r'<script type="module">(?:(?!<script).)*?<!-- End of mermaid configuration -->', re.S)


def fold_solutions(html: str) -> str:
    "Wrap each solution cell (its <div> and everything in it) in a closed <details> element."
    out, pos = [], 0
    for m in _CELL_OPEN.finditer(html):
        if m.start() < pos:
            continue
        depth, end = 0, None
        for d in _DIV.finditer(html, m.start()):
            depth += 1 if d[0] == "<div" else -1
            if depth == 0:
                end = d.end()
                break
        if end is None:
            break
        out += [html[pos : m.start()], '<details class="solution"><summary>Solution (click to open)</summary>']
        out += [html[m.start() : end], "</details>"]
        pos = end
    return "".join(out) + html[pos:]


def on_page_content(html, page, config, files):
    """mkdocs hook: solutions folded, links to notebooks pointed at their pages, no script tags that reach a CDN,
    prompts and copy buttons kept out of the search index."""

    def link(m):
        path = posixpath.normpath(posixpath.join(posixpath.dirname(page.file.src_uri), m[1]))
        target = files.get_file_from_path(path)
        return f'href="{target.url_relative_to(page.file)}{m[2] or ""}"' if target else m[0]

    html = _MERMAID.sub("", _MATHJAX.sub("", html))
    html = _NO_SEARCH.sub(lambda m: "<div data-search-exclude " + m[0][5:], html)
    return fold_solutions(_LINK.sub(link, html))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="_site", help="output folder (emptied first)")
    ap.add_argument("--docs", default=None, help="keep the staged notebooks here (default: a temporary folder)")
    a = ap.parse_args(argv)
    pages = build(Path(a.out), a.docs and Path(a.docs))
    print(f"{len(pages)} pages in {a.out} (python3 -m http.server -d {a.out}, then open http://127.0.0.1:8000/)")


if __name__ == "__main__":
    main()
