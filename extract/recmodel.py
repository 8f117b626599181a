"""The recognizer model perfaudit runs: rapidocr's file, its output layer as one Gemm.

The PP-OCR recognizer ends in MatMul(x, W) + bias over 18,710 classes at every time
step. onnxruntime runs that as a matmul and then a separate pass over the whole
(steps × 18,710) output to add the bias; as a Gemm the bias is added inside the
matmul. Same arithmetic, bit-identical probabilities, ~4 % less model time
(bench/RESULTS_speed.md, "Scan path, round 3").

The rewritten model is built once (~1 s, most of it importing onnx) into a cache
folder and opened by path by every later process: a pipeline worker forked per file
pays nothing. The cache file is named by the sha256 of the source model and the
recipe version, so a new rapidocr model gets its own file; it is written to a
temporary name and renamed into place, so workers starting at once never read a
half-written file. Where it cannot be built (unwritable folder, a model of another
shape) the original file is used, with one log line.

    PERFAUDIT_MODEL_CACHE=DIR   the cache folder (default $XDG_CACHE_HOME/perfaudit, ~/.cache/perfaudit)
    PERFAUDIT_OCR_MODEL=original   run rapidocr's file as it is (A/B, or to rule the rewrite out)
    PERFAUDIT_OCR_MODEL=FILE.onnx  run that recognizer instead (experiments: bench/quantize_rec.py)
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from functools import cache
from pathlib import Path

log = logging.getLogger(__name__)

RECIPE = "gemm1"  # bump when the rewrite changes: old cache files are then ignored
N_CLASSES = 18710  # the output layer this rewrite expects (alphabet + blank + space)


def cache_dir() -> Path:
    env = os.environ.get("PERFAUDIT_MODEL_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "perfaudit"


def cached_name(source: Path) -> str:
    """The cache file's name: the source model's sha256 and the recipe."""
    digest = hashlib.sha256(source.read_bytes()).hexdigest()[:24]
    return f"{source.stem}.{digest}.{RECIPE}.onnx"


@cache
def model_path(source: Path) -> Path:
    """The model to run for `source`: its rewritten copy in the cache, built if missing."""
    choice = os.environ.get("PERFAUDIT_OCR_MODEL", "")
    if choice.lower() == "original":
        return source
    if choice.endswith(".onnx"):  # a model of one's own (bench/quantize_rec.py's int8 one)
        return Path(choice)
    target = cache_dir() / cached_name(source)
    if target.is_file():
        return target
    try:
        build(source, target)
    except Exception as exc:  # any failure leaves the original model, which is always right
        log.warning("OCR model rewrite not used (%s); running %s as it is", exc, source.name)
        return source
    return target


def build(source: Path, target: Path) -> None:
    """Write the rewritten model to `target` atomically (temporary file, then rename)."""
    model = gemm_output_layer(source)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=target.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(model)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def gemm_output_layer(source: Path) -> bytes:
    """The serialized model with MatMul(x, W) + b (W: C × N_CLASSES) replaced by
    Reshape(x, [-1, C]) → Gemm(W, b) → Reshape back to x's leading dims × N_CLASSES."""
    import numpy as np
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(str(source))
    graph = model.graph
    weights = {t.name: t for t in graph.initializer}
    users: dict[str, list] = {}
    for node in graph.node:
        for name in node.input:
            users.setdefault(name, []).append(node)
    matmul = next(
        (
            n
            for n in graph.node
            if n.op_type == "MatMul"
            and n.input[1] in weights
            and list(weights[n.input[1]].dims)[-1:] == [N_CLASSES]
        ),
        None,
    )
    if matmul is None or len(users.get(matmul.output[0], [])) != 1:
        raise ValueError("no MatMul to the output classes")
    add = users[matmul.output[0]][0]
    bias = [i for i in add.input if i != matmul.output[0]]
    if add.op_type != "Add" or len(bias) != 1 or bias[0] not in weights:
        raise ValueError("the output MatMul is not followed by a bias Add")
    if list(weights[bias[0]].dims) != [N_CLASSES]:
        raise ValueError("unexpected bias shape")
    x, channels = matmul.input[0], weights[matmul.input[1]].dims[0]
    consts = {
        "gemm_2d": [-1, channels],
        "gemm_classes": [N_CLASSES],
        "gemm_0": [0],
        "gemm_2": [2],
    }
    graph.initializer.extend(
        numpy_helper.from_array(np.array(v, np.int64), k) for k, v in consts.items()
    )
    nodes = [
        helper.make_node("Reshape", [x, "gemm_2d"], ["gemm_x"], name="gemm_in"),
        helper.make_node("Gemm", ["gemm_x", matmul.input[1], bias[0]], ["gemm_y"], name="gemm"),
        helper.make_node("Shape", [x], ["gemm_shape"], name="gemm_shape"),
        helper.make_node("Slice", ["gemm_shape", "gemm_0", "gemm_2"], ["gemm_bt"], name="gemm_bt"),
        helper.make_node(
            "Concat", ["gemm_bt", "gemm_classes"], ["gemm_out"], name="gemm_cat", axis=0
        ),
        helper.make_node("Reshape", ["gemm_y", "gemm_out"], [add.output[0]], name="gemm_out"),
    ]
    kept = list(graph.node)
    at = kept.index(matmul)
    kept = [n for n in kept if n is not matmul and n is not add]
    kept[at:at] = nodes
    del graph.node[:]
    graph.node.extend(kept)
    onnx.checker.check_model(model)
    return model.SerializeToString()
