"""The replica topology of ``deploy/compose.yaml`` on this machine, without containers.

Starts ``--replicas`` (default 2) ``streamlit run Home.py`` processes on free loopback ports,
all with one shared ``server.cookieSecret``, puts Debian's nginx in front of them with
``deploy/nginx.conf`` itself (its replica lines, ``listen`` and access log swapped for local
ones; everything else, the sticky-session config included, is the file compose uses), and
then:

1. warms every replica through the proxy: new clients (health check, ``route`` cookie,
   websocket, one run of Home) until each replica has served a session, which checks that the
   proxy reaches every replica and spreads new clients (the load test's own warm-up would warm
   only the replica its one visitor lands on);
2. runs ``benchmarks/load_test.py --url http://127.0.0.1:PORT --server-pid P1 --server-pid P2
   … --no-warmup`` (extra arguments go to it unchanged);
3. reads nginx's access log (``$upstream_addr`` per request) and adds a ``replicas`` section to
   the load test's JSON: websocket sessions per replica, how many routes (clients) there were
   and how many of them reached more than one replica (must be 0: sticky).

Everything runs as the current user: nginx gets a temp prefix (``nginx -p``) for its pid
file, logs and temp files and listens on 127.0.0.1 only. All processes are stopped at the end,
also on Ctrl-C or SIGTERM. Exit status 0 when every replica served a session and no route
was split; load errors are in the JSON (``errors``), not in the exit status. Run from the
repository root::

    python deploy/local_replicas.py --students 20 --seconds 60 --json /tmp/replicas20.json
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks.load_test import Sample, Student  # noqa: E402 (the repository root goes first)
from benchmarks.server import free_port, start_server, stop_server  # noqa: E402

NGINX_CONF = ROOT / "deploy" / "nginx.conf"
NGINX_FALLBACK = Path("/usr/sbin/nginx")
#: Fresh clients tried, at most, until every replica has served one warm-up session.
MAX_WARMUP_CLIENTS = 24
COOKIE_SECRET_ENV = "STREAMLIT_SERVER_COOKIE_SECRET"
LOG_LINE = re.compile(
    r'"(?P<method>\S+) (?P<path>\S+)[^"]*" (?P<status>\d{3}) \S+ '
    r"upstream=(?P<upstream>\S+) route=(?P<route>\S+)"
)


def nginx_binary() -> str:
    """Path of the nginx executable (``PATH``, then ``/usr/sbin/nginx``).

    Raises
    ------
    FileNotFoundError
        When nginx is not installed, with the command that installs it.
    """
    found = shutil.which("nginx")
    if found:
        return found
    if os.access(NGINX_FALLBACK, os.X_OK):
        return str(NGINX_FALLBACK)
    raise FileNotFoundError(
        "nginx is not installed: `apt-get install -y nginx` (Debian's nginx 1.22 works; "
        "no service needs to run, this script starts its own as the current user)"
    )


def local_http_conf(upstreams: list[str], port: int, access_log: Path) -> str:
    """``deploy/nginx.conf`` with loopback replicas, a loopback ``listen`` and a local log.

    Parameters
    ----------
    upstreams
        ``host:port`` of each replica.
    port
        The proxy's port on 127.0.0.1.
    access_log
        Where the ``replicas`` log format goes.

    Returns
    -------
    str
        The http-context configuration: the compose file's, three markers swapped.
    """
    text = NGINX_CONF.read_text()
    servers = "".join(
        f"    server {address} max_fails=3 fail_timeout=10s;\n" for address in upstreams
    )
    text, replaced = re.subn(
        r"(?m)^\s*# BEGIN replicas\n(?:.*\n)*?\s*# END replicas\n",
        f"    # BEGIN replicas\n{servers}    # END replicas\n",
        text,
    )
    text, listened = re.subn(
        r"(?m)^(\s*)listen \S+;\s*# LISTEN$", rf"\1listen 127.0.0.1:{port};", text
    )
    text, logged = re.subn(
        r"(?m)^(\s*)access_log \S+ replicas;\s*# ACCESS_LOG$",
        lambda m: f"{m.group(1)}access_log {access_log} replicas;",
        text,
    )
    if (replaced, listened, logged) != (1, 1, 1):
        raise ValueError(f"{NGINX_CONF} lost a BEGIN/END replicas, LISTEN or ACCESS_LOG marker")
    return text


def local_main_conf(prefix: Path, http_conf: str) -> str:
    """A complete nginx.conf that keeps pid, logs and temp files under ``prefix``.

    The worker runs as the invoking user. For a non-root user that is nginx's only choice;
    root's nginx would switch its worker to ``nobody``, which cannot reach a private temp dir
    (request bodies over 16 kB, e.g. uploads, are buffered there), so as root it stays root.
    """
    temp = prefix / "temp"
    user = "user root;\n" if os.geteuid() == 0 else ""  # nginx warns about `user` otherwise
    return (
        "# Written by deploy/local_replicas.py; everything lives under this prefix.\n"
        f"{user}"
        "worker_processes 1;\n"
        f"pid {prefix / 'nginx.pid'};\n"
        f"error_log {prefix / 'error.log'} warn;\n"
        "events { worker_connections 1024; }\n"
        "http {\n"
        f"    client_body_temp_path {temp / 'client_body'};\n"
        f"    proxy_temp_path {temp / 'proxy'};\n"
        f"    fastcgi_temp_path {temp / 'fastcgi'};\n"
        f"    uwsgi_temp_path {temp / 'uwsgi'};\n"
        f"    scgi_temp_path {temp / 'scgi'};\n"
        f"{http_conf}"
        "}\n"
    )


@dataclass
class Nginx:
    """A foreground nginx (``daemon off``) under its own prefix, owned by this process."""

    prefix: Path
    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def conf(self) -> Path:
        """The nginx.conf written under the prefix."""
        return self.prefix / "nginx.conf"

    @property
    def access_log(self) -> Path:
        """The access log (``replicas`` format)."""
        return self.prefix / "access.log"

    @property
    def base(self) -> str:
        """The proxy's URL."""
        return f"http://127.0.0.1:{self.port}"

    def write(self, upstreams: list[str]) -> None:
        """Write the configuration for ``upstreams`` and check it with ``nginx -t``."""
        (self.prefix / "temp").mkdir(parents=True, exist_ok=True)
        http = local_http_conf(upstreams, self.port, self.access_log)
        self.conf.write_text(local_main_conf(self.prefix, http))
        subprocess.run([*self._command(), "-t", "-q"], check=True, capture_output=True)

    def _command(self) -> list[str]:
        # -e: the error log from the first line on (the default path needs root).
        return [
            nginx_binary(),
            "-p",
            str(self.prefix),
            "-c",
            str(self.conf),
            "-e",
            str(self.prefix / "error.log"),
        ]

    def start(self, timeout: float = 15.0) -> None:
        """Start nginx in the foreground and wait until it accepts connections."""
        self.process = subprocess.Popen(
            [*self._command(), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                error_log = self.prefix / "error.log"
                raise RuntimeError(f"nginx exited: {error_log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{self.base}/_stcore/health", timeout=5):
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"nginx on {self.base} did not answer in {timeout:.0f} s")

    def stop(self) -> None:
        """Stop nginx (SIGTERM is its fast shutdown; SIGKILL after 10 s)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


@dataclass
class LogSummary:
    """What nginx's access log says about the replicas."""

    sessions: Counter[str] = field(default_factory=Counter)  # upstream -> websocket sessions
    requests: Counter[str] = field(default_factory=Counter)  # upstream -> all requests
    routes: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    @property
    def split_routes(self) -> int:
        """Routes (clients) that reached more than one replica: 0 when sessions are sticky."""
        return sum(1 for upstreams in self.routes.values() if len(upstreams) > 1)


def read_access_log(path: Path) -> LogSummary:
    """Parse the ``replicas`` access log: sessions and requests per replica, replicas per route.

    A websocket session is a ``GET /_stcore/stream`` answered with 101; nginx logs it when the
    connection closes. Requests nginx answered itself (``upstream=-``) are not counted.
    """
    summary = LogSummary()
    if not path.exists():
        return summary
    for line in path.read_text().splitlines():
        match = LOG_LINE.search(line)
        if not match or match["upstream"] == "-":
            continue
        # After a failed try nginx lists every replica it tried; the last one answered.
        upstream = match["upstream"].split(",")[-1].strip()
        summary.requests[upstream] += 1
        summary.routes[match["route"]].add(upstream)
        if match["path"].split("?")[0].endswith("/_stcore/stream") and match["status"] == "101":
            summary.sessions[upstream] += 1
    return summary


def warm_replicas(nginx: Nginx, upstreams: list[str], timeout: float = 120.0) -> int:
    """New clients open Home through the proxy until every replica has served a session.

    Each client is one load-test student that only opens Home (health check, cookies,
    websocket, one script run). Returns the number of clients used.

    Raises
    ------
    RuntimeError
        When a warm-up session failed, or some replica served none after
        ``MAX_WARMUP_CLIENTS`` clients.
    """
    for clients in range(1, MAX_WARMUP_CLIENTS + 1):
        samples: list[Sample] = []
        student = Student(-clients, nginx.base, "", random.Random(clients))
        now = time.monotonic()
        asyncio.run(student.session(now, now, (0.0, 0.0), timeout, samples))
        failed = [s.error for s in samples if s.error]
        if failed:
            raise RuntimeError(f"warm-up session through the proxy failed: {failed[0]}")
        # nginx logs a websocket when it closes, just after the client did: allow a moment.
        deadline = time.monotonic() + 5
        while True:
            served = read_access_log(nginx.access_log).sessions
            if sum(served.values()) >= clients or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        if all(served[u] for u in upstreams):
            return clients
    raise RuntimeError(
        f"after {MAX_WARMUP_CLIENTS} new clients some replica served no session: {dict(served)}"
    )


def workers_per_replica(args: argparse.Namespace) -> int:
    """Compute workers per replica (explorer/offload.py): ``--workers`` or the spare cores.

    The replicas share the host's cores. With at least one replica per core every core already
    runs a server interpreter, so a replica computes inline (0 workers): a worker would add no
    core, only its own memory and a forkserver's (~220 MB per replica, measured; with them 2
    replicas peaked at 1063 MB under 60 students, without them at 778 MB, both within the
    latency target; benchmarks/RESULTS.md). Fewer replicas than cores share the rest.
    """
    if args.workers is not None:
        return max(0, args.workers)
    cores = os.cpu_count() or 1
    return 0 if args.replicas >= cores else cores // args.replicas


def run(args: argparse.Namespace, load_args: list[str]) -> dict[str, Any]:
    """Start the topology, warm it, run the load test through it, stop everything."""
    secret = os.environ.get(COOKIE_SECRET_ENV) or secrets.token_hex(32)
    replicas: list[subprocess.Popen[bytes]] = []
    workdir = Path(tempfile.mkdtemp(prefix="local_replicas_"))
    nginx = Nginx(workdir / "nginx", free_port())
    try:
        ports = [free_port() for _ in range(args.replicas)]
        upstreams = [f"127.0.0.1:{port}" for port in ports]
        for i, port in enumerate(ports):
            # The same cookie secret on every replica: a cookie signed by one (the session
            # cookie, st.login's auth cookie) must be accepted by all of them.
            with (workdir / f"replica{i + 1}.log").open("wb") as log:  # the child keeps its fd
                env = {COOKIE_SECRET_ENV: secret, "WIE_WORKERS": str(workers_per_replica(args))}
                replicas.append(start_server(port, log, env))
        nginx.write(upstreams)
        nginx.start()
        warmup_clients = warm_replicas(nginx, upstreams)
        warm_log = read_access_log(nginx.access_log)
        report = args.json or workdir / "load.json"
        command = [
            sys.executable,
            str(ROOT / "benchmarks" / "load_test.py"),
            "--url",
            nginx.base,
            *(arg for r in replicas for arg in ("--server-pid", str(r.pid))),
            "--students",
            str(args.students),
            "--seconds",
            str(args.seconds),
            "--json",
            str(report),
            "--no-warmup",  # every replica was warmed above
            *load_args,
        ]
        print("+", " ".join(command), file=sys.stderr, flush=True)
        subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        result: dict[str, Any] = json.loads(Path(report).read_text())
        time.sleep(0.5)  # the last websockets' log lines
        log = read_access_log(nginx.access_log)
        result["replicas"] = {
            "count": args.replicas,
            "workers_per_replica": workers_per_replica(args),
            "upstreams": upstreams,
            "warmup_clients": warmup_clients,
            "warmup_sessions_per_replica": {u: warm_log.sessions[u] for u in upstreams},
            "load_sessions_per_replica": {
                u: log.sessions[u] - warm_log.sessions[u] for u in upstreams
            },
            "requests_per_replica": {u: log.requests[u] for u in upstreams},
            "routes": len(log.routes),
            "split_routes": log.split_routes,
            "cookie_secret_shared": True,
            "nginx": subprocess.run(
                [nginx_binary(), "-v"], capture_output=True, text=True
            ).stderr.strip(),
            "workdir": str(workdir),
        }
        Path(report).write_text(json.dumps(result, indent=2) + "\n")
        return result
    finally:
        nginx.stop()
        for replica in replicas:
            stop_server(replica)
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


def _terminate(signum: int, frame: FrameType | None) -> None:
    """SIGTERM/SIGHUP: unwind through ``run``'s ``finally``, which stops every process."""
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    """Command line: see the module docstring; unknown arguments go to the load test."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replicas", type=int, default=2, help="streamlit processes (2 .. 8)")
    parser.add_argument(
        "--workers",
        type=int,
        help="compute worker processes per replica (default: 0 with a replica per core, else "
        "cores / replicas)",
    )
    parser.add_argument("--students", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--json", type=Path, help="the load test's JSON, plus `replicas`")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (logs, conf)")
    args, load_args = parser.parse_known_args(argv)
    if not 2 <= args.replicas <= 8:
        parser.error("--replicas must be 2 .. 8")
    try:
        nginx_binary()
    except FileNotFoundError as error:
        print(f"local_replicas: {error}", file=sys.stderr)
        return 2
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _terminate)
    result = run(args, load_args)
    print(json.dumps(result, indent=2))
    replicas = result["replicas"]
    idle = [u for u, n in replicas["warmup_sessions_per_replica"].items() if not n]
    if idle or replicas["split_routes"]:
        print(
            f"local_replicas: FAILED idle replicas {idle}, split routes {replicas['split_routes']}",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
    sys.exit(130)
