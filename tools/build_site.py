"""Render the course as static HTML pages in `_site/` (`make site`; the folder is git-ignored).

    python tools/build_site.py              # _site/index.html (nbs/index.ipynb), one page per lesson and per reference notebook
    python tools/build_site.py --out DIR

nbconvert's HTML exporter (what `jupyter nbconvert --to html` runs) with `tools/site/page.html.j2`: JupyterLab's
look, figures embedded as data URIs, nothing loaded from the network, a link home on every page, exercise solutions
folded, `#| hide` cells left out (as on an nbdev site), and links between notebooks pointing at their pages.
This is not the nbdev/Quarto site: with Quarto installed, `nbdev_docs` builds that one (see README).
"""
import argparse, re, shutil
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter
from nbconvert.preprocessors import Preprocessor

ROOT = Path(__file__).resolve().parents[1]
NBS = ROOT/'nbs'
TEMPLATE = Path(__file__).resolve().parent/'site'/'page.html.j2'
_HIDE = re.compile(r'^#\|\s*hide\s*$', re.M)
_LINK = re.compile(r'href="(?![a-z]+:)([^"#]+?)\.ipynb(#[^"]*)?"')


class DropHidden(Preprocessor):
    "Leave out code cells marked `#| hide`."
    def preprocess(self, nb, resources):
        nb.cells = [c for c in nb.cells if not (c.cell_type == 'code' and _HIDE.search(c.source))]
        return nb, resources


def notebooks() -> list[Path]:
    "Every notebook of the course: nbs/index.ipynb first, then nbs/*.ipynb and nbs/data/*.ipynb in order."
    nbs = sorted(p for p in NBS.rglob('*.ipynb') if '.ipynb_checkpoints' not in p.parts and p.name != 'index.ipynb')
    return [NBS/'index.ipynb'] + nbs


def page_of(nb:Path) -> Path:
    "The page of a notebook, relative to the site root (`nbs/data/01_dataset.ipynb` → `data/01_dataset.html`)."
    return nb.relative_to(NBS).with_suffix('.html')


def title_of(nb) -> str:
    "The notebook's `# title` (its first markdown heading)."
    for c in nb.cells:
        if c.cell_type == 'markdown' and c.source.startswith('# '): return c.source.splitlines()[0][2:].strip()
    return ''


def build(out:Path=ROOT/'_site') -> list[Path]:
    "Write every page into `out` (emptied first); returns the pages written."
    if out.exists(): shutil.rmtree(out)
    exp = HTMLExporter(template_file=str(TEMPLATE), embed_images=True)
    exp.register_preprocessor(DropHidden(), enabled=True)
    sources = notebooks()
    known = {page_of(p).with_suffix('').as_posix() for p in sources}
    written = []
    for src in sources:
        nb = nbformat.read(src, as_version=4)
        rel = page_of(src)
        home = '../' * (len(rel.parts) - 1) + 'index.html'
        html, _ = exp.from_notebook_node(nb, resources={'metadata': {'name': title_of(nb) or src.stem, 'path': str(src.parent)},
                                                         'course_home': None if src.name == 'index.ipynb' else home})
        base = rel.parent
        def link(m):                                                     # a link to another notebook → its page
            target = (base/m[1]).as_posix()
            norm = Path(*[p for p in Path(target).parts if p != '.']).as_posix()
            return f'href="{m[1]}.html{m[2] or ""}"' if norm in known else m[0]
        dest = out/rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(_LINK.sub(link, html), encoding='utf-8')
        written.append(dest)
    return written


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--out', default='_site', help='output folder (emptied first)')
    a = ap.parse_args(argv)
    pages = build(Path(a.out))
    print(f"{len(pages)} pages in {a.out} (open index.html)")


if __name__ == '__main__': main()
