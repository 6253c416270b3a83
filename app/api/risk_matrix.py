"""/api/risk-matrix: handling time limit per risk level, and quiet hours (admins change them)."""

from __future__ import annotations

from flask_openapi3 import Tag

from app.api.blueprint import APIBlueprint
from app.api.common import SECURITY, commit, current_actor, db_session, ok
from app.services import risk as svc
from models.reminders import RiskMatrixPublic, RiskMatrixUpdate

bp = APIBlueprint(
    "api_risk_matrix",
    __name__,
    url_prefix="/api/risk-matrix",
    abp_tags=[Tag(name="风险矩阵")],
    abp_security=SECURITY,
)


@bp.get("", responses={200: RiskMatrixPublic})
def show():
    """The risk matrix in force: limits per level, quiet hours, time zone."""
    current_actor()
    return ok(svc.describe_matrix(session=db_session()))


@bp.put("", responses={200: RiskMatrixPublic})
def update(body: RiskMatrixUpdate):
    """Change limits and/or quiet hours (admins); values not given stay as they are."""
    actor, session = current_actor(), db_session()
    svc.update_risk_matrix(session=session, actor=actor, data=body)
    commit()
    return ok(svc.describe_matrix(session=session))


@bp.delete("", responses={200: RiskMatrixPublic})
def reset():
    """Return to the deployment defaults (admins)."""
    actor, session = current_actor(), db_session()
    svc.reset_risk_matrix(session=session, actor=actor)
    commit()
    return ok(svc.describe_matrix(session=session))
