"""Which browser the browser tests launch: the one `CHROMIUM` names, else the system's."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from . import conftest
from .conftest import find_chromium


def _executable(path: Path) -> Path:
    path.write_text("", newline="\n")
    path.chmod(0o755)
    return path


def test_the_path_chromium_names_is_used_even_when_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHROMIUM", str(tmp_path / "no-such-chrome"))
    # A wrong path fails the launch with that path in the message instead of falling back.
    assert find_chromium() == str(tmp_path / "no-such-chrome")


@pytest.mark.skipif(
    sys.platform == "win32", reason="Windows finds programs by extension, not by the mode bits"
)
def test_without_chromium_set_the_first_browser_on_path_is_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CHROMIUM", raising=False)
    monkeypatch.setattr(conftest, "DEBIAN_CHROMIUM", str(tmp_path / "not-debian"))
    _executable(tmp_path / "google-chrome")
    monkeypatch.setenv("PATH", str(tmp_path))
    assert find_chromium() == str(tmp_path / "google-chrome")
    _executable(tmp_path / "chromium-browser")
    assert find_chromium() == str(tmp_path / "chromium-browser")
