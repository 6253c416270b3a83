"""What the chat domain's services say in a group (zh-CN); the bot's own replies are in
bots/texts.py. A leaf: no project imports, so any layer that needs these words may read them."""

from __future__ import annotations


def group_welcome(platform: str, code: str, customer: str) -> tuple[str, str]:
    """The first message a group gets when it starts following an order."""
    how = (
        "在本群 @机器人 发送「帮助」查看命令，例如「进度」「站会」。"
        if platform == "dingtalk"
        else "私聊 Gendan 应用发送「帮助」查看命令，例如「进度 " + code + "」。"
    )
    return (
        f"本群已关联订单 {code}",
        f"### 本群已关联订单 {code}\n**{customer}**\n\n"
        f"订单的提醒、站会摘要和重要变更会发到本群。\n{how}",
    )
