"""A workbook number as a person sees it printed: Excel's number format applied.

A cell holds 0.88 and shows `88%` (format `0%`); it holds 5 and shows `5.00`
(`0.00`). The form is audited as printed, so the printed text is what a value
reads as. Thousands separators are left out (the text stays a plain number
for the value parser); literal text in the format (`0.00"万元"`) is kept.
Only the parts forms use are implemented: sections, percent, fixed decimals,
literals, padding; anything else falls back to the number itself.
"""

from __future__ import annotations

import datetime as dt
import re

_QUOTED = re.compile(r'"([^"]*)"')
_BRACKET = re.compile(r"\[[^\]]*\]")  # colours, conditions, locales
_PAD = re.compile(r"[_*\\](.|$)")  # `_)` padding, `*-` fill, `\x` escaped char
_NUMBER = re.compile(r"[0#?][0#?,]*(?:\.([0#?]*))?")


def _sections(fmt: str) -> list[str]:
    out, cur, quoted = [], "", False
    for ch in fmt:
        if ch == '"':
            quoted = not quoted
        if ch == ";" and not quoted:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    out.append(cur)
    return out


def general(value: float) -> str:
    """Excel's General: an integral value without decimals, else up to 10 significant digits."""
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    text = f"{value:.10g}"
    if "e" in text:  # General switches to scientific only for extreme values
        text = f"{value:.10f}".rstrip("0").rstrip(".")
    return text


def format_number(value: float, fmt: str | None) -> str:
    """`value` printed with the number format `fmt` (None or General: as Excel's General)."""
    fmt = fmt or "General"
    if fmt.strip().lower() in ("general", "@", ""):
        return general(value)
    sections = _sections(fmt)
    section = sections[0]
    sign = "-" if value < 0 else ""
    if value < 0 and len(sections) > 1:
        section, sign = sections[1], ""  # the negative section prints its own sign
        if "-" not in section and "(" not in section:
            sign = "-"
    literals: list[str] = []

    def keep(match: re.Match) -> str:
        literals.append(match.group(1))
        return chr(0xE000 + len(literals) - 1)  # a placeholder no digit pattern matches

    body = _QUOTED.sub(keep, section)
    body = _BRACKET.sub("", body)
    body = _PAD.sub(lambda m: m.group(0)[1] if m.group(0)[0] == "\\" else "", body)
    if body.lower().strip() in ("general", ""):
        number = general(abs(value))
        text = body.lower().replace("general", number) if body.strip() else number
    else:
        found = _NUMBER.search(body)
        if found is None:  # a format with no digits (text only): Excel prints the literal
            text = body
        else:
            scaled = abs(value) * (100 ** body.count("%"))
            decimals = len(found.group(1) or "")
            number = f"{scaled:.{decimals}f}"
            text = body[: found.start()] + number + body[found.end() :]
    for i, literal in enumerate(literals):
        text = text.replace(chr(0xE000 + i), literal)
    return (sign + text).strip()


def format_value(value: object, fmt: str | None) -> str:
    """Any cell value as printed: text as is, numbers formatted, dates as dates."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return format_number(float(value), fmt)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)
