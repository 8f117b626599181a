"""The OCR models: rapidocr's detector, and its recognizer run on packed strips.

Both models are the PP-OCR ONNX files inside the rapidocr wheel, opened by
path so nothing is ever downloaded. One of each per process, built lazily.

Why not rapidocr's own recognizer call: the recognizer input is 48 px high and
at least 320 px wide, so every short crop (`10.00`, a two-character label) costs
as much as a 7-character line, and a form page is mostly short crops. Here the
crops are laid side by side into strips with white gaps, recognized in one
run, and the CTC output is cut back per crop by its columns (the model's output
has one step per 8 input pixels), which reads a page in about half the time.
"""

from __future__ import annotations

import math
import multiprocessing
import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from perfaudit.extract import ctcbeam, lexicon, recmodel

HEIGHT = 48  # the recognizer's input height
STRIDE = 8  # input pixels per output step
GAP = 16  # white between packed crops (which bring margins of their own): two blank steps
STRIP = 1280  # target strip width in pixels (≈ 27 CJK characters)


def threads() -> int:
    """onnxruntime threads: all cores in a single process, one per worker process.

    The pipeline runs one worker per core, so more threads per worker would
    only fight over the same cores. PERFAUDIT_OCR_THREADS overrides.
    """
    env = os.environ.get("PERFAUDIT_OCR_THREADS", "")
    if env.isdigit() and int(env) > 0:
        return int(env)
    if multiprocessing.parent_process() is not None:
        return 1
    return max(1, min(4, len(os.sched_getaffinity(0))))


def model_files() -> dict[str, Path]:
    """The ONNX models inside the rapidocr wheel (the recognizer carries its alphabet)."""
    import rapidocr

    models = Path(rapidocr.__file__).parent / "models"
    files = {
        "det": models / "PP-OCRv6_det_small.onnx",
        "rec": models / "PP-OCRv6_rec_small.onnx",
        "cls": models / "ch_ppocr_mobile_v2.0_cls_mobile.onnx",
    }
    missing = [str(p) for p in files.values() if not p.is_file()]
    if missing:
        raise RuntimeError(f"rapidocr models missing from the wheel: {missing}")
    return files


def engine_params(n_threads: int, cell_mode: bool = True) -> dict[str, Any]:
    """rapidocr settings; cell_mode=False keeps its whole-page defaults (for comparison)."""
    files = model_files()
    params: dict[str, Any] = {
        "Global.log_level": "error",
        "Det.model_path": str(files["det"]),
        "Rec.model_path": str(files["rec"]),
        "Cls.model_path": str(files["cls"]),
        "EngineConfig.onnxruntime.intra_op_num_threads": n_threads,
        "EngineConfig.onnxruntime.inter_op_num_threads": 1,
    }
    if cell_mode:
        params["Global.use_cls"] = False  # orientation is settled per page, before OCR
        params["Global.use_rec"] = False  # the Recognizer below reads the boxes
        # Crops are small: the default (shortest side ≥ 736) would upscale every cell 5–20×.
        params["Det.limit_type"] = "max"
        params["Det.limit_side_len"] = 736  # also caps the detector's memory (~150 MB)
    return params


def warm_imports() -> None:
    """Import rapidocr and onnxruntime now (~0.8 s, most of it rapidocr's YAML model tables),
    count the word prior's dictionary (lexicon.py) and make sure the recognizer's rewritten
    model is in its cache (recmodel.py).

    Called by the driver before it forks one worker per file, so each worker inherits
    the modules instead of importing them again for every scanned file.
    """
    import onnxruntime  # noqa: F401
    import rapidocr.main  # noqa: F401

    lexicon.bigrams()  # ~0.7 s CPU and a 110 MB peak once, not in every worker
    recmodel.model_path(model_files()["rec"])  # built here once, not by each worker at once


@cache
def detector() -> Any:
    """rapidocr configured as a text detector (boxes only)."""
    from rapidocr import RapidOCR

    # one thread: its runs are short (a cell, a band of the page), and rapidocr gives no way
    # to stop a pool of idle threads spinning for work, which eats a core on a shared machine
    return RapidOCR(params=engine_params(1))


def detect(image: np.ndarray) -> np.ndarray:
    """Text boxes (N×4×2 pixel corners) in a gray or BGR image."""
    bgr = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR) if image.ndim == 2 else image
    result = detector()(bgr, use_rec=False, use_cls=False)
    boxes = getattr(result, "boxes", None)
    return np.zeros((0, 4, 2), np.float32) if boxes is None else np.asarray(boxes)


