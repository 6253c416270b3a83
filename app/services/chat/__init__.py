"""Chat groups and chat identities, the outbox (messages recorded in the transaction that decided
them) and the bot task queue; the chat door (bots/) sends what is recorded here.
"""

from __future__ import annotations

from app.services.chat.groups import (
    bind_group_order,
    create_group,
    delete_group,
    get_group,
    group_credentials,
    group_for_conversation,
    group_order_ids,
    groups_public,
    list_groups,
    unbind_group_order,
    update_group,
)
from app.services.chat.identity import (
    bind_identity,
    chat_ids_of_user,
    chat_user_and_roles,
    identities_public,
    issue_binding_code,
    list_identities,
    record_failed_binding,
    redeem_binding_code,
    unbind_identity,
    user_for_chat,
)
from app.services.chat.kvstore import DatabaseKeyValueStore, live_value
from app.services.chat.outbox import (
    GROUP_CHANNELS,
    Target,
    enqueue,
    enqueue_detached,
    enqueue_for_order,
    group_target,
    list_outbox,
    order_groups,
    outbox_public,
    retry_outbox,
    session_target,
    user_target,
)
from app.services.chat.tasks import enqueue_task

__all__ = [
    "GROUP_CHANNELS",
    "DatabaseKeyValueStore",
    "Target",
    "bind_group_order",
    "bind_identity",
    "chat_ids_of_user",
    "chat_user_and_roles",
    "create_group",
    "delete_group",
    "enqueue",
    "enqueue_detached",
    "enqueue_for_order",
    "enqueue_task",
    "get_group",
    "group_credentials",
    "group_for_conversation",
    "group_order_ids",
    "group_target",
    "groups_public",
    "identities_public",
    "issue_binding_code",
    "list_groups",
    "list_identities",
    "list_outbox",
    "live_value",
    "order_groups",
    "outbox_public",
    "record_failed_binding",
    "redeem_binding_code",
    "retry_outbox",
    "session_target",
    "unbind_group_order",
    "unbind_identity",
    "update_group",
    "user_for_chat",
    "user_target",
]
