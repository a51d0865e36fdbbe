"""What crosses the queue (app/queue/codec.py) comes back as it left: tasks, results, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.analyses import AnalysisTask, CameraMedia, FileMedia
from app.domain import AnalysisResult, MediaType, ModelInfo, ResidentSighting
from app.errors import AnalysisTimeout, AppError, UnsupportedMedia
from app.pipeline.cam_links import CameraTarget
from app.queue import codec


def through_json(value: dict) -> dict:
    return json.loads(json.dumps(value))


def test_a_result_survives_the_trip():
    result = AnalysisResult(
        MediaType.VIDEO,
        17,
        250,
        50,
        (ResidentSighting("Alice", 3, 40, 0.12, 1.6, 12, 81),),
        2,
        1,
        {0: "Alice", 11: "Alice"},
        ModelInfo("yunet", "Dlib", 0.07),
    )
    assert codec.decode_reply(through_json(codec.encode_result(result))) == result


def test_a_file_task_carries_its_label_not_its_path():
    task = AnalysisTask("a1", 17, "family", FileMedia(Path("/srv/state/uploads/x"), "v.mp4"))
    payload = through_json(codec.encode_task(task))
    assert "/srv" not in json.dumps(payload)
    assert codec.is_file(payload)
    moved = codec.decode_task(payload, Path("/tmp/worker/upload-1"))
    assert moved == AnalysisTask(
        "a1", 17, "family", FileMedia(Path("/tmp/worker/upload-1"), "v.mp4")
    )


def test_a_camera_task_survives_the_trip():
    media = CameraMedia(CameraTarget(None, "rtsp://10.0.0.5/s", "porch"), 5.0, True)
    task = AnalysisTask("a2", 9, "", media)
    payload = through_json(codec.encode_task(task))
    assert not codec.is_file(payload)
    assert codec.decode_task(payload, None) == task


@pytest.mark.parametrize("error", [UnsupportedMedia("no"), AnalysisTimeout("late")])
def test_an_error_is_raised_again_as_its_class(error):
    with pytest.raises(type(error)) as raised:
        codec.decode_reply(through_json(codec.encode_error(error)))
    assert raised.value.message == error.message


def test_an_unknown_code_is_an_internal_error():
    with pytest.raises(AppError) as raised:
        codec.decode_reply({"error": "from_a_newer_worker", "message": "?"})
    assert raised.value.code == "internal_error"
