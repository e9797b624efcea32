"""Every dataset reader (and the SID index reader) on broken inputs: prints a markdown table of what each produced.

    python bench/bad_inputs.py [--out /tmp/bad_input_table.md]

Each case writes a small broken file into a temporary folder and calls the reader; the table shows the exception
type and message (the temporary folder is shown as `…/`). A case that raises nothing, or whose message does not
name the file, makes the script exit with status 1. The notebooks in nbs/data/ hold the same kinds of cases as tests.
"""

import argparse, gzip, json, shutil, subprocess, sys, tempfile, warnings
from pathlib import Path

from minionerec.data import (
    MINIONEREC_COLS,
    RecDataset,
    make_items,
    read_amazon_raw,
    read_lcrec,
    read_minionerec,
    read_recbole,
    split_dataset,
)
from minionerec.catalogue import sid_tokens
from minionerec.sid_index import load_index

ROOT = Path(__file__).resolve().parents[1]


def write(folder: Path, files: dict) -> Path:
    "Write `{relative path: str | bytes | JSON-able}` under `folder`."
    for name, x in files.items():
        p = folder / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(x if isinstance(x, bytes) else (x if isinstance(x, str) else json.dumps(x)).encode())
    return folder


def cases(tmp: Path):
    "Yield (input tried, reader, file that must be named, call)."
    n = iter(range(10**6))

    def d():
        return tmp / f'c{next(n)}'

    # LC-Rec / LETTER json
    items = {'0': {'title': 'Beaker'}, '1': {'title': 'Flask'}}
    for what, inter, item, bad in [
        ('truncated JSON (inter file)', '{"u": [0, 1', items, 'T.inter.json'),
        ('empty file (inter file)', '', items, 'T.inter.json'),
        ('non-UTF-8 bytes (item file)', {'u': [0]}, b'{"0": {"title": "Beaker \xe9"}}', 'T.item.json'),
        ('duplicate item id (item file)', {'u': [0]}, '{"0": {"title": "a"}, "0": {"title": "b"}}', 'T.item.json'),
        ('duplicate user id (inter file)', '{"u": [0], "u": [1]}', items, 'T.inter.json'),
        ('item id absent from the item file', {'u': [0, 7]}, items, 'T.inter.json'),
        ('missing title', {'u': [0]}, {'0': {'brand': 'Acme'}}, 'T.item.json'),
        ('title of a wrong type (number)', {'u': [0]}, {'0': {'title': 3}}, 'T.item.json'),
        ('item list of a wrong type (string)', {'u': '0 1'}, items, 'T.inter.json'),
        ('item id of a wrong type (float)', {'u': [0, 1.5]}, items, 'T.inter.json'),
        ('top level of a wrong type (list)', [[0, 1]], items, 'T.inter.json'),
    ]:
        f = write(d(), {'T.inter.json': inter, 'T.item.json': item})
        yield what, 'read_lcrec', bad, lambda f=f: read_lcrec(f)
    # MiniOneRec layout
    head = ','.join(MINIONEREC_COLS) + '\n'
    row = "A1,['Beaker'],Flask,[1],2,,\n"
    good_items = {'1': {'title': 'Beaker'}, '2': {'title': 'Flask'}}
    for what, csv, item, index, bad in [
        ('malformed list cell', head + "A1,['Beaker'],Flask,\"[1, 2\",2,,\n", good_items, None, 'X.csv'),
        ('code in a list cell', head + "A1,['Beaker'],Flask,__import__('os'),2,,\n", good_items, None, 'X.csv'),
        ('missing column', 'user_id,item_id\nA1,2\n', good_items, None, 'X.csv'),
        ('row with missing cells', head + "A1,['Beaker'],Flask,[1]\n", good_items, None, 'X.csv'),
        ('row with an extra cell', head + row.strip() + ',x\n', good_items, None, 'X.csv'),
        ('non-UTF-8 bytes', (head + "A1,['Beaker'],Fl\xe4sk,[1],2,,\n").encode('latin-1'), good_items, None, 'X.csv'),
        ('empty file', '', good_items, None, 'X.csv'),
        (
            'item id of a wrong type (float in a list)',
            head + "A1,['Beaker'],Flask,[1.5],2,,\n",
            good_items,
            None,
            'X.csv',
        ),
        ('item id absent from the item file', head + row + "A2,['Beaker'],Flask,[1],9,,\n", good_items, None, 'X.csv'),
        (
            'duplicate item id (item file)',
            head + row,
            '{"1": {"title": "a"}, "1": {"title": "b"}}',
            None,
            'X.item.json',
        ),
        ('truncated JSON (item file)', head + row, '{"1": {"title": "a"}, "2": {"ti', None, 'X.item.json'),
        (
            'malformed SID token (index file)',
            head + row,
            good_items,
            {'1': ['<a_1>', 'b_1'], '2': ['<a_2>']},
            'X.index.json',
        ),
        (
            'SID of a wrong type (index file)',
            head + row,
            good_items,
            {'1': '<a_1><b_1>', '2': ['<a_2>']},
            'X.index.json',
        ),
    ]:
        sid_file = {'index/X.index.json': index} if index else {}
        f = write(d(), {'test/X.csv': csv, 'index/X.item.json': item, **sid_file})
        yield what, 'read_minionerec', bad, lambda f=f: read_minionerec(f)
    # RecBole interactions
    hd = 'user_id:token\titem_id:token\ttimestamp:float\n'
    txt = 'item_id:token\ttext:token_seq\ni1\tBeaker\ni2\tFlask\n'
    for what, inter, extra, bad in [
        (
            'no timestamp and no item_id_list column (order unknown)',
            'user_id:token\titem_id:token\nu1\ti1\n',
            {'b.text': txt},
            'b.inter',
        ),
        ('no .text / .item file', hd + 'u1\ti1\t1\n', {}, 'b.item'),
        ('non-numeric timestamp', hd + 'u1\ti1\t10\nu1\ti2\tyesterday\n', {'b.text': txt}, 'b.inter'),
        ('missing column', 'user_id:token\ttimestamp:float\nu1\t1\n', {'b.text': txt}, 'b.inter'),
        ('line with a missing field', hd + 'u1\ti1\t1\nu1\ti2\n', {'b.text': txt}, 'b.inter'),
        ('non-UTF-8 bytes', (hd + 'u1\ti1\t1\n').encode() + b'u\xff\ti2\t2\n', {'b.text': txt}, 'b.inter'),
        ('empty file', '', {'b.text': txt}, 'b.inter'),
        ('header only', hd, {'b.text': txt}, 'b.inter'),
        ('item id absent from the text file', hd + 'u1\ti1\t1\nu1\ti9\t2\n', {'b.text': txt}, 'b.inter'),
        ('duplicate item id (text file)', hd + 'u1\ti1\t1\n', {'b.text': txt + 'i1\tAgain\n'}, 'b.text'),
        ('empty title (item file)', hd + 'u1\ti1\t1\n', {'b.item': 'item_id:token\ttitle:token_seq\ni1\t\n'}, 'b.item'),
        (
            'no title-like column (item file)',
            hd + 'u1\ti1\t1\n',
            {'b.item': 'item_id:token\tbrand:token\ni1\tAcme\n'},
            'b.item',
        ),
    ]:
        f = write(d(), {'b.inter': inter, **extra})
        yield what, 'read_recbole', bad, lambda f=f: read_recbole(f / 'b.inter')
    # RecBole benchmark layout
    sh = 'user_id:token\titem_id_list:token_seq\titem_id:token\n'
    bench = {
        'X.train.inter': sh + 'u1\t1 2\t3\nu1\t1\t2\n',
        'X.valid.inter': sh + 'u1\t1 2 3\t4\n',
        'X.test.inter': sh + 'u1\t1 2 3 4\t5\n',
        'X.text': 'item_id:token\ttext:token_seq\n' + ''.join(f'{i}\tThing {i}\n' for i in range(1, 6)),
    }
    for what, change, bad in [
        ('rows that are not one sequence', {'X.test.inter': sh + 'u1\t1 3 2 4\t5\n'}, 'X.'),
        (
            'a split file without item_id_list',
            {'X.test.inter': 'user_id:token\titem_id:token\nu1\t5\n'},
            'X.test.inter',
        ),
        ('item id absent from the text file', {'X.test.inter': sh + 'u1\t1 2 3 4\t9\n'}, 'X.test.inter'),
        ('no .text / .item file', {'X.text': None}, 'X.text'),
        ('line with a missing field', {'X.valid.inter': sh + 'u1\t1 2 3\n'}, 'X.valid.inter'),
    ]:
        files = {k: v for k, v in {**bench, **change}.items() if v is not None}
        f = write(d(), files)
        yield what + ' (benchmark layout)', 'read_recbole', bad, lambda f=f: read_recbole(f)
    # raw Amazon
    meta = [dict(asin='A', title='Beaker'), dict(asin='B', title='Flask')]
    rev = [
        dict(reviewerID=u, asin=a, unixReviewTime=t)
        for u, a, t in [('u1', 'A', 1), ('u1', 'B', 2), ('u2', 'A', 3), ('u2', 'B', 4)]
    ]

    def lines(objs):
        return ''.join(json.dumps(o) + '\n' for o in objs)

    def r(**kw):
        return dict(reviewerID='u1', **kw)

    for what, reviews, metas, bad in [
        (
            'truncated JSON line (reviews)',
            lines(rev[:1]) + '{"reviewerID": "u1", "asin": \n',
            lines(meta),
            'Lab_5.json',
        ),
        ('non-UTF-8 bytes (reviews)', lines(rev[:1]).encode() + b'{"reviewerID": "\xff"}\n', lines(meta), 'Lab_5.json'),
        ('truncated gzip (reviews)', gzip.compress(lines(rev * 50).encode())[:-40], lines(meta), 'Lab_5.json'),
        ('missing field (reviews)', lines(rev[:1] + [r(unixReviewTime=3)]), lines(meta), 'Lab_5.json'),
        ('id of a wrong type (reviews)', lines(rev[:1] + [r(asin=7, unixReviewTime=3)]), lines(meta), 'Lab_5.json'),
        (
            'non-numeric timestamp (reviews)',
            lines(rev[:1] + [r(asin='A', unixReviewTime='soon')]),
            lines(meta),
            'Lab_5.json',
        ),
        ('empty file (reviews)', '', lines(meta), 'Lab_5.json'),
        ('no review has metadata', lines([r(asin='Z', unixReviewTime=1)] * 3), lines(meta), 'Lab_5.json'),
        (
            'duplicate item id with another title (metadata)',
            lines(rev),
            lines(meta + [dict(asin='A', title='Other')]),
            'meta_Lab.json',
        ),
        ('no asin (metadata)', lines(rev), lines(meta + [dict(title='Orphan')]), 'meta_Lab.json'),
        ('empty file (metadata)', lines(rev), '', 'meta_Lab.json'),
    ]:
        f = write(d(), {'Lab_5.json': reviews, 'meta_Lab.json': metas})
        yield what, 'read_amazon_raw', bad, lambda f=f: read_amazon_raw(f / 'Lab_5.json', f / 'meta_Lab.json', 2, 2)
    # saved datasets
    items5 = make_items([{'item_id': str(i), 'title': f'item {i}'} for i in range(1, 6)])
    seqs, tss = {'a': ['1', '2', '3'], 'b': ['4', '5', '1']}, {'a': [1.0, 2.0, 3.0], 'b': [4.0, 5.0, 6.0]}
    ds = split_dataset(RecDataset('s', items5, seqs, tss), 'loo')
    ds.save(tmp / 'saved')
    for what, file, edit in [
        ('truncated JSON (manifest)', 'manifest.json', lambda b: b[:40]),
        ('missing key (manifest)', 'manifest.json', lambda b: b.replace(b'"item_columns"', b'"columns"')),
        ('non-UTF-8 bytes', 'items.jsonl', lambda b: b.replace(b'item 2', b'item \xff')),
        ('empty file', 'items.jsonl', lambda b: b''),
        ('duplicate item id', 'items.jsonl', lambda b: b + b.splitlines(True)[0]),
        ('truncated JSON line', 'sequences.jsonl', lambda b: b[:-10]),
        ('missing key', 'sequences.jsonl', lambda b: b.replace(b'"items"', b'"itemz"', 1)),
        ('duplicate user id', 'sequences.jsonl', lambda b: b + b.splitlines(True)[0]),
        ('value of a wrong type', 'test.jsonl', lambda b: b.replace(b'"history": ["4", "5"]', b'"history": "4 5"')),
        ('item id absent from items.jsonl', 'test.jsonl', lambda b: b.replace(b'"target": "3"', b'"target": "9"')),
    ]:
        f = d()
        shutil.copytree(tmp / 'saved', f)
        (f / file).write_bytes(edit((f / file).read_bytes()))
        yield f'{what} ({file})', 'RecDataset.load', file, lambda f=f: RecDataset.load(f)
    # SID index
    for what, data, kw in [
        ('truncated JSON', b'{"1": ["<a_0>", "<b_1>"], "2": ["<a_0>"', {}),
        ('non-UTF-8 bytes', b'{"1": ["<a_0>", "<b_1>"],\n "\xff": ["<a_0>", "<b_2>"]}', {}),
        ('empty file', b'', {}),
        ('duplicate item id', b'{"1": ["<a_0>", "<b_1>"], "1": ["<a_0>", "<b_2>"]}', {}),
        ('malformed SID token', b'{"1": ["<a_0>", "<b_1"]}', {}),
        ('SID token of a wrong type', b'{"1": ["<a_0>", 5]}', {}),
        ('unknown SID token (given the model\'s tokens)', b'{"1": ["<a_0>", "<b_9>"]}', {'tokens': sid_tokens(2, 4)}),
        ('tokens out of level order', b'{"1": ["<b_0>", "<a_1>"]}', {}),
        ('SID of a wrong type (a string)', b'{"1": "<a_0><b_1>"}', {}),
        ('top level of a wrong type (list)', b'[["<a_0>"]]', {}),
    ]:
        f = d()
        f.mkdir()
        (f / 'index.json').write_bytes(data)
        yield (
            what,
            'minionerec.sid_index.load_index',
            'index.json',
            lambda f=f, kw=kw: load_index(f / 'index.json', **kw),
        )


