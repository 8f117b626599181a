"""An int8 (QDQ) copy of the recognizer, for the measurement of bench/RESULTS_speed.md.

Not used by perfaudit: static int8 quantization makes the model ~1.7× faster but moves
readings, and field accuracy drops on the fax and stamps families ("Scan path, round 3").
This script rebuilds that model so the measurement can be repeated:

    .venv/bin/python bench/quantize_rec.py --out /tmp/rec_int8.onnx
    PERFAUDIT_OCR_MODEL=/tmp/rec_int8.onnx PERFAUDIT_OCR_THREADS=1 \\
        .venv/bin/python bench/scan_snapshot.py --out /tmp/int8.json --compare /tmp/float.json
    PERFAUDIT_OCR_MODEL=/tmp/rec_int8.onnx .venv/bin/python bench/profile_scans.py

Steps: the model to opset 17 (per-channel scales need DequantizeLinear's axis); onnxruntime's
float fusions (Gelu, LayerNorm) saved first, so that the quantizer's Q/DQ pairs do not
split a Gelu into Div/Erf/Add/Mul/Mul (which ran unfused: 1.49× instead of 1.69×); then
quantize_static, QDQ, Conv only (MatMul too was slower), per-channel int8 weights, uint8
activations, calibrated on the packed strips the pipeline feeds the model for three
sample files (percentile 99.999; MinMax moved more readings).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SCANS = ROOT / "samples" / "scans"
CALIBRATION = [
    SCANS / "seed_3_qita_renyuan_jingfei_200dpi.pdf",
    SCANS / "families" / "stamps" / "seed_6_houqin_baozhang_jingfei_200dpi.pdf",
    SCANS / "families" / "layouts" / "chongqing_2021_jiuyebuzhu_200dpi.pdf",
]


def calibration_reader(inputs: list):
    """onnxruntime's calibration reader over model inputs (1×3×48×W float arrays)."""
    from onnxruntime.quantization import CalibrationDataReader

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self.left = iter(inputs)

        def get_next(self) -> dict | None:
            x = next(self.left, None)
            return None if x is None else {"x": x}

    return Reader()


def fuse_for_quantization(src: Path, out: Path, work: Path) -> None:
    """`src` at opset 17 with onnxruntime's Gelu/LayerNorm-type fusions, written to `out`:
    plain Convs kept (the quantizer's unit) and the layout portable."""
    import onnx
    import onnxruntime as ort
    from onnx import version_converter

    opset17 = work / "rec17.onnx"
    onnx.save(version_converter.convert_version(onnx.load(str(src)), 17), str(opset17))
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
    options.optimized_model_filepath = str(out)
    keep_plain = ["ConvActivationFusion", "ConvAddActivationFusion", "ConvAddFusion"]
    keep_plain += ["ConvMulFusion", "ConvBNFusion", "MatMulAddFusion", "MatMulScaleFusion"]
    keep_plain += ["GemmActivationFusion", "NchwcTransformer", "TransposeOptimizer"]
    ort.InferenceSession(
        str(opset17), options, ["CPUExecutionProvider"], disabled_optimizers=keep_plain
    )


def calibration_strips() -> list[np.ndarray]:
    """The packed strips (1×3×48×W) the recognizer is given for the calibration files."""
    from perfaudit.extract import recognize
    from perfaudit.pipeline.worker import process_file

    strips: list[np.ndarray] = []
    pack = recognize.pack

    def recording(inputs):
        out = pack(inputs)
        strips.extend(s.image for s in out)
        return out

    recognize.pack = recording
    try:
        for path in CALIBRATION:
            process_file(path)
    finally:
        recognize.pack = pack
    # one fixed width: the percentile calibrator stacks activations of every run
    width = max(s.shape[2] for s in strips)
    out = []
    for s in strips[::2]:
        x = np.ones((1, 3, recognize.HEIGHT, width), np.float32)
        x[0, :, :, : s.shape[2]] = s
        out.append(x)
    return out


def build(out: Path, percentile: float = 99.999) -> None:
    from onnxruntime.quantization import (
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )

    from perfaudit.extract import recognize

    strips = calibration_strips()

    with tempfile.TemporaryDirectory() as tmp:
        fused = Path(tmp) / "fused.onnx"
        fuse_for_quantization(recognize.model_files()["rec"], fused, Path(tmp))
        quantize_static(
            str(fused),
            str(out),
            calibration_reader(strips),
            quant_format=QuantFormat.QDQ,
            op_types_to_quantize=["Conv"],
            per_channel=True,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            calibrate_method=CalibrationMethod.Percentile,
            extra_options={"CalibPercentile": percentile},
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--percentile", type=float, default=99.999)
    args = parser.parse_args()
    build(args.out, args.percentile)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
