"""The chat command table and its one parser, shared by WeChat, WeCom and DingTalk.

Each entry (`Spec`) carries everything a command is: its words, usage and summary (the help
is generated from them), its argument parser and renderer (bots/command_args.py) and its
handler (bots/handlers.py and its siblings). A new command is one entry here.

`parse(text)` returns a `Command` (canonical name plus typed arguments) or raises
`ParseError` carrying a short Chinese usage hint; it never raises anything else. `render`
writes a command back as text that parses to the same command. Chinese words come first,
English aliases after. Only the command word and the structured arguments (order codes,
numbers, ＃１２, risk words) are folded to their ASCII forms (NFKC); free text such as a
description or a report is kept as typed, full-width punctuation included. A Chinese command
word needs no space after it (进度GD-01).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bots import command_args as a
from bots import field_handlers, handlers, procure_handlers, texts
from bots.handlers import ChatContext
from bots.replies import Reply, markdown

UNKNOWN_HINT = "没看懂这条消息。发送「帮助」查看可用命令，例如：进度 GD-DEMO-03"
GUESS_HINT = "没看懂这条消息，您是不是想发「{guess}」？发送「帮助」查看可用命令"
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
    """One chat command: its words, usage and help line, argument parser and renderer, and the
    handler that answers it. The dispatcher (bots/inbound.py) and the help read only this."""

    name: str
    words: tuple[str, ...]  # the first is the one shown in help and used by render
    usage: str
    summary: str
    parse: Callable[[str], dict]
    render: Callable[[dict], str]
    handler: Callable[[ChatContext, dict], Reply]
    example: str = ""
    needs_binding: bool = True  # False: answered for a chat account not bound to a user
    # False: the handler only reads, so the webhook runs it outside the write transaction
    # (bots/inbound.py) and SQLite's writer is held for the chat_inbound insert alone.
    writes: bool = True

    def error(self, detail: str = "") -> ParseError:
        example = f"\n例如：{self.example}" if self.example else ""
        prefix = f"{detail}\n" if detail else ""
        return ParseError(f"{prefix}用法：{self.usage}{example}", self.name)


def normalize(text: str) -> str:
    """One kind of newline, no invisible characters, no leading slash; otherwise as typed."""
    text = (text or "").translate(_INVISIBLE)
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    return text[1:].lstrip() if text[:1] in ("/", "\uff0f") else text


def _folded_starts(text: str) -> list[tuple[str, int]]:
    """The text's starts folded (＃, Ｐｒｏｇｒｅｓｓ) and lower-cased, each with where it ends in
    `text`, up to the longest command word: folded once per message, not once per word."""
    starts, folded = [], ""
    for i, ch in enumerate(text):
        folded += a.fold(ch).lower()
        starts.append((folded, i + 1))
        if len(folded) >= _LONGEST:
            break
    return starts


def _word_end(starts: list[tuple[str, int]], word: str) -> int | None:
    """Where `word` ends in the text of `starts` if the text starts with it once folded."""
    for folded, end in starts:
        if len(folded) >= len(word):
            return end if folded == word else None
    return None


def _help(rest: str) -> dict:
    spec = find_spec(a.fold(rest).split()[0]) if rest else None
    return {"topic": spec.name if spec else None}


def _render_help(args: dict) -> str:
    return f"帮助 {SPECS[args['topic']].words[0]}" if args.get("topic") else "帮助"


def show_help(ctx: ChatContext, args: dict) -> Reply:
    """The help handler: every command of the table, or one in detail."""
    return markdown(*texts.help_text(TABLE, args.get("topic")))


TABLE = [
    Spec(
        name="help",
        words=("帮助", "菜单", "help", "?"),
        usage="帮助 [命令]",
        summary="查看可用命令",
        parse=_help,
        render=_render_help,
        handler=show_help,
        needs_binding=False,
        writes=False,
    ),
    Spec(
        name="progress",
        words=("进度", "progress"),
        usage="进度 <订单号>",
        summary="订单进度和各阶段",
        parse=a.optional_order,
        render=a.render_order("进度"),
        handler=handlers.progress,
        example="进度 GD-DEMO-03",
        writes=False,
    ),
    Spec(
        name="report",
        words=("日报", "report"),
        usage="日报 <订单号> 换行 今日：… 换行 明日：… 换行 问题：…",
        summary="提交今天的日报",
        parse=a.report,
        render=a.render_report,
        handler=field_handlers.report,
        example="日报 GD-DEMO-03\n今日：焊接 3 件\n明日：热处理",
    ),
    Spec(
        name="issue",
        words=("问题", "issue"),
        usage="问题 <订单号> <描述> [高/中/低] [@负责人]",
        summary="报告现场问题（随后发的一张图片会附上）",
        parse=a.issue,
        render=a.render_issue,
        handler=field_handlers.issue,
        example="问题 GD-DEMO-03 法兰漏水 高 @陈现场",
    ),
    Spec(
        name="ack",
        words=("收到", "ack"),
        usage="收到 #编号",
        summary="确认收到问题（#12）或预警（#A12）",
        parse=a.ack_ref,
        render=a.render_ack,
        handler=field_handlers.ack,
        example="收到 #12",
    ),
    Spec(
        name="done",
        words=("完成", "done", "resolve"),
        usage="完成 #编号 [说明]",
        summary="问题已处理完成",
        parse=a.ref,
        render=a.render_ref("完成"),
        handler=field_handlers.done,
        example="完成 #12 已更换垫片",
    ),
    Spec(
        name="verify",
        words=("确认", "verify"),
        usage="确认 #编号",
        summary="验证问题已解决",
        parse=a.ref,
        render=a.render_ref("确认"),
        handler=field_handlers.verify,
        example="确认 #12",
    ),
    Spec(
        name="shortage",
        words=("缺料", "shortage"),
        usage="缺料 <订单号>",
        summary="查看缺料",
        parse=a.optional_order,
        render=a.render_order("缺料"),
        handler=procure_handlers.shortage,
        example="缺料 GD-DEMO-03",
        writes=False,
    ),
    Spec(
        name="receive",
        words=("入库", "receive"),
        usage="入库 <物料码> <数量> [订单号] [确认超收]",
        summary="按物料码入库",
        parse=a.receive,
        render=a.render_receive,
        handler=procure_handlers.receive,
        example="入库 M-1001 20",
    ),
    Spec(
        name="standup",
        words=("站会", "standup"),
        usage="站会 <订单号>",
        summary="生成站会摘要",
        parse=a.optional_order,
        render=a.render_order("站会"),
        handler=handlers.standup,
        example="站会 GD-DEMO-03",
    ),
    Spec(
        name="bind",
        words=("绑定", "bind"),
        usage="绑定 <6 位绑定码>",
        summary="把聊天账号绑定到 Gendan 账号",
        parse=a.bind,
        render=lambda args: f"绑定 {args['code']}",
        handler=handlers.bind,
        example="绑定 123456",
        needs_binding=False,
    ),
]
SPECS = {spec.name: spec for spec in TABLE}
_WORDS = sorted(
    ((word.lower(), spec) for spec in TABLE for word in spec.words),
    key=lambda item: len(item[0]),
    reverse=True,
)
_LONGEST = len(_WORDS[0][0])


def find_spec(word: str) -> Spec | None:
    """The command a word names (any alias, any case), or None."""
    word = a.fold(word).lower()
    return next((spec for w, spec in _WORDS if w == word), None)


def _split(text: str) -> tuple[Spec, str] | None:
    starts = _folded_starts(text)
    for word, spec in _WORDS:
        end = _word_end(starts, word)
        if end is None:
            continue
        after = text[end:]
        # An ASCII word must end at a boundary ("helpme" is not "help"); a Chinese one need not.
        if word.isascii() and word.isalnum() and a.fold(after[:1]).isalnum():
            continue
        return spec, after.lstrip(" \t:\uff1a").strip()
    return None


def _one_off(typed: str, word: str) -> bool:
    """Whether `typed` is `word` with one character wrong (the same length), or with one
    letter missing, added or wrong when the word is English (at least 4 letters)."""
    if len(typed) == len(word):
        return sum(x != y for x, y in zip(typed, word, strict=True)) == 1
    if not word.isascii() or len(word) < 4 or abs(len(typed) - len(word)) != 1:
        return False
    short, long = sorted((typed, word), key=len)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


def _chinese(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def did_you_mean(text: str) -> str | None:
    """The message as the one command its first word is a typo of, or None.

    A Chinese command word typed with one wrong character, as a pinyin input method gives
    (进读 for 进度, 缺了 for 缺料), or an English one a letter off (progres). Only a typo of
    exactly one command is offered; the message's other words are kept as typed."""
    folded = a.fold(text).lower()
    found = set()
    for word, spec in _WORDS:
        if word.isascii():
            typed = re.match(r"[a-z]*", folded).group()
            if len(typed) < 4:
                continue
        else:
            typed = folded[: len(word)]
            after = folded[len(word) : len(word) + 1]
            if len(word) < 2 or not all(map(_chinese, typed)) or (after and _chinese(after)):
                continue  # not Chinese, or only the start of a longer Chinese phrase
        if _one_off(typed, word):
            found.add((spec.name, word, len(typed)))
    if len({name for name, _, _ in found}) != 1:
        return None
    _, shown, length = found.pop()
    rest = text[length:].strip()
    first = rest.split("\n", 1)[0].strip()
    guess = f"{shown} {first}" if first else shown
    return guess[:40] + "…" if len(guess) > 40 or first != rest else guess


def parse(text: str) -> Command:
    """The command in a chat message; ParseError with a Chinese hint otherwise."""
    text = normalize(text)
    if not text:
        raise ParseError(UNKNOWN_HINT)
    found = _split(text)
    if found is None:
        guess = did_you_mean(text)
        raise ParseError(GUESS_HINT.format(guess=guess) if guess else UNKNOWN_HINT)
    spec, rest = found
    try:
        return Command(spec.name, spec.parse(rest))
    except a.ArgError as exc:
        raise spec.error(exc.detail) from None


def render(command: Command) -> str:
    """The canonical text of a command: parse(render(c)) == c."""
    return SPECS[command.name].render(command.args)
