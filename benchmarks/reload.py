"""Edit to reload: how long after an author saves a postmortem `mkdocs serve` shows the change.

    .venv/bin/python benchmarks/reload.py PROJECT FILE URL_PATH [--dirty] [--edits 3]

Starts `mkdocs serve` in PROJECT on a free port, waits for the first build, then, `--edits`
times: writes a new sentence into FILE's summary and polls URL_PATH until the page shows it.
Prints one JSON line: the seconds of each edit, of the first build, and of each rebuild as the
server's log reports it. run.py uses it for pmkb's project and the plain MkDocs one.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import BinaryIO

BIN = Path(sys.executable).parent
POLL_SECONDS = 0.05
FIRST_BUILD_LIMIT = 900.0  # a 5,000-page site builds in about a minute; ten times that is a hang
RELOAD_LIMIT = 300.0
MARK = "## Summary\n\n"
SERVING = b"Serving on"  # what MkDocs' server logs once its first build has ended
RELOADED = b"Reloading browsers"  # and once each rebuild has ended
# The seconds a build took. MkDocs logs a message once: a rebuild that took as long as one
# before it (to the hundredth) is not logged again, so the server's log may show fewer.
_BUILT_IN = re.compile(rb"Documentation built in ([0-9.]+) seconds")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fetch(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return str(response.read().decode("utf-8", "replace"))
    except (urllib.error.URLError, OSError):
        return None


def wait_for(url: str, text: str, limit: float) -> float:
    """Seconds until the page at `url` holds `text`; raises TimeoutError after `limit`."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        page = fetch(url)
        if page is not None and text in page:
            return time.monotonic() - started
        time.sleep(POLL_SECONDS)
    raise TimeoutError(f"{url} did not show {text!r} within {limit:.0f} s")


def edited(text: str, token: str) -> str:
    """The postmortem with a sentence holding `token` at the start of its summary."""
    if MARK not in text:
        raise ValueError(f"no {MARK!r} in the file")
    return text.replace(MARK, f"{MARK}Edited while serving ({token}). ", 1)


def measure(project: Path, file: Path, url_path: str, dirty: bool, edits: int) -> dict[str, object]:
    port = free_port()
    command = [str(BIN / "mkdocs"), "serve", "-a", f"127.0.0.1:{port}"]
    if dirty:
        command.append("--dirty")
    original = file.read_text(encoding="utf-8")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    url = f"http://127.0.0.1:{port}/{url_path.strip('/')}/"
    log = tempfile.TemporaryFile()  # noqa: SIM115 (closed below, once the server has ended)
    server = subprocess.Popen(command, cwd=project, env=env, stdout=subprocess.DEVNULL, stderr=log)
    try:
        first = wait_for(url, "</html>", FIRST_BUILD_LIMIT)
        times = []
        for edit in range(edits):
            # Each save is timed from a server at rest: a page is served as soon as its file is
            # written, while the build goes on writing others, and a save then would wait for
            # that build's end too, and every later one a little longer.
            builds_ended(log, edit, RELOAD_LIMIT)
            token = f"reload-{os.getpid()}-{edit}"
            # The file's time changes by more than a file system's resolution between edits.
            time.sleep(1.0)
            file.write_text(edited(original, token), encoding="utf-8")
            times.append(wait_for(url, token, RELOAD_LIMIT))
        builds_ended(log, edits, RELOAD_LIMIT)
        return {"first_build": first, "edits": times, "rebuilds": build_seconds(log)[1:]}
    finally:
        file.write_text(original, encoding="utf-8")
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def build_seconds(log: BinaryIO) -> list[float]:
    """The seconds each build the server's log reports took, in order (the first build's first)."""
    log.seek(0)
    return [float(found) for found in _BUILT_IN.findall(log.read())]


def builds_ended(log: BinaryIO, rebuilds: int, limit: float) -> None:
    """Wait until the server's log says its first build and `rebuilds` more have ended; raises
    TimeoutError after `limit` seconds."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        log.seek(0)
        text = log.read()
        if SERVING in text and text.count(RELOADED) >= rebuilds:
            return
        time.sleep(POLL_SECONDS)
    raise TimeoutError(f"the server did not end rebuild {rebuilds} within {limit:.0f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("project", type=Path)
    parser.add_argument("file", type=Path)
    parser.add_argument("url_path")
    parser.add_argument("--dirty", action="store_true")
    parser.add_argument("--edits", type=int, default=3)
    args = parser.parse_args(argv)
    result = measure(args.project, args.file, args.url_path, args.dirty, args.edits)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
