"""A small W3C WebDriver client for Debian's chromedriver, stdlib only.

The dashboard's browser tests drive headless Chromium with it; no selenium.

    with WebDriver() as wd:
        wd.get("http://127.0.0.1:8080/builds")
        wd.wait_for("document.querySelectorAll('#builds tbody tr').length > 0")
        row = wd.find("#builds tbody tr")
        print(wd.attr(row, "data-state"), wd.text(row))
        wd.screenshot("/tmp/builds.png")

Element ids are returned as Element (a str subclass), so they can be passed
back to execute() and come back from it as elements.
"""

import base64
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

CHROMEDRIVER = "/usr/bin/chromedriver"
CHROMIUM = "/usr/bin/chromium"
HEADLESS_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Containers often have a tiny /dev/shm, which crashes renderers.
    "--disable-dev-shm-usage",
]
# The W3C key that marks a JSON object as an element reference.
ELEMENT_KEY = "element-6066-11e4-a52e-4f735466cecf"


class WebDriverError(Exception):
    """An error answer from chromedriver ("no such element", ...)."""

    def __init__(self, error, message, status=None):
        super().__init__(f"{error}: {message}")
        self.error = error
        self.message = message
        self.status = status


class NoSuchElement(WebDriverError):
    pass


class Element(str):
    """A WebDriver element id."""


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class WebDriver:
    def __init__(self, width=1400, height=1000, chromedriver=CHROMEDRIVER,
                 chromium=CHROMIUM, extra_args=(), startup_timeout=30):
        self._proc = None
        self._session = None
        self._profile = tempfile.mkdtemp(prefix="farm-chromium-")
        # Never route calls to the local chromedriver through a proxy from
        # the environment.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            self._start_driver(chromedriver, startup_timeout)
            args = HEADLESS_FLAGS + [
                f"--user-data-dir={self._profile}",
                f"--window-size={width},{height}",
            ] + list(extra_args)
            caps = {
                "capabilities": {
                    "alwaysMatch": {
                        "browserName": "chrome",
                        "goog:chromeOptions": {"binary": chromium, "args": args},
                        # Keeps console messages for browser_log().
                        "goog:loggingPrefs": {"browser": "ALL"},
                    }
                }
            }
            value = self._call("POST", "/session", caps, session=False)
            self._session = value["sessionId"]
            try:
                self._call("POST", "/window/rect", {"width": width, "height": height})
            except WebDriverError:
                pass  # --window-size already did it
        except BaseException:
            self.quit()
            raise

    # ------------------------------------------------------------ plumbing

    def _start_driver(self, chromedriver, timeout):
        self.port = _free_port()
        self._log_path = os.path.join(self._profile, "chromedriver.log")
        log = open(self._log_path, "wb")
        self._proc = subprocess.Popen(
            [chromedriver, f"--port={self.port}"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()
        self._base = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + timeout
        while True:
            if self._proc.poll() is not None:
                raise RuntimeError(
                    f"chromedriver exited with {self._proc.returncode}: {self._driver_log()}")
            try:
                status = self._call("GET", "/status", session=False, timeout=2)
                if status.get("ready", True):
                    return
            except (OSError, WebDriverError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"chromedriver did not start: {self._driver_log()}")
            time.sleep(0.1)

    def _driver_log(self):
        try:
            with open(self._log_path, "rb") as f:
                return f.read()[-2000:].decode("utf-8", "replace")
        except OSError:
            return ""

    def _call(self, method, path, body=None, session=True, timeout=120):
        url = self._base + (f"/session/{self._session}" if session else "") + path
        data = None
        if method == "POST":
            data = json.dumps({} if body is None else body).encode()
        request = urllib.request.Request(
            url, data=data, method=method,
            headers={"Content-Type": "application/json; charset=utf-8"})
        try:
            with self._opener.open(request, timeout=timeout) as response:
                payload = response.read()
        except urllib.error.HTTPError as e:
            payload = e.read()
            try:
                value = json.loads(payload).get("value", {})
            except ValueError:
                raise WebDriverError("unknown error", payload.decode("utf-8", "replace"), e.code)
            error = value.get("error", "unknown error")
            cls = NoSuchElement if error == "no such element" else WebDriverError
            raise cls(error, value.get("message", ""), e.code)
        return json.loads(payload).get("value") if payload else None

    @staticmethod
    def _wrap(value):
        """Element -> W3C reference, recursively."""
        if isinstance(value, Element):
            return {ELEMENT_KEY: str(value)}
        if isinstance(value, (list, tuple)):
            return [WebDriver._wrap(v) for v in value]
        if isinstance(value, dict):
            return {k: WebDriver._wrap(v) for k, v in value.items()}
        return value

    @staticmethod
    def _unwrap(value):
        """W3C reference -> Element, recursively."""
        if isinstance(value, dict):
            if ELEMENT_KEY in value and len(value) == 1:
                return Element(value[ELEMENT_KEY])
            return {k: WebDriver._unwrap(v) for k, v in value.items()}
        if isinstance(value, list):
            return [WebDriver._unwrap(v) for v in value]
        return value

    # ------------------------------------------------------------ navigation

    def get(self, url):
        self._call("POST", "/url", {"url": url})

    @property
    def current_url(self):
        return self._call("GET", "/url")

    @property
    def title(self):
        return self._call("GET", "/title")

    def back(self):
        self._call("POST", "/back")

    def refresh(self):
        self._call("POST", "/refresh")

    # ------------------------------------------------------------ elements

    def find(self, css, within=None):
        """The first element matching css; raises NoSuchElement if none."""
        path = f"/element/{within}/element" if within else "/element"
        value = self._call("POST", path, {"using": "css selector", "value": css})
        return Element(value[ELEMENT_KEY])

    def find_all(self, css, within=None):
        path = f"/element/{within}/elements" if within else "/elements"
        values = self._call("POST", path, {"using": "css selector", "value": css})
        return [Element(v[ELEMENT_KEY]) for v in values]

    def text(self, el):
        """The rendered text (what a user sees; hidden text is empty)."""
        return self._call("GET", f"/element/{el}/text")

    def attr(self, el, name):
        """The attribute as written in the DOM, or None."""
        return self.execute("return arguments[0].getAttribute(arguments[1]);", el, name)

    def prop(self, el, name):
        return self._call("GET", f"/element/{el}/property/{name}")

    def displayed(self, el):
        return self._call("GET", f"/element/{el}/displayed")

    def click(self, el):
        self._call("POST", f"/element/{el}/click")

    def clear(self, el):
        self._call("POST", f"/element/{el}/clear")

    def send_keys(self, el, text):
        self._call("POST", f"/element/{el}/value", {"text": text})

    # ------------------------------------------------------------ scripts

    def execute(self, script, *args):
        """Runs script (a function body: use `return`) with arguments[]."""
        value = self._call("POST", "/execute/sync",
                           {"script": script, "args": self._wrap(list(args))})
        return self._unwrap(value)

    def wait_for(self, predicate, timeout=10, interval=0.1):
        """Waits until predicate is truthy and returns its value.

        predicate is a callable (called with no arguments) or JavaScript: a
        function body with `return`, or else an expression.
        """
        if isinstance(predicate, str):
            # A `return` statement (at the start or after ; { } or a line
            # break) makes it a function body; "return" inside a string
            # literal of an expression does not.
            is_body = re.search(r"(^|[;{}\n])\s*return\b", predicate)
            script = predicate if is_body else f"return ({predicate});"
            check = lambda: self.execute(script)  # noqa: E731
            what = predicate
        else:
            check = predicate
            what = getattr(predicate, "__name__", repr(predicate))
        deadline = time.monotonic() + timeout
        last_error = None
        while True:
            try:
                value = check()
                if value:
                    return value
                last_error = None
            except (WebDriverError, AssertionError) as e:
                last_error = e
            if time.monotonic() > deadline:
                detail = f" (last error: {last_error})" if last_error else ""
                raise TimeoutError(f"timed out after {timeout}s waiting for {what}{detail}")
            time.sleep(interval)

    # ------------------------------------------------------------ misc

    def screenshot(self, path):
        data = base64.b64decode(self._call("GET", "/screenshot"))
        with open(path, "wb") as f:
            f.write(data)
        return path

    def add_cookie(self, name, value, path="/", **extra):
        """Sets a cookie for the current page's domain (load a page first)."""
        cookie = {"name": name, "value": value, "path": path}
        cookie.update(extra)
        self._call("POST", "/cookie", {"cookie": cookie})

    def delete_cookies(self):
        self._call("DELETE", "/cookie")

    def browser_log(self):
        """Console messages since the last call: [{level, message, ...}]."""
        return self._call("POST", "/se/log", {"type": "browser"}) or []

    def quit(self):
        """Ends the session, stops chromedriver, removes the profile."""
        if self._session is not None:
            try:
                self._call("DELETE", "", timeout=30)
            except (OSError, WebDriverError):
                pass
            self._session = None
        if self._proc is not None:
            if self._proc.poll() is None:
                self._proc.terminate()
                try:
                    self._proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self._proc.kill()
                    self._proc.wait()
            self._proc = None
        if self._profile:
            shutil.rmtree(self._profile, ignore_errors=True)
            self._profile = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.quit()
        return False

    def __del__(self):
        try:
            self.quit()
        except Exception:
            pass
