"""Counting what a CSR does on the phone: keystrokes, clicks, full page loads and the time the
browser waited for the server, in one scripted order.

    counter = PhoneCounter(page)   # before the first page of the call
    ... drive the page with page.keyboard ...
    counter.report("standard phone order")   # prints the four figures, returns them

Keys and clicks are counted in the page (trusted events only, so what a person would press or
click; a chord such as Ctrl+Enter is one keystroke), through a binding that survives page
loads; page loads are the page's load events (a URL pushed by htmx is not one); server time is
each request's wait from sending to the first byte of the answer (resource timing:
responseStart − requestStart), for documents and htmx requests alike.
"""

from __future__ import annotations

from dataclasses import dataclass

# A chord is one keystroke, as the issue's own count has it (Shift+Tab, Ctrl+Enter): the
# modifier held down is not counted by itself, the key pressed with it is.
COUNT_SCRIPT = """
const MODIFIERS = new Set(["Shift", "Control", "Alt", "Meta", "AltGraph"]);
const count = (kind) => (e) => {
  if (e.isTrusted && !(kind === "key" && MODIFIERS.has(e.key))) window.__phoneCount(kind);
};
document.addEventListener("keydown", count("key"), true);
document.addEventListener("mousedown", count("click"), true);
"""


@dataclass
class PhoneFigures:
    keys: int
    clicks: int
    page_loads: int
    server_ms: float


class PhoneCounter:
    def __init__(self, page):
        self.page = page
        self.counts = {"key": 0, "click": 0}
        self.page_loads = 0
        self.server_ms = 0.0
        self.requests: list[tuple[float, str, str]] = []  # (server ms, method, path)
        page.expose_binding("__phoneCount", lambda source, kind: self._count(kind))
        page.add_init_script(COUNT_SCRIPT)
        page.on("load", self._loaded)
        page.on("requestfinished", self._finished)

    def reset(self) -> None:
        """Start counting here (the call starts on the screen the CSR is on)."""
        self.counts = {"key": 0, "click": 0}
        self.page_loads = 0
        self.server_ms = 0.0
        self.requests = []

    def _count(self, kind: str) -> None:
        self.counts[kind] += 1

    def _loaded(self, page) -> None:
        self.page_loads += 1

    def _finished(self, request) -> None:
        if request.resource_type not in ("document", "xhr", "fetch"):
            return
        timing = request.timing
        if timing["responseStart"] > 0 and timing["requestStart"] >= 0:
            waited = timing["responseStart"] - timing["requestStart"]
            self.server_ms += waited
            path = "/" + request.url.split("//", 1)[-1].split("/", 1)[-1]
            self.requests.append((waited, request.method, path))

    def figures(self) -> PhoneFigures:
        return PhoneFigures(
            self.counts["key"], self.counts["click"], self.page_loads, round(self.server_ms)
        )

    def report(self, what: str) -> PhoneFigures:
        figures = self.figures()
        print(
            f"\n  {what}: {figures.keys} keystrokes, {figures.clicks} clicks, "
            f"{figures.page_loads} full page loads, {figures.server_ms} ms server wait"
        )
        return figures
