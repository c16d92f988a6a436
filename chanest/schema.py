"""The configuration schema base: strict models, one-line errors, the one YAML reader.

Every user-facing configuration (scenario, experiment, sweep) is a tree of
:class:`Strict` models: unknown fields, non-finite numbers and mutation are
refused. Validation failures become a :class:`ConfigError` whose message is one
line naming the field and what is allowed (:func:`format_validation_error`).
YAML is parsed only here, with ``yaml.safe_load`` (:func:`parse_yaml`,
:func:`read_yaml_mapping`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    PlainValidator,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError

__all__ = ["ConfigError", "Strict", "Range", "tags_of", "tagged_union", "format_validation_error",
           "parse_yaml", "read_yaml_mapping", "validate", "argument_named"]


class ConfigError(ValueError):
    """Invalid user input (config, file or argument); the message is one line.

    ``ConfigError(text)``: ``text`` starts with what it is about (a config field, a
    file: ``"pilots.offset: ..."``). ``ConfigError(text, arg=NAME)``: about the library
    argument NAME; the message is ``NAME: text`` and ``arg`` remembers NAME, so a front
    end can translate it into its own spelling (a CLI flag). ``arg`` is None otherwise.
    """

    def __init__(self, text: str, *, arg: str | None = None):
        super().__init__(text if arg is None else f"{arg}: {text}")
        self.arg = arg

    def __reduce__(self):
        """Pickles (e.g. from a worker process) with its message and ``arg`` unchanged."""
        return _restore_config_error, (str(self), self.arg)


def _restore_config_error(message: str, arg: str | None) -> ConfigError:
    err = ConfigError(message)
    err.arg = arg
    return err


@contextmanager
def argument_named(old: str, new: str) -> Iterator[None]:
    """Re-raise a :class:`ConfigError` about argument ``old`` as one about ``new``
    (a caller that passes its own argument on under another name)."""
    try:
        yield
    except ConfigError as err:
        if err.arg != old:
            raise
        raise ConfigError(str(err)[len(old) + 2:], arg=new) from None


class Strict(BaseModel):
    """Base of every config model: unknown fields, inf/NaN and mutation are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _known_fields(cls, data: Any) -> Any:
        """An unknown key is refused with the model's own fields listed (runs after the
        subclasses' own before-validators, which may rename or drop keys)."""
        if isinstance(data, dict):
            unknown = [k for k in data if k not in cls.model_fields]
            if unknown:
                raise PydanticCustomError(
                    "unknown_field", "unknown field {name}; allowed: {allowed}",
                    {"name": repr(unknown[0]), "allowed": ", ".join(cls.model_fields)})
        return data


def _as_range(value: Any) -> Any:
    """Accept ``x`` or ``[lo, hi]`` and return ``(lo, hi)`` with lo <= hi."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if not math.isfinite(value):
            raise ValueError(f"must be a finite number, got {value!r}")
        return (float(value), float(value))
    if isinstance(value, (list, tuple)) and len(value) == 2:
        lo, hi = value
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
            raise ValueError(f"must be a number or [low, high], got {value!r}")
        if not all(math.isfinite(v) for v in value):
            raise ValueError(f"must be finite numbers, got {list(value)!r}")
        if lo > hi:
            raise ValueError(f"low must not exceed high, got [{lo}, {hi}]")
        return (float(lo), float(hi))
    raise ValueError(f"must be a number or [low, high], got {value!r}")


#: a number ``x`` (read as ``[x, x]``) or ``[low, high]``, stored as a (lo, hi) tuple
Range = Annotated[tuple[float, float], BeforeValidator(_as_range)]

def tags_of(member: type[Strict], key: str) -> tuple:
    """The tags a member of a tagged union answers to: the values of its ``Literal`` field
    ``key``."""
    return tuple(member.model_fields[key].annotation.__args__)


def tagged_union(table: Callable[[], Iterable[type[Strict]]], key: str):
    """A field type holding one member of ``table()``, chosen by the input's tag ``key``.

    The table is read at every validation, so a member added to it later (a new channel
    model, a new pilot pattern) is accepted without touching the models that hold the
    field. Errors read as pydantic's own for a discriminated union, located at the field
    (the member's fields below it)."""

    def pick(value: Any) -> Strict:
        members = tuple(table())
        if isinstance(value, members):
            return value
        if not isinstance(value, dict):
            raise PydanticCustomError("model_attributes_type", "Input should be a valid "
                                      "dictionary or object to extract fields from")
        if key not in value:
            raise PydanticCustomError("union_tag_not_found", "Unable to extract tag using "
                                      "discriminator {discriminator}",
                                      {"discriminator": repr(key)})
        member = next((m for m in members if value[key] in tags_of(m, key)), None)
        if member is None:
            expected = ", ".join(repr(t) for m in members for t in tags_of(m, key))
            raise PydanticCustomError(
                "union_tag_invalid", "Input tag '{tag}' found using {discriminator} does not "
                "match any of the expected tags: {expected_tags}",
                {"tag": str(value[key]), "discriminator": repr(key), "expected_tags": expected})
        return member.model_validate(value)

    return Annotated[Any, PlainValidator(pick)]


def _loc_to_str(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def format_validation_error(err: ValidationError, prefix: str = "") -> str:
    """One line: ``field.path: what is allowed (got value)``."""
    first = err.errors()[0]
    loc = ".".join(p for p in [prefix, _loc_to_str(tuple(first["loc"]))] if p)
    msg = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        msg = "unknown field"
    elif first["type"] == "missing":
        msg = "required field is missing"
    inp = first.get("input")
    if first["type"] not in ("missing", "extra_forbidden", "value_error", "unknown_field") and \
            not isinstance(inp, (dict, list)):
        msg += f" (got {inp!r})"
    extra = f" ({len(err.errors()) - 1} more)" if len(err.errors()) > 1 else ""
    # a model-level check names its own field(s) in the message
    return (f"{loc}: {msg}{extra}" if loc else f"{msg}{extra}").replace("\n", " ")


def validate(model: type[Strict], data: Any, source: str, empty_ok: bool = False):
    """``model`` validated from a mapping; ConfigError ``source: field: ...`` on failure.

    ``empty_ok``: an empty document (None) is read as ``{}``.
    """
    if data is None and empty_ok:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: top level must be a mapping of fields, got "
                          f"{type(data).__name__}")
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise ConfigError(f"{source}: {format_validation_error(err)}") from None


def parse_yaml(text: str, source: str) -> Any:
    """``yaml.safe_load`` of a text; ConfigError naming ``source`` if it is not YAML."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{source}: invalid YAML{where}") from None


def read_yaml_mapping(path: str | Path, what: str = "path"):
    """Parse a YAML file (ConfigError on a missing, non-text or invalid file; a missing
    file is reported as argument ``what``)."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"file not found: {path}", arg=what)
    try:
        text = path.read_text()
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not a UTF-8 text file") from None
    return parse_yaml(text, str(path))
