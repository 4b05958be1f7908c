"""The stylesheet and script the pages use, served from the site itself (no CDN)."""

from __future__ import annotations

from pathlib import Path

from ...urls import ASSETS, Site
from .base import GeneratedPage

FOLDER = Path(__file__).parent.parent / "assets"


def asset_pages(site: Site) -> list[GeneratedPage]:
    """pmkb.css and pmkb.js, as files of the site."""
    return [
        GeneratedPage(site.asset(name), (FOLDER / name).read_text(encoding="utf-8"), "asset")
        for name in ASSETS
    ]
