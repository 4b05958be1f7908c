"""The key that seals what pmkb keeps between runs: finished incident pages and listing pages
(pmkb's own HTML, which no sanitizer could pass), converted pages (whose text a page would show)
and checked postmortems found by their content (whose findings and standing decide what is
published). A cache folder is anyone's to fill (a pull request can commit one, a shared CI
cache can hold one), so what is kept there is used only if it carries an HMAC under this key,
which is kept outside every project.
"""

from __future__ import annotations

import os
import secrets
from contextlib import suppress
from hashlib import sha256
from pathlib import Path

# The environment variable that gives runs a key of their own for sealing, in place of the
# machine's: set from a CI secret, the runners that have it share what they keep.
KEY_VARIABLE = "PMKB_CACHE_KEY"
# The fewest characters such a key may have: 32 random letters and digits are not guessed.
KEY_LEAST = 32


def given_secret(value: str) -> bytes:
    """The sealing key made from a key given in KEY_VARIABLE (text of KEY_LEAST characters or
    more, checked by the caller): 32 bytes, as a machine's key is."""
    return sha256(b"pmkb cache key\0" + value.encode("utf-8", "surrogatepass")).digest()


def machine_secret(folder: Path) -> bytes | None:
    """This user's key for sealing, kept in `folder` (readable by the user alone); None when there
    is none yet, or it cannot be read. The first call on a machine makes the key and still
    answers None: that build can find no finished page, and on a CI runner, a new machine every
    time, it would write them for no one (a tenth of a cold build). (The file's name is from when
    it sealed finished pages alone.)"""
    path = key_file(folder)
    try:
        found = path.read_bytes()
    except FileNotFoundError:
        found = None
    except OSError:
        return None
    if found is not None:
        if len(found) == 32:
            return found
        # Not a key as this function writes it (on Windows, one written before it was written in
        # binary mode could have grown): made again, as on a new machine, not refused for ever.
        with suppress(OSError):
            path.unlink()
    with suppress(OSError):  # another build made it first, or the folder is read-only
        folder.mkdir(parents=True, exist_ok=True)
        _made(path, secrets.token_bytes(32))
    return None


def key_file(folder: Path) -> Path:
    """Where `machine_secret` keeps the key in `folder`."""
    return folder / "finished-pages.key"


def never_kept() -> str | None:
    """Once `cache_secret` gave no key: why none can be made, if so (the user's cache folder
    cannot be written, or there is no home folder), and every build converts every page. None
    when this run made the machine's key, for the next."""
    try:
        folder = user_folder()
    except RuntimeError:
        return "there is no home folder to keep it in"
    if key_file(folder).is_file():
        return None
    return f"{folder} cannot be written"


def _made(path: Path, key: bytes) -> None:
    """Make the key file `path` holding `key`, unless a run made it first: written whole under a
    name of its own, then linked to `path`, so that a run reading the key at that moment finds
    none or all of it, never the empty file it would take for a bad one and make again (with
    the effect that what the first run sealed is never used)."""
    temporary = path.with_name(f".{path.name}-{secrets.token_hex(4)}")
    try:
        _written(temporary, key)
        try:
            os.link(temporary, path)  # fails if the file is there: the first key made stays
        except FileExistsError:
            pass
        except OSError:  # a file system without hard links: written in place
            _written(path, key)
    finally:
        with suppress(OSError):
            temporary.unlink()


def _written(path: Path, key: bytes) -> None:
    # Through `open`, which asks for binary mode on Windows too: a descriptor from `os.open`
    # alone writes each line feed of the key there as two bytes.
    with open(path, "xb", opener=_private) as out:
        out.write(key)


def _private(path: str, flags: int) -> int:
    """Open a new file as `open` asks, readable and writable by its owner alone."""
    return os.open(path, flags, 0o600)


def cache_secret() -> tuple[bytes | None, str | None]:
    """The key for sealing: the one given in KEY_VARIABLE (a CI secret, shared by the runners
    that have it), else this machine's (see `machine_secret`); and, when the one given is too
    short to be used, what to warn of (its length alone)."""
    given = os.environ.get(KEY_VARIABLE, "")
    problem = None
    if given:
        if len(given) >= KEY_LEAST:
            return given_secret(given), None
        problem = (
            f"{KEY_VARIABLE} holds {len(given)} characters, fewer than {KEY_LEAST}: not used; "
            "what pmkb keeps is sealed with this machine's key"
        )
    try:
        return machine_secret(user_folder()), problem
    except RuntimeError:  # no home folder to keep the key in
        return None, problem


def user_folder() -> Path:
    """This user's cache folder, outside any project: where the machine's key is kept. A relative
    folder is ignored, as the XDG specification asks: `.cache` would put the key in the very
    folder of the project a pull request can fill."""
    for variable in ("XDG_CACHE_HOME", "LOCALAPPDATA"):
        base = os.environ.get(variable, "")
        if base and os.path.isabs(base):
            return Path(base) / "pmkb"
    return Path.home() / ".cache" / "pmkb"
