"""Check responses against the OpenAPI document that ships with the extension."""

from functools import cache
from pathlib import Path

import jsonschema
import yaml
from referencing import Registry, Resource

import jupyter_dl

SPEC_PATH = Path(jupyter_dl.__file__).parent / "openapi.yaml"


@cache
def spec() -> dict:
    return yaml.safe_load(SPEC_PATH.read_text())


def validate(instance, schema_name: str) -> None:
    """Raise if ``instance`` does not match ``components/schemas/<schema_name>``."""
    document = spec()
    registry = Registry().with_resource("urn:spec", Resource.opaque(document))
    schema = {"$ref": f"urn:spec#/components/schemas/{schema_name}"}
    jsonschema.Draft202012Validator(schema, registry=registry).validate(instance)
