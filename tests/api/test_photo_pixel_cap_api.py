"""Photos are capped at what a phone camera makes (PHOTO_MAX_MEGAPIXELS, default 20 MP): a
larger picture is refused from its header in Chinese, through both doors that decode photos;
a 12 MP phone photo is accepted (issue 16 item 3)."""

import io

from PIL import Image

from models.enums import Role
from models.photos import Photo
from tests.factories import bearer, count, make_order, make_user
from tests.images import jpeg, pixel_bomb_png


def _png(width: int, height: int) -> bytes:
    """A real, fully decodable PNG (one flat colour compresses to a few kilobytes)."""
    out = io.BytesIO()
    Image.new("L", (width, height), 200).save(out, "PNG")
    return out.getvalue()


def _upload(client, url, headers, data, name):
    return client.post(
        url,
        headers=headers,
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def _tracker_and_order(session):
    tracker = make_user(session, Role.tracker)
    order = make_order(session, liaison=tracker)
    session.commit()
    return order, bearer(tracker)


def test_a_photo_just_over_twenty_megapixels_is_refused_in_chinese(client, session):
    order, h = _tracker_and_order(session)
    r = _upload(client, f"/api/orders/{order.id}/photos", h, _png(5000, 4001), "big.png")
    assert r.status_code == 413
    error = r.get_json()["error"]
    assert (error["code"], error["message"]) == (
        "photo_too_many_pixels",
        "照片像素过多，最多 20 百万像素",
    )
    assert count(session, Photo) == 0


def test_a_49_megapixel_png_is_refused_before_decoding(client, session):
    order, h = _tracker_and_order(session)
    r = _upload(client, f"/api/orders/{order.id}/photos", h, pixel_bomb_png(7000), "49mp.png")
    assert r.status_code == 413 and r.get_json()["error"]["code"] == "photo_too_many_pixels"
    assert count(session, Photo) == 0


def test_a_12_megapixel_phone_photo_is_accepted(client, session):
    order, h = _tracker_and_order(session)
    r = _upload(client, f"/api/orders/{order.id}/photos", h, jpeg(4000, 3000), "phone.jpg")
    assert r.status_code == 201, r.get_json()
    assert count(session, Photo) == 1


def test_the_barcode_photo_door_applies_the_same_cap(client, session):
    keeper = make_user(session, Role.warehouse)
    session.commit()
    h = bearer(keeper)
    r = _upload(client, "/api/scans/photo", h, _png(5000, 4001), "big.png")
    assert r.status_code == 413
    assert r.get_json()["error"]["message"] == "图片尺寸过大，请缩小后再上传"
    phone = _upload(client, "/api/scans/photo", h, jpeg(4000, 3000), "phone.jpg")
    assert phone.status_code != 413, phone.get_json()
