"""The one chat command parser: examples, refusals with usage hints, and properties."""

from decimal import Decimal

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bots.command_args import RISKS
from bots.commands import SPECS, TABLE, UNKNOWN_HINT, Command, ParseError, parse, render
from bots.texts import help_text

# Dates and times of day matter here: `make test-clock` runs these again around midnight.
pytestmark = pytest.mark.clock


@pytest.mark.parametrize(
    "text, name, args",
    [
        ("进度 GD-DEMO-03", "progress", {"order": "GD-DEMO-03"}),
        ("进度GD-DEMO-03", "progress", {"order": "GD-DEMO-03"}),
        ("进度：gd-demo-03", "progress", {"order": "GD-DEMO-03"}),
        ("  Progress gd-1 ", "progress", {"order": "GD-1"}),
        # The command word is matched on the message's folded start (full-width, any case).
        ("ＰＲＯＧＲＥＳＳ ｇｄ－１", "progress", {"order": "GD-1"}),
        ("Ｓｈｏｒｔａｇｅ", "shortage", {"order": None}),
        ("ＡＣＫ ＃３", "ack", {"id": 3, "note": None}),
        ("/help", "help", {"topic": None}),
        ("？", "help", {"topic": None}),
        ("帮助 入库", "help", {"topic": "receive"}),
        ("收到 ＃１２", "ack", {"id": 12, "note": None}),
        ("ack 12", "ack", {"id": 12, "note": None}),
        ("完成 #7 已更换垫片", "done", {"id": 7, "note": "已更换垫片"}),
        ("确认#7", "verify", {"id": 7, "note": None}),
        ("缺料", "shortage", {"order": None}),
        ("站会 A-1", "standup", {"order": "A-1"}),
        ("绑定 012345", "bind", {"code": "012345"}),
        (
            "入库 M-1001 20.50",
            "receive",
            {"material": "M-1001", "quantity": Decimal("20.5"), "order": None, "confirm": False},
        ),
        (
            "问题 GD-1 法兰 漏水 高 @陈现场",
            "issue",
            {"order": "GD-1", "description": "法兰 漏水", "risk": "high", "owner": "陈现场"},
        ),
        (
            "issue 法兰漏水 @chen low",
            "issue",
            {"order": None, "description": "法兰漏水", "risk": "low", "owner": "chen"},
        ),
    ],
)
def test_commands_in_chinese_and_english(text, name, args):
    assert parse(text) == Command(name, args)


def test_a_multi_line_daily_report():
    text = "日报 GD-1\n今日：焊接 3 件\n检查法兰\n明日：热处理\n问题：缺少垫片\n工时：7.5 小时"
    assert parse(text) == Command(
        "report",
        {
            "order": "GD-1",
            "today": "焊接 3 件\n检查法兰",
            "tomorrow": "热处理",
            "problems": "缺少垫片",
            "hours": Decimal("7.5"),
        },
    )
    plain = parse("日报 今天焊接完成")
    assert plain.args["today"] == "今天焊接完成" and plain.args["order"] is None


@pytest.mark.parametrize(
    "text, command, hint",
    [
        ("", None, "发送「帮助」"),
        ("你好", None, "发送「帮助」"),
        ("helpme", None, "发送「帮助」"),
        ("进度 GD 1", "progress", "用法：进度 <订单号>"),
        ("收到", "ack", "用法：收到 #编号"),
        ("收到 第十二个", "ack", "请写上编号"),
        ("问题 GD-1", "issue", "请写上问题描述"),
        ("问题 高 @chen", "issue", "请写上问题描述"),
        ("入库 M-1", "receive", "用法：入库"),
        ("入库 M-1 -3", "receive", "数量应大于 0"),
        ("入库 M-1 1.2345", "receive", "三位小数"),
        ("入库 M-1 NaN", "receive", "数量应大于 0"),
        ("绑定 12345", "bind", "6 位数字"),
        ("日报 GD-1", "report", "今日完成的工作"),
        ("日报\n今日:a\n今日:b", "report", "写了两次"),
        ("日报 今日:a 工时:25", "report", "0 到 24"),
        ("日报 开头 今日:a", "report", "分段填写"),
    ],
)
def test_malformed_commands_get_a_short_chinese_usage_hint(text, command, hint):
    with pytest.raises(ParseError) as caught:
        parse(text)
    assert caught.value.command == command and hint in caught.value.hint
    assert len(caught.value.hint) < 200


