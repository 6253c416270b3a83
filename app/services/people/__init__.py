"""Users, their roles and departments, passwords and bearer tokens."""

from __future__ import annotations

from app.services.people.departments import DEPARTMENTS, get_department, list_departments
from app.services.people.directory import (
    MOBILE_ROLES,
    directory_entry,
    find_in_directory,
    list_directory,
)
from app.services.people.passwords import use_profile
from app.services.people.tokens import (
    issue_token,
    revoke_tokens,
    user_and_roles_for_token,
    user_for_token,
)
from app.services.people.users import (
    authenticate,
    count_users,
    create_user,
    get_user,
    get_user_by_username,
    list_users,
    revoke_user_tokens,
    update_user,
    user_brief,
    user_public,
    users_by_id,
)

__all__ = [
    "DEPARTMENTS",
    "MOBILE_ROLES",
    "authenticate",
    "count_users",
    "create_user",
    "directory_entry",
    "find_in_directory",
    "get_department",
    "get_user",
    "get_user_by_username",
    "issue_token",
    "list_departments",
    "list_directory",
    "list_users",
    "revoke_tokens",
    "revoke_user_tokens",
    "update_user",
    "use_profile",
    "user_and_roles_for_token",
    "user_brief",
    "user_for_token",
    "user_public",
    "users_by_id",
]
