"""The audit log keeps one row per request and forgets rows older than the retention period."""

import sqlite3

from app.store.audit import AuditLog, AuditRecord
from app.store.db import Database
from app.store.retention import PURGE_INTERVAL_S

DAY = 86400.0


def record(request_id: str) -> AuditRecord:
    return AuditRecord(
        route="check_directory",
        requestor_id="r" * 500,
        requestor_type="NSSD",
        request_id=request_id,
        kind="Image_file",
        privacy_parameter=17,
        gallery="default",
        outcome="ok",
        status=200,
        residents=("Alice", "Bob"),
        duration_ms=12,
    )


def rows(path) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT request_id, requestor_id, residents FROM audit").fetchall()


def test_rows_expire_after_the_retention_period(tmp_path):
    now = [1_000_000.0]
    log = AuditLog(Database(tmp_path / "s.sqlite3"), retention_days=2, clock=lambda: now[0])
    log.record(record("old"))
    now[0] += 1 * DAY
    log.record(record("mid"))  # a purge runs, but "old" is only a day old
    assert [r[0] for r in rows(tmp_path / "s.sqlite3")] == ["old", "mid"]
    now[0] += 1.5 * DAY + PURGE_INTERVAL_S
    log.record(record("new"))
    assert [r[0] for r in rows(tmp_path / "s.sqlite3")] == ["mid", "new"]


def test_ids_are_cut_and_residents_joined(tmp_path):
    log = AuditLog(Database(tmp_path / "s.sqlite3"), retention_days=30)
    log.record(record("x"))
    ((_, requestor, residents),) = rows(tmp_path / "s.sqlite3")
    assert len(requestor) == 128 and residents == "Alice,Bob"
