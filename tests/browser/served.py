"""What the browser tests share besides fixtures: where the repository is, and the served site."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
VIEWPORT = {"width": 1280, "height": 900}


@dataclass(frozen=True)
class Site:
    """The built example site: its folder on disk and the address it is served at."""

    root: Path
    url: str  # http://127.0.0.1:PORT/

    def is_local(self, url: str) -> bool:
        return url.startswith(self.url)


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # the browser closing a connection early is not a failure of the site


@contextmanager
def served(folder: Path) -> Iterator[Site]:
    """A built site served by http.server on a free port of 127.0.0.1 while the block runs."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = _QuietServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="site-server", daemon=True)
    thread.start()
    try:
        yield Site(folder, f"http://127.0.0.1:{server.server_address[1]}/")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
