"""The floor for `pmkb check`: parse the front matter of every postmortem, and nothing else.

    python benchmarks/floor.py PROJECT/postmortems

Reads each Markdown file under the folder, takes the text between the opening `---` line and the
next `---` line, and parses it with PyYAML's C loader. Run as its own process by run.py, so its
time includes starting Python and importing yaml, as `pmkb check` does.
"""

import os
import sys

import yaml


def main(folder: str) -> None:
    parsed = 0
    for base, _dirs, files in os.walk(folder):
        for name in files:
            if not name.endswith(".md"):
                continue
            with open(os.path.join(base, name), encoding="utf-8") as handle:
                text = handle.read()
            if not text.startswith("---\n"):
                continue
            end = text.find("\n---\n", 3)
            if end == -1:
                continue
            yaml.load(text[4 : end + 1], Loader=yaml.CSafeLoader)
            parsed += 1
    print(f"parsed {parsed} front matters")


if __name__ == "__main__":
    main(sys.argv[1])
