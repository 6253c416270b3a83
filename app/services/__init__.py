"""The service layer: every business rule, in one package per domain (docs/ARCHITECTURE.md).

Importing it loads every domain, so that the registries filled at import time
(the stage progress sources of orders/progress.py) are complete whichever
service a door or a test imports first. The warning rules load with the sweep (alerts/rules).
"""

from app.services import (  # noqa: F401  (loaded for their registrations)
    alerts,
    chat,
    core,
    field,
    finance,
    insight,
    orders,
    people,
    procurement,
    production,
    reference,
    risk,
    shipping,
)
