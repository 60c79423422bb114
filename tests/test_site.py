"""The built course site (``make site``) checked in a real browser: Debian's headless Chromium.

``site/_build/html`` is served from localhost (``http.server`` in a thread) and Chromium is driven over the
DevTools protocol by a small client on ``websocket-client`` (no browser download, nothing else installed):

* every page of the site loads without a console error, an uncaught exception or a failed request;
* every internal link (a page, a file, a ``#fragment``) resolves;
* every image loads (``naturalWidth > 0``), the notebooks' output figures included, and there are some;
* the search page finds "fine-tuning";
* screenshots of the landing page and of one notebook page at its largest figure go to
  ``site/_build/screenshots/``.

Slow (about a minute) and skipped unless the site is built and ``chromium`` is installed
(``make setup-site``, ``make test-site``).
"""

from __future__ import annotations

import base64
import functools
import http.server
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HTML = ROOT / "site" / "_build" / "html"
SHOTS = ROOT / "site" / "_build" / "screenshots"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
NOTEBOOK_SHOT = "notebooks/00_tour.html"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (HTML / "index.html").exists(),
                       reason="the site is not built: make site (site/_build/html/index.html is missing)"),
    pytest.mark.skipif(CHROMIUM is None, reason="no chromium: make setup-site (apt-get install chromium)"),
]
websocket = pytest.importorskip("websocket", reason="websocket-client (the docs extra) is not installed")


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class _Server(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):  # the browser dropping a connection it no longer needs
        pass