@dataclass
class Recognizer:
    """PP-OCR CTC recognizer over packed strips of line crops."""

    session: Any  # onnxruntime.InferenceSession
    alphabet: list[str]  # index 0 is the CTC blank
    # `allowed` characters → their classes and alphabet (_only)
    _columns: dict[str, tuple[np.ndarray, list[str]]] = field(default_factory=dict, repr=False)

    def __call__(
        self, crops: list[np.ndarray], allowed: str | None = None
    ) -> list[tuple[str, float]]:
        """(text, score) per single-line crop; score is the mean character probability.

        `allowed`: read only these characters (a number cell read as digits only).
        """
        return self.reading(crops, allowed).read()

    def reading(self, crops: list[np.ndarray], allowed: str | None = None) -> Reading:
        """The crops packed into strips, to be read strip by strip (Reading.read)."""
        return Reading(self, pack([to_input(c) for c in crops]), len(crops), allowed)

    def read_strip(self, strip: Strip, allowed: str | None) -> list[tuple[int, tuple[str, float]]]:
        """(crop index, (text, score)) of every crop in one strip: one model run.

        One strip per run: a batch pads each strip to its widest (5 % of the columns the
        model ran over were padding), and the model's time per column does not fall with
        the batch (bench/RESULTS_speed.md).
        """
        probs = self._run([strip.image])[0]
        columns, alphabet = (None, self.alphabet) if allowed is None else self._only(allowed)
        if columns is not None:
            probs = probs[:, columns]
        out = []
        for index, (x0, x1) in strip.spans:
            steps = probs[x0 // STRIDE : math.ceil(x1 / STRIDE)]
            # text is read in context; a number read as digits only is not
            out.append((index, decode(steps, alphabet, in_context=allowed is None)))
        return out

    def _only(self, allowed: str) -> tuple[np.ndarray, list[str]]:
        """The CTC blank's and the allowed characters' classes, in order, and their alphabet.

        Greedy decoding over these columns alone reads what it read over all the classes
        with every other one zeroed (the mask this replaces): the same best class, first
        among equals, the same probabilities, without a pass over the 18 710 classes.
        """
        if allowed not in self._columns:
            keep = [0] + [k for k, ch in enumerate(self.alphabet) if k and ch in allowed]
            self._columns[allowed] = (np.array(keep), [self.alphabet[k] for k in keep])
        return self._columns[allowed]

    def _run(self, images: list[np.ndarray]) -> np.ndarray:
        width = max(i.shape[2] for i in images)
        batch = np.ones((len(images), 3, HEIGHT, width), np.float32)  # 1.0 is white
        for k, img in enumerate(images):
            batch[k, :, :, : img.shape[2]] = img
        name = self.session.get_inputs()[0].name
        return self.session.run(None, {name: batch})[0]


def to_input(crop: np.ndarray) -> np.ndarray:
    """A crop scaled to the model's height and normalized to -1..1, channels first."""
    gray = crop if crop.ndim == 2 else cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
    h, w = gray.shape
    width = max(STRIDE, round(w * HEIGHT / max(h, 1)))
    resized = cv2.resize(gray, (width, HEIGHT), interpolation=cv2.INTER_LINEAR)
    norm = resized.astype(np.float32) / 127.5 - 1.0
    return np.repeat(norm[None], 3, axis=0)


@dataclass
class Strip:
    image: np.ndarray  # 3×HEIGHT×W, normalized
    spans: list[tuple[int, tuple[int, int]]]  # (crop index, (x0, x1)) inside the strip


class Reading:
    """Crops packed into strips, read strip by strip when their readings are asked for.

    Every strip is a model run of its own, so reading the strips that hold some crops
    first (the orientation check's cells) and the others later gives every crop the
    reading one pass over all the strips would.
    """

    def __init__(
        self, model: Recognizer | None, strips: list[Strip], n: int, allowed: str | None
    ) -> None:
        self.model, self.strips, self.allowed = model, strips, allowed
        self.out: list[tuple[str, float]] = [("", 0.0)] * n
        self.done: set[int] = set()

    def read(self, crops: list[int] | None = None) -> list[tuple[str, float]]:
        """(text, score) of these crops (of every crop when None), reading what they need."""
        wanted = None if crops is None else set(crops)
        for s, strip in enumerate(self.strips):
            if s in self.done or (
                wanted is not None and wanted.isdisjoint(i for i, _ in strip.spans)
            ):
                continue
            assert self.model is not None  # strips exist only where there were crops
            for index, read in self.model.read_strip(strip, self.allowed):
                self.out[index] = read
            self.done.add(s)
        return list(self.out) if crops is None else [self.out[i] for i in crops]


def pack(inputs: list[np.ndarray]) -> list[Strip]:
    """Lay crops side by side, GAP apart, into strips about STRIP wide.

    Each crop starts on a step boundary so its output columns are exact. A
    crop wider than a strip gets a strip of its own.
    """
    strips: list[Strip] = []
    parts: list[tuple[int, np.ndarray]] = []
    width = GAP

    def close() -> None:
        if parts:
            strips.append(_assemble(parts))

    for index in sorted(range(len(inputs)), key=lambda i: inputs[i].shape[2]):
        w = inputs[index].shape[2]
        step = math.ceil((w + GAP) / STRIDE) * STRIDE
        if parts and width + step > STRIP:
            close()
            parts, width = [], GAP
        parts.append((index, inputs[index]))
        width += step
    close()
    return strips


def _assemble(parts: list[tuple[int, np.ndarray]]) -> Strip:
    widths = [math.ceil((p.shape[2] + GAP) / STRIDE) * STRIDE for _, p in parts]
    image = np.ones((3, HEIGHT, GAP + sum(widths)), np.float32)
    spans = []
    x = GAP
    for (index, part), step in zip(parts, widths, strict=True):
        image[:, :, x : x + part.shape[2]] = part
        spans.append((index, (x, x + part.shape[2])))
        x += step
    return Strip(image, spans)


_NUMERIC = set("0123456789.+-=<>≥≤%")


def decode(probs: np.ndarray, alphabet: list[str], in_context: bool = False) -> tuple[str, float]:
    """Greedy CTC: best class per step, repeats collapsed, blanks dropped.

    `in_context`: a line with an ideograph and doubtful steps is read again by prefix
    beam search with the word prior (ctcbeam.py), which may put another ideograph in a
    glyph's place, or one where the blank narrowly won; the line's score never rises.

    The score is the mean character probability (rapidocr's line score), or
    the least sure digit or operator when that is lower: one doubtful digit
    changes a number, which is what an audit rests on, while one doubtful
    comma in a sentence does not.
    """
    if len(probs) == 0:
        return "", 0.0
    best = probs.argmax(axis=1)
    conf = probs[np.arange(len(best)), best]  # the max, without a second pass over the classes
    keep = np.ones(len(best), bool)
    keep[1:] = best[1:] != best[:-1]
    keep &= best != 0
    if not keep.any():
        return "", 0.0
    chars = [alphabet[i] for i in best[keep].tolist()]
    score = _score(chars, conf[keep])
    # the words need a neighbour the recognizer read: a lone glyph (a one-character cell,
    # a fragment) is not searched, nor a number
    if in_context and sum(map(lexicon.ideograph, chars)) >= 2:
        found = ctcbeam.search(probs, alphabet, best=best)
        if found is not None and found[0] != chars:
            # a doubt stays a doubt: the new reading is scored by the recognizer's own
            # (lower) probabilities of its glyphs, and never above the greedy reading
            chars, score = found[0], min(score, _score(found[0], np.asarray(found[1])))
    return "".join(chars), score


def _score(chars: list[str], probs: np.ndarray) -> float:
    if not chars:
        return 0.0
    numeric = [p for ch, p in zip(chars, probs.tolist(), strict=True) if ch in _NUMERIC]
    return min([float(probs.mean()), *numeric])


@cache
def recognizer() -> Recognizer:
    """The recognizer model of the rapidocr wheel, on its own onnxruntime session."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads()
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3
    # idle pool threads sleep instead of spinning between runs: spinning burned ~50 % more CPU
    # (and doubled wall time on a busy 2-core machine) for no gain (bench/RESULTS_speed.md)
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    session = ort.InferenceSession(
        str(recmodel.model_path(model_files()["rec"])),
        sess_options=options,
        providers=["CPUExecutionProvider"],
    )
    chars = session.get_modelmeta().custom_metadata_map["character"].splitlines()
    return Recognizer(session, ["blank", *chars, " "])


def recognize(crops: list[np.ndarray], allowed: str | None = None) -> list[tuple[str, float]]:
    """(text, score) of each single-line crop, gray or BGR; `allowed` limits the characters."""
    return reading(crops, allowed).read()


def reading(crops: list[np.ndarray], allowed: str | None = None) -> Reading:
    """The crops packed for the recognizer, read on demand (Reading.read): some first,
    the rest later, each crop as recognize() would read it."""
    if not crops:
        return Reading(None, [], 0, allowed)
    return recognizer().reading(crops, allowed)
