"""The clean store: the one owner of a ``data_clean/<dataset>/`` folder.

A clean folder holds one Parquet file per clean table, ``quarantine.parquet``,
``field_issues.parquet``, ``quarantine.xlsx`` and ``manifest.json`` (versions,
provenance, counts and the checksum of every file). :class:`CleanStore` reads
and writes that layout; no other module opens those files. May import
``core`` and ``readers`` only.
"""

from liushou_analysis.store.clean import MANIFEST, CleanStore

__all__ = ["MANIFEST", "CleanStore"]
