import uuid

import pytest

from app.demo.procurement import DEMO_EAN

# Dates and times of day matter here: `make test-clock` runs these again around midnight.
pytestmark = pytest.mark.clock


def _token(client, username):
    r = client.post("/api/auth/token", json={"username": username, "password": "gendan2026"})
    return {"Authorization": f"Bearer {r.get_json()['token']}"}


def test_the_demo_shows_shortages_and_a_receivable_scan(app, client):
    assert app.test_cli_runner().invoke(args=["seed-demo", "--if-empty"]).exit_code == 0
    buyer = _token(client, "sun.caigou")
    shortages = client.get("/api/shortages", headers=buyer).get_json()
    codes = [s["material_code"] for s in shortages["items"]]
    assert codes[:2] == ["Q345R-20", "VALVE-DN150"] and shortages["escalated_total"] == 1
    assert {"FLANGE-DN150", "GASKET-DN150"} <= set(codes) and "MOTOR-75KW" not in codes
    scan = {
        "client_id": str(uuid.uuid4()),
        "result": DEMO_EAN,
        "scanType": "EAN_13",
        "action": "receive",
        "quantity": 12,
    }
    r = client.post("/api/scans", json=scan, headers=_token(client, "zhou.cangku"))
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["order"]["code"] == "GD-DEMO-03" and body["missing"] == 36
    assert body["procurement_progress"] > 0
