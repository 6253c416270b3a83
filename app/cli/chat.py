"""Chat commands for `flask --app wsgi`: deliver the outbox, bind groups and chat accounts."""

from __future__ import annotations

import signal
import threading

import click
from flask import current_app

from app.services.core import Actor
from models.enums import Channel, ChatPlatform
from models.errors import DomainError

PLATFORMS = click.Choice([p.value for p in ChatPlatform])


def run_delivery(app, *, loop: bool, interval: float, stop: threading.Event | None = None) -> dict:
    """Run queued bot tasks, then drain the outbox; once, or until stopped."""
    from bots.tasks import TaskRunner

    deliverer = app.extensions["gendan.deliverer"]
    runner = TaskRunner(app.extensions["gendan.db"], app.extensions["gendan.chat"])
    stop = stop or threading.Event()
    totals = {"tasks": 0, "sent": 0, "retried": 0, "failed": 0, "merged": 0}
    while True:
        totals["tasks"] += runner.run_due()
        stats = deliverer.drain_once()
        for key in ("sent", "retried", "failed", "merged"):
            totals[key] += getattr(stats, key)
        if not loop or stop.wait(interval):
            return totals


def register_chat_cli(app, cli_session) -> None:
    """Add the chat commands to `flask --app wsgi`."""
    _deliver_command(app)
    _bind_group_command(app, cli_session)
    _bind_chat_command(app, cli_session)
    _menu_command(app)


def _deliver_command(app) -> None:
    @app.cli.command("deliver")
    @click.option("--loop", is_flag=True, help="一直运行，直到 Ctrl-C / SIGTERM")
    @click.option("--interval", type=float, default=1.0, show_default=True, help="轮询间隔（秒）")
    def deliver(loop, interval):
        """Send due outbox messages (and run queued bot tasks): once, or in a loop."""
        stop = threading.Event()
        if loop:
            for sig in (signal.SIGINT, signal.SIGTERM):
                signal.signal(sig, lambda *_: stop.set())
            click.echo(f"消息投递已启动，每 {interval:g} 秒检查一次")
        totals = run_delivery(current_app, loop=loop, interval=interval, stop=stop)
        click.echo(
            "已发送 {sent}，待重试 {retried}，失败 {failed}，合并 {merged}，任务 {tasks}".format(
                **totals
            )
        )


def _bind_group_command(app, cli_session) -> None:
    @app.cli.command("bind-group")
    @click.option("--platform", required=True, type=click.Choice(["wecom", "dingtalk"]))
    @click.option("--name", required=True, help="群名称")
    @click.option("--webhook", required=True, help="机器人 key / access_token，或完整 Webhook 地址")
    @click.option("--secret", default=None, help="钉钉加签密钥 SEC…")
    @click.option("--conversation-id", default=None, help="钉钉群 conversationId")
    @click.option("--order", "orders", multiple=True, help="订单号，可重复")
    def bind_group(platform, name, webhook, secret, conversation_id, orders):
        """Register a group robot and make it follow orders."""
        from app.services.chat import create_group
        from app.services.orders import find_order_by_code
        from models.chat import ChatGroupCreate

        actor = Actor.system(Channel.cli)
        try:
            with cli_session() as session:
                ids = [
                    find_order_by_code(session=session, actor=actor, code=code).id
                    for code in orders
                ]
                group = create_group(
                    session=session,
                    actor=actor,
                    data=ChatGroupCreate(
                        platform=platform,
                        name=name,
                        webhook=webhook,
                        secret=secret,
                        conversation_id=conversation_id,
                        order_ids=ids,
                    ),
                )
                click.echo(
                    f"已绑定群「{group.name}」（id {group.id}，{group.webhook_hint}），"
                    f"关联订单：{'、'.join(orders) or '无'}"
                )
        except DomainError as exc:
            raise click.ClickException(exc.message) from exc


def _bind_chat_command(app, cli_session) -> None:
    @app.cli.command("bind-chat")
    @click.argument("username")
    @click.option("--platform", required=True, type=PLATFORMS)
    @click.option(
        "--id", "external_id", required=True, help="openid / 企业微信 userid / 钉钉 userid"
    )
    def bind_chat(username, platform, external_id):
        """Bind a chat account to a user directly (what an admin does through the API)."""
        from app.services.chat import bind_identity
        from app.services.people import get_user_by_username

        try:
            with cli_session() as session:
                user = get_user_by_username(session=session, username=username)
                if user is None:
                    raise click.ClickException(f"用户 {username} 不存在")
                bind_identity(
                    session=session,
                    actor=Actor.system(Channel.cli),
                    user_id=user.id,
                    platform=ChatPlatform(platform),
                    external_id=external_id,
                )
        except DomainError as exc:
            raise click.ClickException(exc.message) from exc
        click.echo(f"已将 {platform} 账号 {external_id} 绑定到 {username}")


def _menu_command(app) -> None:
    @app.cli.group("chat-menu")
    def chat_menu():
        """The WeCom app / WeChat official account menu (scan, photo issue, mobile app)."""

    @chat_menu.command("sync")
    @click.option("--platform", required=True, type=click.Choice(["wecom", "wechat"]))
    @click.option("--dry-run", is_flag=True, help="Print the menu JSON, change nothing")
    def sync(platform, dry_run):
        """Create the menu on the platform (it replaces the current one)."""
        import json

        from app.services.core import settings
        from bots.menus import MenuError, build_menu, create_menu
        from bots.runtime import NotConfigured

        base = settings().public_base_url
        if not base:
            raise click.ClickException("PUBLIC_BASE_URL is not set: the menu links to <it>/m/")
        menu = build_menu(base)
        if dry_run:
            click.echo(json.dumps(menu, ensure_ascii=False, indent=2))
            return
        try:
            create_menu(current_app.extensions["gendan.chat"], platform, menu)
        except NotConfigured as exc:
            raise click.ClickException(
                f"{platform} is not configured: missing {', '.join(exc.missing)}"
            ) from None
        except MenuError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(
            f"{platform} menu created: 扫码 (入库/领料/盘点), 拍照报问题, 现场应用 -> {base}/m/"
        )
