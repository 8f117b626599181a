"""Dates people read are local dates (TZ); run folders stay UTC.

A run at 02:30 in Shanghai is 18:30 UTC the day before: first_seen, "new tonight",
waivers' last day and changes.csv's date must name the Shanghai morning. The history is
driven with chosen timestamps (in-process, TZ set and tzset() called); the whole CLI
runs under TZ=Asia/Shanghai and under two zones 25 hours apart.
"""

from __future__ import annotations

import csv
import json
import os
import re
import sqlite3
import time
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from perfaudit.model import Finding
from perfaudit.pipeline.history import Waiver, apply_waivers, local_day, update_history
from perfaudit.pipeline.report.common import local_time

from conftest import SAMPLES, SEED_FILES, perfaudit_run

SHANGHAI = timezone(timedelta(hours=8))  # no daylight saving: a fixed offset is exact
SEED = SAMPLES / SEED_FILES["抚恤金"]


@pytest.fixture
def tz(monkeypatch):
    """Set the process's time zone for one test (and restore it after)."""

    def use(name: str) -> None:
        monkeypatch.setenv("TZ", name)
        time.tzset()

    yield use
    monkeypatch.undo()
    time.tzset()


def _finding(key: str) -> Finding:
    f = Finding("a.pdf", "0" * 64, 1, "项目", "单位", "GRADE", "error", message="等级不符")
    f.key = key
    return f


def test_local_day_of_a_utc_timestamp(tz):
    tz("Asia/Shanghai")
    assert local_day("2026-12-01T18:30:00Z") == "2026-12-02"
    assert local_day("2026-12-01T15:59:59Z") == "2026-12-01"
    assert local_day("2026-12-01") == "2026-12-01"
    assert local_time("2026-12-01T18:30:00Z") == "2026-12-02 02:30 (UTC+08:00)"
    tz("America/New_York")
    assert local_day("2026-12-01T03:00:00Z") == "2026-11-30"
    assert local_time("2026-07-01T03:00:00Z") == "2026-06-30 23:00 (UTC-04:00)"  # summer time
    tz("UTC")
    assert local_day("2026-12-01T18:30:00Z") == "2026-12-01"


def test_first_seen_and_new_follow_the_local_morning(tz):
    tz("Asia/Shanghai")
    db = sqlite3.connect(":memory:")
    # 02:30 in Shanghai: the UTC date is still yesterday
    night = [_finding("k1")]
    changes = update_history(db, night, "2026-12-01T18:30:00Z")
    assert night[0].first_seen == "2026-12-02" and night[0].status == "new"
    assert changes.day == "2026-12-02"
    # 09:00 the same Shanghai morning, but the next UTC day: still "new", same first_seen
    morning = [_finding("k1")]
    update_history(db, morning, "2026-12-02T01:00:00Z")
    assert morning[0].first_seen == "2026-12-02" and morning[0].status == "new"
    # the next Shanghai night: open
    later = [_finding("k1")]
    update_history(db, later, "2026-12-02T18:30:00Z")
    assert later[0].first_seen == "2026-12-02" and later[0].status == "open"


def test_waiver_last_day_is_a_local_day(tz):
    tz("Asia/Shanghai")
    waiver = {"k1": Waiver("k1", "已核实", "张三", date(2026, 12, 1))}
    # 02:30 on 12-02 in Shanghai (18:30 UTC on 12-01): the waiver ran out yesterday
    late = [_finding("k1")]
    apply_waivers(late, waiver, date.fromisoformat(local_day("2026-12-01T18:30:00Z")))
    assert late[0].status == ""
    early = [_finding("k1")]  # 23:00 on 12-01 in Shanghai: its last day
    apply_waivers(early, waiver, date.fromisoformat(local_day("2026-12-01T15:00:00Z")))
    assert early[0].status == "waived" and early[0].waiver_until == "2026-12-01"


def _run(tmp_path: Path, zone: str) -> tuple[Path, datetime]:
    inbox, out = (
        tmp_path / f"inbox-{zone.replace('/', '_')}",
        tmp_path / f"out-{zone.replace('/', '_')}",
    )
    inbox.mkdir()
    (inbox / SEED.name).write_bytes(SEED.read_bytes())
    before = datetime.now(UTC)
    perfaudit_run(inbox, out, "--jobs", "1", "--settle", "0", env={**os.environ, "TZ": zone})
    return out, before


def _csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def test_cli_under_shanghai_time(tmp_path):
    out, before = _run(tmp_path, "Asia/Shanghai")
    summary_path = next((out / "runs").glob("*/summary.json"))
    started = json.loads(summary_path.read_text("utf-8"))["started"]
    moment = datetime.fromisoformat(started.replace("Z", "+00:00"))
    assert abs(moment - before) < timedelta(minutes=5)
    # the run folder is named in UTC ...
    assert summary_path.parent.name == moment.strftime("%Y%m%dT%H%M%SZ")
    # ... every date a person reads is the Shanghai date
    today = moment.astimezone(SHANGHAI).date().isoformat()
    findings = _csv(out / "findings.csv")
    assert findings and {r["first_seen"] for r in findings} == {today}
    changes = _csv(out / "changes.csv")
    assert changes and {r["date"] for r in changes} == {today}
    page = (out / "report.html").read_text("utf-8")
    local = moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    assert f"生成于 {local} (UTC+08:00)" in page
    assert f"今晚的变化（{today}）" in page


def test_two_zones_a_day_apart_write_different_days(tmp_path):
    # UTC+14 and UTC-11 are 25 hours apart: their calendar dates always differ
    east, _ = _run(tmp_path, "Pacific/Kiritimati")
    west, _ = _run(tmp_path, "Pacific/Pago_Pago")
    days = [{r["first_seen"] for r in _csv(o / "findings.csv")} for o in (east, west)]
    assert len(days[0]) == len(days[1]) == 1 and days[0] != days[1]
    assert date.fromisoformat(days[0].pop()) > date.fromisoformat(days[1].pop())
    for o in (east, west):  # run folders are UTC whatever the zone
        (folder,) = (o / "runs").iterdir()
        assert re.fullmatch(r"\d{8}T\d{6}Z", folder.name)
