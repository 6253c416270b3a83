"""Acceptance (验收): PDF documents, the customer's acceptance and one-time acceptance links."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import sqlalchemy as sa
from pydantic import ConfigDict, StringConstraints
from sqlmodel import Field, SQLModel

from models.base import NOT_BLANK, UTCDateTime, enum_column, utcnow
from models.enums import AcceptanceMethod, DocumentKind
from models.inputs import Day, OptionalWhole, Whole
from models.people import UserBrief
from models.photos import PhotoPublic

Comment = Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)]


class OrderDocument(SQLModel, table=True):
    """A PDF of an order, stored once under its content hash; the newest of a kind counts."""

    __tablename__ = "order_document"
    __table_args__ = (sa.UniqueConstraint("order_id", "kind", "sha256"),)

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", index=True, ondelete="CASCADE")
    kind: DocumentKind = Field(sa_type=enum_column(DocumentKind))
    sha256: str = Field(max_length=64)
    size_bytes: int
    filename: str = Field(max_length=200)
    uploaded_by_id: int | None = Field(default=None, foreign_key="users.id")
    uploaded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    @property
    def audit_order_id(self) -> int | None:
        return self.order_id


class Acceptance(SQLModel, table=True):
    """The customer's acceptance of an order; there is at most one, and it closes the order."""

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", unique=True, ondelete="CASCADE")
    method: AcceptanceMethod = Field(sa_type=enum_column(AcceptanceMethod))
    form_document_id: int | None = Field(default=None, foreign_key="order_document.id")
    link_id: int | None = Field(default=None, foreign_key="acceptance_link.id")
    signer_name: str = Field(default="", max_length=64)
    satisfaction: int | None = None
    comment: str = Field(default="", max_length=1000)
    accepted_on: date
    on_time: bool
    days_late: int = Field(default=0)
    recorded_by_id: int | None = Field(default=None, foreign_key="users.id")
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    @property
    def audit_order_id(self) -> int | None:
        return self.order_id


class AcceptanceLink(SQLModel, table=True):
    """A one-time link for the customer; only the hash of its secret part is kept."""

    __tablename__ = "acceptance_link"

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", index=True, ondelete="CASCADE")
    secret_hash: str = Field(max_length=64, unique=True)
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    @property
    def audit_order_id(self) -> int | None:
        return self.order_id


class AcceptanceIn(SQLModel):
    # The signed form is photos or one PDF, exactly one of the two: the service refuses
    # anything else (422), and the document says so.
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "oneOf": [
                {
                    "required": ["form_photo_ids"],
                    "properties": {
                        "form_photo_ids": {"minItems": 1},
                        "form_document_id": {"type": "null"},
                    },
                },
                {
                    "required": ["form_document_id"],
                    "properties": {
                        "form_photo_ids": {"maxItems": 0},
                        "form_document_id": {"type": "integer"},
                    },
                },
            ]
        },
    )
    form_photo_ids: list[Whole] = Field(
        default_factory=list, description="签字验收单的照片 ID（与 form_document_id 二选一）"
    )
    form_document_id: OptionalWhole = Field(default=None, description="已上传的验收单 PDF 的 ID")
    signer_name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] = ""
    satisfaction: OptionalWhole = Field(default=None, ge=1, le=5, description="满意度 1-5")
    comment: Comment = ""
    accepted_on: Day | None = Field(default=None, description="客户签字日期，缺省为今天")


class CustomerConfirm(SQLModel):
    """What the customer enters on the link page."""

    signer_name: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, pattern=NOT_BLANK, max_length=64),
    ]
    satisfaction: int = Field(ge=1, le=5)
    comment: Comment = ""


class DocumentPublic(SQLModel):
    id: int
    order_id: int
    kind: DocumentKind
    kind_name: str
    filename: str
    size_bytes: int
    url: str
    uploaded_by: UserBrief | None
    uploaded_at: datetime


class AcceptancePublic(SQLModel):
    order_id: int
    method: AcceptanceMethod
    signer_name: str
    satisfaction: int | None
    comment: str
    accepted_on: date
    on_time: bool
    days_late: int
    form_document: DocumentPublic | None
    form_photos: list[PhotoPublic]
    recorded_by: UserBrief | None
    recorded_at: datetime


class LinkPublic(SQLModel):
    id: int
    url: str = Field(description="发给客户的一次性验收链接")
    expires_at: datetime
