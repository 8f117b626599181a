"""Samples the extractor does not read yet (samples/known_failures/README.md).

Strict xfail: when one starts passing, the test fails and the sample moves to
samples/variants/ with the passing ones.
"""

from __future__ import annotations

import pytest

from perfaudit.pipeline.worker import process_file

from conftest import SAMPLES, field_diffs, load_truth, pdf_of

KNOWN = sorted((SAMPLES / "known_failures").glob("*.truth.json"))


@pytest.mark.xfail(
    strict=True, reason="table without inner vertical rules: no text-alignment fallback yet"
)
@pytest.mark.parametrize("truth_path", KNOWN, ids=lambda p: p.name.removesuffix(".truth.json"))
def test_known_failure_still_fails(truth_path):
    result = process_file(pdf_of(truth_path))
    assert not field_diffs(load_truth(truth_path), [f.to_json() for f in result.forms])


def test_known_failures_do_not_crash():
    """Even unread, such a file is accounted for: forms with gaps, or one fatal row."""
    assert KNOWN
    for truth_path in KNOWN:
        result = process_file(pdf_of(truth_path))
        assert result.forms or result.fatal is not None
