"""Partial int8 recognizers (only some Convs int8) against the float one, on the same strips.

Issue #17's question after round 4: whole-model static int8 moves readings; does an int8
copy of only the largest convolutions (the 1×1 convs of the middle and last stages, 65–72 %
of the model's FLOPs) keep the readings and still cut the model's time by ≥ 25 %?
Three phases, each writing into --work (default /tmp/quantize_mixed):

    .venv/bin/python bench/quantize_mixed.py capture   # packed strips of three sets of scans
    .venv/bin/python bench/quantize_mixed.py build     # the variants (calibrated on `calib`)
    .venv/bin/python bench/quantize_mixed.py dynamic   # the 1×1 Convs as dynamic int8 MatMuls
    .venv/bin/python bench/quantize_mixed.py measure --report static.json \
        --models st_last=last.percentile.onnx dyn_last=last.dynamic.onnx   # time and readings
    .venv/bin/python bench/quantize_mixed.py table --report static.json --examples st_last

Result (bench/RESULTS_speed.md, "Scan path, round 5"): no variant reads the same; the ones
fast enough (≤ 0.75 of float's time) move 3–4 % of the crops of scans outside the gate.

Sets of scans (their strips are captured as the pipeline packs them, float model, 1 thread):
- `gate`: the accuracy gate's files (bench/scan_snapshot.py's 35). Never used to calibrate.
- `other`: scans outside the gate: samples/build_scans_families.py's degradations with
  other random streams (family names of their own) on forms no gate file and no
  calibration file is made from.
- `calib`: calibration only: other forms again, other degradations and streams.

`measure` runs every model on every strip, interleaved strip by strip in one process, 1
onnxruntime thread, and times the model runs alone (CPU seconds). Each crop's reading is
decoded as the pipeline decodes it (recognize.decode, with the cell's character mask),
and compared with the float model's reading of the same crop.
"""

from __future__ import annotations

import argparse
import json
import pickle
import re
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "samples"))
sys.path.insert(0, str(ROOT / "bench"))

import build_scans_families as bsf  # noqa: E402

from perfaudit.extract import ocrtext, recmodel, recognize  # noqa: E402

# (family to borrow the degradation from, source form, dpi); the family name gets a
# suffix so its random stream is not the gate's
OTHER = (
    ("fax", "variants/mixed_sizes.pdf", 150),
    ("fax", "variants/seed4_break_row1.pdf", 200),
    ("photocopy", "variants/seed1_widths_a.pdf", 200),
    ("phone", "variants/annex_with_prose.pdf", 200),
    ("stamps", "variants/seed4_break_row1.pdf", 150),
    ("layouts", "sichuan/calc_clean.pdf", 200),
    ("photocopy", "sichuan/calc_clean.pdf", 150),
)
CALIB = (
    ("fax", "seed_5_fuxujin.pdf", 200),
    ("phone", "variants/seed1_widths_b.pdf", 200),
    ("layouts", "variants/header_variants.pdf", 150),
    ("stamps", "seed_2_zhengfu_pinyong_fuzhu_renyuan_jingfei.pdf", 200),
)

# Conv nodes of the recognizer after onnxruntime's float fusions (names as the fused
# model has them; FLOP shares per 1280-wide strip in the comments)
LAST = ["Conv.49", "Conv.50", "Conv.52", "Conv.53"]  # 1×1 384↔768, 7.1 % each
MID = [f"Conv.{i}" for i in (22, 23, 25, 26, 30, 31, 33, 34, 38, 39, 41, 42)]  # 192↔384, 3.6 %
MID_REST = ["Conv.44", "Conv.45"]  # 192→384, 384→384 after the last stride
STAGE2 = [f"Conv.{i}" for i in (8, 9, 11, 12, 14, 15, 18)]  # 96↔192, 192↔192: 1.8 % each
STEM3 = ["Conv.3"]  # 3×3 96→48, 4.0 %
VARIANTS: dict[str, list[str] | None] = {  # None: every Conv
    "last": LAST,
    "mid": MID,
    "last_mid": LAST + MID,
    "big_1x1": LAST + MID + MID_REST + STAGE2,
    "big_1x1_stem3": LAST + MID + MID_REST + STAGE2 + STEM3,
    "all_conv": None,
}
NUMBER = re.compile(r"\d")
NUMERIC = re.compile(r"[\d.,%+\-]+")


