"""Names a chart shows are text, never HTML (issue 16 item 10): operations named like HTML
payloads on the order page's Gantt and output charts, every tooltip shown, and no element or
event handler appears in the page."""

from datetime import timedelta

import pytest

from app.cli import cli_session
from app.services.core import Actor
from app.services.orders import find_order_by_code
from app.services.production import create_operation, delete_operation
from models.enums import Channel
from models.production import OperationCreate
from tests.browser.conftest import LIVE, chart_option, login
from tests.clocks import today

pytestmark = pytest.mark.clock

PAYLOADS = [
    "<img src=x onerror=window.__xss=1>",
    '"><svg onload=window.__xss=2>',
    "<b onmouseover=window.__xss=3>粗</b>",
]

# Show the tooltip of every data item of every series of a chart; after each, look for any
# element the payloads could create and any inline event handler anywhere in the page (the
# next tooltip replaces the previous one's HTML, so looking once at the end would miss them).
SHOW_EVERY_TIP = """id => {
    const injected = () => document.querySelectorAll(
        'img[src="x"], svg[onload], b[onmouseover]').length + [...document.querySelectorAll('*')]
        .filter(e => [...e.attributes].some(a => a.name.startsWith('on'))).length;
    const chart = echarts.getInstanceByDom(document.getElementById(id));
    const tips = [];
    chart.getOption().series.forEach((s, si) => s.data.forEach((_, di) => {
        chart.dispatchAction({type: 'showTip', seriesIndex: si, dataIndex: di});
        const tip = document.querySelector('#' + id + ' > div:last-child');
        tips.push({text: tip ? tip.textContent : '', injected: injected()});
    }));
    return {tips, flag: window.__xss === undefined ? null : window.__xss};
}"""


@pytest.fixture()
def hostile_operations():
    """Operations named like HTML payloads on GD-DEMO-03, removed again afterwards."""
    app, system = LIVE["app"], Actor.system(Channel.cli)
    with app.app_context(), cli_session() as session:
        order = find_order_by_code(session=session, actor=system, code="GD-DEMO-03")
        ops = [
            create_operation(
                session=session,
                actor=system,
                order_id=order.id,
                data=OperationCreate(
                    name=name,
                    planned_qty=5,
                    planned_start=today(),
                    planned_end=today() + timedelta(days=4),
                ),
            )
            for name in PAYLOADS
        ]
        order_id, op_ids = order.id, [op.id for op in ops]
    yield order_id
    with app.app_context(), cli_session() as session:
        for op_id in op_ids:
            delete_operation(session=session, actor=system, order_id=order_id, operation_id=op_id)


def test_html_in_every_name_a_chart_shows_stays_text(desktop, live_server, hostile_operations):
    login(desktop, live_server, "li.gendan")
    desktop.wait_for_url(f"{live_server}/overview")
    desktop.goto(f"{live_server}/orders/{hostile_operations}")
    gantt = chart_option(desktop, "gantt-chart")
    assert {f"工序·{name}" for name in PAYLOADS} <= set(gantt["yAxis"][0])
    output = chart_option(desktop, "output-chart")
    assert set(PAYLOADS) <= set(output["xAxis"][0])
    for chart in ("gantt-chart", "output-chart"):
        shown = desktop.evaluate(SHOW_EVERY_TIP, chart)
        assert shown["flag"] is None
        assert [tip["injected"] for tip in shown["tips"]] == [0] * len(shown["tips"]), chart
        # The tooltips did render, and showed the names as the literal text people typed.
        text = "\n".join(tip["text"] for tip in shown["tips"])
        assert all(name in text for name in PAYLOADS), text
