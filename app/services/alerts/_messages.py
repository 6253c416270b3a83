"""How an alert reads in the group chat: markdown, the owner @mentioned by their bound chat
identity (mobile as a fallback), the contingency plan, links to the order and to acknowledge.

Everything a sweep needs to address its messages is loaded once (`Addressbook`), never per
alert.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from app.services.core import settings
from app.services.risk import plan_public
from models.chat import ChatGroup, ChatGroupOrder, ChatIdentity
from models.contingency import BackupSupplier, ContingencyPlan, PlanAdvice
from models.enums import RISK_NAMES, ChatPlatform, RiskLevel, RiskType, Role
from models.materials import Material
from models.messages import Button, OutboundMessage
from models.orders import Order
from models.people import User, UserRole
from models.suppliers import Supplier, SupplierContact

LEVEL_MARKS = {RiskLevel.high: "🔴", RiskLevel.medium: "🟠", RiskLevel.low: "🟡"}
MATERIAL_RISKS = frozenset({RiskType.shortage, RiskType.supplier_delay})
CHUNK = 1000


def _chunks(ids: Iterable[int]) -> Iterable[list[int]]:
    ids = sorted(set(ids))
    for i in range(0, len(ids), CHUNK):
        yield ids[i : i + CHUNK]


@dataclass
class Person:
    name: str
    mobile: str | None
    chat_ids: dict[str, str] = field(default_factory=dict)  # platform -> external id


@dataclass
class Addressbook:
    """Groups per order, people (names, mobiles, chat identities), managers."""

    groups: dict[int, list[tuple[int, str]]]  # order id -> [(group id, platform)]
    people: dict[int, Person]
    managers: list[int]
    liaisons: dict[int, int] = field(default_factory=dict)  # order id -> liaison's user id
    admins: list[int] = field(default_factory=list)
    memo: dict = field(default_factory=dict, repr=False)  # the sweep's per-key answers

    @classmethod
    def load(cls, session: Session, order_ids: set[int], user_ids: set[int]) -> Addressbook:
        groups: dict[int, list[tuple[int, str]]] = defaultdict(list)
        query = (
            select(ChatGroupOrder.order_id, ChatGroup.id, ChatGroup.platform)
            .join(ChatGroup, ChatGroup.id == ChatGroupOrder.group_id)
            .where(ChatGroup.active)
            .order_by(ChatGroup.id)
        )
        for order_id, group_id, platform in session.exec(query):
            if order_id in order_ids:
                groups[order_id].append((group_id, str(platform)))
        managers, admins = _holders(session, Role.manager), _holders(session, Role.admin)
        liaisons: dict[int, int] = {}
        for chunk in _chunks(order_ids):
            query = select(Order.id, Order.liaison_id).where(col(Order.id).in_(chunk))
            liaisons |= {o: u for o, u in session.exec(query) if u is not None}
        people: dict[int, Person] = {}
        for chunk in _chunks(user_ids | set(managers) | set(admins) | set(liaisons.values())):
            for uid, name, mobile in session.exec(
                select(User.id, User.display_name, User.mobile).where(col(User.id).in_(chunk))
            ):
                people[uid] = Person(name, mobile)
            ids = select(ChatIdentity.user_id, ChatIdentity.platform, ChatIdentity.external_id)
            for uid, platform, external in session.exec(
                ids.where(col(ChatIdentity.user_id).in_(chunk)).order_by(ChatIdentity.id)
            ):
                people[uid].chat_ids.setdefault(str(platform), external)
        return cls(dict(groups), people, managers, liaisons, admins)

    def mentions(self, user_ids: Iterable[int], platform: str) -> dict:
        """Keyword arguments of OutboundMessage that @mention these users on a platform."""
        ids, mobiles = [], []
        for uid in dict.fromkeys(user_ids):
            person = self.people.get(uid)
            if person is None:
                continue
            if platform in person.chat_ids:
                ids.append(person.chat_ids[platform])
            elif person.mobile:
                mobiles.append(person.mobile)
        return {"mention_user_ids": tuple(ids), "mention_mobiles": tuple(mobiles)}

    def name(self, user_id: int | None) -> str:
        person = self.people.get(user_id) if user_id else None
        return person.name if person else "未指定"

    def answerers(self, order_id: int, owner_id: int | None) -> list[list[int]]:
        """Who answers for a warning, in the order they are tried: the owner, the order's
        liaison, the managers, the admins."""
        tiers = [[owner_id] if owner_id else [], [self.liaisons.get(order_id)]]
        return [[u for u in tier if u] for tier in [*tiers, self.managers, self.admins]]

    def mentionable(self, user_id: int, platform: str) -> bool:
        """Whether a group message on this platform can @mention the user."""
        person = self.people.get(user_id)
        return person is not None and (platform in person.chat_ids or bool(person.mobile))

    def private_target(self, user_id: int | None) -> tuple[ChatPlatform, str] | None:
        """Where to reach a person directly when the order has no group."""
        person = self.people.get(user_id) if user_id else None
        if person is None:
            return None
        for platform in (ChatPlatform.wecom, ChatPlatform.dingtalk, ChatPlatform.wechat):
            if platform.value in person.chat_ids:
                return platform, person.chat_ids[platform.value]
        return None


def _holders(session: Session, role: Role) -> list[int]:
    """The active users holding a role, by id."""
    query = (
        select(User.id)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == role, User.is_active)
        .order_by(User.id)
    )
    return list(session.exec(query))


def attach_plans(session: Session, findings: list) -> None:
    """Give each finding with a risk type its contingency plan (and backup supplier), with
    one query per risk type present and one for the materials' backup suppliers."""
    types = {RiskType(f.risk_type) for f in findings if f.risk_type}
    if not types:
        return
    plans = {
        p.risk_type: plan_public(session, p)
        for p in session.exec(
            select(ContingencyPlan).where(col(ContingencyPlan.risk_type).in_(types))
        )
    }
    materials = {f.material_id for f in findings if f.material_id and f.risk_type in MATERIAL_RISKS}
    backups = _backup_suppliers(session, materials)
    for finding in findings:
        plan = plans.get(finding.risk_type) if finding.risk_type else None
        if plan is not None:
            supplier = backups.get(finding.material_id) if finding.material_id else None
            finding.plan = PlanAdvice(plan=plan, backup_supplier=supplier)


