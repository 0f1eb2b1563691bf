"""Read one of ftstack's shipped YAML data files and validate it against its schema."""

from __future__ import annotations

from importlib import resources
from typing import TypeVar

import yaml
from pydantic import BaseModel

from ftstack.catalog.errors import CatalogError

Schema = TypeVar("Schema", bound=BaseModel)

# libyaml's loader when the wheel has it: the data files load on every command.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_data_file(package: str, name: str, schema: type[Schema]) -> Schema:
    """`<package>/data/<name>` parsed and validated; CatalogError naming the file when it is invalid."""
    text = resources.files(package).joinpath(f"data/{name}").read_text(encoding="utf-8")
    label = f"{package.replace('.', '/')}/data/{name}"
    try:
        return schema.model_validate(yaml.load(text, Loader=_Loader))
    except (ValueError, yaml.YAMLError) as exc:
        raise CatalogError(f"{label} is invalid: {exc}") from exc
