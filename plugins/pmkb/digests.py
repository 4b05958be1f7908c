"""One way to tell whether what something is made from has changed: a digest of its parts."""

from __future__ import annotations

from hashlib import sha256


def digest(*parts: str | bytes) -> str:
    """A digest of `parts`, in order. Each part is prefixed with its length, so that no two
    different lists of parts (`"ab", "c"` and `"a", "bc"`) have the same digest."""
    made = sha256()
    for part in parts:
        data = part if isinstance(part, bytes) else part.encode("utf-8", "surrogatepass")
        made.update(len(data).to_bytes(8, "big"))
        made.update(data)
    return made.hexdigest()
