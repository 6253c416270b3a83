"""Helpers shared by the API blueprints."""

from __future__ import annotations

from flask import jsonify
from pydantic import BaseModel, Field

from app.auth import commit, current_actor, db_session

__all__ = ["OrderPath", "Paging", "commit", "current_actor", "db_session", "ok"]

SECURITY = [{"bearer": []}]


class OrderPath(BaseModel):
    order_id: int = Field(description="订单 ID")


class Paging(BaseModel):
    page: int = Field(default=1, ge=1, le=100000)
    per_page: int = Field(default=50, ge=1, le=200)


class Empty(BaseModel):
    pass


def ok(model: BaseModel | dict | None = None, status: int = 200):
    """A JSON response from a pydantic model (or an empty 204)."""
    if model is None:
        return "", 204
    body = model.model_dump(mode="json") if isinstance(model, BaseModel) else model
    response = jsonify(body)
    response.status_code = status
    return response
