"""Settings refuse what they cannot honour: unknown names in `.env`, contradicting values."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.config import GROUPS, Settings, problems
from app.privacy_choices import DEFAULT_PRIVACY_PARAMETER


def reason(**given) -> str:
    with pytest.raises(ValidationError) as err:
        Settings(**given)
    return problems(err.value)


def test_a_typo_in_dotenv_is_refused(tmp_path, monkeypatch):
    (tmp_path / ".env").write_text("PORT=9000\nDHT_UR=ws://localhost:3000/ws\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValidationError) as err:
        Settings()
    assert problems(err.value) == "DHT_UR: unknown setting"


def test_dht_subscribe_needs_dht_url():
    assert reason(dht_subscribe=True) == (
        "DHT_SUBSCRIBE needs DHT_URL, the DHT websocket to take requests from"
    )
    assert Settings(dht_subscribe=True, dht_url="ws://localhost:3000/ws").dht_subscribe


def test_camera_default_time_within_the_maximum():
    assert "CAMERA_MAX_SECONDS" in reason(camera_seconds=90, camera_max_seconds=60)


def test_media_dir_without_dht_requests_is_refused(tmp_path):
    assert "DHT_SUBSCRIBE" in reason(media_dir=tmp_path)


def test_a_bad_value_names_its_setting():
    assert reason(port="eighty").startswith("PORT: ")


def test_the_largest_privacy_parameter_admits_the_default():
    assert reason(max_privacy_parameter=15) == (
        f"MAX_PRIVACY_PARAMETER must be at least the default privacy parameter, "
        f"{DEFAULT_PRIVACY_PARAMETER}"
    )
    assert Settings(max_privacy_parameter=DEFAULT_PRIVACY_PARAMETER).max_privacy_parameter == 17


def test_settings_do_not_change_after_start():
    settings = Settings(_env_file=None)
    with pytest.raises(ValidationError):
        settings.analysis_fps = 0
    assert settings.analysis_fps == 5.0


def test_every_setting_is_in_one_group_and_keeps_its_flat_name(monkeypatch):
    grouped = [name for group in GROUPS for name in group.model_fields]
    assert sorted(grouped) == sorted(Settings.model_fields)  # none twice, none left out
    monkeypatch.setenv("MQTT_TOPIC_PREFIX", "home/faces")  # a Buses setting, named flat
    assert Settings(_env_file=None).mqtt_topic_prefix == "home/faces"
