"""Argument parsers and renderers of the chat commands (the table is in bots/commands.py).

Each parser takes the text after the command word and returns the typed arguments, or raises
ArgError with a Chinese detail; each renderer writes arguments back so they parse the same.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from decimal import Decimal, InvalidOperation

ORDER_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{1,31}")
MATERIAL_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,63}")
BIND_CODE = re.compile(r"\d{6}")
REF = re.compile(r"[#＃]?\s*(\d{1,9})(?:\s+(.*))?", re.DOTALL)
_HIGH = ("高", "高风险", "风险高", "极高", "很高", "非常高", "特高", "超高", "较高", "严重", "紧急")
_MEDIUM = ("中", "中风险", "风险中", "中等", "一般")
_LOW = ("低", "低风险", "风险低", "较低", "很低", "极低")
RISKS = dict.fromkeys(_HIGH, "high") | dict.fromkeys(_MEDIUM, "medium") | dict.fromkeys(_LOW, "low")
RISKS |= {"high": "high", "medium": "medium", "low": "low", "critical": "high", "urgent": "high"}
RISK_WORDS = {"high": "高", "medium": "中", "low": "低"}
# A last word that reads like a risk level but is none of RISKS is answered, not swallowed.
_RISKISH = re.compile(r"(风险|危).*|.*(风险|危)|[极很超特较偏稍略非常]+[高中低]|risk.*", re.I)
RISK_HINT = "风险等级可写：高（极高、较高、严重、紧急）、中（中等、一般）、低（较低）。"
REPORT_LABELS = {
    "today": ("今日", "今天", "today"),
    "tomorrow": ("明日", "明天", "tomorrow"),
    "problems": ("问题", "困难", "problems"),
    "hours": ("工时", "hours"),
}
_LABEL = {word.lower(): name for name, words in REPORT_LABELS.items() for word in words}
_LABEL_RE = re.compile(
    r"(?:^|(?<=\s))("
    + "|".join(sorted(map(re.escape, _LABEL), key=len, reverse=True))
    + r")\s*[:：﹕]",
    re.IGNORECASE,
)
MAX_TEXT = 2000
MAX_DESCRIPTION = 500


def fold(text: str) -> str:
    """The ASCII reading of a structured argument (full-width digits, letters, ＃ and ：)."""
    return unicodedata.normalize("NFKC", text)


class ArgError(ValueError):
    """The arguments do not fit the command; `detail` says why (may be empty)."""

    def __init__(self, detail: str = ""):
        self.detail = detail
        super().__init__(detail)


def _order(token: str | None) -> str | None:
    return token.upper() if token else None


def _is_order(token: str) -> bool:
    return bool(ORDER_CODE.fullmatch(token)) and any(ch.isdigit() for ch in token)


def optional_order(rest: str) -> dict:
    rest = fold(rest).strip()
    if not rest:
        return {"order": None}
    if len(rest.split()) == 1 and ORDER_CODE.fullmatch(rest):
        return {"order": _order(rest)}
    raise ArgError("订单号格式不对。")


def render_order(word: str) -> Callable[[dict], str]:
    return lambda args: f"{word} {args['order']}" if args.get("order") else word


def report(rest: str) -> dict:
    order = None
    first, newline, remainder = rest.partition("\n")
    tokens = first.split(maxsplit=1)
    if tokens and _is_order(fold(tokens[0])):
        order = _order(fold(tokens[0]))
        rest = (tokens[1] if len(tokens) > 1 else "") + newline + remainder
    parts = _report_parts(rest.strip())
    # A second report the same day may send only the parts that change (明日：…).
    if all(v is None for v in parts.values()):
        raise ArgError("请写上今日完成的工作。")
    if any(len(v) > MAX_TEXT for v in parts.values() if isinstance(v, str)):
        raise ArgError(f"每一部分不超过 {MAX_TEXT} 字。")
    return {"order": order, **parts}


def _report_parts(text: str) -> dict:
    matches = list(_LABEL_RE.finditer(text))
    parts = {"today": None, "tomorrow": None, "problems": None, "hours": None}
    if not matches:
        parts["today"] = text or None
        return parts
    if text[: matches[0].start()].strip():
        raise ArgError("请用「今日：」「明日：」「问题：」分段填写。")
    for i, match in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        name = _LABEL[match.group(1).lower()]
        if parts[name] is not None:
            raise ArgError(f"「{match.group(1)}」写了两次。")
        parts[name] = text[match.end() : end].strip() or None
    if parts["hours"] is not None:
        parts["hours"] = _hours(fold(parts["hours"]))
    return parts


def _hours(raw: str) -> Decimal:
    raw = re.sub(r"\s*(小时|h|H)$", "", raw)
    try:
        hours = Decimal(raw)
    except InvalidOperation:
        raise ArgError("工时应为数字，例如：工时：8") from None
    if not hours.is_finite() or not 0 < hours <= 24 or hours != hours.quantize(Decimal("0.1")):
        raise ArgError("工时应在 0 到 24 小时之间，最多一位小数。")
    return hours.normalize() if hours != hours.to_integral() else hours.quantize(Decimal(1))


def render_report(args: dict) -> str:
    lines = [f"日报 {args['order']}" if args.get("order") else "日报"]
    for name, label in (("today", "今日"), ("tomorrow", "明日"), ("problems", "问题")):
        if args.get(name):
            lines.append(f"{label}:{args[name]}")
    if args.get("hours") is not None:
        lines.append(f"工时:{args['hours']}")
    return "\n".join(lines)


def issue(rest: str) -> dict:
    # Token spans, so that the description is cut from the text as typed.
    spans = [(m.start(), m.end()) for m in re.finditer(r"\S+", rest)]
    owner = risk = None
    while spans:
        token = rest[slice(*spans[-1])]
        word = fold(token).lower()
        if word.startswith("@") and len(word) > 1 and owner is None:
            owner = token[1:]
        elif word in RISKS and risk is None:
            risk = RISKS[word]
        elif risk is None and _RISKISH.fullmatch(word):
            raise ArgError(f"不认识的风险等级「{token}」。{RISK_HINT}")
        else:
            break
        spans.pop()
    first = fold(rest[slice(*spans[0])]) if spans else ""
    if len(spans) == 1 and _is_order(first):
        raise ArgError("请写上问题描述。")
    order = None
    if len(spans) > 1 and _is_order(first):
        order = _order(first)
        spans.pop(0)
    description = rest[spans[0][0] : spans[-1][1]] if spans else ""
    if not description:
        raise ArgError("请写上问题描述。")
    if len(description) > MAX_DESCRIPTION:
        raise ArgError(f"问题描述不超过 {MAX_DESCRIPTION} 字。")
    return {"order": order, "description": description, "risk": risk, "owner": owner}


def render_issue(args: dict) -> str:
    parts = ["问题", args.get("order"), args["description"]]
    parts += [RISK_WORDS.get(args.get("risk")), f"@{args['owner']}" if args.get("owner") else None]
    return " ".join(p for p in parts if p)


def ref(rest: str) -> dict:
    match = REF.fullmatch(rest)
    if not match:
        raise ArgError("请写上编号，例如 #12。")
    note = (match.group(2) or "").strip() or None
    if note and len(note) > MAX_DESCRIPTION:
        raise ArgError(f"备注不超过 {MAX_DESCRIPTION} 字。")
    return {"id": int(match.group(1)), "note": note}


ALERT_REF = re.compile(r"[#＃]?\s*[AaＡａ]\s*(\d{1,9})(?:\s+(.*))?", re.DOTALL)


def ack_ref(rest: str) -> dict:
    """#12 (a site issue) or #A12 (a warning, 预警)."""
    match = ALERT_REF.fullmatch(rest)
    if match is None:
        return ref(rest)
    note = (match.group(2) or "").strip() or None
    if note and len(note) > MAX_DESCRIPTION:
        raise ArgError(f"备注不超过 {MAX_DESCRIPTION} 字。")
    return {"id": int(match.group(1)), "note": note, "alert": True}


