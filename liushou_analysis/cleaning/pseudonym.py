"""Pseudonymous keys for pupils and helpers: HMAC-SHA256 of a stable identifier.

The key turns a school number into a key that cannot be reversed or
recomputed without it. It is read, in order, from:

1. the environment variable ``LIUSHOU_KEY`` (the key itself), or
2. the file named by ``LIUSHOU_KEY_FILE``, or ``~/.config/liushou/key``.

Keep the key outside the repository, and the same for every term of a
dataset, or keys will not match across terms. A synthetic county (a dataset
with ``_truth/truth.json``, such as the bundled sample) uses the published
:data:`DEMO_KEY` instead, so its clean tables can be rebuilt anywhere.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path

import pandas as pd

from ..errors import UserError

#: Demo key, used only for synthetic datasets. Never use it for real data.
DEMO_KEY = b"liushou-demo-key-for-synthetic-data-only"
KEY_ENV = "LIUSHOU_KEY"
KEY_FILE_ENV = "LIUSHOU_KEY_FILE"
DEFAULT_KEY_FILE = Path("~/.config/liushou/key")
#: Hex digits kept from the HMAC (64 bits: collisions are negligible for a county).
KEY_LENGTH = 16


def is_synthetic(dataset_dir: Path) -> bool:
    return (Path(dataset_dir) / "_truth" / "truth.json").exists()


def load_key(dataset_dir: Path) -> tuple[bytes, str]:
    """The key for a dataset and where it came from."""
    if os.environ.get(KEY_ENV):
        return os.environ[KEY_ENV].encode("utf-8"), f"environment variable {KEY_ENV}"
    path = Path(os.environ.get(KEY_FILE_ENV) or DEFAULT_KEY_FILE).expanduser()
    if path.is_file():
        key = path.read_bytes().strip()
        if len(key) < 16:
            raise UserError(f"the key file {path} holds fewer than 16 characters: write a long random key in it.")
        return key, f"key file {path}"
    if is_synthetic(dataset_dir):
        return DEMO_KEY, "the published demo key (synthetic data)"
    raise UserError(f"no pseudonymisation key for {dataset_dir}: set {KEY_ENV}, or put a long random key in "
                    f"{DEFAULT_KEY_FILE} (outside the repository) and keep it for every term.")


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
