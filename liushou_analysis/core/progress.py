"""Progress of long work, for the person waiting: a bar on a terminal, plain lines otherwise.

``liushou clean`` reports every file it reads, ``liushou report`` every
notebook it runs. Attached to a terminal, a :class:`Progress` redraws one
line in place (``[######......] 37/197  2024-2025-2/学生名册.xlsx``);
written to a file or a pipe (a log, CI), it prints one plain line per step,
so the log says where a long run got to. Other messages go through the same
object, so they never land in the middle of a bar.
"""

from __future__ import annotations

import sys
from typing import TextIO

BAR = 24


class Progress:
    """Steps of known count shown as a bar (terminal) or lines (anything else); calling it prints a message."""

    def __init__(self, stream: TextIO | None = None, tty: bool | None = None):
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.drawn = False

    def __call__(self, message: str) -> None:
        """A message on its own line (after closing a bar that is being drawn)."""
        self._close()
        print(f"  {message}", file=self.stream, flush=True)

    def step(self, done: int, total: int, what: str) -> None:
        """Step ``done`` of ``total`` (1-based), on ``what``."""
        if not self.tty:
            print(f"  [{done:,}/{total:,}] {what}", file=self.stream, flush=True)
            return
        filled = BAR * done // max(total, 1)
        line = f"\r  [{'#' * filled}{'.' * (BAR - filled)}] {done:,}/{total:,}  {what}"
        self.stream.write(line[:160].ljust(100))
        self.stream.flush()
        self.drawn = True
        if done >= total:
            self._close()

    def _close(self) -> None:
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()
            self.drawn = False
