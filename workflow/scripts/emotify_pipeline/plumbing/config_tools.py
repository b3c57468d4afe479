"""Configuration helpers used before schema validation (:func:`plumbing.preflight.checked_config`).

``snakemake --config 'knn={k: 7}'`` parses nested values with YAML's BaseLoader, so every
nested scalar arrives as a string. :func:`coerce_to_schema` converts such strings to the
type the schema asks for (integer, number, boolean, null), so the command line works for
nested keys as it does for top-level ones.
"""

import difflib
from typing import Any


def _coerce_scalar(value: str, types: list[str]) -> Any:
    text = value.strip()
    if "null" in types and text.lower() in ("null", "none", "~", ""):
        return None
    if "boolean" in types and text.lower() in ("true", "false"):
        return text.lower() == "true"
    if "integer" in types:
        try:
            return int(text)
        except ValueError:
            pass
    if "number" in types:
        try:
            return float(text)
        except ValueError:
            pass
    return value


def coerce_to_schema(config: Any, schema: dict[str, Any]) -> Any:
    """Return ``config`` with string scalars converted to the types ``schema`` declares.

    Only strings are touched, and only where the schema's ``type`` excludes ``string`` or
    the string cannot be anything else; everything else is returned unchanged, so the
    validator still reports genuine type errors.
    """
    if isinstance(config, dict):
        props = schema.get("properties", {})
        return {k: coerce_to_schema(v, props.get(k, {})) for k, v in config.items()}
    if isinstance(config, list):
        return [coerce_to_schema(v, schema.get("items", {})) for v in config]
    if isinstance(config, str):
        types = schema.get("type", [])
        types = [types] if isinstance(types, str) else list(types)
        if types and types != ["string"]:
            return _coerce_scalar(config, types)
    return config


def unknown_key(config: Any, schema: dict[str, Any], where: str = "") -> str | None:
    """The first key of ``config`` that the schema does not know, named with its path and the
    closest valid key; None when every key is known."""
    if not isinstance(config, dict) or schema.get("type") != "object":
        return None
    props = schema.get("properties", {})
    for key, value in config.items():
        if key not in props and schema.get("additionalProperties", True) is False:
            close = difflib.get_close_matches(str(key), list(props), n=1, cutoff=0.5)
            hint = f"; did you mean '{where}{close[0]}'?" if close else ""
            return f"unknown key '{where}{key}'{hint} (valid keys here: {', '.join(props)})"
        found = unknown_key(value, props.get(key, {}), f"{where}{key}.")
        if found:
            return found
    return None


def config_problem(config: dict[str, Any], schema: dict[str, Any]) -> str | None:
    """One line naming what is wrong with ``config`` (unknown key, wrong type or value), or None."""
    from jsonschema import Draft202012Validator

    found = unknown_key(config, schema)
    if found:
        return found
    errors = sorted(Draft202012Validator(schema).iter_errors(config), key=lambda e: list(e.absolute_path))
    if not errors:
        return None
    err = errors[0]
    key = ".".join(str(p) for p in err.absolute_path) or "(top level)"
    return f"{key}: {err.message}"
