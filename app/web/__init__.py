"""Server-rendered pages (Chinese UI, mobile first). Login by password session."""

from flask import Blueprint

bp = Blueprint(
    "web",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static/web",
)

# Registers the routes: the signed-in pages and the customer's acceptance page.
from app.web import accept, ack, chat, pages  # noqa: E402,F401
