"""Replicas behind a reverse proxy: the load generator's proxy support, nginx's sticky config,
and the whole local topology (``deploy/local_replicas.py``).

* Fast, no Streamlit: the load generator sends every cookie the health check set (the proxy's
  ``route`` too) on the websocket, keeps a URL prefix and sums several servers' memory (a
  fake Streamlit server: ``websockets`` answering the health check and the stream).
* Fast, needs nginx: ``deploy/nginx.conf`` itself (as ``local_replicas.py`` renders it), in
  front of two tiny HTTP backends that say who they are: one cookie always reaches one
  backend, new clients spread over both, the cookie is set only once.
* Slow, needs nginx: ``python deploy/local_replicas.py --students 4 --seconds 15``, two real
  replicas; 0 errors, every replica served sessions, no client split over replicas. About
  1-1.5 min on the project's 2-core machine (replica start-up and the warm-up included).

The nginx tests skip when nginx is missing (``.ci/run`` installs Debian's).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import urllib.request
from collections import Counter
from collections.abc import Iterator
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.asyncio.server import serve

from benchmarks import load_test
from benchmarks.server import free_port
from deploy import local_replicas

ROOT = Path(__file__).resolve().parents[2]
KEYS = {"students", "interactions", "p50_s", "p95_s", "max_s", "errors", "peak_rss_mb"}
HAS_NGINX = bool(shutil.which("nginx")) or os.access("/usr/sbin/nginx", os.X_OK)
needs_nginx = pytest.mark.skipif(
    not HAS_NGINX, reason="nginx is not installed (apt-get install -y nginx; .ci/run does)"
)


# ---------------------------------------------------------------------------------------------
# The load generator behind a proxy (fake Streamlit server)
# ---------------------------------------------------------------------------------------------


def _fake_streamlit(prefix: str, seen: list[dict[str, str]]) -> tuple[Any, Any]:
    """Handlers of a fake Streamlit server: the health check sets two cookies (as behind a
    proxy), and the stream finishes every run on the page asked for."""

    def process_request(connection: Any, request: Any) -> Any:
        headers = {k.lower(): v for k, v in request.headers.raw_items()}
        seen.append({"path": request.path, **headers})
        if request.path == f"{prefix}/_stcore/health":
            response = connection.respond(HTTPStatus.OK, "ok")
            response.headers["Set-Cookie"] = '_streamlit_xsrf="2|ab|cd|1"; Path=/; SameSite=Lax'
            response.headers["Set-Cookie"] = "route=r42; Path=/; HttpOnly; SameSite=Lax"
            return response
        if request.path != f"{prefix}/_stcore/stream":
            return connection.respond(HTTPStatus.NOT_FOUND, "")
        return None

    async def stream(ws: Any) -> None:
        async for data in ws:  # every run lands on the page asked for, by name or by hash
            rerun = BackMsg.FromString(data).rerun_script
            session = ForwardMsg()
            for name in load_test.pages():
                page = session.new_session.app_pages.add()
                page.url_pathname, page.page_script_hash = name, f"hash-{name}"
            asked = rerun.page_name or rerun.page_script_hash.removeprefix("hash-")
            session.new_session.page_script_hash = f"hash-{asked}"
            await ws.send(session.SerializeToString())
            done = ForwardMsg()
            done.script_finished = ForwardMsg.FINISHED_SUCCESSFULLY
            await ws.send(done.SerializeToString())

    return stream, process_request


async def _load_through_fake_proxy(prefix: str) -> tuple[dict[str, Any], list[dict[str, str]]]:
    seen: list[dict[str, str]] = []
    stream, process_request = _fake_streamlit(prefix, seen)
    port = free_port()
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        async with serve(
            stream, "127.0.0.1", port, process_request=process_request, subprotocols=["streamlit"]
        ):
            summary = await load_test.run_load(
                f"http://127.0.0.1:{port}{prefix}",  # main() strips a trailing slash
                2,
                2.0,
                ramp=0.1,
                think=(0.2, 0.4),
                timeout=10.0,
                seed=1,
                server_pid=[os.getpid(), child.pid],
                warm=False,
            )
    finally:
        child.kill()
        child.wait()
    return summary, seen


def test_load_generator_sends_every_cookie_keeps_the_prefix_and_sums_servers() -> None:
    summary, seen = asyncio.run(_load_through_fake_proxy("/workshop"))
    assert summary.keys() >= KEYS
    assert summary["errors"] == 0, summary["error_messages"]
    assert summary["interactions"] > 2  # the opens and some changes
    streams = [r for r in seen if r["path"] == "/workshop/_stcore/stream"]
    assert len(streams) == 2  # one websocket per student, under the URL's prefix
    for request in streams:
        assert request["cookie"] == "_streamlit_xsrf=2|ab|cd|1; route=r42"
        assert request["sec-websocket-protocol"] == "streamlit, 2|ab|cd|1"
        assert request["origin"] == f"http://{request['host']}"  # no path in an Origin
    per_server = summary["peak_rss_mb_per_server"]
    assert len(per_server) == 2
    assert all(mb > 0 for mb in per_server)
    assert summary["peak_rss_mb"] == pytest.approx(sum(per_server), abs=0.11)


def test_a_failed_health_check_counts_as_an_error() -> None:
    # Behind a proxy a student may get a 502 before any websocket: it must show in `errors`.
    base = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    summary = asyncio.run(
        load_test.run_load(
            base, 2, 1.0, ramp=0.0, think=(0.1, 0.2), timeout=5.0, seed=0, server_pid=None,
            warm=False,
        )
    )  # fmt: skip
    assert summary["errors"] == 2
    assert summary["error_kinds"] == {"URLError": 2}
    assert summary["peak_rss_mb"] is None


def test_stream_uri_and_cookie_header() -> None:
    assert load_test.stream_uri("http://127.0.0.1:8080") == "ws://127.0.0.1:8080/_stcore/stream"
    assert load_test.stream_uri("https://localhost/a/b/") == "wss://localhost/a/b/_stcore/stream"
    assert load_test.cookie_header({"a": "1", "route": "x"}) == "a=1; route=x"
    assert load_test.cookie_header({}) == ""


def test_server_pid_is_repeatable_on_the_command_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    captured: dict[str, Any] = {}
    monkeypatch.setattr(load_test.tempfile, "tempdir", str(tmp_path))  # its server log

    async def fake_run_load(base: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        captured.update(base=base, pids=kwargs["server_pid"])
        return {"config": {}}

    monkeypatch.setattr(load_test, "run_load", fake_run_load)
    argv = ["--url", "http://127.0.0.1:9/", "--server-pid", "11", "--server-pid", "12"]
    assert load_test.main([*argv, "--seconds", "1"]) == 0
    assert captured == {"base": "http://127.0.0.1:9", "pids": [11, 12]}


# ---------------------------------------------------------------------------------------------
# deploy/nginx.conf in front of two tiny backends
# ---------------------------------------------------------------------------------------------


class _Named(BaseHTTPRequestHandler):
    """Answers every GET with the server's name, every POST with its name and the body size."""

    def do_GET(self) -> None:
        self._answer(self.server.name)  # type: ignore[attr-defined]

    def do_POST(self) -> None:
        size = len(self.rfile.read(int(self.headers["Content-Length"])))
        self._answer(f"{self.server.name} {size}")  # type: ignore[attr-defined]

    def _answer(self, text: str) -> None:
        body = text.encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
        pass


