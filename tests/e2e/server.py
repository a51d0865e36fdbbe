"""The real `python -m app serve` process on a free loopback port, and a raw HTTP client for it.

Each server gets its own STATE_DIR and the test gallery of tests/conftest.make_gallery. Used by the
end-to-end tests and by bench/http_latency.py.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

import requests
from urllib3 import encode_multipart_formdata

from tests.conftest import make_gallery

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 180
MAX_CONTENT_LENGTH = 4 * 1024 * 1024


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening(process: subprocess.Popen, port: int, log: Path, timeout: float = 10) -> None:
    """Wait until `process` accepts connections on loopback `port`; raise with its log if not."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    args = process.args  # an argv sequence wherever these tests start a process
    program = args if isinstance(args, str | bytes | os.PathLike) else args[0]
    raise RuntimeError(f"{os.fsdecode(program)} did not start: {log.read_text()}")


class LoopbackDaemon:
    """A third-party server (Mosquitto, Redis) on a free loopback port; `argv()` starts it."""

    def __init__(self, log: Path) -> None:
        self.port, self._log = free_port(), log
        self._process: subprocess.Popen | None = None

    def argv(self) -> list[str]:
        raise NotImplementedError

    def start(self) -> Self:
        with open(self._log, "ab") as out:
            self._process = subprocess.Popen(self.argv(), stdout=out, stderr=out)
        listening(self._process, self.port, self._log)
        return self

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)
            self._process = None


def spawn_app(
    command: str, base: Path, log: Path, environment: dict[str, str], *args: str
) -> subprocess.Popen:
    """`python -m app <command> [args]` in `base`, its output in `log`."""
    with open(log, "ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "app", command, *args],
            cwd=base,
            env=environment,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def child_env(**env: str) -> dict[str, str]:
    """The environment of an `app` child process: this one's, without the settings that the
    tests choose per server, running this checkout."""
    return {
        **{k: v for k, v in os.environ.items() if k not in {"API_KEY", "CAMERAS", "HOST"}},
        "PYTHONPATH": str(ROOT),
        **env,
    }


@dataclass(frozen=True)
class Reply:
    status: int
    headers: Mapping[str, str]
    body: Any  # parsed JSON, or the text when the body is not JSON


@dataclass
class Server:
    """A running service: its base URL, folders and log."""

    url: str
    port: int
    state_dir: Path
    database_dir: Path
    log: Path
    process: subprocess.Popen

    @property
    def upload_dir(self) -> Path:
        return self.state_dir / "uploads"

    def leftovers(self) -> list[str]:
        return sorted(p.name for p in self.upload_dir.iterdir())

    def raw(
        self,
        method: str,
        path: str,
        fields: list[tuple[str, Any]] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float = 120,
    ) -> Reply:
        """Send `path` byte for byte (no client-side normalisation of `..` or `%2e`)."""
        body, ctype = encode_multipart_formdata(fields) if fields else (b"", None)
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(
                method,
                path,
                body=body,
                headers={**({"Content-Type": ctype} if ctype else {}), **(headers or {})},
            )
            response = conn.getresponse()
            data = response.read()
        finally:
            conn.close()
        try:
            parsed: Any = json.loads(data)
        except ValueError:
            parsed = data.decode(errors="replace")
        return Reply(response.status, dict(response.headers), parsed)


def start_server(base: Path, **env: str) -> Server:
    """Start `python -m app serve` and wait until /health says ready."""
    base.mkdir(parents=True, exist_ok=True)
    port = free_port()
    state = base / "state"
    given = env.get("DATABASE_DIR")
    database = Path(given) if given else make_gallery(base / "database")
    log = base / "server.log"
    defaults = {
        "DATABASE_DIR": str(database),
        "MAX_CONTENT_LENGTH": str(MAX_CONTENT_LENGTH),
        "OPEN_TIMEOUT_MS": "3000",
        "READ_TIMEOUT_MS": "3000",
    }  # `env` may override these (bench/scale.py sends larger videos)
    environment = child_env(
        HOST="127.0.0.1", PORT=str(port), STATE_DIR=str(state), **(defaults | env)
    )
    log.unlink(missing_ok=True)
    process = spawn_app("serve", base, log, environment)
    server = Server(f"http://127.0.0.1:{port}", port, state, database, log, process)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{log.read_text()}")
        try:
            if requests.get(f"{server.url}/health", timeout=2).status_code == 200:
                return server
        except (requests.ConnectionError, requests.Timeout):  # not listening yet, or busy
            pass  # loading the models on a loaded machine
        time.sleep(0.2)
    stop_server(server)
    raise RuntimeError(f"server not ready after {START_TIMEOUT_S} s:\n{log.read_text()}")


def stop_server(server: Server) -> None:
    server.process.send_signal(signal.SIGTERM)
    try:
        server.process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()
