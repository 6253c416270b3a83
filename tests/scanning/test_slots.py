"""Image decodes in flight per process are bounded (IMAGE_DECODE_SLOTS) and a decode that
finds no free slot in time is refused with a Chinese 503 (issue 16 item 3)."""

import pytest

from app.config import ConfigError, load_config
from scanning.photos import process_photo
from scanning.slots import ImageDecodersBusy, decode_slot, release_memory
from tests.images import jpeg


def test_a_decode_beyond_the_slots_is_refused_when_none_frees_up():
    with decode_slot(2), decode_slot(2), pytest.raises(ImageDecodersBusy) as err:
        decode_slot(2, wait_seconds=0).__enter__()
    assert err.value.status == 503 and err.value.message == "图片处理繁忙，请稍后重试"
    with decode_slot(2, wait_seconds=0):
        pass  # both slots came back


def test_photos_decode_within_one_slot_and_give_it_back():
    for seed in (1, 2):
        assert process_photo(jpeg(3000, 2000, seed=seed), decode_slots=1).width == 2560
    with decode_slot(1, wait_seconds=0):
        pass
    release_memory()


@pytest.mark.parametrize("name", ["IMAGE_DECODE_SLOTS", "PHOTO_MAX_MEGAPIXELS"])
def test_the_limits_must_be_at_least_one(tmp_path, name):
    with pytest.raises(ConfigError, match=name):
        load_config({"GENDAN_INSTANCE_DIR": str(tmp_path), name: "0"})


def test_the_pixel_cap_defaults_to_twenty_megapixels_and_one_slot(tmp_path):
    config = load_config({"GENDAN_INSTANCE_DIR": str(tmp_path)})
    assert (config["PHOTO_MAX_MEGAPIXELS"], config["IMAGE_DECODE_SLOTS"]) == (20, 1)
