"""Statistics: estimates with their uncertainty.

Design-based survey estimates (``survey``), prevalence of left-behind status
and care arrangements (``prevalence``), treatment-effect estimators
(``effects``), the pairing-effect study (``pairing``) and the audit of what
the reward scheme pays for (``audit``). Every estimator returns an
:class:`~liushou_analysis.statistics.estimate.Estimate`. May import every
layer below: ``core``, ``readers``, ``store``, ``cleaning``, ``indicators``
and ``scoring``.
"""
