"""The summary line pmkb ends a build's log with (pmkb.site.build_log)."""

from __future__ import annotations

import logging
from pathlib import Path

from helpers import build, make_project, postmortem, read
from pmkb.read.knowledge import load
from pmkb.settings import load_settings
from pmkb.site.build_log import summary_line

GOOD = postmortem("Good", "2024-01-01")
BAD = postmortem("Bad", "2024-01-02", factors=["config-chnage"])


def line(root: Path, strict: bool = False, **options: object) -> tuple[int, str]:
    return summary_line(load(load_settings(options, root)), strict)


def test_published_errors_are_a_warning_that_asks_for_strict_builds(tmp_path: Path) -> None:
    make_project(tmp_path, {"a.md": GOOD, "b.md": BAD, "c.md": BAD.replace("Bad", "Worse")})
    assert line(tmp_path) == (
        logging.WARNING,
        "3 postmortems found, 3 published, 0 drafts held back, 2 with errors; "
        "2 published postmortems have errors; CI should build with --strict",
    )


def test_one_published_error_is_singular(tmp_path: Path) -> None:
    make_project(tmp_path, {"a.md": GOOD, "b.md": BAD})
    assert line(tmp_path)[1].endswith(
        "1 with errors; 1 published postmortem has errors; CI should build with --strict"
    )


def test_a_clean_build_only_counts(tmp_path: Path) -> None:
    make_project(tmp_path, {"a.md": GOOD})
    assert line(tmp_path) == (
        logging.INFO,
        "1 postmortems found, 1 published, 0 drafts held back, 0 with errors",
    )


def test_errors_in_held_back_drafts_publish_nothing_wrong(tmp_path: Path) -> None:
    draft = postmortem("Draft", "2024-01-02", factors=["config-chnage"], status="draft")
    make_project(tmp_path, {"a.md": GOOD, "b.md": draft})
    assert line(tmp_path) == (
        logging.INFO,
        "2 postmortems found, 1 published, 1 drafts held back, 1 with errors",
    )
    # Shown as previews, the draft's errors are on the site, and said not final.
    assert line(tmp_path, publish_drafts=True) == (
        logging.INFO,
        "2 postmortems found, 2 published, 0 drafts held back, 1 with errors, 1 of them not "
        "final (their findings are info here; pmkb check lists them)",
    )


def test_postmortems_the_audience_may_not_see_are_counted(tmp_path: Path) -> None:
    restricted = postmortem("Restricted", "2024-01-02", extra={"visibility": "restricted"})
    make_project(tmp_path, {"a.md": GOOD, "b.md": restricted})
    assert line(tmp_path) == (
        logging.INFO,
        "2 postmortems found, 1 published, 1 not for this site's audience (internal), "
        "0 drafts held back, 0 with errors",
    )
    assert line(tmp_path, audience="restricted")[1].startswith(
        "2 postmortems found, 2 published, 0"
    )


def test_a_strict_build_fails_on_the_errors_instead(tmp_path: Path) -> None:
    make_project(tmp_path, {"a.md": GOOD, "b.md": BAD})
    assert line(tmp_path, strict=True) == (
        logging.INFO,
        "2 postmortems found, 2 published, 0 drafts held back, 1 with errors",
    )


def test_errors_of_postmortems_in_review_are_counted_apart(tmp_path: Path) -> None:
    review = BAD.replace("status: published", "status: in-review")
    assert review != BAD
    make_project(tmp_path, {"a.md": GOOD, "b.md": review})
    assert line(tmp_path) == (
        logging.INFO,
        "2 postmortems found, 2 published, 0 drafts held back, 1 with errors, 1 of them not "
        "final (their findings are info here; pmkb check lists them)",
    )


def test_a_strict_build_fails_on_a_published_postmortem_not_on_one_in_review(
    tmp_path: Path,
) -> None:
    review = BAD.replace("status: published", "status: in-review")
    cases = {
        # An archive just imported as `in-review`: built, its gaps on its page and in the log.
        "in-review": (review, 0),
        "published": (BAD, 1),
        # A mistyped status is not work in progress: the file is withheld, and that fails.
        "mistyped": (BAD.replace("status: published", "status: in-reveiw"), 1),
    }
    for name, (text, code) in cases.items():
        root = make_project(tmp_path / name, {"a.md": GOOD, "b.md": text}, site=True)
        result = build(root, strict=True)
        assert result.returncode == code, (name, result.stderr)
        assert "PMK101" in result.stderr or "PMK" in result.stderr, name
        if name == "in-review":
            assert "INFO    -  pmkb: postmortems/b.md:" in result.stderr
            assert "config-chnage" in read(root, "incidents/b/index.html")  # the problems box
