"""Indicators: per-pupil facts derived from clean tables.

Left-behind status under each definition and care arrangement (``status``),
the term frame of care arrangements and the documents' reference figures
(``care``), contact routines and archives (``routines``), class ranks and
percentiles (``ranks``), growth percentiles (``growth``) and data-quality
summaries (``quality``). Functions take and return DataFrames. May import
``core``, ``readers``, ``store`` and ``cleaning``.
"""
