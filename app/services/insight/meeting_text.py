"""The standup (meeting.py) as chat messages: markdown parts within the platform's size.

Each order is one block; blocks are packed into as few messages as fit the platform's limit
(「站会 … (1/2)」). A block that alone is too long is sent short (its counts and the link to
the /standup/<code> page, which shows everything). Reporters who did not report are @mentioned
in the message that names them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote

from sqlmodel import Session, col, select

from app.services.core import settings
from app.services.insight.meeting import OrderStandup
from app.services.insight.standup import STAGE_MARKS
from models.chat import ChatIdentity
from models.enums import RISK_NAMES, ChatPlatform, RiskLevel
from models.messages import Button, OutboundMessage
from models.people import User

# Bytes of markdown per message: WeChat text replies hold 2048 bytes, the bot's markdown replies
# are cut at 4000 and WeCom robots at 4096; the margin leaves room for the @mentions the
# senders append.
PART_BYTES = {ChatPlatform.wechat: 1800, ChatPlatform.wecom: 3500, ChatPlatform.dingtalk: 3500}
MAX_NAMES = 10
MAX_WARNINGS = 8
CLIP = 60  # characters of one report part shown in chat (the page shows all)
LEVEL_MARKS = {RiskLevel.high: "🔴", RiskLevel.medium: "🟠", RiskLevel.low: "🟡"}


@dataclass
class Part:
    title: str
    text: str
    mention_ids: list[int] = field(default_factory=list)


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= CLIP else text[: CLIP - 1] + "…"


def _header(o: OrderStandup) -> list[str]:
    s = o.summary
    due = f"剩 {s.days_left} 天" if s.days_left >= 0 else f"超期 {-s.days_left} 天"
    stages = " ".join(
        f"{'⚠' if st.days_late else STAGE_MARKS[st.status]}{st.name}{st.progress}%"
        for st in s.stages
    )
    return [
        f"**{s.code} {s.customer}** · {s.status_name} · 总进度 {s.progress}% · "
        f"交期 {s.delivery_date:%m-%d}（{due}）",
        f"- 阶段进度：{stages}",
        *(f"- {sec.title}：" + "；".join(sec.lines) for sec in s.sections),
    ]


def _people(o: OrderStandup) -> list[str]:
    lines = ["**昨日完成 / 今日计划 / 问题**"]
    for p in o.people:
        parts = [f"完成 {_clip(p.done)}"]
        if p.plan.strip():
            parts.append(f"计划 {_clip(p.plan)}")
        if p.problems.strip():
            parts.append(f"**问题：{_clip(p.problems)}**")
        lines.append(f"- {p.name}：" + "；".join(parts))
    if not o.people:
        lines.append("- 昨天没有人交日报")
    if o.missing:
        lines.append(_missing(o))
    return lines


def _missing(o: OrderStandup) -> str:
    names = " ".join(f"@{r.name}" for r in o.missing[:MAX_NAMES])
    more = f" 等 {len(o.missing)} 人" if len(o.missing) > MAX_NAMES else ""
    return f"- 未交日报：{names}{more}"


def _warnings(o: OrderStandup) -> list[str]:
    if not o.warnings:
        return []
    lines = [f"**未确认预警 {len(o.warnings)} 条**"]
    for w in o.warnings[:MAX_WARNINGS]:
        a = w.alert
        late = "，已超 2 小时" if w.overdue else ""
        owner = a.owner_name or "未指定"
        lines.append(
            f"- {LEVEL_MARKS[RiskLevel(a.level)]}{a.level_name} #{a.ref} {a.rule_name} · "
            f"{owner} · 已 {w.age}{late}"
        )
    if len(o.warnings) > MAX_WARNINGS:
        lines.append(f"- 另有 {len(o.warnings) - MAX_WARNINGS} 条，见站会页面")
    return lines


def _today(o: OrderStandup) -> list[str]:
    lines = []
    if o.milestones:
        lines.append("**今日节点**")
        lines += [f"- {m}" for m in o.milestones]
    if sum(o.issues.values()):
        parts = [f"{RISK_NAMES[lv]} {o.issues[lv]}" for lv in RiskLevel if o.issues[lv]]
        lines.append("- 未关闭问题点：" + " · ".join(parts))
    return lines


def order_block(o: OrderStandup) -> list[str]:
    """The full block of one order."""
    return [
        *_header(o),
        *_people(o),
        *_warnings(o),
        *_today(o),
        f"[站会页面 {o.summary.code}]({o.page}) · [打开订单]({o.summary.link})",
    ]


def short_block(o: OrderStandup) -> list[str]:
    """One order in a few lines, for when its full block does not fit a message."""
    counts = [
        f"日报 {len(o.people)} 份",
        f"问题 {len(o.blockers)} 个",
        f"未交 {len(o.missing)} 人",
        f"未确认预警 {len(o.warnings)} 条",
        f"今日节点 {len(o.milestones)} 个",
    ]
    lines = [*_header(o), "- " + " · ".join(counts)]
    if o.missing:
        lines.append(_missing(o))
    return [*lines, f"内容较多，请打开[站会页面 {o.summary.code}]({o.page})"]


def _size(lines: list[str]) -> int:
    return len("\n".join(lines).encode())


def standup_parts(title: str, orders: list[OrderStandup], platform: str) -> list[Part]:
    """The messages of a standup on a platform, each within its size."""
    limit = PART_BYTES.get(ChatPlatform(platform), min(PART_BYTES.values()))
    head = f"### {title} (9/9)"
    packed: list[tuple[list[str], list[int]]] = [([], [])]
    for o in orders:
        block = order_block(o)
        if _size([head, "", *block]) > limit:
            block = short_block(o)
        lines, ids = packed[-1]
        if lines and _size([head, *lines, "", *block]) > limit:
            packed.append(([], []))
            lines, ids = packed[-1]
        lines += ["", *block] if lines else block
        ids += [r.user_id for r in o.missing]
    n = len(packed)
    parts = []
    for i, (lines, ids) in enumerate(packed, start=1):
        t = f"{title} ({i}/{n})" if n > 1 else title
        parts.append(Part(t, "\n".join([f"### {t}", *lines]), ids))
    return parts


def mentions(session: Session, user_ids: list[int], platform: str) -> dict:
    """OutboundMessage keyword arguments that @mention these users: their chat account on the
    platform, else their mobile number (DingTalk)."""
    if not user_ids:
        return {}
    bound = dict(
        session.exec(
            select(ChatIdentity.user_id, ChatIdentity.external_id).where(
                col(ChatIdentity.user_id).in_(user_ids), ChatIdentity.platform == platform
            )
        ).all()
    )
    mobiles = dict(
        session.exec(select(User.id, User.mobile).where(col(User.id).in_(user_ids))).all()
    )
    ids = tuple(bound[u] for u in dict.fromkeys(user_ids) if u in bound)
    phones = tuple(mobiles[u] for u in dict.fromkeys(user_ids) if u not in bound and mobiles.get(u))
    return {"mention_user_ids": ids, "mention_mobiles": phones}


def standup_messages(
    session: Session, title: str, orders: list[OrderStandup], platform: str
) -> list[OutboundMessage]:
    """The standup as markdown messages for a platform, non-reporters @mentioned. DingTalk
    robots have no menu: there the last message links to the phone app (/m/)."""
    parts = standup_parts(title, orders, platform)
    app_link = (mobile_app_button(),) if platform == ChatPlatform.dingtalk else ()
    return [
        OutboundMessage.markdown(
            p.title,
            p.text,
            buttons=app_link if i == len(parts) - 1 else (),
            **mentions(session, p.mention_ids, platform),
        )
        for i, p in enumerate(parts)
    ]


def mobile_app_button() -> Button:
    """「现场应用」: /m/ opened in DingTalk's own browser (its page-link scheme), where 免登 signs
    the worker in; a browser outside DingTalk cannot follow the scheme, the chat client can."""
    m = f"{settings().public_base_url.rstrip('/')}/m/?app=dingtalk"
    return Button("📱 现场应用", f"dingtalk://dingtalkclient/page/link?url={quote(m, safe='')}")
