"""Server-rendered pages (Chinese UI, mobile first). Login by password session."""

from flask import Blueprint, render_template

from app.services.insight import may_read_kpis
from models.errors import DomainError

bp = Blueprint(
    "web",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static/web",
)

ERROR_TITLES = {403: "没有权限", 404: "页面不存在", 409: "无法完成操作"}
# The navigation shows only what the signed-in person may open.
bp.add_app_template_global(may_read_kpis, "may_read_kpis")


@bp.errorhandler(DomainError)
def _refused(exc: DomainError):
    """A refusal on a page is a Chinese page with the right status, not the API's JSON."""
    title = ERROR_TITLES.get(exc.status, "请求有误")
    return render_template("error.html", title=title, message=exc.message), exc.status


# Registers the routes: the signed-in pages and the customer's acceptance page.
from app.web import (  # noqa: E402,F401
    accept,
    ack,
    alerts,
    chat,
    contingency,
    costs,
    dashboard,
    markdown,
    mobile,
    pages,
    retro,
    revisions,
)
