"""Synth: a synthetic county with a planted truth, a data source apart.

It writes raw files shaped as schools keep them, plus ``_truth/`` (the
planted effects and the true tables) for validating the estimators. Nothing
outside ``synth``, the CLI's ``liushou synth`` command and the tests imports
it; the report reads a planted truth file only as an optional notebook
parameter. May import ``core``, ``readers``, ``store``, ``cleaning``,
``indicators`` and ``statistics``.
"""
