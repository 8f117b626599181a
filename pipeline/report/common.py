"""Vocabulary and small helpers every part of the report shares: severities, rule names,
anchors, escaping."""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable
from datetime import UTC, datetime

from perfaudit.model import Finding

SEVERITIES = ("error", "warning", "info", "fatal", "review")
SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}
SEVERITY_LABEL = {"error": "错误", "warning": "警告", "info": "提示", "fatal": "无法读取"}
SEVERITY_LABEL["review"] = "待核对"  # an OCR doubt: compare the value with the picture

RULE_NAMES = {
    "FUND_RATE": "执行率计算不符",
    "FUND_SCORE": "资金得分计算不符",
    "FUND_SUM": "资金合计不符",
    "FUND_OVERSPEND": "执行数超预算",
    "FUND_ZERO_BUDGET": "预算数为零",
    "WEIGHT_SUM": "分值合计不符",
    "SCORE_SUM": "得分合计不符",
    "SCORE_RANGE": "得分超出分值范围",
    "GRADE": "评分等级不符",
    "MISSING_LEVEL1": "缺少一级指标",
    "LEVEL2_MISPLACED": "二级指标归类错误",
    "UNKNOWN_LABEL": "指标名称无法识别",
    "TARGET_UNMET_FULL_SCORE": "未达标却得满分",
    "OVER_SCORED": "评分偏高",
    "UNDER_SCORED": "评分偏低",
    "TARGET_MET_LOW_SCORE": "已达标却扣分",
    "TARGET_TOO_LOW": "指标值可能偏低",
    "QUALITATIVE_BAND": "定性评分超出档次",
    "QUALITATIVE_BOUNDARY": "定性评分处于档次边界",
    "MISSING_DEVIATION_REASON": "缺少偏差原因",
    "UNIT_MISMATCH": "计量单位不一致",
    "DUPLICATE_INDICATOR": "指标疑似套用模板",
    "MISSING_VALUE": "缺少数值",
    "UNPARSEABLE_VALUE": "数值无法解析",
    "LOW_CONFIDENCE": "识别置信度低",
    "TARGET_LOWERED": "指标值较上年调低",
    "TEXT_REPEATED": "文字照抄上年",
    "OVERACHIEVED_NO_REASON": "超额完成未说明原因",
    "FRAMEWORK_MIXED": "混用两套指标体系",
    "INPUT_AS_OUTCOME": "以资金投入作效益指标",
    "VAGUE_TARGET": "指标值未量化",
    "WEIGHT_SPLIT": "一级指标分值偏离",
    "GOAL_CONTRADICTS": "完成情况与表内数据矛盾",
    "NO_FORM_FOUND": "未找到自评表",
    "ENCRYPTED": "文件已加密",
    "CORRUPT": "文件无法读取",
    "TIMEOUT": "处理超时",
}

STATUS_LABEL = {"new": "今晚新增", "waived": "已豁免"}


def finding_anchor(finding: Finding) -> str:
    """The id of a finding in the report: the `key` column of findings.csv when the nightly
    job has set it (so `report.html#<key>` opens the row's finding), else
    `f:file:form:rule:indicator`.

    White space (not allowed in an HTML id) becomes `_`. The report adds `~2`,
    `~3`… when several findings share a key. In a URL, percent-encode it
    (`report.html#` + urllib.parse.quote(anchor)).
    """
    if finding.key:
        return finding.key
    form = "" if finding.form is None else str(finding.form)
    key = ":".join(("f", finding.file, form, finding.rule, finding.indicator or ""))
    return re.sub(r"\s+", "_", key)


def form_anchor(file: str, index: int | None) -> str:
    return re.sub(r"\s+", "_", f"form:{file}:{'' if index is None else index}")


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _search_text(*values: object) -> str:
    joined = " ".join("" if v is None else str(v) for v in values)
    return unicodedata.normalize("NFKC", joined).lower()


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _pages_label(pages: Iterable[int]) -> str:
    pages = sorted(set(p for p in pages if p))
    if not pages:
        return ""
    if len(pages) > 1 and pages[-1] - pages[0] == len(pages) - 1:
        return f"第{pages[0]}–{pages[-1]}页"
    return "第" + "、".join(str(p) for p in pages) + "页"


def _rule_name(rule: str) -> str:
    return RULE_NAMES.get(rule, rule)


def _rule_sev(rule: str) -> str:
    try:
        from perfaudit.scoring.context import SEVERITY
    except ImportError:  # pragma: no cover
        return "info"
    return SEVERITY.get(rule, "info")


def local_time(timestamp: object) -> str:
    """A run's UTC timestamp (`2026-12-01T18:30:00Z`) as the reader's local time (`TZ`):
    `2026-12-02 02:30 (UTC+08:00)`; text that is not a timestamp is shown as it is."""
    text = "" if timestamp is None else str(timestamp)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone()
    offset = local.strftime("%z")
    return f"{local:%Y-%m-%d %H:%M} (UTC{offset[:3]}:{offset[3:]})"
