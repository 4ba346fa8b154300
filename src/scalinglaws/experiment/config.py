"""A config as the workflow runs it: the user's files merged over ``config.yaml``, checked
against ``workflow/schemas/config.schema.yaml`` and completed with its defaults.

The schema is the one home of every default: the workflow (``validate`` in the Snakefile),
configs built in code (``Sweep``, ``plan``) and the ``scalinglaws`` command's flags
(``default``) all read them from there.
"""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path

import yaml

from scalinglaws import ScalingLawsError

SCHEMA = "workflow/schemas/config.schema.yaml"
# The workflow's directory: the package is installed from its checkout (pip install -e .).
WORKFLOW = Path(__file__).resolve().parents[3]


def schema_path(workdir: str | Path | None = None) -> Path:
    path = Path(workdir or WORKFLOW) / SCHEMA
    if not path.is_file():
        raise ScalingLawsError(f"{path}: the config schema is not there; run from the workflow's directory")
    return path


@cache
def _schema(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def default(key: str):
    """The schema's default of a dotted config key, e.g. ``default("training.weight_decay")``;
    of a section, every default in it (``default("fit")``)."""
    node = _schema(schema_path())
    for part in key.split("."):
        node = node["properties"][part]
    return _defaults_of(node, key)


def _defaults_of(node: dict, key: str):
    if "properties" in node:
        return {k: _defaults_of(sub, f"{key}.{k}") for k, sub in node["properties"].items() if "default" in sub}
    if "default" not in node:
        raise KeyError(f"{key} has no default in {SCHEMA}")
    return copy.deepcopy(node["default"])


@cache
def _validator(path: Path):
    """A JSON-schema validator of the schema at ``path`` that fills in each property's
    default before checking it (the recipe of jsonschema's FAQ; Snakemake's ``validate``
    does the same). Made once per schema: every ``Sweep`` validates its config."""
    from jsonschema import Draft202012Validator, validators

    schema = _schema(path)

    check_properties = Draft202012Validator.VALIDATORS["properties"]

    def properties(validator, props, instance, schema):
        if isinstance(instance, dict):
            for name, sub in props.items():
                if "default" in sub:
                    instance.setdefault(name, copy.deepcopy(sub["default"]))
        yield from check_properties(validator, props, instance, schema)

    return validators.extend(Draft202012Validator, {"properties": properties})(schema)


def with_defaults(config: dict, workdir: str | Path | None = None) -> dict:
    """A copy of ``config`` with every default filled in; an error naming the first setting
    the schema rejects."""
    from jsonschema import ValidationError

    out = copy.deepcopy(config)
    try:
        _validator(schema_path(workdir)).validate(out)
    except ValidationError as e:
        where = ".".join(map(str, e.absolute_path)) or "config"
        raise ScalingLawsError(f"{where}: {e.message}") from None
    return out


def load_config(paths: list[str | Path], workdir: str | Path = ".") -> dict:
    """The config Snakemake would run with ``--configfile paths…`` in ``workdir``."""
    from snakemake.utils import update_config

    workdir = Path(workdir)
    config: dict = {}
    for path in [workdir / "config.yaml", *map(Path, paths)]:
        if path == workdir / "config.yaml" and not path.is_file() and paths:
            continue
        try:
            update_config(config, yaml.safe_load(path.read_text()) or {})
        except (OSError, yaml.YAMLError) as e:
            raise ScalingLawsError(f"{path}: cannot be read as YAML ({e})") from None
    try:
        return with_defaults(config, workdir)
    except ScalingLawsError as e:
        raise ScalingLawsError(f"config: {e}") from None
