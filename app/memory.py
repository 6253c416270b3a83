"""The garbage collector in long-running processes (gunicorn workers, the scheduler).

After start-up a worker tracks about 270,000 container objects (modules, classes, functions,
the ORM's mappers, the OpenAPI schemas) that live as long as the process. A collection of
Python's oldest generation walks every one of them: 60-80 ms on this hardware, a pause for
whatever request the worker is running (it showed as the p99 of requests at one connection).
`gc.freeze()` moves them to a permanent generation the collector never walks, as large Python
web services do (Instagram did it for Django), so the collections that remain see only what was
allocated since. The objects themselves stay, so memory is unchanged.
"""

from __future__ import annotations

import gc


def freeze_start_up() -> None:
    """Configure the ORM's mappers (else done by the first query, after the freeze), collect
    once, then move every object alive now out of the collector's reach."""
    from sqlalchemy.orm import configure_mappers

    configure_mappers()
    gc.collect()
    gc.freeze()
