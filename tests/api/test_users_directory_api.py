"""/api/users as a directory: customers see only the people on their own orders, without
contacts; staff see mobiles only in the roles that phone people (issue 16 item 9)."""

import itertools

import pytest

from models.enums import Role
from tests.factories import add_to_order, bearer, make_order, make_user

_phones = itertools.count(13800000001)


def _person(session, role: Role):
    n = next(_phones)
    return make_user(session, role, mobile=str(n), email=f"u{n}@example.com")


@pytest.fixture()
def people(session):
    """Order A: tracker, customer, warehouse. Order B: another tracker and a site engineer."""
    tracker, other_tracker = _person(session, Role.tracker), _person(session, Role.tracker)
    customer, keeper = _person(session, Role.customer), _person(session, Role.warehouse)
    site = _person(session, Role.site_engineer)
    mine = make_order(session, liaison=tracker)
    add_to_order(session, mine, customer, Role.customer)
    add_to_order(session, mine, keeper, Role.warehouse)
    theirs = make_order(session, liaison=other_tracker)
    add_to_order(session, theirs, site, Role.site_engineer)
    session.commit()
    return {
        "tracker": tracker,
        "other_tracker": other_tracker,
        "customer": customer,
        "keeper": keeper,
        "site": site,
    }


def _listed(client, user, **query) -> dict[int, dict]:
    r = client.get("/api/users", headers=bearer(user), query_string=query)
    assert r.status_code == 200
    return {item["id"]: item for item in r.get_json()["items"]}


def test_a_customer_sees_only_the_people_on_their_own_orders_without_mobiles(client, people):
    listed = _listed(client, people["customer"])
    expected = {people[k].id for k in ("tracker", "customer", "keeper")}
    assert set(listed) == expected
    others = [item for item_id, item in listed.items() if item_id != people["customer"].id]
    assert all(item["mobile"] is None and item["email"] is None for item in others)
    assert listed[people["customer"].id]["mobile"] == people["customer"].mobile


def test_a_customer_searching_by_name_finds_nobody_off_their_orders(client, people):
    site = people["site"]
    assert _listed(client, people["customer"], q=site.display_name) == {}
    assert site.id in _listed(client, people["keeper"], q=site.display_name)


def test_a_customer_gets_404_for_a_person_not_on_their_orders(client, people):
    headers = bearer(people["customer"])
    r = client.get(f"/api/users/{people['site'].id}", headers=headers)
    assert r.status_code == 404 and r.get_json()["error"]["message"] == "用户不存在"
    assert client.get("/api/users/999999", headers=headers).get_json() == r.get_json()
    own = client.get(f"/api/users/{people['tracker'].id}", headers=headers).get_json()
    assert own["display_name"] == people["tracker"].display_name and own["mobile"] is None


@pytest.mark.parametrize("role", [Role.warehouse, Role.buyer, Role.quality, Role.sales])
def test_staff_who_do_not_phone_people_see_everyone_without_mobiles(client, session, people, role):
    viewer = make_user(session, role)
    session.commit()
    listed = _listed(client, viewer)
    assert {p.id for p in people.values()} <= set(listed)
    assert all(listed[p.id]["mobile"] is None for p in people.values())
    r = client.get(f"/api/users/{people['site'].id}", headers=bearer(viewer))
    assert r.status_code == 200 and r.get_json()["mobile"] is None


@pytest.mark.parametrize(
    "role", [Role.admin, Role.manager, Role.tracker, Role.site_engineer, Role.logistics]
)
def test_roles_that_phone_people_see_mobiles(client, session, people, role):
    viewer = make_user(session, role)
    session.commit()
    listed = _listed(client, viewer)
    assert all(listed[p.id]["mobile"] == p.mobile for p in people.values())
    r = client.get(f"/api/users/{people['customer'].id}", headers=bearer(viewer))
    assert r.get_json()["mobile"] == people["customer"].mobile


def test_everyone_sees_their_own_mobile(client, people):
    keeper = people["keeper"]
    assert _listed(client, keeper)[keeper.id]["mobile"] == keeper.mobile
    me = client.get(f"/api/users/{keeper.id}", headers=bearer(keeper)).get_json()
    assert me["mobile"] == keeper.mobile


def test_a_bad_directory_query_is_a_clear_422(client, people):
    r = client.get("/api/users", headers=bearer(people["customer"]), query_string={"q": "x" * 65})
    assert r.status_code == 422 and r.get_json()["error"]["message"]
    r = client.get("/api/users", headers=bearer(people["keeper"]), query_string={"role": "boss"})
    assert r.status_code == 422
