"""Benchmark (issue 26, target 6): the clean's reading and the scoring on a Dask cluster of 1 and of 2 workers.

Measured here on a LocalCluster (worker processes on this machine; a real cluster runs the same code), the
cluster started and its workers' imports made before the clock runs:

* `clean_dataset(..., cluster=)` on a synthetic county (default 12 schools x 1 year), the files read by the
  workers, the rest of the clean in this process;
* `scoring.partitions.score_scheme(..., cluster=)` on K copies of the sample's scoring inputs (default 20,
  about 44,000 pupils), the pupils scored in parts of whole schools.

Printed: the seconds with 1 and with 2 workers and the speed-up, beside the same work with no cluster. Each
result is checked to be the same as without a cluster.

    python benchmarks/cluster_scaling.py [--schools 12] [--copies 20]

Every run appends its figures to results.csv. Nothing here is a unit test: the machine is noisy.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import pandas as pd
from audit_replays import copies
from record import record, timed

from liushou_analysis.cleaning.pipeline import clean_dataset
from liushou_analysis.core.cluster import connect
from liushou_analysis.scoring import contract as scoring_io
from liushou_analysis.scoring import engine, partitions

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schools", type=int, default=12)
    parser.add_argument("--copies", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        from liushou_analysis.synth.generate import synthesize

        raw = Path(tmp) / "county"
        synthesize(raw, seed=11, n_schools=args.schools, n_years=1)
        plain, t_clean = timed(lambda: clean_dataset(raw, Path(tmp) / "plain"))
        inputs = copies(scoring_io.from_clean(ROOT / "data_clean" / "sample") if (
            ROOT / "data_clean" / "sample" / "manifest.json").exists() else scoring_io.from_clean(Path(tmp) / "plain"),
            args.copies)
        frames = (inputs["scores"], inputs["pairings"], inputs["conduct"], inputs["classes"])
        whole, t_score = timed(lambda: engine.score_scheme(*frames, pupils=inputs["pupils"]))
        rows = [("no cluster", t_clean, t_score)]
        for n in (1, 2):
            with connect(f"local:{n}") as client:
                # the workers import the package on their first task: warm them up before the clock runs
                client.run(__import__, "liushou_analysis.cleaning.pipeline")
                client.run(__import__, "liushou_analysis.scoring.partitions")
                got, t_c = timed(lambda client=client, n=n: clean_dataset(raw, Path(tmp) / f"c{n}", cluster=client))
                assert json.dumps(got, sort_keys=True) == json.dumps(plain, sort_keys=True), "clean differs"
                scored, t_s = timed(lambda client=client: partitions.score_scheme(*frames, pupils=inputs["pupils"],
                                                                                 cluster=client))
                for name in whole:
                    pd.testing.assert_frame_equal(whole[name], scored[name], check_exact=True)
                rows.append((f"{n} worker{'s' if n > 1 else ''}", t_c, t_s))
    print(f"{args.schools} schools x 1 year cleaned; {len(inputs['scores']):,} score rows scored "
          f"({args.copies} copies of the sample); the same results every way")
    for name, c, s in rows:
        print(f"  {name:<12} clean {c:6.2f} s   score {s:6.2f} s")
    clean_up, score_up = rows[1][1] / rows[2][1], rows[1][2] / rows[2][2]
    print(f"  speed-up from 1 to 2 workers: clean {clean_up:.2f} x (only reading is spread), score {score_up:.2f} x")
    record("cluster_scaling", rows[2][1] + rows[2][2], 0.0, True, schools=args.schools)
    return 0


if __name__ == "__main__":
    sys.exit(main())
