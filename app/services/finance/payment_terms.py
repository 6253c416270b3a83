"""Reading payment milestones out of the payment terms an order review records, as people write
them: "30%预付，60%发货后，10%质保金验收后一年". Pure functions, no database."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from models.enums import PaymentTrigger
from models.errors import InvalidInput
from models.quantities import yuan

_SPLIT = re.compile(r"[，,；;。\n、]+")
_PERCENT = re.compile(r"(\d{1,3}(?:\.\d{1,2})?)\s*[%％]")
_MONTHS = re.compile(r"(\d{1,3})\s*个?月")
_DAYS = re.compile(r"(\d{1,4})\s*天")
# Checked in this order: "质保金验收后" is retention, not acceptance.
_TRIGGER_WORDS = (
    (PaymentTrigger.retention, ("质保", "尾款", "保修")),
    (PaymentTrigger.acceptance, ("验收",)),
    (PaymentTrigger.delivery, ("发货", "到货", "交货", "提货", "货到")),
    (PaymentTrigger.contract, ("预付", "签订", "签约", "合同", "定金", "订金", "首付")),
)
DEFAULT_RETENTION_DAYS = 365
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Term:
    name: str
    trigger: PaymentTrigger
    percent: Decimal
    retention_days: int | None = None


def parse_terms(text: str) -> list[Term]:
    """The milestones in the terms, in their order; InvalidInput when none or not 100 %."""
    terms = []
    for segment in _SPLIT.split(text or ""):
        segment = segment.strip()
        found = _PERCENT.findall(segment)
        if not found:
            continue
        if len(found) > 1:
            raise InvalidInput(f"付款条件“{segment}”中有多个比例，请分开写", field="payment_terms")
        trigger = _trigger(segment)
        days = _retention_days(segment) if trigger == PaymentTrigger.retention else None
        terms.append(Term(segment[:200], trigger, Decimal(found[0]), days))
    if not terms:
        raise InvalidInput(
            "付款条件中没有找到付款比例（例如 30%预付），请手工填写回款节点", field="payment_terms"
        )
    check_total([t.percent for t in terms])
    return terms


def check_total(percents: list[Decimal]) -> None:
    """Refuse percentages that do not add up to exactly 100."""
    total = sum(percents, Decimal(0))
    if total != HUNDRED:
        raise InvalidInput(
            f"回款比例合计为 {total.normalize():f}%，应为 100%",
            code="percent_total",
            field="percent",
            total=str(total),
        )


def _trigger(segment: str) -> PaymentTrigger:
    for trigger, words in _TRIGGER_WORDS:
        if any(word in segment for word in words):
            return trigger
    return PaymentTrigger.other


def _retention_days(segment: str) -> int:
    if "一年" in segment or "1年" in segment:
        return 365
    if "两年" in segment or "2年" in segment:
        return 730
    if months := _MONTHS.search(segment):
        return int(months.group(1)) * 30
    if days := _DAYS.search(segment):
        return int(days.group(1))
    return DEFAULT_RETENTION_DAYS


def split_amount(total: Decimal, percents: list[Decimal]) -> list[Decimal]:
    """The amount of each percentage, to the fen; the last takes the rounding remainder so
    that the amounts add up to the total exactly."""
    amounts = [yuan(total * p / HUNDRED) for p in percents]
    if amounts:
        amounts[-1] = yuan(total) - sum(amounts[:-1], Decimal(0))
    return amounts


def due_date(
    term: Term, *, signed_on: date, delivery: date, accepted_on: date | None
) -> date | None:
    """When a milestone falls due: signing day, delivery date, acceptance (the delivery date
    while not accepted), and retention that many days after acceptance."""
    if term.trigger == PaymentTrigger.contract:
        return signed_on
    if term.trigger == PaymentTrigger.delivery:
        return delivery
    handed_over = accepted_on or delivery
    if term.trigger == PaymentTrigger.acceptance:
        return handed_over
    if term.trigger == PaymentTrigger.retention:
        return handed_over + timedelta(days=term.retention_days or DEFAULT_RETENTION_DAYS)
    return None