@pytest.fixture
def proxy(tmp_path: Path) -> Iterator[tuple[local_replicas.Nginx, dict[str, str]]]:
    backends = []
    for name in ("A", "B"):
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Named)
        server.name = name  # type: ignore[attr-defined]
        threading.Thread(target=server.serve_forever, daemon=True).start()
        backends.append(server)
    names = {f"127.0.0.1:{s.server_address[1]}": s.name for s in backends}  # type: ignore[attr-defined]
    nginx = local_replicas.Nginx(tmp_path / "nginx", free_port())
    nginx.write(list(names))
    nginx.start()
    try:
        yield nginx, names
    finally:
        nginx.stop()
        for server in backends:
            server.shutdown()
            server.server_close()


def _get(url: str, cookie: str = "") -> tuple[str, list[str]]:
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.read().decode(), response.headers.get_all("Set-Cookie") or []


@needs_nginx
def test_nginx_pins_a_cookie_to_one_replica_and_spreads_new_clients(
    proxy: tuple[local_replicas.Nginx, dict[str, str]],
) -> None:
    nginx, names = proxy
    first: dict[str, str] = {}  # route cookie -> backend that served its first request
    for _ in range(40):  # new clients: no cookie
        backend, cookies = _get(f"{nginx.base}/media/x.png")
        assert len(cookies) == 1, cookies
        match = re.fullmatch(r"route=([0-9a-f]{32}); Path=/; HttpOnly; SameSite=Lax", cookies[0])
        assert match, cookies[0]
        first[match[1]] = backend
    assert len(first) == 40  # a fresh key per new client
    assert Counter(first.values()).keys() == {"A", "B"}  # spread over both replicas
    for route, backend in list(first.items())[:10]:  # returning clients: pinned, no new cookie
        for path in ("/_stcore/health", "/_stcore/upload_file/s/f", "/media/y.png"):
            again, cookies = _get(f"{nginx.base}{path}", f"_streamlit_xsrf=t; route={route}")
            assert (again, cookies) == (backend, [])
    # An upload near .streamlit/config.toml's 1 MB cap passes (nginx buffers it to a temp
    # file under the prefix) and reaches the client's replica.
    route, backend = next(iter(first.items()))
    upload = urllib.request.Request(
        f"{nginx.base}/_stcore/upload_file/s/f", data=b"x" * 1_000_000, method="POST"
    )
    upload.add_header("Cookie", f"route={route}")
    with urllib.request.urlopen(upload, timeout=10) as response:
        assert response.read().decode() == f"{backend} 1000000"
    log = local_replicas.read_access_log(nginx.access_log)
    assert log.split_routes == 0
    assert set(log.requests) == set(names)