def build_set(name: str, spec: tuple, out: Path) -> list[Path]:
    files = []
    for family, source, dpi in spec:
        base = bsf.FAMILIES[family]
        fam = bsf.Family(f"{family}-{name}", (source,), base.degrade, base.store, base.quality)
        folder = out / fam.name
        folder.mkdir(parents=True, exist_ok=True)
        files.append(bsf.build_scan(fam, source, dpi, folder))
    return files


def capture(paths: list[Path]) -> list[dict]:
    """Every strip the recognizer is given while the pipeline reads `paths`."""
    from scan_snapshot import read

    strips: list[dict] = []
    # every read packs its crops through Recognizer.reading (tables, checks, re-reads)
    call = recognize.Recognizer.reading

    def spy(self, crops, allowed=None):
        for s in recognize.pack([recognize.to_input(c) for c in crops]):
            gray = np.rint((s.image[0] + 1.0) * 127.5).astype(np.uint8)
            assert np.array_equal(gray.astype(np.float32) / 127.5 - 1.0, s.image[0])
            strips.append({"file": current[0], "gray": gray, "spans": s.spans, "allowed": allowed})
        return call(self, crops, allowed)

    current = [""]
    recognize.Recognizer.reading = spy
    try:
        for path in paths:
            current[0] = path.name
            read(path)
            print(f"  {path.name}: {len(strips)} strips so far", flush=True)
    finally:
        recognize.Recognizer.reading = call
    return strips


def to_model_input(gray: np.ndarray) -> np.ndarray:
    x = gray.astype(np.float32) / 127.5 - 1.0
    return np.repeat(x[None, None], 3, axis=1)


def fused_float(work: Path) -> Path:
    """The pipeline's model (Gemm output layer) at opset 17 with onnxruntime's Gelu and
    LayerNorm fusions saved, so the quantizer's Q/DQ pairs do not split a Gelu
    (bench/quantize_rec.py says why)."""
    from quantize_rec import fuse_for_quantization

    out = work / "fused.onnx"
    if not out.is_file():
        fuse_for_quantization(recmodel.model_path(recognize.model_files()["rec"]), out, work)
    return out


def build(work: Path, names: list[str], method: str, percentile: float) -> None:
    import onnx
    from onnxruntime.quantization import (
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )
    from quantize_rec import calibration_reader

    fused = fused_float(work)
    strips = pickle.loads((work / "calib.pkl").read_bytes())
    # one fixed width (the histogram calibrators stack every run's activations): the
    # strips padded with white to the widest, every other one (time)
    width = max(s["gray"].shape[1] for s in strips)
    inputs = []
    for s in strips[::2]:
        gray = np.full((recognize.HEIGHT, width), 255, np.uint8)
        gray[:, : s["gray"].shape[1]] = s["gray"]
        inputs.append(to_model_input(gray))

    convs = [n.name for n in onnx.load(str(fused)).graph.node if n.op_type == "Conv"]
    calib = {"minmax": CalibrationMethod.MinMax, "percentile": CalibrationMethod.Percentile}
    for name in names:
        nodes = VARIANTS[name] or convs
        out = work / f"{name}.{method}.onnx"
        start = time.time()
        quantize_static(
            str(fused),
            str(out),
            calibration_reader(inputs),
            quant_format=QuantFormat.QDQ,
            op_types_to_quantize=["Conv"],
            nodes_to_quantize=nodes,
            per_channel=True,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            calibrate_method=calib[method],
            extra_options={"CalibPercentile": percentile},
            # every Conv's input and output is calibrated whatever the variant: once
            calibration_cache_path=work / f"ranges.{method}.json",
        )
        print(f"{out.name}: {len(nodes)} Convs int8, built in {time.time() - start:.0f} s")


