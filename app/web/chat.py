"""Pages for the chat bots: one's own chat accounts and binding code, and the chat groups."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from pydantic import ValidationError

from app.auth import commit, db_session, login_required
from app.services import chat as svc
from app.services.core import can_manage_groups
from app.services.orders import find_order_by_code
from app.web import bp
from app.web.pages import action
from models.chat import ChatGroupCreate
from models.enums import CHAT_PLATFORM_NAMES
from models.errors import DomainError


def _chat_page(code: str | None = None, expires_at=None, status: int = 200):
    s = db_session()
    mine = svc.list_identities(session=s, actor=g.actor, user_id=g.actor.id)
    rows = svc.list_groups(session=s, actor=g.actor) if can_manage_groups(g.actor) else []
    page = render_template(
        "chat.html",
        identities=svc.identities_public(s, mine),
        groups=svc.groups_public(s, rows),
        can_manage=can_manage_groups(g.actor),
        platforms=CHAT_PLATFORM_NAMES,
        code=code,
        expires_at=expires_at,
    )
    return page, status


@bp.get("/chat")
@login_required
def chat():
    return _chat_page()


@bp.post("/chat/binding-code")
@login_required
def chat_binding_code():
    # Shown in this response only: a code in a flash message would travel in the cookie.
    try:
        code, expires_at = svc.issue_binding_code(session=db_session(), actor=g.actor)
        commit()
    except DomainError as exc:
        db_session().rollback()
        flash(exc.message, "error")
        return _chat_page(status=exc.status)
    return _chat_page(code, expires_at)


@bp.post("/chat/identities/<int:identity_id>/delete")
@login_required
def chat_unbind(identity_id: int):
    try:
        svc.unbind_identity(session=db_session(), actor=g.actor, identity_id=identity_id)
        commit()
        flash("已解除绑定", "ok")
    except DomainError as exc:
        db_session().rollback()
        flash(exc.message, "error")
    return redirect(url_for("web.chat"))


@bp.post("/chat/groups")
@login_required
def chat_group_create():
    s, form = db_session(), request.form
    try:
        codes = [c for c in form.get("orders", "").replace("，", ",").split(",") if c.strip()]
        order_ids = [find_order_by_code(session=s, actor=g.actor, code=c).id for c in codes]
        data = ChatGroupCreate(
            platform=form.get("platform", ""),
            name=form.get("name", ""),
            webhook=form.get("webhook", ""),
            secret=form.get("secret") or None,
            conversation_id=form.get("conversation_id") or None,
            order_ids=order_ids,
        )
        group = svc.create_group(session=s, actor=g.actor, data=data)
        commit()
        flash(f"已绑定群「{group.name}」", "ok")
    except ValidationError:
        s.rollback()
        flash("请填写平台、群名称和机器人 key / access_token", "error")
    except DomainError as exc:
        s.rollback()
        flash(exc.message, "error")
    return redirect(url_for("web.chat"))


@bp.post("/orders/<int:order_id>/chat-groups")
@action
def order_group_bind(order_id: int):
    group_id = request.form.get("group_id", "")
    if not group_id.isdigit():
        raise DomainError("请选择一个聊天群")
    svc.bind_group_order(
        session=db_session(), actor=g.actor, group_id=int(group_id), order_id=order_id
    )
    return "已关联聊天群，群里会收到一条欢迎消息"
