"""The contingency plan library: seeded defaults, admin changes, the plan a warning carries."""

from __future__ import annotations

import pytest
from sqlmodel import select

from app.services.risk import (
    create_plan,
    delete_plan,
    ensure_default_plans,
    list_plans,
    plan_for,
    update_plan,
)
from models.contingency import (
    BackupSupplier,
    ContingencyPlan,
    ContingencyStep,
    PlanCreate,
    PlanUpdate,
    StepIn,
)
from models.enums import RiskType, Role
from models.errors import Conflict, Forbidden, NotFound
from tests.factories import act, count, make_user


def admin(session):
    return act(session, make_user(session, Role.admin))


def test_every_deployment_starts_with_a_plan_for_each_risk_type(session):
    plans = list_plans(session=session)
    assert [p.risk_type for p in plans] == list(RiskType)
    advice = plan_for(session, RiskType.shortage)
    assert advice.plan.title == "缺料应急预案" and advice.plan.risk_type_name == "缺料"
    steps = advice.plan.steps
    assert [s.position for s in steps] == list(range(1, len(steps) + 1))
    assert any("备用供应商" in s.action for s in steps)
    assert steps[0].role == Role.buyer and steps[0].role_name == "采购"


def test_the_defaults_are_seeded_once_and_deleted_plans_stay_deleted(session):
    actor = admin(session)
    weather = plan_for(session, RiskType.weather).plan
    delete_plan(session=session, actor=actor, plan_id=weather.id)
    ensure_default_plans(session=session)
    assert plan_for(session, RiskType.weather) is None
    assert count(session, ContingencyPlan) == len(RiskType) - 1
    assert count(session, ContingencyStep, ContingencyStep.plan_id == weather.id) == 0


def test_a_material_warning_carries_the_backup_supplier(session):
    backup = BackupSupplier(supplier_id=7, name="苏州精工机械", contact="王经理 13800000000")
    advice = plan_for(session, RiskType.shortage, backup_supplier=backup)
    assert advice.backup_supplier == backup
    delay = plan_for(session, "supplier_delay", backup_supplier=backup)
    assert delay.backup_supplier == backup
    # A backup supplier means nothing to a weather plan.
    assert plan_for(session, RiskType.weather, backup_supplier=backup).backup_supplier is None


def test_an_admin_rewrites_the_steps_in_order(session):
    plan = plan_for(session, RiskType.labour).plan
    update_plan(
        session=session,
        actor=admin(session),
        plan_id=plan.id,
        data=PlanUpdate(
            title="人员短缺预案",
            steps=[StepIn(action="联系劳务公司", role=Role.production), StepIn(action="安排加班")],
        ),
    )
    advice = plan_for(session, RiskType.labour)
    assert advice.plan.title == "人员短缺预案"
    assert [(s.position, s.action, s.role) for s in advice.plan.steps] == [
        (1, "联系劳务公司", Role.production),
        (2, "安排加班", None),
    ]


def test_a_risk_type_has_one_plan(session):
    with pytest.raises(Conflict) as err:
        create_plan(
            session=session,
            actor=admin(session),
            data=PlanCreate(risk_type="weather", title="又一个", steps=[StepIn(action="等")]),
        )
    assert err.value.code == "plan_exists" and "天气已有应急预案" in err.value.message


def test_a_plan_is_created_again_after_its_deletion(session):
    actor = admin(session)
    delete_plan(session=session, actor=actor, plan_id=plan_for(session, "weather").plan.id)
    plan = create_plan(
        session=session,
        actor=actor,
        data=PlanCreate(risk_type="weather", title="台风预案", steps=[StepIn(action="加固")]),
    )
    assert plan_for(session, RiskType.weather).plan.id == plan.id


def test_only_admins_keep_the_library(session):
    tracker = act(session, make_user(session, Role.tracker))
    plan = plan_for(session, RiskType.weather).plan
    with pytest.raises(Forbidden):
        update_plan(session=session, actor=tracker, plan_id=plan.id, data=PlanUpdate(title="x"))
    with pytest.raises(Forbidden):
        delete_plan(session=session, actor=tracker, plan_id=plan.id)
    assert session.exec(select(ContingencyPlan).where(ContingencyPlan.id == plan.id)).one()


def test_an_unknown_plan_is_not_found(session):
    with pytest.raises(NotFound):
        update_plan(session=session, actor=admin(session), plan_id=9999, data=PlanUpdate())


def test_a_material_warning_finds_the_backup_supplier_of_its_material(session):
    from tests.factories import make_material, make_supplier

    backup = make_supplier(session, name="无锡备用阀门厂")
    material = make_material(session, backup_supplier_id=backup.id)
    advice = plan_for(session, RiskType.shortage, material.id)
    found = advice.backup_supplier
    assert (found.supplier_id, found.name) == (backup.id, "无锡备用阀门厂")
    assert found.contact.startswith("联系人") and found.contact.endswith(" 13900000000")
    # A backup supplier given by the caller wins; a material without one gives none.
    given = BackupSupplier(name="临时指定")
    assert (
        plan_for(session, "shortage", material.id, backup_supplier=given).backup_supplier == given
    )
    plain = make_material(session)
    assert plan_for(session, RiskType.supplier_delay, plain.id).backup_supplier is None
    assert plan_for(session, RiskType.weather, material.id).backup_supplier is None


def test_a_backup_supplier_that_no_longer_supplies_is_not_suggested(session):
    from app.services.procurement import update_supplier
    from models.suppliers import SupplierUpdate
    from tests.factories import make_material, make_supplier

    backup = make_supplier(session)
    material = make_material(session, backup_supplier_id=backup.id)
    update_supplier(
        session=session,
        actor=admin(session),
        supplier_id=backup.id,
        data=SupplierUpdate(is_active=False),
    )
    assert plan_for(session, RiskType.shortage, material.id).backup_supplier is None
