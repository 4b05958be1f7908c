"""What the browser tests share besides fixtures: where the repository is, and the served site."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
VIEWPORT = {"width": 1280, "height": 900}


@dataclass(frozen=True)
class Site:
    """The built example site: its folder on disk and the address it is served at."""

    root: Path
    url: str  # http://127.0.0.1:PORT/

    def is_local(self, url: str) -> bool:
        return url.startswith(self.url)
