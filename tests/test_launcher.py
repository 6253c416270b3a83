from app.launcher import processes


def test_make_run_starts_the_scheduler_beside_the_web_server():
    procs = {p.name: p for p in processes(5000)}
    assert {"web", "scheduler"} <= set(procs) and "deliver" not in procs
    assert procs["scheduler"].argv[-3:] == ["--app", "wsgi", "scheduler"]
    assert "127.0.0.1:5000" in procs["web"].argv


def test_the_scheduler_is_a_flask_command(app):
    r = app.test_cli_runner().invoke(args=["scheduler", "--help"])
    assert r.exit_code == 0 and "one leader per database" in r.output