def cli_case(tmp: Path) -> tuple[str, str, str]:
    "The data command line on an order-unknown RecBole file: exit status, message, and whether --out exists."
    f = write(
        tmp / 'cli',
        {'x.inter': 'user_id:token\titem_id:token\nu1\ti1\n', 'x.text': 'item_id:token\ttext:token_seq\ni1\tBeaker\n'},
    )
    out = tmp / 'cli_out' / 'data'
    p = subprocess.run(
        [
            sys.executable,
            '-m',
            'minionerec.data',
            '--source',
            'recbole',
            '--path',
            str(f / 'x.inter'),
            '--out',
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    left = 'an output folder was left behind' if (tmp / 'cli_out').exists() else 'no output folder left behind'
    return (
        'an order-unknown .inter file, through the command line',
        'python -m minionerec.data',
        f"exit status {p.returncode}; stderr `{p.stderr.strip()}`; {left}",
    )


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--out', help='also write the table to this file')
    a = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix='bad-inputs-'))
    rows, failures = [], []
    warnings.simplefilter('ignore')  # the MiniOneRec fixtures have no train split
    try:
        for what, reader, name, call in cases(tmp):
            try:
                call()
                got = 'nothing raised'
                failures.append(what)
            except Exception as e:
                got = f"`{type(e).__name__}`: {str(e).replace(str(tmp) + '/', '…/')}"
                if name not in str(e):
                    failures.append(f"{what} (the message does not name {name})")
            rows.append((what, reader, got))
        what, reader, got = cli_case(tmp)
        if 'exit status 1' not in got or 'no output folder' not in got:
            failures.append(what)
        rows.append((what, reader, got.replace(str(tmp) + '/', '…/')))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    def esc(s):
        return s.replace('|', '\\|').replace('\n', ' ')

    table = '| input tried | reader | what it produced |\n|---|---|---|\n' + ''.join(
        f"| {esc(w)} | `{r}` | {esc(g)} |\n" for w, r, g in rows
    )
    print(table)
    if a.out:
        Path(a.out).write_text(table)
    if failures:
        sys.exit(f"{len(failures)} case(s) failed: {failures}")


if __name__ == '__main__':
    main()
