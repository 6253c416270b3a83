"""`make run`: start every Gendan process on 127.0.0.1 and stop them together.

Each process is a plain child; if one dies the others are stopped too, so a broken setup
never looks half-alive. Ctrl-C (SIGINT) or SIGTERM stops everything gracefully.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from bots.simulator.seed import gendan_env

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


@dataclass
class Proc:
    name: str
    argv: list[str]
    env: dict = field(default_factory=dict)


def processes(port: int, sim_port: int | None = None) -> list[Proc]:
    """What `make run` starts: the web server, the scheduler (which delivers the outbox) and
    (outside production) the chat simulator, whose demo credentials the other two are given."""
    sim_port = sim_port or int(os.environ.get("SIM_PORT", "5001"))
    chat = {} if production() else simulator_settings(sim_port)
    web = Proc(
        "web",
        [
            str(BIN / "gunicorn"),
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--no-control-socket",
            "--access-logfile",
            "-",
            "--graceful-timeout",
            "20",
            # A phone's offline queue (POST /api/scans/batch, up to 500 scans) takes seconds,
            # more on a busy server; the 30 s default would kill the worker mid-batch.
            "--timeout",
            "120",
            "wsgi:app",
        ],
        env=chat,
    )
    # One scheduler beside the web server: it leads or stands by (see reminders/leader.py) and
    # runs the outbox delivery, the warning rules and the standups.
    scheduler = Proc("scheduler", [str(BIN / "python"), "-m", "reminders"], env=chat)
    procs = [web, scheduler]
    stream, wecom_long = dingtalk_stream(), wecom_long_connection()
    if stream or wecom_long:
        # DingTalk Stream mode / the WeCom robot's long connection: messages come over an
        # outbound WebSocket, held by one chat-stream process (a leader like the scheduler);
        # no inbound port is needed.
        procs.append(
            Proc("chat-stream", [str(BIN / "flask"), "--app", "wsgi", "chat-stream"], env=chat)
        )
    if not production():
        argv = [
            str(BIN / "python"),
            "-m",
            "bots.simulator",
            "--port",
            str(sim_port),
            "--gendan-url",
            f"http://127.0.0.1:{port}",
        ]
        if stream:
            argv += ["--dingtalk-transport", "stream"]
        if wecom_long:
            argv += ["--wecom-transport", "long_connection", "--wecom-ws-port", str(sim_port + 1)]
        procs.append(Proc("simulator", argv))
    return procs


def dingtalk_stream() -> bool:
    return os.environ.get("CHAT_TRANSPORT_DINGTALK", "webhook") == "stream"


def wecom_long_connection() -> bool:
    return os.environ.get("CHAT_TRANSPORT_WECOM", "webhook") == "long_connection"


def production() -> bool:
    return os.environ.get("GENDAN_ENV", "development") == "production"


def simulator_settings(sim_port: int) -> dict[str, str]:
    """The simulator's demo credentials and address for the processes that talk to it; what
    the environment already sets wins."""
    # The simulator's WeCom long-connection gateway listens on the port after its own.
    settings = gendan_env(
        f"http://127.0.0.1:{sim_port}", wecom_ws_url=f"ws://127.0.0.1:{sim_port + 1}"
    )
    return {name: value for name, value in settings.items() if not os.environ.get(name)}


def banner(port: int, sim_port: int | None = None) -> str:
    sim_port = sim_port or int(os.environ.get("SIM_PORT", "5001"))
    base = f"http://127.0.0.1:{port}"
    simulator = []
    if not production():
        simulator = [
            f"  聊天模拟器 Chat      http://127.0.0.1:{sim_port}   (李四: 进度 GD-DEMO-03)",
            f"  绑定聊天账号         {base}/chat",
        ]
    return "\n".join(
        [
            "",
            "Gendan 已启动 / Gendan is running:",
            f"  网页 Web pages       {base}/login   (演示账号 li.gendan / gendan2026)",
            f"  总览 Overview        {base}/overview",
            f"  指标 KPIs            {base}/kpis",
            f"  API                  {base}/api/orders",
            f"  OpenAPI 文档         {base}/api/openapi.json",
            f"  健康检查 Health      {base}/healthz",
            "  定时任务 Scheduler   python -m reminders（站会、提醒、消息投递）",
            *simulator,
            "  按 Ctrl-C 停止 / Ctrl-C stops everything",
            "",
        ]
    )


def run(port: int) -> int:
    """Start the processes, wait until one exits or we are told to stop, stop the rest."""
    return supervise(processes(port), banner(port))


def supervise(procs: list[Proc], message: str, *, grace: float = 25) -> int:
    """Run the processes until one exits or SIGTERM/SIGINT arrives; then SIGTERM the rest and
    give them `grace` seconds to finish what they are doing."""
    children = []
    stopping = False

    def _stop(_signum, _frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    for proc in procs:
        env = {**os.environ, **proc.env}
        children.append((proc, subprocess.Popen(proc.argv, cwd=ROOT, env=env)))
    print(message, flush=True)
    code = 0
    while not stopping:
        for proc, child in children:
            if child.poll() is not None:
                print(
                    f"process {proc.name} exited with {child.returncode}; stopping", file=sys.stderr
                )
                code, stopping = child.returncode or 1, True
        time.sleep(0.5)
    _terminate([child for _, child in children], grace)
    return code


def _terminate(children: list[subprocess.Popen], grace: float = 25) -> None:
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()


if __name__ == "__main__":
    sys.exit(run(int(os.environ.get("PORT", "5000"))))
