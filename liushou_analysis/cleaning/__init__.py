"""Cleaning: raw school files in, validated tidy tables and a quarantine out.

``pipeline`` runs a dataset term by term; ``tables`` holds one cleaner per
clean table; ``values`` turns the ways schools write a value into codes;
``fields`` maps column headers to fields; ``identity`` links pupils and
schools across files; ``pseudonym`` makes the keys; ``schemas`` validates
each table; ``settings`` reads a dataset's ``liushou.toml``. May import
``core``, ``readers`` and ``store``.
"""