def test_every_command_has_a_chinese_word_an_english_alias_and_an_example_that_parses():
    for spec in TABLE:
        assert not spec.words[0].isascii() and any(w.isascii() for w in spec.words[1:])
        if spec.example:
            assert parse(spec.example).name == spec.name


# properties ------------------------------------------------------------------------------

CHINESE = st.characters(min_codepoint=0x4E00, max_codepoint=0x4FFF)
WORDS = st.text(alphabet=CHINESE, min_size=1, max_size=8)
ORDER = st.from_regex(r"[A-Z0-9][A-Z0-9_-]{0,10}[0-9]", fullmatch=True)
SENTENCE = st.lists(WORDS, min_size=1, max_size=4).map(" ".join)
LINES = st.lists(SENTENCE, min_size=1, max_size=3).map("\n".join)
REF = st.integers(min_value=0, max_value=999_999_999)
# A description whose last word is 高/中/低 reads as the risk level: people write the level last.
DESCRIPTION = SENTENCE.filter(lambda s: s.split()[-1] not in RISKS)


def _command(name, **strategies):
    return st.fixed_dictionaries(strategies).map(lambda args: Command(name, args))


COMMANDS = st.one_of(
    _command("help", topic=st.sampled_from([None, *SPECS])),
    *(_command(n, order=st.none() | ORDER) for n in ("progress", "shortage", "standup")),
    *(_command(n, id=REF, note=st.none() | SENTENCE) for n in ("ack", "done", "verify")),
    _command("bind", code=st.from_regex(r"[0-9]{6}", fullmatch=True)),
    _command(
        "report",
        order=st.none() | ORDER,
        today=LINES,
        tomorrow=st.none() | LINES,
        problems=st.none() | LINES,
        hours=st.none()
        | st.integers(min_value=1, max_value=240).map(lambda n: (Decimal(n) / 10).normalize()),
    ),
    _command(
        "issue",
        order=st.none() | ORDER,
        description=DESCRIPTION,
        risk=st.sampled_from([None, "high", "medium", "low"]),
        owner=st.none() | WORDS,
    ),
    _command(
        "receive",
        material=st.from_regex(r"[A-Z][A-Z0-9.-]{0,8}", fullmatch=True),
        quantity=st.decimals(min_value=Decimal("0.001"), max_value=10**6, places=3).map(
            Decimal.normalize
        ),
        order=st.none() | ORDER,
        confirm=st.booleans(),
    ),
)


@given(COMMANDS)
@settings(max_examples=400)
@example(
    Command("issue", {"order": None, "description": "处理 中间", "risk": "medium", "owner": None})
)
def test_render_then_parse_gives_the_same_command(command):
    assert parse(render(command)) == command


@given(st.text(max_size=300))
@settings(max_examples=1000)
@example("日报 " + "今日:" * 3)
@example("入库 M 1E+999999")
@example("\u200b进度\u3000GD-1")
@example("工时:1e9")
def test_the_parser_raises_nothing_but_its_own_parse_error(text):
    try:
        command = parse(text)
    except ParseError as exc:
        assert exc.hint
    else:
        assert command.name in SPECS


@given(st.sampled_from(TABLE), st.text(max_size=60))
@settings(max_examples=500)
def test_any_text_after_a_command_word_is_parsed_or_answered_with_that_commands_usage(spec, rest):
    try:
        command = parse(f"{spec.words[0]} {rest}")
    except ParseError as exc:
        assert exc.command == spec.name and "用法" in exc.hint
    else:
        assert command.name == spec.name


