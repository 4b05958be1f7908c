"""Blame language on an archive of postmortems: the sentences to judge, and pmkb's verdicts.

    python benchmarks/blame_corpus.py FOLDER [LABELS]

Reads every Markdown file under FOLDER (its body, and the `title:` and `summary:` of a front
matter) and prints, one a line, each sentence holding a word that could be blame (CANDIDATES),
numbered, with the phrases PMK401 reports in it. That is the list to read and judge by hand.

With LABELS, a file of the numbers of the sentences judged to be blame (whitespace-separated,
`#` starts a comment), it prints precision and recall instead. The figures in docs/reference.md
(section Blame language) were measured this way; the archives and the labels are third parties'
text and stay out of this repository.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from pmkb.read.blame import BlameMatcher

# Wider than the phrases themselves: a sentence that holds none of these is taken not to be
# blame, so recall is measured over these sentences.
CANDIDATES = re.compile(
    r"mistaken|accidental|inadvertent|typo|mistake|fat[- ]?finger|failed to follow|"
    r"did ?n[o']?t follow|double[- ]?check|human[- ]error|operator error|user error|careless|"
    r"forgot|should(?: not|n't)? have|should've|blame|fault|negligen|reckless|sloppy|oversight|"
    r"neglect|lapse|by error|erroneous|wrongly|incorrectly|human mistake|pilot error|"
    r"not paying attention|inexperienc|dropped the ball|rookie|(?:his|her|their) (?:error|mistake)",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def prose(text: str) -> str:
    """The text pmkb scans: the body, and the title and summary of a front matter."""
    if not text.startswith("---"):
        return text
    end = text.find("\n---", 3)
    if end == -1:
        return text
    front, body = text[:end], text[end + 4 :]
    lines = front.split("\n")
    kept = [
        next((line.split(":", 1)[1].strip() for line in lines if line.startswith(key)), None)
        for key in ("title:", "summary:")
    ]
    return "\n".join([*(k for k in kept if k is not None), body])


def candidates(folder: Path) -> list[tuple[str, str]]:
    """(file, sentence) for every sentence holding a CANDIDATES word, in file order."""
    found = []
    for path in sorted(folder.rglob("*.md")):
        text = prose(path.read_text(encoding="utf-8", errors="replace"))
        for line in text.split("\n"):
            for sentence in _SENTENCE_END.split(line):
                if CANDIDATES.search(sentence):
                    found.append((path.relative_to(folder).as_posix(), sentence.strip()))
    return found


def main(folder: str, labels: str | None = None) -> None:
    matcher = BlameMatcher()
    sentences = candidates(Path(folder))
    reported = {
        n for n, (_, sentence) in enumerate(sentences) if any(matcher.scan_line(sentence, 1))
    }
    if labels is None:
        for n, (name, sentence) in enumerate(sentences):
            hits = [h.text for h in matcher.scan_line(sentence, 1)]
            print(f"{n}\t{name}\t{hits or ''}\t{sentence[:200]}")
        print(f"{len(sentences)} candidate sentences, {len(reported)} reported")
        return
    text = Path(labels).read_text(encoding="utf-8")
    blame = {int(n) for n in re.sub(r"#[^\n]*", "", text).split()}
    right = reported & blame
    print(f"{len(sentences)} candidate sentences, {len(blame)} judged blame")
    print(f"reported {len(reported)}, right {len(right)}")
    print(f"precision {len(right) / max(len(reported), 1):.0%}")
    print(f"recall {len(right) / max(len(blame), 1):.0%} ({len(right)} of {len(blame)})")
    print(f"missed: {sorted(blame - reported)}; wrongly reported: {sorted(reported - blame)}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
