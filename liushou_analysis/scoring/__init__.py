"""Scoring: the reward-point scheme of the plan (考核及奖励), clause by clause.

``engine`` holds the rules (:class:`~liushou_analysis.scoring.engine.RewardRules`)
and computes the points and payouts from DataFrames; ``contract`` reads and
checks the input files evaluators bring (or the clean store) and writes the
outputs. May import ``core``, ``readers``, ``store``, ``cleaning`` and
``indicators``.
"""
