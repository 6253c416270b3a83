"""Users, departments and the roles they hold."""

from __future__ import annotations

from datetime import datetime

from pydantic import ConfigDict, field_validator
from sqlmodel import Field, SQLModel

from models.base import BLANK, BLANKS, Mobile, Omissible, UTCDateTime, enum_column, utcnow
from models.enums import Role
from models.inputs import Flag


class Department(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    name: str = Field(max_length=64)


class DepartmentPublic(SQLModel):
    id: int
    code: str
    name: str


class UserBase(SQLModel):
    username: str = Field(max_length=64, unique=True, index=True)
    display_name: str = Field(max_length=64)
    mobile: str | None = Field(default=None, max_length=20, unique=True)
    email: str | None = Field(default=None, max_length=120)
    department_id: int | None = Field(default=None, foreign_key="department.id")


class User(UserBase, table=True):
    __tablename__ = "users"
    __audit_exclude__ = frozenset({"password_hash", "token_version"})

    id: int | None = Field(default=None, primary_key=True)
    password_hash: str | None = Field(default=None, max_length=255)
    is_active: bool = Field(default=True)
    token_version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    @property
    def audit_order_id(self) -> int | None:
        return None


class UserRole(SQLModel, table=True):
    __tablename__ = "user_role"

    user_id: int = Field(foreign_key="users.id", primary_key=True, ondelete="CASCADE")
    role: Role = Field(sa_type=enum_column(Role), primary_key=True)

    @property
    def audit_order_id(self) -> int | None:
        return None


USERNAME_PATTERN = rf"^[{BLANK}]*[^{BLANK}\x00]+[{BLANK}]*$"


class UserCreate(SQLModel):
    model_config = ConfigDict(extra="forbid")
    # No space inside (blanks around are trimmed), as the document states too.
    username: str = Field(min_length=1, max_length=64, schema_extra={"pattern": USERNAME_PATTERN})
    display_name: str | None = Field(default=None, max_length=64)
    password: str | None = Field(default=None, min_length=8, max_length=128)
    roles: list[Role] = Field(min_length=1)
    department: str | None = Field(default=None, max_length=32, description="部门代码")
    mobile: Mobile | None = None
    email: str | None = Field(default=None, max_length=120)

    @field_validator("username")
    @classmethod
    def _username_plain(cls, value: str) -> str:
        value = value.strip(BLANKS)
        if not value or any(ch in BLANKS for ch in value):
            raise ValueError("用户名不能包含空格")
        return value


class UserUpdate(SQLModel):
    model_config = ConfigDict(extra="forbid")
    display_name: str = Omissible(min_length=1, max_length=64)
    password: str = Omissible(min_length=8, max_length=128)
    roles: list[Role] = Omissible(min_length=1)
    # null clears these three
    department: str | None = Field(default=None, max_length=32)
    mobile: Mobile | None = None
    email: str | None = Field(default=None, max_length=120)
    is_active: Flag = Omissible()


class UserPublic(SQLModel):
    id: int
    username: str
    display_name: str
    mobile: str | None = None
    email: str | None = None
    department: DepartmentPublic | None = None
    roles: list[Role]
    is_active: bool


class UserBrief(SQLModel):
    id: int
    username: str
    display_name: str
