"""Shared fixtures: the sample PDFs with their truth, the corpus, a field comparer."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

# Tests copy files into an inbox and run at once: nothing there is still being copied, so the
# CLI's --settle default (120 s) is 0 here; tests of the settle time pass --settle themselves.
os.environ["PERFAUDIT_SETTLE"] = "0"

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus"


def perfaudit_run(
    inbox: Path, out: Path, *extra: str, env: dict | None = None
) -> subprocess.CompletedProcess:
    """`perfaudit run INBOX --out OUT EXTRA…` as a user runs it (a fresh process); it must
    complete (exit 0) without a traceback."""
    proc = subprocess.run(
        [sys.executable, "-m", "perfaudit.pipeline.cli", "run", str(inbox), "--out", str(out)]
        + list(extra),
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    return proc


# The seed files of samples/ (one form each), by project: the forms errors are planted into.
SEED_FILES = {
    "房修类": "seed_1_fangxiulei.pdf",
    "政府聘用辅助人员经费": "seed_2_zhengfu_pinyong_fuzhu_renyuan_jingfei.pdf",
    "其他人员经费": "seed_3_qita_renyuan_jingfei.pdf",
    "活动经费": "seed_4_huodong_jingfei.pdf",
    "抚恤金": "seed_5_fuxujin.pdf",
    "后勤保障经费": "seed_6_houqin_baozhang_jingfei.pdf",
}


def truth_files() -> list[Path]:
    return sorted(SAMPLES.glob("*.truth.json"))


def load_truth(path: Path) -> list[dict]:
    return json.loads(path.read_text("utf-8"))


def pdf_of(truth: Path) -> Path:
    return truth.with_name(truth.name.removesuffix(".truth.json") + ".pdf")


def norm_text(value: str | None) -> str:
    """How consumers compare text: NFKC, no white space."""
    return "".join(unicodedata.normalize("NFKC", value or "").split())


def field_diffs(truth: object, got: object, path: str = "") -> list[str]:
    """Every field of `truth` that `got` does not reproduce (extra fields in `got` are fine)."""
    if isinstance(truth, dict):
        if not isinstance(got, dict):
            return [f"{path}: expected an object, got {got!r}"]
        out = []
        for key, value in truth.items():
            if key == "file" and path.endswith("source"):
                continue  # the file name depends on how the PDF was passed in
            if key == "notes":
                continue  # the truth writer's explanation, not a field
            out += field_diffs(value, got.get(key), f"{path}.{key}")
        return out
    if isinstance(truth, list):
        if not isinstance(got, list) or len(got) != len(truth):
            n = len(got) if isinstance(got, list) else got
            return [f"{path}: expected {len(truth)} items, got {n}"]
        return [
            d
            for i, (t, g) in enumerate(zip(truth, got, strict=True))
            for d in field_diffs(t, g, f"{path}[{i}]")
        ]
    if isinstance(truth, bool) or truth is None:
        return (
            []
            if truth == got or (truth is None and got in (None, ""))
            else [f"{path}: {truth!r} != {got!r}"]
        )
    if isinstance(truth, int | float):
        ok = isinstance(got, int | float) and math.isclose(truth, got, abs_tol=1e-6)
        return [] if ok else [f"{path}: {truth!r} != {got!r}"]
    ok = norm_text(str(truth)) == norm_text(got if isinstance(got, str) else str(got))
    return [] if ok else [f"{path}: {truth!r} != {got!r}"]


def count_fields(truth: object) -> int:
    if isinstance(truth, dict):
        return sum(count_fields(v) for k, v in truth.items() if k not in ("file", "notes"))
    if isinstance(truth, list):
        return sum(count_fields(v) for v in truth)
    return 1


@pytest.fixture(scope="session")
def seed_forms() -> list[dict]:
    return json.loads((SHARED / "spec" / "seed_forms.json").read_text("utf-8"))