class Browser:
    """Headless Chromium and one page, driven over the DevTools protocol."""

    def __init__(self, tmp: str):
        self.proc = subprocess.Popen(
            [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
             "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--hide-scrollbars",
             "--remote-debugging-port=0", "--remote-allow-origins=*", f"--user-data-dir={tmp}",
             "--window-size=1280,900", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = Path(tmp) / "DevToolsActivePort"
        for _ in range(300):
            if port_file.exists() and port_file.read_text().strip():
                break
            time.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        targets = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10).read())
        page = next(t for t in targets if t["type"] == "page")
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=60, suppress_origin=True)
        self.next_id = 0
        self.events: list[dict] = []
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable")
        self.call("Emulation.setDeviceMetricsOverride", width=1280, height=900, deviceScaleFactor=1, mobile=False)

    def call(self, method: str, **params):
        self.next_id += 1
        self.ws.settimeout(60)
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self.next_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self.events.append(msg)

    def wait_event(self, method: str, timeout: float = 60) -> None:
        end = time.time() + timeout
        while time.time() < end:
            if any(e.get("method") == method for e in self.events):
                return
            self.ws.settimeout(max(0.1, end - time.time()))
            try:
                self.events.append(json.loads(self.ws.recv()))
            except websocket.WebSocketTimeoutException:
                break
        raise TimeoutError(f"no {method} within {timeout} s")

    def open(self, url: str) -> list[str]:
        """Navigate and wait for the load event; the errors the page logged."""
        self.events = []
        self.call("Page.navigate", url=url)
        self.wait_event("Page.loadEventFired")
        self.drain(0.2)  # let the theme's scripts run
        return self.errors()

    def drain(self, seconds: float) -> None:
        """Collect the events of the next few moments."""
        end = time.time() + seconds
        while (left := end - time.time()) > 0:
            self.ws.settimeout(left)
            try:
                self.events.append(json.loads(self.ws.recv()))
            except websocket.WebSocketTimeoutException:
                break

    def errors(self) -> list[str]:
        found = []
        for e in self.events:
            m, p = e.get("method"), e.get("params", {})
            if m == "Runtime.exceptionThrown":
                d = p["exceptionDetails"]
                found.append(f"exception: {d.get('exception', {}).get('description') or d.get('text')}")
            elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                found.append("console.error: " + " ".join(str(a.get("value", a.get("description"))) for a in p["args"]))
            elif m == "Log.entryAdded" and p["entry"]["level"] == "error":
                found.append(f"log: {p['entry']['text']} {p['entry'].get('url', '')}")
            elif m == "Network.loadingFailed" and not p.get("canceled"):
                found.append(f"request failed: {p.get('errorText')}")
            elif m == "Network.responseReceived" and p["response"]["status"] >= 400:
                found.append(f"HTTP {p['response']['status']}: {p['response']['url']}")
        return found

    def eval(self, expression: str):
        r = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in r:
            raise RuntimeError(f"{expression}: {r['exceptionDetails']}")
        return r["result"].get("value")

    def screenshot(self, path: Path) -> None:
        data = self.call("Page.captureScreenshot", format="png")["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))

    def close(self) -> None:
        try:
            self.ws.close()
        finally:
            self.proc.terminate()
            self.proc.wait(10)


@pytest.fixture(scope="module")
def server():
    httpd = _Server(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(HTML)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()


@pytest.fixture(scope="module")
def browser():
    with tempfile.TemporaryDirectory() as tmp:
        b = Browser(tmp)
        yield b
        b.close()


LINKS = "Array.from(document.querySelectorAll('a[href]'), a => a.href)"
IMAGES = ("Array.from(document.images, i => ({src: i.currentSrc || i.src, ok: i.complete && i.naturalWidth > 0,"
          " output: !!i.closest('.cell_output, .output')}))")


@pytest.fixture(scope="module")
def crawl(server, browser):
    """Visit every HTML page reachable from the landing page; per page its errors, links and images."""
    start = server + "site/index.html"  # the site's root, index.html, only redirects here (its own test)
    todo, seen, pages, fragments = [start], {start}, {}, []
    while todo:
        url = todo.pop(0)
        errors = browser.open(url)
        page = browser.eval("location.href").split("#")[0]
        links, images = browser.eval(LINKS), browser.eval(IMAGES)
        ids = set(browser.eval("Array.from(document.querySelectorAll('[id]'), e => e.id)"))
        pages[page] = {"errors": errors, "links": links, "images": images, "ids": ids}
        for link in links:
            if not link.startswith(server):
                continue
            target, _, frag = link.partition("#")
            if frag:
                fragments.append((page, target, urllib.parse.unquote(frag)))
            path = urllib.parse.urlparse(target).path
            # _modules (the highlighted sources) and _sources (the raw files) are checked by HTTP, not visited
            if path.endswith(".html") and "/_modules/" not in path and target not in seen:
                seen.add(target)
                todo.append(target)
    return {"pages": pages, "fragments": fragments}


def test_every_page_loads_without_console_errors(crawl):
    pages = crawl["pages"]
    assert len(pages) > 40, f"only {len(pages)} pages reached from the landing page"
    bad = {url: p["errors"] for url, p in pages.items() if p["errors"]}
    assert not bad, json.dumps(bad, indent=1)[:4000]


def test_every_internal_link_resolves(crawl, server):
    targets = {link.split("#")[0] for p in crawl["pages"].values() for link in p["links"] if link.startswith(server)}
    broken = []
    for target in sorted(targets):
        try:
            urllib.request.urlopen(target, timeout=10).close()
        except urllib.error.HTTPError as e:
            broken.append(f"{target}: HTTP {e.code}")
    assert not broken, broken
    missing = [f"{src} -> {target}#{frag}" for src, target, frag in crawl["fragments"]
               if target in crawl["pages"] and frag and frag not in crawl["pages"][target]["ids"]]
    assert not missing, missing[:30]


def test_every_image_loads_and_the_notebooks_show_figures(crawl):
    images = [(url, i) for url, p in crawl["pages"].items() for i in p["images"]]
    broken = [f"{url}: {i['src']}" for url, i in images if not i["ok"]]
    assert not broken, broken
    figures = {url for url, i in images if i["output"] and "/notebooks/" in url}
    assert figures, "no notebook page shows an output figure: was the site built with execution off?"


def test_the_root_sends_the_browser_to_the_landing_page(server, browser):
    browser.events = []
    browser.call("Page.navigate", url=server + "index.html")
    for _ in range(50):
        browser.drain(0.1)
        if browser.eval("location.href").endswith("/site/index.html"):
            break
    assert browser.eval("location.href") == server + "site/index.html"
    assert "keras-tl" in browser.eval("document.title")


def test_search_finds_fine_tuning(server, browser):
    browser.open(server + "search.html?q=fine-tuning")
    count = 0
    for _ in range(100):  # the index loads and the results fill in asynchronously
        count = browser.eval("document.querySelectorAll('#search-results li').length")
        if count:
            break
        browser.drain(0.2)
    assert count > 0, "the search page found nothing for 'fine-tuning'"
    titles = browser.eval("Array.from(document.querySelectorAll('#search-results li a'), a => a.textContent)")
    assert any("fine" in t.lower() for t in titles), titles[:10]


def test_screenshots(server, browser):
    browser.open(server + "site/index.html")
    browser.drain(0.3)
    browser.screenshot(SHOTS / "landing.png")
    browser.open(server + NOTEBOOK_SHOT)
    # the largest output figure (the learning curves in 00_tour) in view
    browser.eval("(() => { const imgs = Array.from(document.querySelectorAll('.cell_output img'));"
                 " imgs.sort((a, b) => b.naturalWidth * b.naturalHeight - a.naturalWidth * a.naturalHeight);"
                 " if (imgs.length) { imgs[0].scrollIntoView({block: 'center'}); } })()")
    browser.drain(0.3)
    browser.screenshot(SHOTS / "notebook.png")
    for name in ("landing.png", "notebook.png"):
        assert (SHOTS / name).stat().st_size > 10_000, name
