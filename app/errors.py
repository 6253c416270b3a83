"""One JSON error envelope for every failure: {"error": {"code", "message"}}."""

from __future__ import annotations

import logging

from flask import Flask, g, jsonify, request
from pydantic import ValidationError
from werkzeug.exceptions import HTTPException

from app.services.errors import DomainError

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

# Chinese wording for the pydantic error types users actually meet.
VALIDATION_WORDS = {
    "missing": "必填",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "float_parsing": "应为数字",
    "bool_parsing": "应为 true 或 false",
    "bool_type": "应为 true 或 false",
    "string_type": "应为文本",
    "string_too_short": "不能为空或过短",
    "string_too_long": "过长",
    "string_pattern_mismatch": "格式不正确",
    "date_from_datetime_parsing": "日期格式应为 YYYY-MM-DD",
    "date_parsing": "日期格式应为 YYYY-MM-DD",
    "date_type": "日期格式应为 YYYY-MM-DD",
    "datetime_parsing": "时间格式应为 ISO 8601",
    "datetime_from_date_parsing": "时间格式应为 ISO 8601",
    "enum": "取值不在允许范围内",
    "literal_error": "取值不在允许范围内",
    "greater_than_equal": "数值过小",
    "greater_than": "数值过小",
    "less_than_equal": "数值过大",
    "less_than": "数值过大",
    "too_short": "至少需要一项",
    "list_type": "应为列表",
    "dict_type": "应为对象",
    "model_attributes_type": "请求体应为 JSON 对象",
    "model_type": "请求体应为 JSON 对象",
    "extra_forbidden": "不允许的字段",
    "uuid_parsing": "应为 UUID",
    "json_invalid": "JSON 格式错误",
}


def error_response(code: str, message: str, status: int, **details):
    body = {"code": code, "message": message}
    if details:
        body["details"] = details
    response = jsonify({"error": body})
    response.status_code = status
    return response


def describe_validation_error(exc: ValidationError) -> tuple[str, list[dict]]:
    """A readable Chinese message for a pydantic ValidationError, and the fields at fault."""
    fields, parts = [], []
    for err in exc.errors(include_url=False, include_input=False, include_context=False):
        loc = ".".join(str(p) for p in err["loc"] if p not in ("body", "query", "path"))
        word = VALIDATION_WORDS.get(err["type"], "格式不正确")
        parts.append(f"{loc}：{word}" if loc else word)
        fields.append({"field": loc, "type": err["type"]})
    return "；".join(parts[:5]), fields


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

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error (request id %s)", g.get("request_id"))
        return error_response("internal_error", "服务器内部错误，请稍后再试", 500)


def _wants_json() -> bool:
    path = request.path
    if path.startswith(("/api", "/bots", "/healthz", "/readyz")):
        return True
    return request.accept_mimetypes.best == "application/json"