@needs_nginx
def test_local_conf_is_the_compose_conf_with_three_lines_swapped(tmp_path: Path) -> None:
    upstreams = ["127.0.0.1:1", "127.0.0.1:2"]
    local = local_replicas.local_http_conf(upstreams, 8080, tmp_path / "access.log")
    shipped = local_replicas.NGINX_CONF.read_text()

    def skeleton(text: str) -> list[str]:
        return [
            line
            for line in text.splitlines()
            if not re.match(r"\s*(server \S+:\d+ |listen |access_log )", line)
        ]

    assert skeleton(local) == skeleton(shipped)
    assert "server 127.0.0.1:2 max_fails=3 fail_timeout=10s;" in local
    assert "listen 127.0.0.1:8080;" in local
    compose = (ROOT / "deploy" / "compose.yaml").read_text()
    services = re.findall(r"(?m)^  (app\d+): \*app$", compose)
    servers = re.findall(r"(?m)^\s*server (app\d+):8501 ", shipped)
    assert services == servers == ["app1", "app2", "app3"]
    for service in services:  # the proxy starts once every replica is healthy
        assert re.search(rf"(?m)^      {service}:\n        condition: service_healthy$", compose)
    nginx = local_replicas.Nginx(tmp_path / "nginx", free_port())
    nginx.write(upstreams)  # runs nginx -t on the rendered file


def test_missing_nginx_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(local_replicas.shutil, "which", lambda _: None)
    monkeypatch.setattr(local_replicas, "NGINX_FALLBACK", Path("/nonexistent/nginx"))
    with pytest.raises(FileNotFoundError, match="apt-get install -y nginx"):
        local_replicas.nginx_binary()
    assert local_replicas.main(["--students", "1"]) == 2


# ---------------------------------------------------------------------------------------------
# The whole topology: two real replicas behind nginx, 4 students
# ---------------------------------------------------------------------------------------------


@pytest.mark.slow
@needs_nginx
def test_four_students_through_nginx_reach_both_replicas(tmp_path: Path) -> None:
    report = tmp_path / "replicas.json"
    command = [
        sys.executable, "deploy/local_replicas.py",
        "--students", "4", "--seconds", "15", "--json", str(report),
        "--ramp", "2", "--think-min", "1", "--think-max", "3", "--timeout", "120",
    ]  # fmt: skip
    # A generous per-interaction timeout: this checks the topology, not speed, and on the
    # shared 2-core machine (load average 10+) a cold deep link took 44 s through 2 replicas.
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=540)
    assert done.returncode == 0, f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    result = json.loads(report.read_text())
    assert result.keys() >= KEYS
    assert result["students"] == 4
    assert result["interactions"] > 0
    assert result["errors"] == 0, result["error_messages"]
    replicas = result["replicas"]
    assert all(n >= 1 for n in replicas["warmup_sessions_per_replica"].values())
    assert sum(replicas["load_sessions_per_replica"].values()) == 4
    assert replicas["split_routes"] == 0
    assert len(result["peak_rss_mb_per_server"]) == 2
    assert result["peak_rss_mb"] == pytest.approx(sum(result["peak_rss_mb_per_server"]), abs=0.11)
    assert not Path(replicas["workdir"]).exists(), "the temp dir was not removed"
