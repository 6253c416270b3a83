from datetime import date

import pytest

from app.services.production import (
    add_operation_template,
    apply_operation_templates,
    list_operation_templates,
    retire_operation_template,
    update_operation_template,
)
from models.enums import Role
from models.errors import Conflict, Forbidden, InvalidInput, NotFound
from models.production import (
    OperationsFromTemplates,
    OperationTemplate,
    OperationTemplateIn,
    OperationTemplateUpdate,
)
from tests.factories import act, count, make_user
from tests.production_factories import TODAY, links_of, make_operation, make_team


def test_an_order_is_planned_from_the_templates_with_their_dependencies(session):
    team = make_team(session)
    ops = apply_operation_templates(
        session=session,
        actor=team.actor("production"),
        order_id=team.order.id,
        data=OperationsFromTemplates(
            planned_qty=4, planned_start=date(2026, 3, 1), planned_end=date(2026, 3, 30)
        ),
    )
    by_name = {op.name: op for op in ops}
    assert list(by_name) == ["下料", "焊接", "热处理", "机加工", "装配", "试压", "涂装"]
    pairs = {(by_name[a].id, by_name[b].id) for a, b in [("下料", "焊接"), ("焊接", "热处理")]}
    assert pairs <= links_of(session, team.order.id)
    assert len(links_of(session, team.order.id)) == 7
    # Depths 0..5 split the 30 days into six spans of five days; 机加工 sits beside 焊接.
    assert (by_name["下料"].planned_start, by_name["下料"].planned_end) == (
        date(2026, 3, 1),
        date(2026, 3, 5),
    )
    assert by_name["机加工"].planned_start == by_name["焊接"].planned_start == date(2026, 3, 6)
    assert by_name["涂装"].planned_end == date(2026, 3, 30)


def test_templates_are_applied_only_to_an_order_without_operations_and_with_dates(session):
    team = make_team(session)
    actor = team.actor("production")
    with pytest.raises(InvalidInput) as err:
        apply_operation_templates(
            session=session,
            actor=actor,
            order_id=team.order.id,
            data=OperationsFromTemplates(planned_qty=1),
        )
    assert "计划起止日期" in err.value.message
    make_operation(session, team)
    with pytest.raises(Conflict) as err:
        apply_operation_templates(
            session=session,
            actor=actor,
            order_id=team.order.id,
            data=OperationsFromTemplates(planned_qty=1, planned_start=TODAY, planned_end=TODAY),
        )
    assert err.value.code == "operations_exist"


def test_only_admins_edit_templates_and_template_cycles_are_refused(session):
    admin = act(session, make_user(session, Role.admin))
    session.commit()
    with pytest.raises(Forbidden):
        add_operation_template(
            session=session,
            actor=act(session, make_user(session, Role.production)),
            data=OperationTemplateIn(name="喷砂"),
        )
    by_name = {t.name: t for t in list_operation_templates(session=session)}
    with pytest.raises(InvalidInput) as err:
        update_operation_template(
            session=session,
            actor=admin,
            template_id=by_name["下料"].id,
            data=OperationTemplateUpdate(depends_on=[by_name["涂装"].id]),
        )
    assert err.value.code == "dependency_cycle"
    with pytest.raises(NotFound):  # a predecessor that does not exist
        add_operation_template(
            session=session, actor=admin, data=OperationTemplateIn(name="喷砂", depends_on=[9999])
        )
    session.rollback()
    assert count(session, OperationTemplate, OperationTemplate.name == "喷砂") == 0


def test_retiring_a_template_bridges_the_templates_that_followed_it(session):
    admin = act(session, make_user(session, Role.admin))
    by_name = {t.name: t for t in list_operation_templates(session=session)}
    retire_operation_template(session=session, actor=admin, template_id=by_name["试压"].id)
    active = {t.name: t for t in list_operation_templates(session=session)}
    assert "试压" not in active
    assert active["涂装"].depends_on == [by_name["装配"].id]
