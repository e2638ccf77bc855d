"""Reading the configuration tree once, at the edge: opsbot.yaml, then the environment.

The file named by OPSBOT_CONFIG (optional) gives values by section and field name; each
setting's environment variable overrides it. A credential may instead come from a file
(``<VARIABLE>_FILE``, or ``<field>_file`` in opsbot.yaml), which is how Kubernetes mounts
Secrets. Every problem is an InputError naming the variable (or the file and line), and
an OPSBOT_* variable that names no setting is one: a misspelling must not pass unnoticed.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, get_args

from pydantic import SecretStr, ValidationError
from pydantic.fields import FieldInfo

from assistant.config.tree import OpsbotConfig
from assistant.errors import InputError
from assistant.setting import env_name, list_separator
from assistant.yamlfile import LineMap, parse_yaml

CONFIG_FILE_ENV = "OPSBOT_CONFIG"
FILE_SUFFIX = "_FILE"
ENV_SOURCE = "environment"
DEFAULT_ORIGIN = "default"
# Read by the test suite and the benchmarks, never by opsbot itself.
NOT_SETTINGS = frozenset({"OPSBOT_TEST_PG", "OPSBOT_BENCH_PG"})
# pydantic error types that mean "this text is not a number"; said plainly instead.
_NUMBER_PARSING = frozenset({"float_parsing", "int_parsing", "int_from_float", "float_type",
                             "int_type"})

Key = tuple[str, str]  # (section, field)


@dataclass(frozen=True)
class Variable:
    """One setting: where it sits in the tree and the environment variable naming it."""

    section: str
    field: str
    env: str
    info: FieldInfo

    @property
    def secret(self) -> bool:
        return _holds_secret(self.info.annotation)

    @property
    def key(self) -> Key:
        return (self.section, self.field)


def _holds_secret(annotation: Any) -> bool:
    return annotation is SecretStr or any(_holds_secret(a) for a in get_args(annotation))


@cache
def variables() -> tuple[Variable, ...]:
    """Every setting of the tree, in declaration order."""
    found: list[Variable] = []
    for section, section_field in OpsbotConfig.model_fields.items():
        model = section_field.annotation
        for name, info in model.model_fields.items():  # type: ignore[union-attr]
            env = env_name(info)
            if env is not None:
                found.append(Variable(section, name, env, info))
    return tuple(found)


@dataclass(frozen=True)
class LoadedConfig:
    tree: OpsbotConfig
    origins: Mapping[Key, str]  # where each value that is not a default came from

    def origin(self, variable: Variable) -> str:
        return self.origins.get(variable.key, DEFAULT_ORIGIN)


def load_config(env: Mapping[str, str], *, extra_names: Iterable[str] = ()) -> LoadedConfig:
    """The tree from OPSBOT_CONFIG's file and ``env``; ``extra_names`` are variables that
    plugins read themselves, so they are not refused as unknown."""
    _refuse_unknown(env, frozenset(extra_names))
    data: dict[str, dict[str, Any]] = {}
    origins: dict[Key, str] = {}
    raw_values: dict[Key, str] = {}
    set_by: dict[Key, str] = {}  # the variable that set a value
    lines: LineMap | None = None
    path_text = env.get(CONFIG_FILE_ENV, "").strip()
    if path_text:
        lines = _read_file(Path(path_text), data, origins)
    for variable in variables():
        value, name, origin = _from_env(env, variable)
        if name is not None:
            data.setdefault(variable.section, {})[variable.field] = value
            origins[variable.key] = origin
            set_by[variable.key] = name
            if not variable.secret and isinstance(value, str):
                raw_values[variable.key] = value
    try:
        config = OpsbotConfig.model_validate(data)
    except ValidationError as exc:
        raise _located(exc, set_by, raw_values, path_text, lines) from None
    return LoadedConfig(config, origins)


def _refuse_unknown(env: Mapping[str, str], extra: frozenset[str]) -> None:
    known = {v.env for v in variables()}
    known |= {v.env + FILE_SUFFIX for v in variables() if v.secret}
    allowed = known | extra | NOT_SETTINGS | {CONFIG_FILE_ENV}
    for name in sorted(env):
        if name.startswith("OPSBOT_") and name not in allowed:
            close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.8)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise InputError(f"not a setting{hint}; `opsbot config docs` lists them all",
                             source=ENV_SOURCE, field=name)


def _from_env(env: Mapping[str, str], variable: Variable) -> tuple[Any, str | None, str]:
    """The value, the variable that set it (None: unset) and how to show where it came from."""
    raw = env.get(variable.env, "").strip()
    file_var = variable.env + FILE_SUFFIX
    secret_file = env.get(file_var, "").strip() if variable.secret else ""
    if raw and secret_file:
        raise InputError(f"set {variable.env} or {file_var}, not both", source=ENV_SOURCE,
                         field=file_var)
    if secret_file:
        return (_secret_from(Path(secret_file), file_var), file_var,
                f"{file_var} ({secret_file})")
    if not raw:
        return None, None, DEFAULT_ORIGIN
    separator = list_separator(variable.info)
    if separator is not None:
        return (tuple(p.strip() for p in raw.split(separator) if p.strip()), variable.env,
                ENV_SOURCE)
    return raw, variable.env, ENV_SOURCE


def _secret_from(path: Path, setting_name: str) -> str:
    try:
        text = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the credential file: {exc}", source=str(path),
                         field=setting_name) from None
    if not text:
        # An empty mount (a Secret key that is not there yet) must not pass as a credential.
        raise InputError("the credential file is empty", source=str(path), field=setting_name)
    return text


def _read_file(path: Path, data: dict[str, dict[str, Any]],
               origins: dict[Key, str]) -> LineMap:
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the configuration file: {exc}", source=source,
                         field=CONFIG_FILE_ENV) from None
    document, lines = parse_yaml(text, source)
    if document is None:
        return lines
    if not isinstance(document, dict):
        raise InputError("expected sections (core:, slack:, llm:, ...) at the top level",
                         source=source, line=1)
    secrets = {v.key: v for v in variables() if v.secret}
    for section, values in document.items():
        if not isinstance(values, dict):
            data[section] = values  # the model names what a section must be
            continue
        copied = dict(values)
        for name in list(copied):
            field = name.removesuffix("_file")
            if name.endswith("_file") and (section, field) in secrets:
                if field in copied:
                    raise InputError(f"set {field} or {name}, not both", source=source,
                                     line=lines.line_of((section, name)),
                                     field=f"{section}.{name}")
                copied[field] = _secret_from(Path(str(copied.pop(name))), f"{section}.{name}")
        data[str(section)] = copied
        for name in copied:
            line = lines.line_of((section, name))
            origins[(str(section), str(name))] = f"{source}:{line}"
    return lines


def _located(exc: ValidationError, set_by: Mapping[Key, str], raw_values: Mapping[Key, str],
             config_file: str, lines: LineMap | None) -> InputError:
    error = exc.errors(include_url=False)[0]
    loc = tuple(str(p) for p in error["loc"])
    message = error["msg"].removeprefix("Value error, ")
    key = (loc[0], loc[1]) if len(loc) >= 2 else ("", "")
    raw = raw_values.get(key)
    if error["type"] in _NUMBER_PARSING and raw is not None:
        message = f"expected a number, got {raw!r}"
    elif error["type"] != "value_error" and raw is not None:
        message += f" (got {raw!r})"
    if key in set_by:
        return InputError(message, source=ENV_SOURCE, field=set_by[key])
    return InputError(message, source=config_file or ENV_SOURCE,
                      line=lines.line_of(loc) if lines else None, field=".".join(loc) or None)
