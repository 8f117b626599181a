"""The nightly job over every file of ../shared/corpus plus the samples.

The corpus holds real problem PDFs (encrypted, truncated, fuzzed, not PDFs at
all, resource bombs; MANIFEST.tsv says what each one does to pdfminer and
PDFium and what a robust pipeline should do). One `perfaudit run` over a copy
of all of it must complete with exit 0, account for every file, put the right
fatal rule on the files it cannot read, and print no traceback.
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys

import pytest

from perfaudit.pipeline.job import SUMMARY_KEYS

from conftest import CORPUS, ROOT, SAMPLES

pytestmark = pytest.mark.skipif(
    not (CORPUS / "MANIFEST.tsv").is_file(), reason="../shared/corpus is not here"
)

# Files that need a user password: no tool opens them without it.
NEED_USER_PASSWORD = {
    "encrypted/camelot_health_protected.pdf",
    "encrypted/pdfjs_saslprep-r6.pdf",
    "encrypted/pdfminer_aes-256-r6.pdf",
    "encrypted/pdfminer_aes-256.pdf",
    "encrypted/pdfminer_rc4-128.pdf",
    "encrypted/pdfminer_rc4-40.pdf",
    "encrypted/pdfplumber_password-example.pdf",
    "encrypted/pypdf_r4-aes-user-password.pdf",
    "encrypted/qpdf_enc-XI-R6-V5-user-view.pdf",
}

# Encrypted, but readable without a password: an empty user password, an owner
# password only, or a crypt filter that covers only the attachments (pdfminer
# refuses the last kind; PDFium's rebuilt copy reads).
READABLE_ENCRYPTED = {
    "active_content/pdfjs_auth-event-ef-open.pdf",
    "encrypted/pdfjs_empty_protected.pdf",
    "encrypted/pdfjs_encrypted-attachment.pdf",
    "encrypted/pdfminer_encrypted_doc_no_id.pdf",
    "encrypted/pypdf_r2-owner-password.pdf",
    "encrypted/pypdf_r5-empty-password.pdf",
    "encrypted/pypdf_r6-owner-password.pdf",
    "encrypted/pypdf_r6-user-password.pdf",  # empty owner password (tools disagree)
    "encrypted/qpdf_enc-XI-R6-V5-owner-master.pdf",
}

# Broken files that neither pdfminer nor PDFium can make anything of.
MUST_BE_CORRUPT = {
    "corrupt/derived_tabula_schools_truncated-50pct.pdf",  # pdfminer: 0 pages, no error
    "corrupt/pdfjs_REDHAT-1531897-0.pdf",  # pdfminer: 0 pages, PDFium refuses
    "corrupt/qpdf_bad-direct-root.pdf",
    "corrupt/qpdf_issue-147.pdf",
    "corrupt/qpdf_issue-150.pdf",
    "corrupt/qpdf_issue-263.pdf",
    "corrupt/qpdf_issue-335b.pdf",
}

# pdfminer reads 0 pages or fails, PDFium recovers the pages: read, not "empty, done".
RECOVERED_BY_PDFIUM = {
    "corrupt/pdfjs_GHOSTSCRIPT-698804-1-fuzzed.pdf": 1,
    "corrupt/pdfplumber_issue-297-integer-metadata.pdf": 1,
    "corrupt/qpdf_append-xref-loop.pdf": 30,
}

# The manifest allows "extract partial or clear error 'corrupt'".
EITHER = {
    "corrupt/qpdf_broken-lzw.pdf",
    "corrupt/pdfjs_PDFBOX-3148-2-fuzzed.pdf",
    "resource_exhaustion/pdfjs_operator_list_cycle.pdf",  # pdfplumber: bare TypeError
}


def manifest() -> dict[str, dict[str, str]]:
    with open(CORPUS / "MANIFEST.tsv", encoding="utf-8", newline="") as fh:
        return {row["file"]: row for row in csv.DictReader(fh, delimiter="\t")}


def corpus_files() -> list[str]:
    return sorted(
        p.relative_to(CORPUS).as_posix()
        for p in CORPUS.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(CORPUS).parts)
    )


def expected_rule(name: str, row: dict[str, str]) -> set[str]:
    """The fatal rules allowed for a corpus file; {'NO_FORM_FOUND'} means read fine."""
    should = row["robust_pipeline_should"]
    if name in NEED_USER_PASSWORD:
        return {"ENCRYPTED"}
    if name in READABLE_ENCRYPTED or name in RECOVERED_BY_PDFIUM:
        return {"NO_FORM_FOUND"}
    if name in MUST_BE_CORRUPT or row["category"] == "not_pdf":
        return {"CORRUPT"}
    if name in EITHER:
        return {"NO_FORM_FOUND", "CORRUPT"}
    if row["category"] == "corrupt" and "corrupt" in should:
        return {"NO_FORM_FOUND", "CORRUPT"}
    if should == "data" or not name.endswith(".pdf"):
        return {"ignored"}  # the expected-output CSV/JSON/XML files are no form files
    return {"NO_FORM_FOUND"}  # "extract normally", "must not hang", "extract table", …


@pytest.fixture(scope="module")
def corpus_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("corpus")
    inbox = base / "inbox"
    shutil.copytree(CORPUS, inbox, ignore=shutil.ignore_patterns(".*"))
    for pdf in sorted(SAMPLES.glob("*.pdf")):
        shutil.copy(pdf, inbox / f"samples_{pdf.name}")
    make_broken_inputs(inbox / BROKEN)
    out = base / "out"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "perfaudit.pipeline.cli",
            "run",
            str(inbox),
            "--out",
            str(out),
            "--jobs",
            "2",
            "--timeout",
            "60",
        ],  # fmt: skip
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )
    with open(out / "findings.csv", encoding="utf-8-sig", newline="") as fh:
        findings = list(csv.DictReader(fh))
    forms = [json.loads(line) for line in (out / "forms.jsonl").read_text("utf-8").splitlines()]
    summary = json.loads(next((out / "runs").glob("*/summary.json")).read_text("utf-8"))
    files = sorted(p.relative_to(inbox).as_posix() for p in inbox.rglob("*") if p.is_file())
    return proc, findings, forms, summary, files


# ------------------------------------------------- broken inputs of other types ---

BROKEN = "broken_inputs"
INPUTS = SAMPLES / "inputs"
# file → what the run must say: a fatal rule, or 'ignored' (not a form file type)
BROKEN_EXPECTED = {
    "truncated.xlsx": "CORRUPT",
    "truncated.docx": "CORRUPT",
    "truncated.ofd": "CORRUPT",
    "truncated.png": "CORRUPT",
    "truncated.jpg": "CORRUPT",
    "truncated.tif": "CORRUPT",
    "empty.xlsx": "CORRUPT",
    "png_named.xlsx": "CORRUPT",
    "docx_named.xlsx": "CORRUPT",
    "text_named.docx": "CORRUPT",
    "xlsx_named.jpg": "CORRUPT",
    "zip_named.ofd": "CORRUPT",
    "no_document.ofd": "CORRUPT",
    "old_word.doc": "CORRUPT",
    "bomb.xlsx": "CORRUPT",
    "bomb.docx": "CORRUPT",
    "bomb.png": "CORRUPT",
    "notes.txt": "ignored",
    "archive.zip": "ignored",
}


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    import struct
    import zlib

    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def make_broken_inputs(folder):
    """Broken Word/Excel/image/OFD files: cut, renamed, zip bombs, a pixel bomb."""
    import struct
    import zipfile
    import zlib

    folder.mkdir()
    sources = {
        "xlsx": INPUTS / "seed_1_fangxiulei.xlsx",
        "docx": INPUTS / "seed_1_fangxiulei.docx",
        "ofd": INPUTS / "seed_5_fuxujin.ofd",
        "png": INPUTS / "seed_5_fuxujin.png",
        "jpg": INPUTS / "seed_5_fuxujin_phone.jpg",
        "tif": INPUTS / "seed_1_fangxiulei.tif",
    }
    for ext, src in sources.items():
        data = src.read_bytes()
        (folder / f"truncated.{ext}").write_bytes(data[: len(data) // 3])
    (folder / "empty.xlsx").write_bytes(b"")
    shutil.copy(sources["png"], folder / "png_named.xlsx")
    shutil.copy(sources["docx"], folder / "docx_named.xlsx")
    (folder / "text_named.docx").write_text("not a document\n", "utf-8")
    shutil.copy(sources["xlsx"], folder / "xlsx_named.jpg")
    (folder / "old_word.doc").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504)
    with zipfile.ZipFile(folder / "zip_named.ofd", "w") as zf:
        zf.writestr("readme.txt", "hello")
    with zipfile.ZipFile(folder / "no_document.ofd", "w") as zf:
        zf.writestr(
            "OFD.xml",
            '<ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016"><ofd:DocBody>'
            "<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>",
        )
    # zip bombs: a few hundred KB that inflate ~1000x into the sheet / document XML
    zeros = b"<x/>" * (12 * 1024 * 1024)
    for name, member in (
        ("bomb.xlsx", "xl/worksheets/sheet1.xml"),
        ("bomb.docx", "word/document.xml"),
    ):
        with zipfile.ZipFile(folder / name, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("xl/workbook.xml" if name.endswith("xlsx") else "word/x.xml", "<a/>")
            zf.writestr(member, zeros)
    # a PNG header claiming 100,000 × 100,000 pixels over a few bytes of data
    ihdr = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\0" * 1000)
    (folder / "bomb.png").write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )
    (folder / "notes.txt").write_text("请于周五前提交", "utf-8")
    with zipfile.ZipFile(folder / "archive.zip", "w") as zf:
        zf.writestr("a.txt", "a")


def fatal_rows(findings: list[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for row in findings:
        if row["severity"] == "fatal":
            out.setdefault(row["file"], []).append(row)
    return out


def test_run_completes_with_exit_0_and_no_traceback(corpus_run):
    proc, *_ = corpus_run
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr and 'File "' not in proc.stderr, proc.stderr
    # library warnings about broken PDFs go to the log file, not the terminal
    assert proc.stderr.strip() == "", proc.stderr
    assert proc.stdout.startswith("perfaudit: ")


def test_every_file_appears_once(corpus_run):
    _, findings, forms, summary, files = corpus_run
    fatal = fatal_rows(findings)
    with_forms = {f["source"]["file"] for f in forms}
    ignored = set(summary["ignored"])
    assert set(files) == set(fatal) | with_forms | ignored
    assert not set(fatal) & with_forms, "a file is either read or one fatal row"
    assert not ignored & (set(fatal) | with_forms), "an ignored file is in no output"
    assert all(len(rows) == 1 for rows in fatal.values())
    assert summary["files_seen"] == len(files) - len(ignored) == summary["processed"]


def test_broken_inputs_of_every_type_are_fatal_with_a_reason(corpus_run):
    _, findings, _, summary, _ = corpus_run
    fatal = fatal_rows(findings)
    got = {}
    for name in BROKEN_EXPECTED:
        path = f"{BROKEN}/{name}"
        got[name] = "ignored" if path in summary["ignored"] else fatal[path][0]["rule"]
    assert got == BROKEN_EXPECTED
    messages = {
        name: fatal[f"{BROKEN}/{name}"][0]["message"]
        for name, rule in got.items()
        if rule != "ignored"
    }
    assert "压缩炸弹" in messages["bomb.xlsx"] and "压缩炸弹" in messages["bomb.docx"]
    assert "像素" in messages["bomb.png"]
    assert "内容是图片" in messages["png_named.xlsx"]
    assert "另存为" in messages["old_word.doc"]
    assert all("Traceback" not in m and "内部错误" not in m for m in messages.values()), messages


def test_summary_has_the_contract_keys(corpus_run):
    *_, summary, files = corpus_run
    assert set(SUMMARY_KEYS) <= set(summary)
    assert summary["failed"] == sum(
        n for rule, n in summary["by_status"].items() if rule not in ("ok", "NO_FORM_FOUND")
    )


def test_the_manifest_is_covered():
    listed = set(manifest())
    on_disk = set(corpus_files()) - {"MANIFEST.tsv"}
    assert on_disk == listed
    named = NEED_USER_PASSWORD | READABLE_ENCRYPTED | MUST_BE_CORRUPT | set(RECOVERED_BY_PDFIUM)
    assert named <= listed


def test_each_corpus_file_gets_the_rule_the_manifest_asks_for(corpus_run):
    _, findings, forms, _, _ = corpus_run
    fatal = fatal_rows(findings)
    wrong = []
    ignored = set(corpus_run[3]["ignored"])
    for name, row in manifest().items():
        got = fatal[name][0]["rule"] if name in fatal else "ignored" if name in ignored else "forms"
        allowed = expected_rule(name, row)
        if got not in allowed:
            wrong.append(
                f"{name}: {got}, expected {sorted(allowed)} ({row['robust_pipeline_should']})"
            )
    assert not wrong, "\n".join(wrong)
    assert "MANIFEST.tsv" in ignored and "MANIFEST.tsv" not in fatal  # named, not a finding


def test_no_file_times_out(corpus_run):
    _, findings, *_ = corpus_run
    assert not [r["file"] for r in findings if r["rule"] == "TIMEOUT"]


def test_recovered_files_report_the_pages_pdfium_found(corpus_run):
    _, findings, *_ = corpus_run
    fatal = fatal_rows(findings)
    for name, pages in RECOVERED_BY_PDFIUM.items():
        assert f"共{pages}页" in fatal[name][0]["message"], fatal[name][0]


def test_fatal_rows_carry_hash_and_a_chinese_message(corpus_run):
    _, findings, *_ = corpus_run
    for row in findings:
        if row["severity"] != "fatal":
            continue
        assert row["message"] and any("\u4e00" <= ch <= "\u9fff" for ch in row["message"]), row
        assert len(row["sha256"]) == 64, row


def test_samples_among_the_corpus_are_read_in_full(corpus_run):
    _, findings, forms, _, _ = corpus_run
    fatal = fatal_rows(findings)
    samples = sorted(f"samples_{p.name}" for p in SAMPLES.glob("*.pdf"))
    assert samples and not set(samples) & set(fatal)
    per_file: dict[str, int] = {}
    for form in forms:
        per_file[form["source"]["file"]] = per_file.get(form["source"]["file"], 0) + 1
    assert all(per_file.get(s, 0) >= 1 for s in samples)
    assert per_file["samples_jiangqiao_2024_annex.pdf"] >= 6


def test_a_pdf_with_no_pages_is_told_from_a_truncated_one():
    """Both give pdfminer 0 pages and PDFium an error; only the intact one says /Count 0."""
    from perfaudit.pipeline.worker import process_file

    empty = process_file(CORPUS / "pages" / "qpdf_zero-pages.pdf")
    assert (empty.fatal.rule, empty.fatal.message) == (
        "NO_FORM_FOUND",
        "文件是完整的PDF，但没有任何页面",
    )
    cut = process_file(CORPUS / "corrupt" / "derived_tabula_schools_truncated-50pct.pdf")
    assert cut.fatal.rule == "CORRUPT" and "不完整" in cut.fatal.message
    mangled = process_file(CORPUS / "corrupt" / "pdfjs_REDHAT-1531897-0.pdf")
    assert mangled.fatal.rule == "CORRUPT"
