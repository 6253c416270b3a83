from decimal import Decimal

import pytest

from app.config import ConfigError, load_config, parse_labour_rates


def test_labour_rates_default_and_per_role():
    rates = parse_labour_rates("site_engineer=120.5")
    assert rates == {
        "default": Decimal("60.00"),
        "day_labour": Decimal("40.00"),
        "site_engineer": Decimal("120.50"),
    }


@pytest.mark.parametrize("raw", ["cook=10", "default=-1", "default", "default=abc", "default=nan"])
def test_bad_labour_rates_refuse_to_start(raw):
    with pytest.raises(ConfigError):
        load_config({"LABOUR_RATES": raw, "SECRET_KEY": "x" * 40})
