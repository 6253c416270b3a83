"""Delay prediction from supplier delivery history: shrinkage, conditioning on today, edges."""

from __future__ import annotations

import math
from datetime import date, timedelta
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.services.alerts import (
    DEFAULT_K,
    MIN_HISTORY,
    MIN_OWN,
    SMOOTHING,
    DelayModel,
    Delivery,
    probability_late,
)

# Dates and times of day matter here: `make test-clock` runs these again around midnight.
pytestmark = pytest.mark.clock

D0 = date(2026, 1, 1)


def deliveries(supplier: int, delays: list[int]) -> list[Delivery]:
    return [
        Delivery(supplier, D0 + timedelta(days=i), D0 + timedelta(days=i + d))
        for i, d in enumerate(delays)
    ]


PROMISED = date(2026, 3, 10)
TODAY = date(2026, 3, 1)


def p_late(model, supplier, *, need_after_promise: int, today: date = TODAY) -> float:
    need = PROMISED + timedelta(days=need_after_promise)
    return model.probability_late(supplier, PROMISED, need, today)


def test_a_delay_is_actual_minus_promised_in_days():
    assert Delivery(1, date(2026, 3, 1), date(2026, 3, 6)).delay == 5
    assert Delivery(1, date(2026, 3, 1), date(2026, 2, 27)).delay == -2


def test_the_prediction_mixes_own_and_everybodys_distribution_by_n_over_n_plus_k():
    # Supplier 1: 2 deliveries, both 5 days late. Supplier 2: 6 on time.
    history = deliveries(1, [5, 5]) + deliveries(2, [0] * 6)
    model = DelayModel(history, k=2)
    # Need date 2 days after the promise: late means a delay of 3 days or more.
    own, pooled = Fraction(2, 2), Fraction(2, 8)
    expected = Fraction(2, 4) * own + Fraction(2, 4) * pooled
    assert p_late(model, 1, need_after_promise=2) == pytest.approx(float(expected))
    assert p_late(model, 2, need_after_promise=2) == pytest.approx(
        float(Fraction(6, 8) * 0 + Fraction(2, 8) * pooled)
    )


def test_the_mean_of_the_prediction_is_the_shrunk_mean():
    history = deliveries(1, [10, 6]) + deliveries(2, [0, 0, 1, 1, 3, 1])
    model = DelayModel(history, k=3)
    everybody = (10 + 6 + 0 + 0 + 1 + 1 + 3 + 1) / 8
    assert model.expected_delay(1) == pytest.approx(2 / 5 * 8 + 3 / 5 * everybody)
    assert model.expected_delay(99) == pytest.approx(everybody)


def test_few_deliveries_are_shrunk_toward_everybody_and_many_speak_for_themselves():
    everybody = deliveries(2, [0] * 50 + [4] * 10)
    one = DelayModel(everybody + deliveries(1, [7]))
    many = DelayModel(everybody + deliveries(1, [7] * 60))
    unknown = p_late(one, 99, need_after_promise=3)
    assert unknown < p_late(one, 1, need_after_promise=3) < p_late(many, 1, need_after_promise=3)
    assert p_late(many, 1, need_after_promise=3) > 0.9


def test_a_supplier_without_history_gets_everybodys_distribution():
    history = deliveries(1, [0, 0, 0, 6])
    model = DelayModel(history)
    assert p_late(model, 42, need_after_promise=2) == pytest.approx(0.25)


def test_k_infinity_is_everybodys_distribution_and_k_zero_own_history_only():
    history = deliveries(1, [6, 6]) + deliveries(2, [0, 0])
    assert p_late(DelayModel(history, math.inf), 1, need_after_promise=2) == pytest.approx(0.5)
    assert p_late(DelayModel(history, 0), 1, need_after_promise=2) == pytest.approx(1.0)
    with pytest.raises(ValueError):
        DelayModel(history, -1)


def test_an_overdue_open_line_is_judged_on_the_deliveries_that_were_that_late():
    # Mostly on time, sometimes 10 days late. Promised 10 March, needed by the 15th.
    model = DelayModel(deliveries(1, [0] * 8 + [10] * 2), k=0)
    assert p_late(model, 1, need_after_promise=5) == pytest.approx(0.2)
    # On 13 March it has not come: only the 10-day delays are still possible.
    overdue = p_late(model, 1, need_after_promise=5, today=date(2026, 3, 13))
    assert overdue == pytest.approx(1.0)


