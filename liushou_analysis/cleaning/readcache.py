"""What each raw file held, kept in the raw layer so a rerun re-reads only the files that changed.

Reading is the part of ``liushou clean`` that grows with the files: open a
workbook, decode every cell, find the header, recognise the form. Its result
for one file depends only on that file's bytes, its path in the dataset,
the dataset's ``liushou.toml`` (header labels and codebook rows of its own)
and the code that reads; so ``liushou clean`` keeps it, per file, under a
key made of all of these (the file's SHA-256, its relative path, the
settings file's bytes, and a fingerprint of the package's reading and
cleaning code and codebook). A rerun after a term's files were added reads
only those files and takes the others from the cache; a file changed by one
byte, a new liushou.toml or a new version of the code misses and is read
again. Everything after reading (schools, cleaning, linkage, keys) is
computed as before, so the clean tables are the same bytes as from a clean
start; a test checks it.

Where: only in a folder the user names (``liushou clean --read-cache DIR``);
there is no default. The entries hold the raw cells, names and ID numbers
included, so they may not go where personal data never goes (the clean
tables' folder, a report) nor into the raw folders, which no command
changes: keep the folder with the raw data's own protection (the same
encrypted disk, not a shared drive). Each clean keeps only the entries it
used. The entries are Python pickles written by this program, read only
from the folder named.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from functools import lru_cache
from pathlib import Path

SUFFIX = ".pickle"


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """A hash of the code and codebook that reading depends on (the package's readers, cleaning and core)."""
    package = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for folder in ("readers", "cleaning", "core", "data"):
        for path in sorted((package / folder).glob("*")):
            if path.suffix in (".py", ".csv", ".json"):
                digest.update(path.relative_to(package).as_posix().encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


class ReadCache:
    """Per-file reading results in ``folder``: reused when the key matches, else computed and stored;
    :meth:`prune` drops the entries this clean did not use."""

    def __init__(self, folder: Path, raw_dir: Path, extra: str = ""):
        self.folder = Path(folder)
        settings = Path(raw_dir) / "liushou.toml"
        digest = hashlib.sha256(code_fingerprint().encode() + extra.encode())
        digest.update(settings.read_bytes() if settings.is_file() else b"")
        self.salt = digest.hexdigest()
        self.used: set[str] = set()
        self.hits = self.misses = 0
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            self.writable = os.access(self.folder, os.W_OK)
        except OSError:
            self.writable = False

    def lookup(self, path: Path, rel: str):
        """The file's key, and what reading it gave last time (None when it must be read)."""
        data = Path(path).read_bytes()
        key = hashlib.sha256(f"{self.salt}|{rel}|".encode() + hashlib.sha256(data).digest()).hexdigest()
        entry = self.folder / f"{key}{SUFFIX}"
        self.used.add(entry.name)
        if entry.is_file():
            try:
                with entry.open("rb") as fh:
                    outcome = pickle.load(fh)
                self.hits += 1
                return key, outcome
            except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
                pass  # a damaged or outdated entry: read the file again
        return key, None

    def store(self, key: str, outcome) -> None:
        """Keep what reading a file gave, under its key."""
        self.misses += 1
        if self.writable:
            fd, tmp = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=self.folder)
            with os.fdopen(fd, "wb") as fh:
                pickle.dump(outcome, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, self.folder / f"{key}{SUFFIX}")  # whole entries only, even if the clean is interrupted

    def read(self, path: Path, rel: str, compute):
        """``compute()`` for this file, or what it returned last time for the same bytes, path and code."""
        key, outcome = self.lookup(path, rel)
        if outcome is None:
            outcome = compute()
            self.store(key, outcome)
        return outcome

    def prune(self) -> None:
        """Remove the entries this clean did not use (files since changed or removed, older code)."""
        if not self.writable:
            return
        for entry in self.folder.glob(f"*{SUFFIX}"):
            if entry.name not in self.used:
                entry.unlink(missing_ok=True)
