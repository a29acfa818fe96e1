"""Pseudonymous keys for pupils and helpers: HMAC-SHA256 of a stable identifier.

The key turns a school number into a key that cannot be reversed or
recomputed without it. It is read, in order, from:

1. the environment variable ``LIUSHOU_KEY`` (the key itself), or
2. the file named by ``LIUSHOU_KEY_FILE``, or ``~/.config/liushou/key``.

Keep the key outside the repository, and the same for every term of a
dataset, or keys will not match across terms. Keys shorter than 16
characters are refused, and surrounding whitespace (a trailing newline) is
removed, from every source. A synthetic county (such as the bundled sample)
uses the published :data:`DEMO_KEY` instead, so its clean tables can be
rebuilt anywhere, but only when the generator's signature of its files
(``_truth/signature.json``) matches them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from pathlib import Path

import pandas as pd

from liushou_analysis.core.errors import UserError

#: Demo key, used only for synthetic datasets. Never use it for real data.
DEMO_KEY = b"liushou-demo-key-for-synthetic-data-only"
KEY_ENV = "LIUSHOU_KEY"
KEY_FILE_ENV = "LIUSHOU_KEY_FILE"
DEFAULT_KEY_FILE = Path("~/.config/liushou/key")
#: Hex digits kept from the HMAC (64 bits: collisions are negligible for a county).
KEY_LENGTH = 16


#: Shortest key accepted, from any source.
MIN_KEY_LENGTH = 16
#: The generator's signature of a synthetic county: an HMAC under the demo
#: key of every file's path and checksum. Only a folder whose files match it
#: is synthetic; a file named truth.json proves nothing.
SIGNATURE_FILE = "_truth/signature.json"


def dataset_signature(dataset_dir: Path) -> str:
    """HMAC (demo key) of every file of a dataset folder with its checksum,
    leaving out the signature itself, liushou's own marker and lock files,
    and the truth folder's Parquet tables: their bytes record the pandas and
    pyarrow versions that wrote them, so the same county would sign
    differently on another machine. Every raw file a school could add to or
    change in the folder is covered."""
    from liushou_analysis.core.outputs import MARKER
    from liushou_analysis.readers.rawread import file_sha256

    root = Path(dataset_dir)
    lines = []
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        truth_table = rel.startswith("_truth/") and p.suffix == ".parquet"
        if p.is_file() and rel != SIGNATURE_FILE and p.name != MARKER and not p.name.endswith(".lock") \
                and not truth_table:
            lines.append(f"{rel}\t{file_sha256(p)}")
    return hmac.new(DEMO_KEY, "\n".join(lines).encode("utf-8"), hashlib.sha256).hexdigest()


def sign_dataset(dataset_dir: Path) -> None:
    """Write the signature of a folder the generator has just written."""
    path = Path(dataset_dir) / SIGNATURE_FILE
    path.write_text(json.dumps({"hmac_sha256_demo_key": dataset_signature(dataset_dir)}) + "\n", encoding="utf-8")


def is_synthetic(dataset_dir: Path) -> bool:
    """True only for a folder the generator wrote, unchanged since."""
    path = Path(dataset_dir) / SIGNATURE_FILE
    try:
        recorded = json.loads(path.read_text(encoding="utf-8"))["hmac_sha256_demo_key"]
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return hmac.compare_digest(str(recorded), dataset_signature(dataset_dir))


def _checked_key(raw: bytes, source: str) -> bytes:
    """A key with surrounding whitespace removed (the same for every source),
    refused when shorter than :data:`MIN_KEY_LENGTH`."""
    key = raw.strip()
    if len(key) < MIN_KEY_LENGTH:
        raise UserError(f"the key from {source} has {len(key)} characters; use a long random key of at least "
                        f"{MIN_KEY_LENGTH} (e.g. from 'python -c \"import secrets; print(secrets.token_hex(16))\"').")
    if key == DEMO_KEY:
        raise UserError(f"the key from {source} is the published demo key; real data needs a key of its own.")
    return key


def load_key(dataset_dir: Path) -> tuple[bytes, str]:
    """The key for a dataset and where it came from: the environment, a key
    file, or, only for a synthetic county the generator signed, the
    published demo key."""
    if os.environ.get(KEY_ENV) is not None and os.environ.get(KEY_ENV) != "":
        source = f"environment variable {KEY_ENV}"
        return _checked_key(os.environ[KEY_ENV].encode("utf-8"), source), source
    path = Path(os.environ.get(KEY_FILE_ENV) or DEFAULT_KEY_FILE).expanduser()
    if path.is_file():
        return _checked_key(path.read_bytes(), f"key file {path}"), f"key file {path}"
    if is_synthetic(dataset_dir):
        return DEMO_KEY, "the published demo key (a synthetic county the generator signed)"
    truth = (Path(dataset_dir) / "_truth").exists()
    raise UserError(f"no pseudonymisation key for {dataset_dir}: set {KEY_ENV}, or put a long random key in "
                    f"{DEFAULT_KEY_FILE} (outside the repository) and keep it for every term."
                    + (" The folder has a _truth folder but is not a synthetic county the generator signed (or its "
                       "files were changed since), so the demo key is not used." if truth else ""))


def pseudonyms(identifiers: pd.Series, key: bytes, prefix: str) -> pd.Series:
    """Keyed hashes of identifiers, e.g. ``P3f9a0c...``; missing stays missing.

    >>> pseudonyms(pd.Series(["school|0120230001"]), b"k" * 16, "P").str.len().item()
    17
    """
    def one(value):
        if pd.isna(value):
            return pd.NA
        digest = hmac.new(key, str(value).encode("utf-8"), hashlib.sha256).hexdigest()
        return prefix + digest[:KEY_LENGTH]
    unique = pd.Series(identifiers.dropna().unique())
    mapping = dict(zip(unique, unique.map(one), strict=True))
    return identifiers.map(mapping).astype(object)
