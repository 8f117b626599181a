"""Results as JSON and back: how state.sqlite stores a FileResult (and the remembered
forms, the spill's findings). Plain JSON rebuilt into the model's dataclasses, never
pickles: a new perfaudit neither crashes on old rows nor runs code from the database.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from collections.abc import Callable
from typing import Any

from perfaudit.model import Form
from perfaudit.pipeline.worker import FileResult


def encode_result(result: FileResult) -> str:
    """A FileResult as JSON text (every field of every dataclass in it)."""
    return json.dumps(dataclasses.asdict(result), ensure_ascii=False, separators=(",", ":"))


def _form_json(form: Form) -> str:
    return json.dumps(dataclasses.asdict(form), ensure_ascii=False, separators=(",", ":"))


def decode_result(text: str) -> FileResult:
    """The FileResult that encode_result wrote; ValueError if it does not fit the model."""
    return _decode(FileResult, json.loads(text))


def decode_as(cls: type, text: str) -> Any:
    """A dataclass of the model (Form, Finding) from the JSON of its dataclasses.asdict."""
    return _decode(cls, json.loads(text))


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls)
    return _HINTS[cls]


def _decode(tp: Any, value: Any) -> Any:
    return _decoder(tp)(value)


_DECODERS: dict[Any, Callable[[Any], Any]] = {}


def _decoder(tp: Any) -> Callable[[Any], Any]:
    """A function that rebuilds a value of type `tp` from its JSON, made once per type: the
    type hints are read when it is made, not for every value (decoding is a nightly job's
    main cost on an unchanged night)."""
    found = _DECODERS.get(tp)
    if found is None:
        found = _DECODERS[tp] = _make_decoder(tp)
    return found


def _make_decoder(tp: Any) -> Callable[[Any], Any]:
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        hints = _hints(tp)
        names = [f.name for f in dataclasses.fields(tp) if f.init]
        plan: list[tuple[str, Callable[[Any], Any]]] = []

        def decode_dataclass(value: Any) -> Any:
            if value is None:
                return None
            if not isinstance(value, dict):
                raise ValueError(f"{tp.__name__}: expected an object")
            if not plan:  # filled on first use: a type may refer to itself
                plan.extend((n, _decoder(hints[n])) for n in names)
            kwargs = {name: dec(value[name]) for name, dec in plan if name in value}
            try:
                return tp(**kwargs)
            except TypeError as exc:  # a required field the stored row lacks
                raise ValueError(str(exc)) from None

        return decode_dataclass
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        return _decoder(inner[0]) if len(inner) == 1 else _as_is
    if origin is list:
        item = _decoder(args[0])
        return lambda value: None if value is None else [item(v) for v in value]
    if origin is tuple:
        return lambda value: None if value is None else tuple(value)
    if origin is dict:
        item = _decoder(args[1])
        return lambda value: None if value is None else {k: item(v) for k, v in value.items()}
    return _as_is


def _as_is(value: Any) -> Any:
    return value
