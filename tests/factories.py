"""Plain factory functions for tests: real rows made through the real services."""

from __future__ import annotations

import itertools
from datetime import timedelta

from app.services.core import Actor, actor_for, settings
from app.services.orders import (
    add_member,
    create_order,
    decide_signoff,
    start_stage,
    submit_for_review,
)
from app.services.people import create_user, issue_token
from models import clock
from models.enums import Channel, Role, StageKind
from models.orders import MemberAdd, Order, OrderCreate
from models.people import User, UserCreate

PASSWORD = "secret-pass-1"
SECRET = "test-secret-key-that-is-long-enough-0123456789"
_seq = itertools.count(1)

DEPARTMENT_OF = {
    Role.sales: "sales",
    Role.tracker: "sales",
    Role.engineering: "engineering",
    Role.buyer: "procurement",
    Role.warehouse: "warehouse",
    Role.production: "production",
    Role.quality: "quality",
    Role.logistics: "logistics",
    Role.site_engineer: "site",
    Role.manager: "management",
    Role.admin: "management",
}


def make_user(session, *roles: Role, username: str | None = None, **overrides) -> User:
    """A user with the given roles (tracker by default) and the matching department."""
    roles = roles or (Role.tracker,)
    n = next(_seq)
    data = {
        "username": username or f"{roles[0].value}{n}",
        "display_name": overrides.pop("display_name", f"{roles[0].value}-{n}"),
        "password": PASSWORD,
        "roles": list(roles),
        "department": DEPARTMENT_OF.get(roles[0]),
    }
    data.update(overrides)
    user = create_user(session=session, actor=Actor.system(Channel.cli), data=UserCreate(**data))
    session.flush()
    return user


def act(session, user: User, channel: Channel = Channel.api) -> Actor:
    """The actor for a user."""
    return actor_for(session, user, channel)


def make_order(session, liaison: User | None = None, **overrides) -> Order:
    """A draft order created by its liaison (a new tracker unless given)."""
    liaison = liaison or make_user(session, Role.tracker)
    n = next(_seq)
    data = {
        "customer": f"客户{n}",
        "contract_no": f"HT-{n:04d}",
        "delivery_date": clock.today() + timedelta(days=60),
        # A review needs both (issue 14): payment terms and technical parameters.
        "payment_terms": "预付 30%，发货前 60%，验收后 10%",
        "tech_params": {"设计压力": "2.5 MPa"},
    }
    data.update(overrides)
    order = create_order(
        session=session,
        actor=act(session, liaison),
        data=OrderCreate(**data),
        default_departments=list(settings().review_departments),
    )
    session.flush()
    return order


def add_to_order(session, order: Order, user: User, role: Role) -> None:
    """Make a user a member of the order in a role, as the order's liaison would."""
    liaison = session.get(User, order.liaison_id)
    add_member(
        session=session,
        actor=act(session, liaison),
        order_id=order.id,
        data=MemberAdd(user_id=user.id, role=role),
    )


def bearer(user: User) -> dict:
    """Authorization header for API calls as this user."""
    token, _ = issue_token(user=user, secret=SECRET, ttl_hours=24)
    return {"Authorization": f"Bearer {token}"}


def tampered(token: str) -> str:
    """The token with one character of its signature changed: the second to last. The last
    carries only the bits base64 had left (4 of its 6 for a 20-byte HMAC), so a different last
    character can decode to the same signature, and a forgery made there passed now and then."""
    return token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]


def count(session, model, *where) -> int:
    """Rows of a table, read in a transaction of its own (so no lock is held afterwards).

    Commit, not rollback: the session keeps its objects loaded (no expiry on commit), so later
    attribute reads do not silently open a new transaction that holds SQLite's write lock.
    """
    from sqlmodel import func, select

    session.commit()
    query = select(func.count()).select_from(model)
    for condition in where:
        query = query.where(condition)
    n = session.exec(query).one()
    session.commit()
    return n


def make_confirmed_order(session, liaison: User | None = None, **overrides) -> Order:
    """An order through its review (only sales signs), confirmed, its review stage closed."""
    from tests.stage_factories import finish_review

    order = make_order(session, liaison=liaison, review_departments=["sales"], **overrides)
    tracker = act(session, session.get(User, order.liaison_id))
    submit_for_review(session=session, actor=tracker, order_id=order.id)
    decide_signoff(
        session=session,
        actor=act(session, make_user(session, Role.sales)),
        order_id=order.id,
        department="sales",
        approve=True,
    )
    finish_review(session, order)
    return order


