"""One JSON error envelope for every failure: {"error": {"code", "message"}}."""

from __future__ import annotations

import copy
import logging
from http import HTTPStatus

from flask import Flask, g, jsonify, request
from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException

from app.services.core import describe_validation_error
from models.errors import DomainError

log = logging.getLogger("gendan.errors")

HTTP_MESSAGES = {
    400: ("bad_request", "请求格式不正确"),
    401: ("not_authenticated", "请先登录"),
    403: ("forbidden", "没有权限执行此操作"),
    404: ("not_found", "请求的地址不存在"),
    405: ("method_not_allowed", "不支持该请求方法"),
    413: ("too_large", "上传内容过大"),
    415: ("unsupported_media", "不支持的内容类型"),
    429: ("rate_limited", "操作太频繁，请稍后再试"),
}

DATABASE_UNAVAILABLE = "数据库暂时无法访问，请稍后重试"


class ErrorBody(BaseModel):
    code: str
    message: str
    details: dict | None = None


class ErrorEnvelope(BaseModel):
    """What every refusal answers: {"error": {"code", "message", "details"?}}."""

    error: ErrorBody


# The refusals every API operation may answer, documented in /api/openapi.json with the
# envelope they really carry (flask-openapi3 would document 422 as pydantic's error list).
DOCUMENTED_ERRORS = (400, 401, 403, 404, 409, 413, 415, 422, 429, 503)


def document_errors(spec: dict) -> dict:
    """The OpenAPI document with the error envelope on every operation's refusals."""
    spec = copy.deepcopy(spec)
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    envelope = ErrorEnvelope.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(envelope.pop("$defs", {}))
    schemas["ErrorEnvelope"] = envelope
    schemas.pop("ValidationErrorModel", None)
    ref = {
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorEnvelope"}}}
    }
    for path_item in spec.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for status in DOCUMENTED_ERRORS:
                description = HTTPStatus(status).phrase
                operation["responses"][str(status)] = {"description": description, **ref}
    return spec


def error_response(code: str, message: str, status: int, **details):
    body = {"code": code, "message": message}
    if details:
        body["details"] = details
    response = jsonify({"error": body})
    response.status_code = status
    return response


def validation_error_response(exc: ValidationError):
    """Turn a pydantic ValidationError into the envelope with a readable Chinese message."""
    message, fields = describe_validation_error(exc)
    return error_response("validation_error", message, 422, fields=fields)


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain(exc: DomainError):
        return error_response(exc.code, exc.message, exc.status, **exc.details)

    @app.errorhandler(ValidationError)
    def _validation(exc: ValidationError):
        return validation_error_response(exc)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        code, message = HTTP_MESSAGES.get(exc.code or 500, ("error", "请求失败"))
        if not _wants_json():
            return exc
        return error_response(code, message, exc.code or 500)

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def _database_unavailable(exc: DBAPIError):
        # The database went away (restart, network) or is too busy (deadlock, lock timeout):
        # nothing was committed, the client may send the same request again.
        log.error("database unavailable (request id %s): %s", g.get("request_id"), exc.orig or exc)
        response = error_response("database_unavailable", DATABASE_UNAVAILABLE, 503)
        response.headers["Retry-After"] = "5"
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error (request id %s)", g.get("request_id"))
        session = g.get("db_session")
        if session is not None:
            session.rollback()  # a failed flush leaves it unusable for what runs after
        return error_response("internal_error", "服务器内部错误，请稍后再试", 500)


def _wants_json() -> bool:
    path = request.path
    if path.startswith(("/api", "/bots", "/healthz", "/readyz")):
        return True
    return request.accept_mimetypes.best == "application/json"
