"""A real Home Assistant (homeassistant==2024.3.3, its own venv `.venv-hass`, made by .ci/run) on a
free loopback port, set up the way a person would through its REST API: the owner created by
onboarding, the auth code exchanged for a token, the MQTT integration added by its config flow
and pointed at the test Mosquitto. `--skip-pip`: every requirement is installed beforehand, so
Home Assistant never reaches for the network."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import requests

from tests.bus.broker import PASSWORD, USER
from tests.e2e.server import ROOT, free_port

HASS = ROOT / ".venv-hass" / "bin" / "hass"
START_TIMEOUT_S = 240
CONFIG = """homeassistant:
  name: Test home
  latitude: 52.37
  longitude: 4.89
  elevation: 0
  unit_system: metric
  time_zone: UTC
  country: NL
  currency: EUR
http:
  server_host: 127.0.0.1
  server_port: {port}
api:
config:
onboarding:
automation: !include automations.yaml
logger:
  default: warning
"""


class HomeAssistant:
    def __init__(self, folder: Path) -> None:
        if not HASS.exists():
            raise RuntimeError(f"{HASS} missing: `bash .ci/run` makes Home Assistant's venv")
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        (folder / "configuration.yaml").write_text(CONFIG.format(port=self.port))
        (folder / "automations.yaml").write_text("[]\n")  # as a fresh install has it
        self._process: subprocess.Popen | None = None
        self.token = ""

    def start(self) -> HomeAssistant:
        with open(self.folder / "hass.out", "ab") as out:
            self._process = subprocess.Popen(
                [str(HASS), "-c", str(self.folder), "--skip-pip"], stdout=out, stderr=out
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline and self._process.poll() is None:
            try:
                if requests.get(f"{self.url}/api/onboarding", timeout=2).status_code == 200:
                    return self
            except requests.ConnectionError:
                pass
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"hass did not start in {START_TIMEOUT_S} s: {self.log()[-3000:]}")

    def onboard(self) -> None:
        """Create the owner and get an access token, as the onboarding page does."""
        client_id = f"{self.url}/"
        user = requests.post(
            f"{self.url}/api/onboarding/users",
            json={
                "client_id": client_id,
                "name": "Owner",
                "username": "owner",
                "password": "owner-password",
                "language": "en",
            },
            timeout=30,
        )
        user.raise_for_status()
        token = requests.post(
            f"{self.url}/auth/token",
            data={
                "grant_type": "authorization_code",
                "code": user.json()["auth_code"],
                "client_id": client_id,
            },
            timeout=30,
        )
        token.raise_for_status()
        self.token = token.json()["access_token"]

    def add_mqtt(self, broker_port: int) -> dict[str, Any]:
        """The MQTT integration through the config-entries flow: the broker step's form."""
        flow = self.post("/api/config/config_entries/flow", {"handler": "mqtt"})
        result = self.post(
            f"/api/config/config_entries/flow/{flow['flow_id']}",
            {"broker": "127.0.0.1", "port": broker_port, "username": USER, "password": PASSWORD},
        )
        if result.get("type") != "create_entry":
            raise RuntimeError(f"MQTT flow did not finish: {result}")
        return result

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = requests.post(f"{self.url}{path}", json=body, headers=self._auth(), timeout=60)
        response.raise_for_status()
        return response.json()

    def state(self, entity_id: str) -> dict[str, Any] | None:
        """The entity's state object from /api/states, None when there is no such entity."""
        response = requests.get(
            f"{self.url}/api/states/{entity_id}", headers=self._auth(), timeout=30
        )
        if response.status_code == 404:
            return None
        response.raise_for_status()
        return response.json()

    def states(self) -> list[dict[str, Any]]:
        response = requests.get(f"{self.url}/api/states", headers=self._auth(), timeout=30)
        response.raise_for_status()
        return response.json()

    def check_config(self) -> subprocess.CompletedProcess:
        """Home Assistant's own configuration check of the folder (exit status 1 on errors)."""
        return subprocess.run(
            [str(HASS), "--script", "check_config", "-c", str(self.folder)],
            capture_output=True,
            text=True,
            timeout=START_TIMEOUT_S,
        )

    def log(self) -> str:
        path = self.folder / "home-assistant.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        return text + (self.folder / "hass.out").read_text(errors="replace")

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None
        shutil.rmtree(self.folder / "deps", ignore_errors=True)

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}