def make_delivered_order(session, liaison: User | None = None, **overrides) -> Order:
    """A confirmed order whose stages before acceptance are all done (ready for acceptance),
    through the records their gates read (received key material, finished operations, a
    passed inspection, a delivered shipment)."""
    from tests.stage_factories import finish_delivery

    order = make_confirmed_order(session, liaison=liaison, **overrides)
    finish_delivery(session, order)
    session.flush()
    return order


# --- procurement -------------------------------------------------------------------------


def make_material(session, code: str | None = None, **overrides):
    """A material in the master (created by the system)."""
    from app.services.procurement import create_material
    from models.materials import MaterialCreate

    n = next(_seq)
    data = {"code": code or f"MAT-{n:04d}", "name": f"物料{n}", "unit": "件"}
    data.update(overrides)
    return create_material(
        session=session, actor=Actor.system(Channel.cli), data=MaterialCreate(**data)
    )


def make_supplier(session, name: str | None = None, **overrides):
    """A supplier with one contact."""
    from app.services.procurement import create_supplier
    from models.suppliers import ContactIn, SupplierCreate

    n = next(_seq)
    data = {
        "name": name or f"供应商{n}",
        "contacts": [ContactIn(name=f"联系人{n}", phone="13900000000", is_primary=True)],
    }
    data.update(overrides)
    return create_supplier(
        session=session, actor=Actor.system(Channel.cli), data=SupplierCreate(**data)
    )


def make_procuring_order(session, liaison: User | None = None, **overrides) -> Order:
    """A confirmed order whose procurement stage is running."""
    order = make_confirmed_order(session, liaison=liaison, **overrides)
    tracker = act(session, session.get(User, order.liaison_id))
    start_stage(session=session, actor=tracker, order_id=order.id, kind=StageKind.procurement)
    session.flush()
    return order


def make_bom_line(session, order: Order, material=None, needed=10, days=30, **overrides):
    """A BOM line added by the order's liaison; need date `days` from today."""
    from decimal import Decimal

    from app.services.procurement import add_bom_line
    from models.bom import BomLineCreate

    material = material or make_material(session)
    data = {
        "material_id": material.id,
        "needed": Decimal(str(needed)),
        "need_date": clock.today() + timedelta(days=days),
    }
    data.update(overrides)
    liaison = act(session, session.get(User, order.liaison_id))
    return add_bom_line(
        session=session, actor=liaison, order_id=order.id, data=BomLineCreate(**data)
    )


def make_purchase(session, order: Order, line, supplier=None, quantity=None, **overrides):
    """A purchase line for a BOM line, bought by the order's liaison."""
    from decimal import Decimal

    from app.services.procurement import create_purchase_line
    from models.purchasing import PurchaseLineCreate

    supplier = supplier or make_supplier(session)
    data = {"supplier_id": supplier.id, "quantity": Decimal(str(quantity or line.needed))}
    data.update(overrides)
    liaison = act(session, session.get(User, order.liaison_id))
    return create_purchase_line(
        session=session,
        actor=liaison,
        order_id=order.id,
        bom_line_id=line.id,
        data=PurchaseLineCreate(**data),
    )


def make_warehouse(session, *orders: Order) -> User:
    """A warehouse user, member of the given orders."""
    user = make_user(session, Role.warehouse)
    for order in orders:
        add_to_order(session, order, user, Role.warehouse)
    return user


def scan_in(result: str, action: str = "receive", quantity=None, **overrides):
    """A scan as the phone sends it, with a fresh client id."""
    import uuid

    from models.scans import ScanIn

    data = {"client_id": uuid.uuid4(), "result": result, "action": action}
    if quantity is not None:
        data["quantity"] = quantity
    data.update(overrides)
    return ScanIn.model_validate(data)


def make_chat_group(session, name: str | None = None, **overrides):
    """A WeCom group robot registered by the system."""
    from app.services.chat import create_group
    from models.chat import ChatGroupCreate

    n = next(_seq)
    data = {"platform": "wecom", "name": name or f"项目群{n}", "webhook": f"robot-key-{n}"}
    data.update(overrides)
    return create_group(
        session=session, actor=Actor.system(Channel.cli), data=ChatGroupCreate(**data)
    )
