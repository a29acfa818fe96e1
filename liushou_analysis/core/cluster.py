"""Work spread over a Dask cluster: a province's files read, and its pupils scored, on many machines.

``liushou clean --cluster ADDRESS`` and ``liushou score --cluster ADDRESS`` take the address of a Dask
scheduler (``tcp://10.0.0.5:8786``), or ``local:N`` for a cluster of N worker processes on this machine (to try
it, and for the tests). :func:`connect` opens it; :func:`map_in_order` runs one function on many inputs there
and hands the results back in the inputs' order, so a clean or a score made on a cluster is the same, byte for
byte, as one made here. Workers must see the raw files at the same paths (a shared file system) and run the
same version of this package. docs/scale.md says how a province runs it.

Dask and distributed are the ``cluster`` extra: ``pip install 'liushou_analysis[cluster]'``.
"""

from __future__ import annotations

import contextlib
import importlib.util
from collections.abc import Callable, Iterable, Iterator

from liushou_analysis.core.errors import UserError

#: How many tasks are out on the cluster at once per worker thread: enough to keep every worker busy, few enough
#: that results waiting for their turn do not pile up in memory.
IN_FLIGHT_PER_THREAD = 4
#: How long to wait for a scheduler to answer.
CONNECT_TIMEOUT = "20s"


def _needs_dask() -> None:
    missing = [m for m in ("dask", "distributed") if importlib.util.find_spec(m) is None]
    if missing:
        raise UserError(f"--cluster needs {', '.join(missing)}, which this installation lacks: install them with "
                        "pip install 'liushou_analysis[cluster]'.")


@contextlib.contextmanager
def connect(address: str | None) -> Iterator[object | None]:
    """A ``distributed.Client`` for ``address`` (None: no cluster, work stays in this process)."""
    if not address:
        yield None
        return
    _needs_dask()
    import dask
    from distributed import Client, LocalCluster

    with dask.config.set({"distributed.worker.daemon": False, "logging.distributed": "error"}):
        if address == "local" or address.startswith("local:"):
            try:
                workers = int(address.partition(":")[2] or 2)
            except ValueError:
                raise UserError(f"--cluster {address}: write local:N with N the number of worker processes, "
                                "such as local:2.") from None
            with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                              silence_logs=40) as cluster, Client(cluster) as client:
                yield client
            return
        try:
            client = Client(address, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError) as err:
            raise UserError(f"--cluster {address}: no Dask scheduler answered there ({err}); start one with "
                            "`dask scheduler` and workers with `dask worker ADDRESS`, or give local:N.") from None
        with client:
            yield client


def workers(client) -> int:
    """How many worker threads the cluster has (at least 1)."""
    return max(1, sum(client.nthreads().values()))


def map_in_order(client, fn: Callable, items: Iterable) -> Iterator:
    """``fn(item)`` for every item, run on the cluster, yielded in the items' order. A bounded number of tasks is
    out at once (:data:`IN_FLIGHT_PER_THREAD` per worker thread), so a province's files do not all come back
    into memory before they are used."""
    from collections import deque

    items = iter(items)
    window = IN_FLIGHT_PER_THREAD * workers(client)
    pending = deque()
    for item in items:
        pending.append(client.submit(fn, item, pure=False))
        if len(pending) >= window:
            yield pending.popleft().result()  # a task that failed on a worker raises its own error here
    while pending:
        yield pending.popleft().result()
