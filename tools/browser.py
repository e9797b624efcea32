"""Open pages in headless Chromium and report what a reader would meet: errors, blocked requests, figures.

    python tools/browser.py _site/*.html      # one line per page

Chromium runs headless (1280×900) with a throw-away profile and no network features (background networking,
component updates, sync off); the DevTools protocol (over websocket-client) records per page: uncaught exceptions,
console errors, requests for anything but `file:`, `data:` and `blob:` URLs and the page's own origin when it is
served from this machine (127.0.0.1 or localhost), failed loads, and every <img> with its decoded size.
`Browser.type` types into a page as a reader does (key events), `Browser.eval` reads the page's state.
"""

import argparse, json, shutil, subprocess, sys, tempfile, time, urllib.parse, urllib.request
from pathlib import Path

FLAGS = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--no-default-browser-check',
    '--disable-extensions',
    '--mute-audio',
    '--window-size=1280,900',
    '--remote-debugging-port=0',
    '--remote-allow-origins=*',
]
_IMAGES = """Promise.all(Array.from(document.images).map(i =>
   (i.complete ? Promise.resolve() : new Promise(r => { i.onload = i.onerror = r; }))
   .then(() => i.decode()).then(() => true, () => false)
   .then(ok => ({src: i.getAttribute('src').slice(0, 40), ok: ok, w: i.naturalWidth, h: i.naturalHeight}))))"""


def chromium() -> str | None:
    "The Chromium binary, if installed."
    return next((p for p in map(shutil.which, ('chromium', 'chromium-browser', 'google-chrome')) if p), None)


class Browser:
    "A headless Chromium and one page driven over the DevTools protocol."

    def __init__(self, binary: str | None = None, timeout: float = 60):
        import websocket

        self.timeout, self.profile = timeout, tempfile.mkdtemp(prefix='minionerec-chromium-')
        binary = binary or chromium()
        if not binary:
            raise FileNotFoundError("no chromium binary (Debian: apt-get install chromium)")
        self.proc = subprocess.Popen(
            [binary, *FLAGS, f'--user-data-dir={self.profile}', 'about:blank'],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        port_file, t0 = Path(self.profile) / 'DevToolsActivePort', time.time()
        while not (port_file.exists() and port_file.read_text().strip()):
            if self.proc.poll() is not None or time.time() - t0 > timeout:
                self.close()
                raise RuntimeError('chromium did not start')
            time.sleep(0.1)
        port = port_file.read_text().split()[0]
        while True:
            targets = json.loads(urllib.request.urlopen(f'http://127.0.0.1:{port}/json/list', timeout=10).read())
            pages = [t for t in targets if t.get('type') == 'page']
            if pages or time.time() - t0 > timeout:
                break
            time.sleep(0.1)
        self.ws = websocket.create_connection(pages[0]['webSocketDebuggerUrl'], timeout=timeout, suppress_origin=True)
        self.n, self.events = 0, []
        for domain in ('Page', 'Runtime', 'Log', 'Network'):
            self.call(f'{domain}.enable')

    def call(self, method: str, **params) -> dict:
        "Send one command, collect the events that arrive until its answer."
        self.n += 1
        i = self.n
        self.ws.send(json.dumps({'id': i, 'method': method, 'params': params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get('id') == i:
                if 'error' in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get('result', {})
            if 'method' in msg:
                self.events.append(msg)

    def wait_for(self, method: str):
        "Collect events until `method` arrives."
        t0 = time.time()
        while not any(e['method'] == method for e in self.events):
            if time.time() - t0 > self.timeout:
                raise TimeoutError(f'no {method} after {self.timeout} s')
            msg = json.loads(self.ws.recv())
            if 'method' in msg:
                self.events.append(msg)

    def eval(self, expression: str, await_promise: bool = False):
        "The value of a JavaScript expression in the page."
        r = self.call('Runtime.evaluate', expression=expression, awaitPromise=await_promise, returnByValue=True)
        return r['result'].get('value')

    def type(self, selector: str, text: str):
        "Focus the element `selector` and type `text` into it, one key press (down, char, up) per character."
        self.eval(f'document.querySelector({json.dumps(selector)}).focus()')
        for ch in text:
            self.call('Input.dispatchKeyEvent', type='keyDown', key=ch, text=ch)
            self.call('Input.dispatchKeyEvent', type='keyUp', key=ch)

    def open(self, url: str) -> dict:
        "Load `url`; returns {errors, external, images, title} for what happened since it was asked for."
        self.events, self.url = [], url
        self.call('Page.navigate', url=url)
        self.wait_for('Page.loadEventFired')
        images, title = self.eval(_IMAGES, await_promise=True) or [], self.eval('document.title')
        return dict(self.report(), images=images, title=title)

    def report(self) -> dict:
        "Errors and external requests among the events recorded since the last `open`."
        local = ('file:', 'data:', 'blob:')
        origin = urllib.parse.urlsplit(self.url)
        if origin.scheme in ('http', 'https') and origin.hostname in ('127.0.0.1', 'localhost'):
            local += (f'{origin.scheme}://{origin.netloc}/',)
        errors, external = [], []
        for e in self.events:
            m, p = e['method'], e.get('params', {})
            if m == 'Runtime.exceptionThrown':
                d = p['exceptionDetails']
                errors.append(d.get('exception', {}).get('description') or d.get('text'))
            elif m == 'Runtime.consoleAPICalled' and p.get('type') in ('error', 'assert'):
                errors.append(' '.join(str(a.get('value', a.get('description'))) for a in p.get('args', [])))
            elif m == 'Log.entryAdded' and p['entry'].get('level') == 'error':
                errors.append(p['entry'].get('text'))
            elif m == 'Network.loadingFailed':
                errors.append(f"failed to load: {p.get('errorText')}")
            elif m == 'Network.requestWillBeSent' and not p['request']['url'].startswith(local):
                external.append(p['request']['url'])
        return dict(errors=errors, external=external)

    def close(self):
        if getattr(self, 'ws', None):
            self.ws.close()
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('pages', nargs='+', help='HTML files')
    a = ap.parse_args(argv)
    bad = 0
    with Browser() as b:
        for f in a.pages:
            r = b.open(Path(f).resolve().as_uri())
            ok = [i for i in r['images'] if i['ok'] and i['w'] > 0]
            bad += bool(r['errors'] or r['external'] or len(ok) < len(r['images']))
            print(
                f"{f}: {len(ok)}/{len(r['images'])} images shown, {len(r['errors'])} errors, "
                f"{len(r['external'])} external requests"
                + ''.join(f"\n  error: {e}" for e in r['errors'])
                + ''.join(f"\n  external: {u}" for u in r['external'])
            )
    sys.exit(1 if bad else 0)


if __name__ == '__main__':
    main()
