import io

from PIL import Image

from app.services.orders import attach_photos
from models.enums import Role
from models.photos import Photo
from tests.factories import add_to_order, bearer, count, make_order, make_user
from tests.images import jpeg, pixel_bomb_png, png


def _upload(client, order_id, headers, data, name="photo.jpg", **form):
    return client.post(
        f"/api/orders/{order_id}/photos",
        headers=headers,
        data={"file": (io.BytesIO(data), name), **form},
        content_type="multipart/form-data",
    )


def _setup(session):
    tracker = make_user(session, Role.tracker)
    order = make_order(session, liaison=tracker)
    session.commit()
    return order, bearer(tracker)


def test_an_uploaded_photo_is_served_normalised_with_a_thumbnail(client, session):
    order, h = _setup(session)
    r = _upload(client, order.id, h, jpeg(3000, 2000), caption="焊缝")
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert (body["width"], body["height"]) == (2560, 1707) and body["caption"] == "焊缝"
    image = client.get(body["url"], headers=h)
    thumb = client.get(body["thumb_url"], headers=h)
    assert image.status_code == thumb.status_code == 200
    assert image.mimetype == "image/jpeg"
    assert max(Image.open(io.BytesIO(thumb.data)).size) == 400


def test_the_same_photo_uploaded_twice_is_stored_once(client, session):
    order, h = _setup(session)
    first = _upload(client, order.id, h, jpeg(seed=7)).get_json()
    second = _upload(client, order.id, h, jpeg(seed=7), name="again.jpg").get_json()
    assert first["id"] == second["id"]
    assert count(session, Photo) == 1


def test_a_text_file_named_jpg_is_refused_and_nothing_is_stored(client, session):
    order, h = _setup(session)
    r = _upload(client, order.id, h, b"hello, not a picture", name="fake.jpg")
    assert r.status_code == 415 and r.get_json()["error"]["message"]
    assert count(session, Photo) == 0


def test_a_truncated_jpeg_is_refused(client, session):
    order, h = _setup(session)
    data = jpeg(800, 600)
    r = _upload(client, order.id, h, data[: len(data) // 2])
    assert r.status_code == 422 and "不完整" in r.get_json()["error"]["message"]
    assert count(session, Photo) == 0


def test_a_pixel_bomb_is_refused(client, session):
    order, h = _setup(session)
    r = _upload(client, order.id, h, pixel_bomb_png(), name="bomb.png")
    assert r.status_code == 413
    assert count(session, Photo) == 0


def test_an_upload_without_a_file_is_a_422(client, session):
    order, h = _setup(session)
    r = client.post(
        f"/api/orders/{order.id}/photos", headers=h, data={}, content_type="multipart/form-data"
    )
    assert r.status_code == 422


def test_photos_of_another_order_are_neither_uploaded_nor_served(client, session):
    order, h = _setup(session)
    photo_id = _upload(client, order.id, h, png()).get_json()["id"]
    stranger = make_user(session, Role.site_engineer)
    other = make_order(session)
    add_to_order(session, other, stranger, Role.site_engineer)
    session.commit()
    assert client.get(f"/api/photos/{photo_id}", headers=bearer(stranger)).status_code == 403
    assert _upload(client, order.id, bearer(stranger), png()).status_code == 403


def test_photos_attach_only_to_rows_of_their_own_order(client, session):
    order, h = _setup(session)
    photo_id = _upload(client, order.id, h, png()).get_json()["id"]
    other = make_order(session)
    session.commit()
    import pytest

    from models.errors import NotFound

    with pytest.raises(NotFound):
        attach_photos(
            session=session,
            order_id=other.id,
            photo_ids=[photo_id],
            entity="site_issue",
            entity_id=1,
        )
    attached = attach_photos(
        session=session, order_id=order.id, photo_ids=[photo_id], entity="site_issue", entity_id=1
    )
    assert [p.id for p in attached] == [photo_id]
    session.rollback()


def test_a_photo_whose_file_vanished_is_a_404_not_a_crash(client, session, upload_dir):
    order, h = _setup(session)
    body = _upload(client, order.id, h, jpeg(seed=3)).get_json()
    for path in upload_dir.rglob("*.jpg"):
        path.unlink()
    r = client.get(body["url"], headers=h)
    assert r.status_code == 404 and r.get_json()["error"]["code"] == "photo_file_missing"