def build_dynamic(work: Path, name: str) -> None:
    """The variant's 1×1 Convs as MatMuls over channels-last activations, quantized
    dynamically (each run's own activation range, no calibration data): Conv(x, W, b) →
    Transpose(x) → MatMul(Wᵀ) + b → Transpose back (onnxruntime cancels the Transposes
    between consecutive ones and fuses DynamicQuantizeMatMul)."""
    import onnx
    from onnx import helper, numpy_helper
    from onnxruntime.quantization import QuantType, quantize_dynamic

    model = onnx.load(str(fused_float(work)))
    graph = model.graph
    weights = {t.name: t for t in graph.initializer}
    chosen = set(VARIANTS[name] or [])
    nodes, matmuls = [], []
    for node in graph.node:
        w = weights.get(node.input[1]) if node.op_type == "Conv" else None
        if node.name not in chosen or w is None or list(w.dims[2:]) != [1, 1]:
            nodes.append(node)
            continue
        wt = numpy_helper.to_array(w)[:, :, 0, 0].T.copy()  # Cin × Cout
        graph.initializer.append(numpy_helper.from_array(wt, f"{node.name}_wt"))
        x, y = node.input[0], node.output[0]
        mm = f"{node.name}_mm"
        nodes += [
            helper.make_node("Transpose", [x], [f"{mm}_in"], f"{mm}_t0", perm=[0, 2, 3, 1]),
            helper.make_node("MatMul", [f"{mm}_in", f"{node.name}_wt"], [f"{mm}_y"], mm),
        ]
        last = f"{mm}_y"
        if len(node.input) > 2 and node.input[2]:
            nodes.append(helper.make_node("Add", [last, node.input[2]], [f"{mm}_b"], f"{mm}_add"))
            last = f"{mm}_b"
        nodes.append(helper.make_node("Transpose", [last], [y], f"{mm}_t1", perm=[0, 3, 1, 2]))
        matmuls.append(mm)
    del graph.node[:]
    graph.node.extend(nodes)
    plain = work / f"{name}.matmul.onnx"
    onnx.save(model, str(plain))
    out = work / f"{name}.dynamic.onnx"
    quantize_dynamic(
        str(plain),
        str(out),
        op_types_to_quantize=["MatMul"],
        nodes_to_quantize=matmuls,
        per_channel=True,
        weight_type=QuantType.QInt8,
    )
    print(f"{out.name}: {len(matmuls)} 1×1 Convs as dynamic int8 MatMuls ({plain.name}: float)")


def session(path: Path):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(path), options, ["CPUExecutionProvider"])


