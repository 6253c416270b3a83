"""Domain errors: every rule a service enforces fails with one of these.

Each carries a stable machine code, a Chinese message for the person in front of the phone,
and the HTTP status the REST door answers with. The bot door shows only the message.
"""

from __future__ import annotations


class DomainError(Exception):
    """A business rule refused the action."""

    code = "error"
    status = 400
    message = "操作失败"

    def __init__(self, message: str | None = None, *, code: str | None = None, **details):
        self.message = message or type(self).message
        if code:
            self.code = code
        self.details = details
        super().__init__(self.message)

    def to_dict(self) -> dict:
        body = {"code": self.code, "message": self.message}
        if self.details:
            body["details"] = self.details
        return body


class InvalidInput(DomainError):
    code = "invalid_input"
    status = 422
    message = "输入有误"


class NotAuthenticated(DomainError):
    code = "not_authenticated"
    status = 401
    message = "请先登录"


class Forbidden(DomainError):
    code = "forbidden"
    status = 403
    message = "没有权限执行此操作"


class NotFound(DomainError):
    code = "not_found"
    status = 404
    message = "未找到"


class Conflict(DomainError):
    code = "conflict"
    status = 409
    message = "当前状态不允许此操作"


class TooLarge(DomainError):
    code = "too_large"
    status = 413
    message = "内容过大"


class UnsupportedMedia(DomainError):
    code = "unsupported_media"
    status = 415
    message = "不支持的文件类型"


class RateLimited(DomainError):
    code = "rate_limited"
    status = 429
    message = "操作太频繁，请稍后再试"


class Unavailable(DomainError):
    code = "unavailable"
    status = 503
    message = "服务暂时不可用，请稍后再试"