def _backup_suppliers(session: Session, material_ids: set[int]) -> dict[int, BackupSupplier]:
    out: dict[int, BackupSupplier] = {}
    rows = []
    for chunk in _chunks(material_ids):
        rows += session.exec(
            select(Material.id, Supplier.id, Supplier.name)
            .join(Supplier, Supplier.id == Material.backup_supplier_id)
            .where(col(Material.id).in_(chunk), Supplier.is_active)
        ).all()
    contacts: dict[int, str] = {}
    for chunk in _chunks({r[1] for r in rows}):
        query = select(SupplierContact).where(col(SupplierContact.supplier_id).in_(chunk))
        order = (col(SupplierContact.is_primary).desc(), SupplierContact.id)
        for c in session.exec(query.order_by(*order)):
            contacts.setdefault(c.supplier_id, " ".join(p for p in (c.name, c.phone) if p))
    for material_id, supplier_id, name in rows:
        out[material_id] = BackupSupplier(
            supplier_id=supplier_id, name=name, contact=contacts.get(supplier_id)
        )
    return out


def _plan_lines(plan: PlanAdvice | None) -> list[str]:
    if plan is None:
        return []
    steps = "；".join(f"{s.position}. {s.action}" for s in plan.plan.steps[:3])
    lines = [f"**应急预案**：{plan.plan.title}" + (f"（{steps}）" if steps else "")]
    if plan.backup_supplier is not None:
        contact = f"，{plan.backup_supplier.contact}" if plan.backup_supplier.contact else ""
        lines.append(f"**备选供应商**：{plan.backup_supplier.name}{contact}")
    return lines


def alert_markdown(*, alert_id: int, title: str, finding, owner: str) -> tuple[str, list[str]]:
    """Title and body lines of one alert (the links are the card's buttons, `alert_card`)."""
    level = RiskLevel(finding.level)
    head = f"{LEVEL_MARKS[level]} 预警 #A{alert_id} · {title}"
    lines = [  # the senders put the title on top (and the digest too)
        finding.message,
        f"**风险**：{RISK_NAMES[level]} · **责任人**：{owner}",
        *_plan_lines(finding.plan),
        f"回复「收到 #A{alert_id}」确认",
    ]
    return head, lines


def alert_card(
    head: str, text: str, *, alert_id: int, rule_title: str, finding, owner: str, ack_link: str
) -> dict:
    """OutboundMessage arguments of one alert: a card with 「收到」 and 「打开订单」 buttons (links
    where a platform has no buttons), and the data of a WeChat subscribe message."""
    order_url = f"{settings().public_base_url}/orders/{finding.order_id}"
    fields = {
        "character_string1": f"A{alert_id}",
        "thing2": rule_title,
        "thing3": finding.message,
        "phrase4": RISK_NAMES[RiskLevel(finding.level)],
        "thing5": owner,
    }
    return {
        "kind": "action_card",
        "title": head,
        "text": text,
        "buttons": (Button("收到", ack_link), Button("打开订单", order_url)),
        "fields": fields,
    }


def combined_markdown(title: str, items: list[tuple[int, object]]) -> tuple[str, str]:
    """One message for several alerts of one rule (who has not reported)."""
    base = settings().public_base_url
    head = f"📋 {title}（{len(items)}）"
    lines = []
    for alert_id, finding in items:
        lines.append(f"- #A{alert_id} {finding.message}")
    orders = dict.fromkeys(f.order_id for _, f in items)
    lines.append(" · ".join(f"[打开订单]({base}/orders/{o})" for o in list(orders)[:5]))
    lines.append("请尽快提交日报；回复「收到 #A编号」确认")
    return head, "\n".join(lines)


def markdown(title: str, text: str, **mentions) -> OutboundMessage:
    return OutboundMessage.markdown(title, text, **mentions)


def card(card: dict, **mentions) -> OutboundMessage:
    return OutboundMessage(**card, **mentions)
