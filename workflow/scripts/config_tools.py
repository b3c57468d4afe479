"""Configuration helpers used by rules/common.smk before schema validation.

``snakemake --config 'knn={k: 7}'`` parses nested values with YAML's BaseLoader, so every
nested scalar arrives as a string. :func:`coerce_to_schema` converts such strings to the
type the schema asks for (integer, number, boolean, null), so the command line works for
nested keys as it does for top-level ones.
"""

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
    if isinstance(config, str):
        types = schema.get("type", [])
        types = [types] if isinstance(types, str) else list(types)
        if types and types != ["string"]:
            return _coerce_scalar(config, types)
    return config
