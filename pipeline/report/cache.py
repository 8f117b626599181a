"""Rendered crops kept across nights (OUTDIR/crops.sqlite), so an unchanged night does not
render them again.

A crop is keyed by what decides its pixels: the source file's sha256, the page, the row's
bbox, the table's extent, and a fingerprint of the rendering code (crops.py, pypdfium2,
Pillow). A changed file, a moved row or a new renderer misses the cache and is rendered
afresh. Crops not used by a report are dropped when it is written, so the cache holds
tonight's pictures only. It is a cache: unreadable, it is replaced, never trusted over
the PDF.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
from importlib import metadata
from pathlib import Path

from perfaudit.pipeline.report.crops import Crop

log = logging.getLogger("perfaudit.pipeline.report")

SCHEMA = """
CREATE TABLE IF NOT EXISTS crops (
    key TEXT PRIMARY KEY,   -- sha256 of (file sha256, page, bbox, extent, code fingerprint)
    uri TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL
);
"""

_FINGERPRINT: str | None = None


def render_fingerprint() -> str:
    """What shapes a crop's pixels besides the PDF: the crop code and its libraries."""
    global _FINGERPRINT
    if _FINGERPRINT is None:
        digest = hashlib.sha256(Path(__file__).with_name("crops.py").read_bytes())
        for lib in ("pypdfium2", "pillow"):
            try:
                digest.update(f"{lib} {metadata.version(lib)}".encode())
            except metadata.PackageNotFoundError:
                digest.update(f"{lib} -".encode())
        _FINGERPRINT = digest.hexdigest()[:16]
    return _FINGERPRINT


def cache_key(sha256: str, page: int, bbox: tuple, extent: tuple | None) -> str:
    text = f"{sha256}|{page}|{bbox}|{extent}|{render_fingerprint()}"
    return hashlib.sha256(text.encode()).hexdigest()


class CropCache:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.used: set[str] = set()
        self.hits = self.misses = 0
        try:
            self.db = self._open()
        except sqlite3.DatabaseError as exc:
            log.info("crop cache %s unusable (%s); starting a new one", self.path, exc)
            self.path.unlink(missing_ok=True)
            self.db = self._open()

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30)
        db.executescript(SCHEMA)
        db.execute("SELECT count(*) FROM crops").fetchone()
        return db

    def key(self, sha256: str, page: int, bbox: tuple, extent: tuple | None) -> str:
        return cache_key(sha256, page, bbox, extent)

    def get(self, key: str) -> Crop | None:
        row = self.db.execute(
            "SELECT uri, width, height FROM crops WHERE key = ?", (key,)
        ).fetchone()
        if row is None:
            self.misses += 1
            return None
        self.hits += 1
        self.used.add(key)
        return Crop(*row)

    def has(self, key: str) -> bool:
        """Is the crop there (without counting or keeping it, as `get` does)?"""
        return self.db.execute("SELECT 1 FROM crops WHERE key = ?", (key,)).fetchone() is not None

    def put(self, key: str, crop: Crop) -> None:
        self.used.add(key)
        self.db.execute(
            "INSERT OR REPLACE INTO crops (key, uri, width, height) VALUES (?,?,?,?)",
            (key, crop.uri, crop.width, crop.height),
        )

    def close(self, prune: bool = True) -> None:
        """Commit; with `prune`, drop every crop this report did not use."""
        try:
            if prune:
                self.db.execute("CREATE TEMP TABLE keep (key TEXT PRIMARY KEY)")
                self.db.executemany("INSERT INTO keep VALUES (?)", ((k,) for k in self.used))
                self.db.execute("DELETE FROM crops WHERE key NOT IN (SELECT key FROM keep)")
            self.db.commit()
        finally:
            self.db.close()
        log.info("crop cache: %d reused, %d rendered", self.hits, self.misses)
