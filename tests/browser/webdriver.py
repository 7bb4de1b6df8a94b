"""A minimal W3C WebDriver client over httpx, for Debian's chromedriver (package
chromium-driver): enough to load a page, find and click elements, read them and take a
screenshot in headless Chromium, without another test dependency."""

from __future__ import annotations

import base64
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

ELEMENT = "element-6066-11e4-a52e-4f735466cecf"  # the W3C key of an element reference


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Browser:
    def __init__(self, http: httpx.Client, session: str) -> None:
        self.http = http
        self.session = session

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        answer = self.http.request(method, f"/session/{self.session}{path}", json=body)
        payload = answer.json()
        assert answer.status_code == 200, f"{method} {path}: {payload}"
        return payload["value"]

    def open(self, url: str) -> None:
        self._call("POST", "/url", {"url": url})

    def find_all(self, css: str) -> list[str]:
        found = self._call("POST", "/elements", {"using": "css selector", "value": css})
        return [element[ELEMENT] for element in found]

    def find(self, css: str) -> str:
        found = self.find_all(css)
        assert found, f"no element matches {css}"
        return found[0]

    def click(self, element: str) -> None:
        self._call("POST", f"/element/{element}/click", {})

    def attribute(self, element: str, name: str) -> str | None:
        value: str | None = self._call("GET", f"/element/{element}/attribute/{name}")
        return value

    def displayed(self, element: str) -> bool:
        return bool(self._call("GET", f"/element/{element}/displayed"))

    def width(self, element: str) -> float:
        return float(self._call("GET", f"/element/{element}/rect")["width"])

    def text(self, element: str) -> str:
        return str(self._call("GET", f"/element/{element}/text"))

    def run(self, script: str, *args: Any) -> Any:
        return self._call("POST", "/execute/sync", {"script": script, "args": list(args)})

    def screenshot(self, path: Path) -> None:
        path.write_bytes(base64.b64decode(self._call("GET", "/screenshot")))

    def wait_for(self, script: str, timeout_s: float = 10) -> Any:
        """Polls a script until it returns something truthy."""
        deadline = time.monotonic() + timeout_s
        while not (value := self.run(script)):
            assert time.monotonic() < deadline, f"still false after {timeout_s} s: {script}"
            time.sleep(0.1)
        return value


@contextmanager
def chromium_session(profile: Path, width: int = 1280, height: int = 900) -> Iterator[Browser]:
    """chromedriver on a free port driving headless Chromium; both stopped after."""
    driver, chromium = shutil.which("chromedriver"), shutil.which("chromium")
    assert driver and chromium, "needs chromium and chromedriver: apt-get install chromium-driver"
    port = free_port()
    process = subprocess.Popen(
        [driver, f"--port={port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
            deadline = time.monotonic() + 20
            while True:
                try:
                    if http.get("/status").json()["value"]["ready"]:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "chromedriver did not start"
                time.sleep(0.1)
            options = {
                "binary": chromium,
                "args": [
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--hide-scrollbars",
                    f"--user-data-dir={profile}",
                    f"--window-size={width},{height}",
                ],
            }
            created = http.post(
                "/session",
                json={"capabilities": {"alwaysMatch": {"goog:chromeOptions": options}}},
            )
            assert created.status_code == 200, created.text
            session = created.json()["value"]["sessionId"]
            try:
                yield Browser(http, session)
            finally:
                http.delete(f"/session/{session}")
    finally:
        process.terminate()
        process.wait(timeout=20)
