"""Readers: raw school files in, cell grids out, and the form registry.

``rawread`` opens .xlsx/.xls/HTML-as-.xls/.csv files as schools send them
(merged title rows, two-row headers, GBK text, Excel error cells);
``forms`` recognises which official form or list a sheet is; ``inventory``
lists a raw folder. May import ``core`` only.
"""