def render_ack(args: dict) -> str:
    prefix = "A" if args.get("alert") else ""
    return f"收到 #{prefix}{args['id']}" + (f" {args['note']}" if args.get("note") else "")


def render_ref(word: str) -> Callable[[dict], str]:
    return lambda args: f"{word} #{args['id']}" + (f" {args['note']}" if args.get("note") else "")


CONFIRM_WORDS = {"确认超收": True, "确认": True, "confirm": True}


def receive(rest: str) -> dict:
    tokens = fold(rest).split()
    confirm = bool(tokens) and tokens[-1].lower() in CONFIRM_WORDS
    if confirm:
        tokens.pop()
    if len(tokens) not in (2, 3) or not MATERIAL_CODE.fullmatch(tokens[0]):
        raise ArgError()
    try:
        quantity = Decimal(tokens[1])
    except InvalidOperation:
        raise ArgError("数量应为数字。") from None
    if not quantity.is_finite() or not 0 < quantity <= 10**9:
        raise ArgError("数量应大于 0。")
    if quantity.normalize().as_tuple().exponent < -3:
        raise ArgError("数量最多三位小数。")
    if len(tokens) == 3 and not ORDER_CODE.fullmatch(tokens[2]):
        raise ArgError("订单号格式不对。")
    order = _order(tokens[2]) if len(tokens) == 3 else None
    return {
        "material": tokens[0],
        "quantity": quantity.normalize(),
        "order": order,
        "confirm": confirm,
    }


def render_receive(args: dict) -> str:
    quantity = format(args["quantity"], "f")
    confirm = "确认超收" if args.get("confirm") else None
    return " ".join(
        p for p in ("入库", args["material"], quantity, args.get("order"), confirm) if p
    )


def bind(rest: str) -> dict:
    rest = fold(rest).strip()
    if not BIND_CODE.fullmatch(rest):
        raise ArgError("绑定码是 6 位数字。")
    return {"code": rest}