def readings(probs: np.ndarray, strip: dict, alphabet: list[str], masks: dict) -> list:
    """(text, least sure glyph) per crop of the strip, decoded as the pipeline does."""
    allowed = strip["allowed"]
    if allowed is not None:
        if allowed not in masks:
            mask = np.array([ch in allowed for ch in alphabet], np.float32)
            mask[0] = 1.0
            masks[allowed] = mask
        probs = probs * masks[allowed]
    out = []
    for _, (x0, x1) in strip["spans"]:
        steps = probs[x0 // recognize.STRIDE : -(-x1 // recognize.STRIDE)]
        text, score = recognize.decode(steps, alphabet, in_context=allowed is None)
        best = steps.argmax(axis=1)
        keep = np.ones(len(best), bool)
        keep[1:] = best[1:] != best[:-1]
        keep &= best != 0
        least = float(steps.max(axis=1)[keep].min()) if keep.any() else 0.0
        # as a cell uses it: lines under MIN_SCORE dropped, speck dots cleaned
        used = ocrtext.clean_text(text) if score >= ocrtext.MIN_SCORE else ""
        out.append((text, least, used))
    return out


def measure(work: Path, models: dict[str, Path], sets: list[str], limit: int) -> dict:
    sessions = {name: session(path) for name, path in models.items()}
    float_session = sessions["float"]
    chars = float_session.get_modelmeta().custom_metadata_map["character"].splitlines()
    alphabet = ["blank", *chars, " "]
    masks: dict = {}
    report: dict = {}
    for set_name in sets:
        strips = pickle.loads((work / f"{set_name}.pkl").read_bytes())[: limit or None]
        cpu = dict.fromkeys(sessions, 0.0)
        read: dict[str, list] = {name: [] for name in sessions}
        for k, strip in enumerate(strips):
            x = to_model_input(strip["gray"])
            for name, sess in sessions.items():
                start = time.process_time()
                probs = sess.run(None, {"x": x})[0][0]
                cpu[name] += time.process_time() - start
                read[name] += readings(probs, strip, alphabet, masks)
            if k % 200 == 0:
                print(f"  {set_name}: {k}/{len(strips)} strips", flush=True)
        report[set_name] = {"cpu": cpu, "read": read, "strips": len(strips)}
    return report


def differing(ref: list, got: list, field: int) -> tuple[int, int, int, int]:
    """Crops read differently (text `field`: 0 raw, 2 as the cell uses it), of which
    confident (least sure glyph ≥ 0.9 in the variant's reading), with a digit on either
    side, and numbers (either side only digits, `.`, `,`, `%`, signs)."""
    diff = [
        (a[field], b[field], b[1]) for a, b in zip(ref, got, strict=True) if a[field] != b[field]
    ]
    confident = sum(least >= 0.9 for _, _, least in diff)
    digits = sum(bool(NUMBER.search(a) or NUMBER.search(b)) for a, b, _ in diff)
    numbers = sum(bool(NUMERIC.fullmatch(a) or NUMERIC.fullmatch(b)) for a, b, _ in diff)
    return len(diff), confident, digits, numbers


def table(report: dict) -> None:
    for set_name, entry in report.items():
        ref = entry["read"]["float"]
        base = entry["cpu"]["float"]
        print(f"\n{set_name}: {entry['strips']} strips, {len(ref)} crops")
        print(
            "| model | CPU s | × float | differing raw: crops, confident, digit, number "
            "| as cells use them: crops, confident, digit, number |"
        )
        print("|---|---|---|---|---|")
        for name, got in entry["read"].items():
            raw, cells = differing(ref, got, 0), differing(ref, got, 2)
            print(
                f"| {name} | {entry['cpu'][name]:.1f} | {entry['cpu'][name] / base:.2f} "
                f"| {raw[0]} ({100 * raw[0] / max(len(ref), 1):.1f} %), {raw[1]}, {raw[2]}, "
                f"{raw[3]} | {', '.join(map(str, cells))} |"
            )


def examples(report: dict, model: str, n: int) -> None:
    for set_name, entry in report.items():
        ref, got = entry["read"]["float"], entry["read"][model]
        diff = [(a, b) for a, b in zip(ref, got, strict=True) if a[2] != b[2]]
        diff.sort(key=lambda d: -d[1][1])
        print(f"\n{set_name}, {model}: most confident cell differences (float → {model})")
        for a, b in diff[:n]:
            print(f"  {a[0]!r} → {b[0]!r} ({b[1]:.3f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("phase", choices=["capture", "build", "dynamic", "measure", "table"])
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "quantize_mixed")
    parser.add_argument("--sets", nargs="*", default=["calib", "other", "gate"])
    parser.add_argument("--variants", nargs="*", default=list(VARIANTS))
    parser.add_argument("--method", default="percentile", choices=["percentile", "minmax"])
    parser.add_argument("--percentile", type=float, default=99.999)
    parser.add_argument("--models", nargs="*", default=[], help="NAME=FILE.onnx besides float")
    parser.add_argument("--limit", type=int, default=0, help="only the first N strips of a set")
    parser.add_argument("--examples", help="print this model's most confident differences")
    parser.add_argument("--report", default="report.json", help="measure's output, in --work")
    args = parser.parse_args()
    work = args.work
    work.mkdir(parents=True, exist_ok=True)
    if args.phase == "capture":
        from scan_snapshot import scan_files

        for set_name in args.sets:
            spec = {"other": OTHER, "calib": CALIB}.get(set_name)
            files = scan_files() if set_name == "gate" else build_set(set_name, spec, work)
            strips = capture(files)
            (work / f"{set_name}.pkl").write_bytes(pickle.dumps(strips))
            print(f"{set_name}: {len(files)} files, {len(strips)} strips")
    elif args.phase == "build":
        build(work, args.variants, args.method, args.percentile)
    elif args.phase == "dynamic":
        for name in args.variants:
            build_dynamic(work, name)
    elif args.phase == "measure":
        models = {"float": recmodel.model_path(recognize.model_files()["rec"])}
        # NAME=FILE, FILE relative to --work (the variants are built there)
        models |= {m.split("=")[0]: work / m.split("=")[1] for m in args.models}
        report = measure(work, models, [s for s in args.sets if s != "calib"], args.limit)
        (work / args.report).write_text(json.dumps(report, ensure_ascii=False))
        table(report)
    if args.phase == "table" or args.examples:
        report = json.loads((work / args.report).read_text())
        table(report)
        if args.examples:
            examples(report, args.examples, 15)


if __name__ == "__main__":
    main()
