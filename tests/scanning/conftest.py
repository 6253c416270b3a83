"""Shared fixtures for the scanning tests: the sample photos from shared/samples/barcodes."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from bench.samples import samples_root


@pytest.fixture(scope="session")
def samples() -> Path:
    """The shared sample folder; the scanning tests need it and fail loudly without it."""
    return samples_root()


@pytest.fixture
def sample_image(samples):
    """Open a sample photo by its path below the samples folder."""

    def open_sample(relative: str) -> Image.Image:
        with Image.open(samples / relative) as image:
            return image.convert("RGB")

    return open_sample
