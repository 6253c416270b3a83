"""Command-line tools: `flask --app wsgi <command>` from the project root."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import click
from flask import current_app

from app.services.core import Actor, bind_actor
from models.enums import Channel, Role
from models.errors import DomainError

ROLE_CHOICE = click.Choice([r.value for r in Role])


@contextmanager
def cli_session():
    """A database session acting as the system through the command line."""
    session = current_app.extensions["gendan.db"].session()
    bind_actor(session, Actor.system(Channel.cli))
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def run_migrations(url: str) -> None:
    """Bring the database at `url` to the newest schema and insert reference data."""
    from alembic import command
    from alembic.config import Config

    from app.services.reference import ensure_reference_data

    cfg = Config(str(Path(current_app.root_path).parent / "alembic.ini"))
    cfg.attributes["url"] = url
    command.upgrade(cfg, "head")
    with cli_session() as session:
        ensure_reference_data(session=session)


def register_cli(app) -> None:
    from app.cli.alerts import register_alert_cli
    from app.cli.chat import register_chat_cli
    from app.cli.config_doc import register_config_cli
    from app.cli.imports import register_import_cli
    from app.cli.stream import register_stream_cli

    register_alert_cli(app, cli_session)
    register_chat_cli(app, cli_session)
    register_config_cli(app)
    register_stream_cli(app)
    register_import_cli(app, cli_session)

    @app.cli.command("migrate")
    def migrate():
        """Apply all database migrations and insert reference data."""
        run_migrations(current_app.config["DATABASE_URL"])
        click.echo("数据库已是最新结构")

    @app.cli.command("create-user")
    @click.argument("name")
    @click.option("--role", "roles", multiple=True, required=True, type=ROLE_CHOICE)
    @click.option("--password", default=None, help="至少 8 位")
    @click.option("--display-name", default=None)
    @click.option("--department", default=None, help="部门代码，例如 sales")
    @click.option("--mobile", default=None)
    def create_user_cmd(name, roles, password, display_name, department, mobile):
        """Create a user with one or more roles."""
        from pydantic import ValidationError

        from app.services.people import create_user
        from models.people import UserCreate

        try:
            data = UserCreate(
                username=name,
                roles=list(roles),
                password=password,
                display_name=display_name,
                department=department,
                mobile=mobile,
            )
            with cli_session() as session:
                user = create_user(session=session, actor=Actor.system(Channel.cli), data=data)
                click.echo(f"已创建用户 {user.username}（id {user.id}）")
        except ValidationError as exc:
            raise click.ClickException(f"输入有误：{exc.errors()[0]['msg']}") from exc
        except DomainError as exc:
            raise click.ClickException(exc.message) from exc

    @app.cli.command("token")
    @click.argument("name")
    @click.option("--hours", type=int, default=None, help="有效期（小时），缺省为 TOKEN_TTL_HOURS")
    def token_cmd(name, hours):
        """Print a bearer token for a user (for scripts and integrations)."""
        from app.services.people import get_user_by_username, issue_token

        with cli_session() as session:
            user = get_user_by_username(session=session, username=name)
            if user is None or not user.is_active:
                raise click.ClickException(f"用户 {name} 不存在或已停用")
            ttl = hours or current_app.config["TOKEN_TTL_HOURS"]
            token, _ = issue_token(
                user=user, secret=current_app.config["SECRET_KEY"], ttl_hours=ttl
            )
        click.echo(token)

    @app.cli.command("scheduler")
    def scheduler_cmd():
        """Run the scheduler (standby until it leads; one leader per database) inside the whole
        app; `python -m reminders` runs the same loop without the web app, in less memory."""
        from app.services.alerts import group_times
        from reminders.process import run_scheduler
        from reminders.schedule import Timing

        db = current_app.extensions["gendan.db"]
        timing = Timing.from_config(current_app.config)
        run_scheduler(db, timing, group_times, current_app.extensions)

    @app.cli.command("seed-demo")
    @click.option("--if-empty", is_flag=True, help="只在数据库里还没有用户时加载")
    def seed_demo(if_empty):
        """Load demo users, orders in different stages and a chat group."""
        from app.demo import load_demo
        from app.services.people import count_users

        with cli_session() as session:
            if if_empty and count_users(session=session) > 0:
                click.echo("已有数据，跳过演示数据")
                return
            load_demo(session=session)
        click.echo("演示数据已加载")
