"""The production app plus one bench-only route: the cheapest authenticated write.

`gunicorn -c gunicorn.conf.py bench.floor_app:app` serves everything `wsgi:app` serves, and
POST /bench/floor: the body of a single scan, validated as POST /api/scans validates it, the
bearer token checked as every API request checks it, one change-log row inserted, a commit
and a JSON answer. A scan does all of that and its receipt besides, so no scan can be cheaper:
bench_http.py reports the scans' ratio to this floor beside their ratio to /healthz.
Never imported by the product.
"""

from __future__ import annotations

from flask_openapi3 import APIBlueprint

from app.api.common import commit, current_actor, db_session, ok
from app.services.core import change_base, update_row, write_rows
from models.base import utcnow
from models.scans import ScanIn

bp = APIBlueprint("bench_floor", __name__, url_prefix="/bench")


@bp.post("/floor")
def floor(body: ScanIn):
    actor, session = current_actor(), db_session()
    base = change_base(actor, utcnow(), actor.user)
    write_rows(session, [update_row(base, "bench_floor", None, str(body.client_id), "bench")])
    commit()
    return ok({"client_id": str(body.client_id)}, 201)


def build():
    from wsgi import app

    app.register_api(bp)
    app.extensions["csrf"].exempt(bp)
    return app


app = build()
