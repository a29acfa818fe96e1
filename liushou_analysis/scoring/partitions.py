"""The reward scheme scored in parts: a province's pupils split into sets of whole schools, each scored alone.

Every clause of the plan is about one pupil: ranks within the pupil's classes, the pupil's own baseline and
end exams, conduct and status. A pupil's exams may lie in two schools (a pupil who moved), and the plan's
baseline looks at the first exam of the pupil's school, so the parts are sets of schools linked by their
pupils (connected components of the graph pupil - school): within a part, every pupil has all their exams and
every school all its pupils. Scoring each part with :func:`engine.pupil_points` and :func:`engine.pupil_awards`
and putting the parts together gives the same tables as scoring everything at once; the test checks it.

Parts are scored on a Dask cluster (:mod:`..core.cluster`) when one is given, else one after another here.
The helpers' and head teachers' sums, the rounding and the audit's order are then made from the whole, as in
:func:`engine.score_scheme`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from liushou_analysis.scoring import engine
from liushou_analysis.scoring.engine import RewardRules


def school_parts(scores: pd.DataFrame, pupil_ids: pd.Series, parts: int) -> pd.Series:
    """The part (0 .. parts-1) of each pupil of ``pupil_ids``: schools linked by a pupil who sat exams in both
    stay in one part, parts are about the same number of score rows, and a pupil with no score row goes to the
    part holding the earliest exam (the plan reads that exam when a pupil's school is not known)."""
    key = scores["school"] if "school" in scores else pd.Series(0, index=scores.index)
    pupil_code, pupils = pd.factorize(scores.pupil_id)
    school_code, schools = pd.factorize(key)
    n_pupils = len(pupils)
    graph = coo_matrix((np.ones(len(scores)), (pupil_code, n_pupils + school_code)),
                       shape=(n_pupils + len(schools),) * 2)
    _, component = connected_components(graph, directed=False)
    rows_per_component = np.bincount(component[pupil_code], minlength=component.max() + 1)
    # components in order of first appearance, cut into parts of about equal rows
    first_seen = pd.unique(component[pupil_code])
    sizes = rows_per_component[first_seen]
    before = (np.cumsum(sizes) - sizes) / max(len(scores), 1)  # share of the rows in earlier components
    part_of_component = np.zeros(component.max() + 1, dtype=np.int64)
    part_of_component[first_seen] = np.minimum((before * parts).astype(np.int64), parts - 1)
    part = pd.Series(part_of_component[component[:n_pupils]], index=pupils)
    exam = engine._exam_index(scores.school_year, scores.semester)
    earliest = part.get(scores.pupil_id.iloc[int(np.argmin(exam.to_numpy()))], 0) if len(scores) else 0
    return pupil_ids.map(part).fillna(earliest).astype(np.int64)


def _score_part(tables: dict, rules: RewardRules) -> tuple:
    """Part one and part two of one part's pupils, with their audit rows."""
    points, trail1 = engine.pupil_points(tables["scores"], tables["pairings"], tables["conduct"], rules,
                                         pupils=tables["pupils"])
    awards, trail2 = engine.pupil_awards(tables["scores"], tables["pairings"], rules)
    return points, trail1, awards, trail2


def split(scores, pairings, conduct, pupils, parts: int) -> list[dict]:
    """The four pupil inputs cut into ``parts`` sets of whole schools (:func:`school_parts`); empty parts are
    left out."""
    ids = pd.concat([scores.pupil_id, pairings.pupil_id, conduct.pupil_id], ignore_index=True).drop_duplicates()
    part = school_parts(scores, ids, parts)
    part.index = ids.to_numpy()
    frames = {"scores": scores, "pairings": pairings, "conduct": conduct, "pupils": pupils}
    codes = {name: frame.pupil_id.map(part).fillna(0).to_numpy() for name, frame in frames.items()
             if frame is not None}
    out = []
    for p in range(parts):
        tables = {name: None if frame is None else frame[codes[name] == p] for name, frame in frames.items()}
        if len(tables["scores"]) or len(tables["pairings"]):
            out.append(tables)
    return out


def score_scheme(scores, pairings, conduct, classes, rules: RewardRules = RewardRules(),
                 pupils: pd.DataFrame | None = None, cluster=None, parts: int | None = None
                 ) -> dict[str, pd.DataFrame]:
    """:func:`engine.score_scheme` with the pupils scored in parts (:func:`split`), on the ``cluster``'s workers
    when one is given (a ``distributed.Client``); ``parts`` defaults to four per worker thread."""
    from liushou_analysis.core import cluster as clusters

    if parts is None:
        parts = 4 * clusters.workers(cluster) if cluster is not None else 1
    pieces = split(scores, pairings, conduct, pupils, parts)
    if len(pieces) < 2 and cluster is None:
        return engine.score_scheme(scores, pairings, conduct, classes, rules, pupils=pupils)
    if cluster is not None:
        from functools import partial

        done = list(clusters.map_in_order(cluster, partial(_score_part, rules=rules), pieces))
    else:
        done = [_score_part(piece, rules) for piece in pieces]

    if not done:
        return engine.score_scheme(scores, pairings, conduct, classes, rules, pupils=pupils)

    def joined(i):
        frames = [d[i] for d in done if len(d[i])] or [done[0][i]]
        return pd.concat(frames, ignore_index=True).sort_values(["school_year", "pupil_id"], kind="stable"
                                                                 ).reset_index(drop=True)

    return engine.assemble(joined(0), joined(1), joined(2), joined(3), pairings, classes, rules)
