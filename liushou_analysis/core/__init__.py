"""Core: the foundations every layer may use.

Errors a user can cause (``errors``), paths (``config``), the codebook of
labels and codes (``codebook``), term ids and the school calendar
(``terms``), masking of personal text (``privacy``), safe publication of
output folders (``outputs``) and byte-stable Excel writing (``xlsxio``).
Imports nothing else from the package.
"""