def test_a_line_not_arrived_by_its_need_date_is_late_for_certain():
    model = DelayModel(deliveries(1, [0] * 10))
    assert p_late(model, 1, need_after_promise=-1, today=PROMISED) == 1.0


def test_a_line_later_than_any_delivery_on_record_is_reported_late():
    model = DelayModel(deliveries(1, [0, 1, 2]))
    assert p_late(model, 1, need_after_promise=30, today=PROMISED + timedelta(days=5)) == 1.0


def test_arriving_on_the_need_date_is_in_time():
    model = DelayModel(deliveries(1, [3] * 5), k=0)
    assert p_late(model, 1, need_after_promise=3) == 0.0
    assert p_late(model, 1, need_after_promise=2) == 1.0


def test_without_any_history_there_is_no_prediction():
    assert DelayModel([]).probability_late(1, PROMISED, PROMISED, TODAY) is None
    assert DelayModel([]).expected_delay(1) is None


def test_the_function_takes_a_history_or_a_fitted_model():
    history = deliveries(1, [5, 5, 0]) + deliveries(2, [0, 0, 1])
    args = (1, PROMISED, PROMISED + timedelta(days=2), TODAY)
    assert probability_late(history, *args) == probability_late(DelayModel(history), *args)
    assert DelayModel(history).k == DEFAULT_K


histories = st.lists(
    st.tuples(st.integers(1, 4), st.integers(-3, 40)), min_size=1, max_size=60
).map(lambda rows: [Delivery(s, D0, D0 + timedelta(days=d)) for s, d in rows])


@given(
    histories,
    st.integers(1, 5),
    st.integers(-5, 30),
    st.integers(-20, 20),
    st.floats(0, 100),
)
def test_probabilities_are_probabilities_and_fall_as_the_need_date_moves_out(
    history, supplier, slack, elapsed, k
):
    model = DelayModel(history, k)
    today = PROMISED + timedelta(days=elapsed)
    need = PROMISED + timedelta(days=slack)
    p = model.probability_late(supplier, PROMISED, need, today)
    later = model.probability_late(supplier, PROMISED, need + timedelta(days=1), today)
    assert 0.0 <= later <= p <= 1.0


def trusted(history) -> DelayModel:
    return DelayModel(history, min_history=MIN_HISTORY, min_own=MIN_OWN, smoothing=SMOOTHING)


def test_below_the_minimum_history_there_is_no_prediction():
    two = deliveries(1, [-5, -5])
    assert trusted(two).probability_late(1, PROMISED, PROMISED, PROMISED - timedelta(2)) is None
    assert not trusted(two).enough()


def test_a_supplier_that_is_always_early_is_not_certain_to_be_late_when_not_yet_in():
    everybody = deliveries(2, [0] * 15 + [3] * 5)
    early = deliveries(1, [-5] * 6)
    today = PROMISED - timedelta(days=2)  # later than this supplier has ever been
    raw = DelayModel(everybody + early).probability_late(1, PROMISED, PROMISED, today)
    p = trusted(everybody + early).probability_late(1, PROMISED, PROMISED, today)
    assert raw > 0.2 and p < raw  # the conditional on little evidence is pulled in
    assert 0.0 < p < 0.5


def test_two_comparable_deliveries_do_not_make_a_certainty():
    everybody = deliveries(2, [0] * 18 + [10] * 2)
    today, need = PROMISED + timedelta(days=5), PROMISED + timedelta(days=8)
    raw = DelayModel(everybody).probability_late(2, PROMISED, need, today)
    p = trusted(everybody).probability_late(2, PROMISED, need, today)
    assert raw == 1.0  # both deliveries that were this late were later than the need date
    assert p == pytest.approx((2 * 1.0 + SMOOTHING * 0.1) / (2 + SMOOTHING))


def test_a_supplier_with_fewer_than_the_minimum_deliveries_gets_everybodys_prediction():
    everybody = deliveries(2, [0] * 20)
    few = deliveries(1, [9] * (MIN_OWN - 1))
    model = trusted(everybody + few)
    assert not model.uses_own(1) and model.uses_own(2)
    need = PROMISED + timedelta(days=3)
    p_few = model.probability_late(1, PROMISED, need, PROMISED - timedelta(days=5))
    p_new = model.probability_late(99, PROMISED, need, PROMISED - timedelta(days=5))
    assert p_few == p_new
