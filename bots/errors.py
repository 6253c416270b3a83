"""Errors raised by the platform adapters.

A webhook route maps `Refused` to an HTTP status and logs `reason`; nothing of the request
has been parsed or stored when it is raised. Login helpers raise models.errors (DomainError)
instead, because their caller is the REST door.
"""

from __future__ import annotations


class Refused(Exception):
    """An inbound webhook request was refused before anything was parsed or trusted."""

    status = 400

    def __init__(self, reason: str, detail: str = ""):
        self.reason = reason
        self.detail = detail
        super().__init__(f"{reason}: {detail}" if detail else reason)


class BadSignature(Refused):
    status = 403

    def __init__(self, detail: str = "signature mismatch"):
        super().__init__("bad_signature", detail)


class StaleTimestamp(Refused):
    status = 403

    def __init__(self, detail: str = "timestamp outside the accepted window"):
        super().__init__("stale_timestamp", detail)


class ReplayedSign(Refused):
    status = 403

    def __init__(self, detail: str = "timestamp/sign pair already used for another body"):
        super().__init__("replayed_sign", detail)


class MalformedBody(Refused):
    def __init__(self, detail: str = "body cannot be parsed"):
        super().__init__("malformed", detail)


class HostileBody(Refused):
    def __init__(self, detail: str = "XML with DTD or entities"):
        super().__init__("hostile", detail)


class BodyTooLarge(Refused):
    status = 413

    def __init__(self, size: int, limit: int):
        super().__init__("too_large", f"{size} bytes > {limit}")


class WrongRecipient(Refused):
    status = 403

    def __init__(self, detail: str = "decrypted message is for another AppID/CorpID/AppKey"):
        super().__init__("wrong_recipient", detail)
