"""The chat command table and its one parser, shared by WeChat, WeCom and DingTalk.

`parse(text)` returns a `Command` (canonical name plus typed arguments) or raises
`ParseError` carrying a short Chinese usage hint; it never raises anything else. `render`
writes a command back as text that parses to the same command. Chinese words come first,
English aliases after. Only the command word and the structured arguments (order codes,
numbers, ＃１２, risk words) are folded to their ASCII forms (NFKC); free text such as a
description or a report is kept as typed, full-width punctuation included. A Chinese command
word needs no space after it (进度GD-01).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bots import command_args as a

UNKNOWN_HINT = "没看懂这条消息。发送「帮助」查看可用命令，例如：进度 GD-DEMO-03"
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))


class ParseError(Exception):
    """The text is not a valid command; `hint` is the Chinese answer for the chat."""

    def __init__(self, hint: str, command: str | None = None):
        self.hint = hint
        self.command = command
        super().__init__(hint)


@dataclass(frozen=True)
class Command:
    name: str
    args: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Spec:
    name: str
    words: tuple[str, ...]  # the first is the one shown in help and used by render
    usage: str
    summary: str
    parse: Callable[[str], dict]
    render: Callable[[dict], str]
    example: str = ""

    def error(self, detail: str = "") -> ParseError:
        example = f"\n例如：{self.example}" if self.example else ""
        prefix = f"{detail}\n" if detail else ""
        return ParseError(f"{prefix}用法：{self.usage}{example}", self.name)


def normalize(text: str) -> str:
    """One kind of newline, no invisible characters, no leading slash; otherwise as typed."""
    text = (text or "").translate(_INVISIBLE)
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    return text[1:].lstrip() if text[:1] in ("/", "\uff0f") else text


def _word_end(text: str, word: str) -> int | None:
    """Where `word` ends in `text` if the text starts with it once folded (＃, Ｐｒｏｇｒｅｓｓ)."""
    folded = ""
    for i, ch in enumerate(text):
        folded += a.fold(ch).lower()
        if len(folded) >= len(word):
            return i + 1 if folded == word else None
    return None


def _help(rest: str) -> dict:
    spec = find_spec(a.fold(rest).split()[0]) if rest else None
    return {"topic": spec.name if spec else None}


def _render_help(args: dict) -> str:
    return f"帮助 {SPECS[args['topic']].words[0]}" if args.get("topic") else "帮助"


TABLE = [
    Spec(
        "help",
        ("帮助", "菜单", "help", "?"),
        "帮助 [命令]",
        "查看可用命令",
        _help,
        _render_help,
    ),
    Spec(
        "progress",
        ("进度", "progress"),
        "进度 <订单号>",
        "订单进度和各阶段",
        a.optional_order,
        a.render_order("进度"),
        "进度 GD-DEMO-03",
    ),
    Spec(
        "report",
        ("日报", "report"),
        "日报 <订单号> 换行 今日：… 换行 明日：… 换行 问题：…",
        "提交今天的日报",
        a.report,
        a.render_report,
        "日报 GD-DEMO-03\n今日：焊接 3 件\n明日：热处理",
    ),
    Spec(
        "issue",
        ("问题", "issue"),
        "问题 <订单号> <描述> [高/中/低] [@负责人]",
        "报告现场问题（随后发的一张图片会附上）",
        a.issue,
        a.render_issue,
        "问题 GD-DEMO-03 法兰漏水 高 @陈现场",
    ),
    Spec(
        "ack",
        ("收到", "ack"),
        "收到 #编号",
        "确认收到问题（#12）或预警（#A12）",
        a.ack_ref,
        a.render_ack,
        "收到 #12",
    ),
    Spec(
        "done",
        ("完成", "done", "resolve"),
        "完成 #编号 [说明]",
        "问题已处理完成",
        a.ref,
        a.render_ref("完成"),
        "完成 #12 已更换垫片",
    ),
    Spec(
        "verify",
        ("确认", "verify"),
        "确认 #编号",
        "验证问题已解决",
        a.ref,
        a.render_ref("确认"),
        "确认 #12",
    ),
    Spec(
        "shortage",
        ("缺料", "shortage"),
        "缺料 <订单号>",
        "查看缺料",
        a.optional_order,
        a.render_order("缺料"),
        "缺料 GD-DEMO-03",
    ),
    Spec(
        "receive",
        ("入库", "receive"),
        "入库 <物料码> <数量> [订单号] [确认超收]",
        "按物料码入库",
        a.receive,
        a.render_receive,
        "入库 M-1001 20",
    ),
    Spec(
        "standup",
        ("站会", "standup"),
        "站会 <订单号>",
        "生成站会摘要",
        a.optional_order,
        a.render_order("站会"),
        "站会 GD-DEMO-03",
    ),
    Spec(
        "bind",
        ("绑定", "bind"),
        "绑定 <6 位绑定码>",
        "把聊天账号绑定到 Gendan 账号",
        a.bind,
        lambda args: f"绑定 {args['code']}",
        "绑定 123456",
    ),
]
SPECS = {spec.name: spec for spec in TABLE}
_WORDS = sorted(
    ((word.lower(), spec) for spec in TABLE for word in spec.words),
    key=lambda item: len(item[0]),
    reverse=True,
)


def find_spec(word: str) -> Spec | None:
    """The command a word names (any alias, any case), or None."""
    word = a.fold(word).lower()
    return next((spec for w, spec in _WORDS if w == word), None)


def _split(text: str) -> tuple[Spec, str] | None:
    for word, spec in _WORDS:
        end = _word_end(text, word)
        if end is None:
            continue
        after = text[end:]
        # An ASCII word must end at a boundary ("helpme" is not "help"); a Chinese one need not.
        if word.isascii() and word.isalnum() and a.fold(after[:1]).isalnum():
            continue
        return spec, after.lstrip(" \t:\uff1a").strip()
    return None


def parse(text: str) -> Command:
    """The command in a chat message; ParseError with a Chinese hint otherwise."""
    text = normalize(text)
    if not text:
        raise ParseError(UNKNOWN_HINT)
    found = _split(text)
    if found is None:
        raise ParseError(UNKNOWN_HINT)
    spec, rest = found
    try:
        return Command(spec.name, spec.parse(rest))
    except a.ArgError as exc:
        raise spec.error(exc.detail) from None


def render(command: Command) -> str:
    """The canonical text of a command: parse(render(c)) == c."""
    return SPECS[command.name].render(command.args)
