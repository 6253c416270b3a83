"""Warning commands for `flask --app wsgi`: run the sweep or a standup by hand (trying Gendan
out, or catching up after an outage). `--dry-run` prints what would be sent and stores nothing.
"""

from __future__ import annotations

import click

from app.services.core import Actor
from models import clock
from models.enums import Channel
from models.errors import DomainError


def register_alert_cli(app, cli_session) -> None:
    """Add `sweep` and `standup` to `flask --app wsgi`."""
    _sweep_command(app, cli_session)
    _standup_command(app, cli_session)


def _rule_names() -> list[str]:
    from app.services.alerts import load_rules

    return sorted(load_rules())


def _check_rule(_ctx, _param, value):
    if value is not None and value not in _rule_names():
        raise click.BadParameter(f"没有规则「{value}」，可选：{'、'.join(_rule_names())}")
    return value


def _sweep_command(app, cli_session) -> None:
    @app.cli.command("sweep")
    @click.option("--rule", default=None, callback=_check_rule, help="只运行这条规则")
    @click.option("--dry-run", is_flag=True, help="只显示会发出的预警，不保存、不发送")
    def sweep_cmd(rule, dry_run):
        """Run the warning sweep once and print the alerts it raised."""
        from app.services.alerts import alerts_by_id, sweep

        with cli_session() as session:
            result = sweep(session=session, now=clock.now(), only={rule} if rule else None)
            raised = alerts_by_id(session=session, alert_ids=result.alert_ids)
            if dry_run:
                session.rollback()
        for alert in raised:
            click.echo(
                f"#{alert.ref} {alert.level_name} {alert.rule_name} {alert.order_code} "
                f"责任人 {alert.owner_name or '未指定'}：{alert.message}"
            )
        verb = "将发出" if dry_run else "已发出"
        click.echo(f"{verb}预警 {result.alerts} 条，消息 {result.messages} 条")
        if dry_run:
            click.echo("试运行：没有保存任何预警或消息")


def _standup_command(app, cli_session) -> None:
    @app.cli.command("standup")
    @click.option("--group", "group_id", type=int, default=None, help="群的 id（见 chat 页面）")
    @click.option("--order", "order_code", default=None, help="订单编号")
    @click.option("--dry-run", is_flag=True, help="只打印站会内容，不发送")
    def standup_cmd(group_id, order_code, dry_run):
        """Post (or print, with --dry-run) today's standup of a group or an order."""
        if (group_id is None) == (order_code is None):
            raise click.UsageError("请指定 --group 或 --order 其中之一")
        try:
            with cli_session() as session:
                if group_id is not None:
                    title, text, posted = _group_standup(session, group_id, dry_run)
                else:
                    title, text, posted = _order_standup(session, order_code, dry_run)
        except DomainError as exc:
            raise click.ClickException(exc.message) from exc
        click.echo(text if title in text else f"{title}\n{text}")
        if not dry_run:
            click.echo(f"已排队发送到 {posted} 个群" if posted else "没有发送：今天已发过或没有群")


def _group_standup(session, group_id: int, dry_run: bool) -> tuple[str, str, int]:
    from app.services.chat import get_group
    from app.services.insight import group_standup_markdown, post_group_standup

    now = clock.now()
    group = get_group(session=session, actor=Actor.system(Channel.cli), group_id=group_id)
    built = group_standup_markdown(session=session, group=group, now=now)
    if built is None:
        raise DomainError(f"群「{group.name}」没有关注进行中的订单")
    posted = 0
    if not dry_run:
        posted = int(bool(post_group_standup(session=session, group_id=group_id, now=now)))
    return *built, posted


def _order_standup(session, code: str, dry_run: bool) -> tuple[str, str, int]:
    from app.services.insight import order_standup_messages, post_order_standup
    from app.services.orders import find_order_by_code

    now, actor = clock.now(), Actor.system(Channel.cli)
    order = find_order_by_code(session=session, actor=actor, code=code)
    messages = order_standup_messages(
        session=session, actor=actor, order_id=order.id, platform="dingtalk", now=now
    )
    posted = 0
    if not dry_run:
        rows = post_order_standup(session=session, actor=actor, order_id=order.id, now=now)
        posted = len({row.group_id for row in rows})
    return messages[0].title, "\n\n".join(m.text for m in messages), posted
