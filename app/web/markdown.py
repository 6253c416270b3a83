"""The chat markdown Gendan sends, shown on a page: headings, bold, links, list items and line
breaks, and nothing else. Everything is escaped first, so a message can never inject HTML; a
link is kept only when it points to http(s) or to this site."""

from __future__ import annotations

import re

from markupsafe import Markup, escape

from app.web import bp

_HEADING = re.compile(r"^#{1,6}\s+(.*)$")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
_SAFE_URL = re.compile(r"^(https?://|/(?!/))")


def _link(match: re.Match) -> str:
    text, url = match.group(1), match.group(2)
    return f'<a href="{url}">{text}</a>' if _SAFE_URL.match(url) else text


def _inline(line: str) -> str:
    """One escaped line with bold and links."""
    return _LINK.sub(_link, _BOLD.sub(r"<strong>\1</strong>", str(escape(line))))


def render_markdown(text: str) -> Markup:
    """HTML for a chat message's markdown (escaped, then the small subset rendered)."""
    out: list[str] = []
    items: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith(("- ", "* ")):
            items.append(f"<li>{_inline(line[2:])}</li>")
            continue
        if items:
            out.append("<ul>" + "".join(items) + "</ul>")
            items = []
        if heading := _HEADING.match(line):
            out.append(f'<p class="md-h"><strong>{_inline(heading.group(1))}</strong></p>')
        elif line:
            out.append(f"<p>{_inline(line)}</p>")
    if items:
        out.append("<ul>" + "".join(items) + "</ul>")
    return Markup("".join(out))


def message_markdown(message: dict) -> str:
    """A stored outbox message as one markdown text: its title on top unless the body already
    starts with a heading."""
    title, text = message.get("title", ""), message.get("text", "")
    links = " · ".join(f"[{b['title']}]({b['url']})" for b in message.get("buttons", ()))
    text = f"{text}\n{links}" if links else text
    if not title or text.lstrip().startswith("#"):
        return text
    return f"### {title}\n{text}"


@bp.app_template_filter("markdown")
def markdown_filter(text: str) -> Markup:
    return render_markdown(text or "")
