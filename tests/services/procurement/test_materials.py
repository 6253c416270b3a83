import pytest

from app.services.procurement import bind_alias, create_material, list_materials, unbind_alias
from models.enums import Role
from models.errors import Conflict, Forbidden, InvalidInput
from models.materials import AliasCreate, MaterialAlias, MaterialCreate
from tests.factories import act, count, make_material, make_user


def _bind(session, actor, code, material, symbology=None):
    return bind_alias(
        session=session,
        actor=actor,
        data=AliasCreate(code=code, material_id=material.id, symbology=symbology),
    )


def test_material_codes_are_unique_whatever_their_case(session):
    make_material(session, "steel-3mm")
    buyer = act(session, make_user(session, Role.buyer))
    with pytest.raises(Conflict):
        create_material(
            session=session, actor=buyer, data=MaterialCreate(code="STEEL-3MM", name="钢板")
        )


def test_a_customer_may_neither_create_nor_read_materials(session):
    customer = act(session, make_user(session, Role.customer))
    with pytest.raises(Forbidden):
        create_material(session=session, actor=customer, data=MaterialCreate(code="X", name="x"))
    with pytest.raises(Forbidden):
        list_materials(session=session, actor=customer)


def test_binding_a_code_twice_is_harmless_but_another_material_is_refused(session):
    first, second = make_material(session), make_material(session)
    worker = act(session, make_user(session, Role.warehouse))
    alias = _bind(session, worker, "6901234567892", first, "EAN_13")
    assert _bind(session, worker, "6901234567892", first, "EAN_13").id == alias.id
    with pytest.raises(Conflict) as err:
        _bind(session, worker, "6901234567892", second, "EAN_13")
    assert err.value.code == "alias_taken" and first.code in err.value.message
    unbind_alias(session=session, actor=worker, alias_id=alias.id)
    _bind(session, worker, "6901234567892", second, "EAN_13")
    assert count(session, MaterialAlias) == 1


def test_labels_material_codes_and_bad_ean_cannot_be_bound(session):
    material = make_material(session, "VALVE-1")
    worker = act(session, make_user(session, Role.warehouse))
    with pytest.raises(InvalidInput):
        _bind(session, worker, "GD1:MAT;M:VALVE-1", material)
    with pytest.raises(Conflict):
        _bind(session, worker, "valve-1", material)
    with pytest.raises(InvalidInput) as err:
        _bind(session, worker, "6901234567891", material, "EAN_13")
    assert err.value.code == "bad_checksum"
    assert count(session, MaterialAlias) == 0
