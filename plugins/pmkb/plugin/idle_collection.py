"""The garbage a `serve` build leaves, collected while the author reads the page rather than in
the rebuild their next save starts."""

from __future__ import annotations

import gc
import threading

# Long enough that the browsers MkDocs reloads at the end of a build have fetched their page (a
# collection holds the interpreter, and the server's threads would wait for it), short enough
# to come before most next saves.
IDLE_SECONDS = 0.5
THREAD_NAME = "pmkb idle collection"


class IdleCollection:
    """One full garbage collection once `serve` has been idle for `delay` seconds after a build.

    Every rebuild makes its files and pages anew, and those of the build before become garbage
    held in reference cycles (each MkDocs page and its file refer to each other). Python's
    collector reaches them at a moment of its own choosing, most often within the next rebuild,
    which then waits for it: 0.15 to 0.4 s of a rebuild at 5,000 postmortems, the first rebuild
    of a session the most. Collected while nothing is being built, they are gone before the
    next save. `gc.collect` only frees what nothing can reach: done earlier, it changes nothing
    but when the time is spent.
    """

    def __init__(self, delay: float = IDLE_SECONDS) -> None:
        self.delay = delay
        self.timer: threading.Timer | None = None

    def after_build(self) -> None:
        """A build has ended: collect once `delay` seconds pass without another starting."""
        self.cancel()
        timer = threading.Timer(self.delay, gc.collect)
        timer.name, timer.daemon = THREAD_NAME, True  # never keeps the server from exiting
        timer.start()
        self.timer = timer

    def cancel(self) -> None:
        """A build starts (or the server stops): no collection in the middle of it, and no
        thread of it left running once this returns (a build forks only while it runs no other
        thread: see `parallel.runs_in_parallel`). A collection under way is waited for; the
        build would wait for it all the same."""
        if self.timer is not None:
            self.timer.cancel()
            self.timer.join()
            self.timer = None