def test_every_command_has_a_handler_a_parser_and_a_line_in_the_help():
    _, help_all = help_text(TABLE)
    for spec in TABLE:
        assert callable(spec.handler) and callable(spec.parse) and callable(spec.render), spec.name
        assert f"- {spec.usage}：{spec.summary}" in help_all
        title, detail = help_text(TABLE, spec.name)
        assert title == f"帮助：{spec.words[0]}" and f"用法：{spec.usage}" in detail
    assert len(SPECS) == len(TABLE)  # one entry per name
    assert {s.name for s in TABLE if not s.needs_binding} == {"help", "bind"}


def test_the_help_command_answers_with_the_table():
    reply = SPECS["help"].handler(None, parse("帮助 进度").args)
    assert reply.markdown and "用法：进度 <订单号>" in reply.text


@pytest.mark.parametrize(
    "text, args",
    [
        (
            "问题 ＧＤ－１ 法兰漏水（2号口），需更换垫片 高",
            {"order": "GD-1", "description": "法兰漏水（2号口），需更换垫片", "risk": "high"},
        ),
        ("问题 GD-1 法兰漏水 极高", {"order": "GD-1", "description": "法兰漏水", "risk": "high"}),
        ("问题 GD-1 法兰漏水 较低", {"order": "GD-1", "description": "法兰漏水", "risk": "low"}),
        ("问题 GD-1 法兰漏水 一般", {"order": "GD-1", "description": "法兰漏水", "risk": "medium"}),
        ("问题 GD-1 漏水  严重", {"order": "GD-1", "description": "漏水", "risk": "high"}),
    ],
)
def test_free_text_is_kept_as_typed_and_every_risk_word_is_recognised(text, args):
    assert parse(text) == Command("issue", {**args, "owner": None})


@pytest.mark.parametrize("word", ["偏高", "风险很大", "超低风险", "risky"])
def test_an_unknown_risk_word_is_answered_with_the_allowed_words(word):
    with pytest.raises(ParseError) as caught:
        parse(f"问题 GD-1 法兰漏水 {word}")
    assert f"「{word}」" in caught.value.hint and "高（极高" in caught.value.hint


def test_a_report_may_send_only_the_parts_that_change_and_keeps_full_width_text():
    command = parse("日报 ＧＤ－１\n明日：更换垫片（3只），复测\n工时：８")
    assert command.args == {
        "order": "GD-1",
        "today": None,
        "tomorrow": "更换垫片（3只），复测",
        "problems": None,
        "hours": Decimal(8),
    }
    assert parse("完成 ＃１２ 已更换垫片，复测合格。").args == {
        "id": 12,
        "note": "已更换垫片，复测合格。",
    }


@pytest.mark.parametrize(
    ("text", "guess"),
    [
        ("进读 GD-DEMO-03", "进度 GD-DEMO-03"),  # a pinyin input method's wrong character
        ("进读GD-DEMO-03", "进度 GD-DEMO-03"),
        ("缺了", "缺料"),
        ("收道 #12", "收到 #12"),
        ("入裤 M-1001 20", "入库 M-1001 20"),
        ("日包 GD-1\n今日：下料", "日报 GD-1…"),  # the first line, the rest elided
        ("progres GD-1", "progress GD-1"),  # one letter off an English word
        ("Progresss", "progress"),
        ("ｓｔａｎｄｕｐｐ", "standup"),
    ],
)
def test_a_command_word_with_one_typo_is_answered_with_the_command_it_resembles(text, guess):
    with pytest.raises(ParseError) as caught:
        parse(text)
    assert f"您是不是想发「{guess}」" in caught.value.hint
    assert caught.value.command is None and len(caught.value.hint) < 200


@pytest.mark.parametrize(
    "text",
    [
        "你好",
        "进来看看",  # the start of a longer Chinese phrase, not a command word
        "确定",  # one off both 确认 and 绑定: no guess rather than a wrong one
        "ack1",
        "abc",
        "今天天气不错",
        "嗯",
    ],
)
def test_text_that_resembles_no_one_command_gets_the_plain_hint(text):
    with pytest.raises(ParseError) as caught:
        parse(text)
    assert caught.value.hint == UNKNOWN_HINT
