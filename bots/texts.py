"""Everything the bot says, in one place (zh-CN), so it can be read and translated together.
What services say in a group on their own (the welcome of a bound group) is in
app/services/chat/_texts.py."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bots.commands import Spec

BINDING_PAGE = "/chat"

UNBOUND = (
    "您的聊天账号还没有绑定 Gendan 账号，绑定后才能使用命令。\n"
    "1. 登录 Gendan 网页，打开「聊天账号」页面（{base}{page}）获取 6 位绑定码；\n"
    "2. 在这里发送：绑定 123456（换成您的绑定码）。\n"
    "绑定码 10 分钟内有效，只能使用一次。"
)
BOUND = "绑定成功！您好，{name}。发送「帮助」查看可用命令。"
INTERNAL_ERROR = "系统出了点问题，请稍后再试。"
TOO_FAST = "消息发送太频繁，请稍等一分钟再试。这条消息没有执行。"
ONLY_TEXT = "暂时只支持文字命令和图片。发送「帮助」查看可用命令。"
IMAGE_WITHOUT_ISSUE = "收到图片。如需附到问题上，请先发送「问题 <订单号> <描述>」，再发图片。"
IMAGE_QUEUED = "图片已收到，正在附加到{what}。"
IMAGE_ATTACHED = "图片已附加到{what}。"
PHOTO_ISSUE_STARTED = (
    "已登记现场问题 #{id}，照片正在附加。请在网页或手机应用（/m/）补充问题描述、风险和责任人。"
)
SUBSCRIBED = "欢迎使用 Gendan 跟单助手！" + "\n" + "{unbound}"
ORDER_NEEDED = "请写上订单号，例如：{example}"
GROUP_HAS_MANY = "本群关联了多个订单（{codes}），请写上订单号，例如：{example}"
STANDUP_QUEUED = "正在生成 {code} 的站会摘要，稍后发到这里。"
TASK_FAILED = "抱歉，{what}没有完成：{reason}"


def help_text(table: Sequence[Spec], topic: str | None = None) -> tuple[str, str]:
    """Title and markdown body: every command of the table, or one command in detail."""
    if topic:
        spec = next(s for s in table if s.name == topic)
        words = "、".join(spec.words)
        lines = [f"**{spec.words[0]}**：{spec.summary}", f"用法：{spec.usage}"]
        if spec.example:
            lines.append("例如：" + spec.example.replace("\n", " / "))
        lines.append(f"也可以写：{words}")
        return f"帮助：{spec.words[0]}", "\n".join(lines)
    lines = ["可用命令（英文别名也可以）："]
    lines += [f"- {spec.usage}：{spec.summary}" for spec in table]
    lines.append("发送「帮助 进度」查看某个命令的详细用法。群里的命令会用本群关联的订单。")
    return "Gendan 跟单助手", "\n".join(lines)
