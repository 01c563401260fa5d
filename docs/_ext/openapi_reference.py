"""Render the platform's OpenAPI documents as pages of the docs.

The routes are written down once, in ``extensions/jupyter_dl/openapi.yaml``
(and the quota service's ``hub_config/jupyter_dl_hub/quotas/openapi.yaml``),
which the tests check the handlers against. This extension reads those files at
build time and writes each route as a ``sphinxcontrib-httpdomain`` entry (so
routes get the HTTP index and the ``{http:get}`` roles), with its parameters,
request body, responses and errors, and every schema as a table of fields.

Off-the-shelf renderers were tried first: ``sphinxcontrib-openapi`` 0.10 stops
on OpenAPI 3.1 schemas written with ``$ref`` and ``oneOf`` (no ``type`` key),
which the documents use throughout, and the JavaScript renderers (ReDoc,
Swagger UI) need a CDN or a bundled script. This one reads YAML and writes
MyST Markdown, nothing else, so the build stays offline.

Two directives, used in MyST pages:

- ``openapi-routes PATH`` with ``:paths:`` (route prefixes, ``/runs`` takes
  ``/runs`` and ``/runs/...``) and ``:exclude:`` (exact routes): the routes;
- ``openapi-schemas PATH``: every schema in ``components.schemas``.

Both take ``:key:``, the prefix of the schemas' labels, so two documents'
schemas of the same name stay apart. A route of the document that no page
shows is a warning, so ``-W`` fails the build when a route is added to the
document without being placed in the docs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml
from docutils import nodes
from docutils.parsers.rst import directives
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

logger = logging.getLogger(__name__)

METHODS = ("get", "put", "post", "patch", "delete", "head", "options")
STATUS_TEXT = {
    "200": "OK",
    "201": "Created",
    "202": "Accepted",
    "204": "No Content",
    "304": "Not Modified",
}
FENCE = "````"

_specs: dict[str, dict[str, Any]] = {}


def load_spec(path: Path) -> dict[str, Any]:
    """The document at ``path``, read once per build."""
    key = str(path)
    if key not in _specs:
        with path.open(encoding="utf-8") as stream:
            _specs[key] = yaml.safe_load(stream)
    return _specs[key]


def operations(spec: Mapping[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(method, path, operation) in the document's order."""
    for path, item in spec.get("paths", {}).items():
        for method in METHODS:
            if method in item:
                yield method, path, item[method]


def resolve(spec: Mapping[str, Any], node: Any) -> Any:
    """Follow a local ``$ref`` (``#/components/...``) to what it names."""
    while isinstance(node, Mapping) and "$ref" in node:
        target: Any = spec
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def schema_label(key: str, name: str) -> str:
    return f"{key}-schema-{name.lower()}"


CODE_SPAN = re.compile(r"(`+)(?:.+?)\1", re.DOTALL)


def markdown(text: Any) -> str:
    """A description from the document as MyST Markdown: ``<key>`` outside code spans
    is text there, not an HTML tag."""
    text = str(text).strip()
    parts, last = [], 0
    for span in CODE_SPAN.finditer(text):
        parts += [text[last : span.start()].replace("<", "\\<"), span.group(0)]
        last = span.end()
    parts.append(text[last:].replace("<", "\\<"))
    return "".join(parts)


def cell(text: Any) -> str:
    """Text fit for one cell of a Markdown table."""
    return " ".join(markdown(text).split()).replace("|", "\\|")


def sentences(parts: Iterable[str]) -> str:
    """Notes joined as sentences: ``Repeatable. Default `desc`.``"""
    done = [part if part.endswith((".", "!", "?")) else f"{part}." for part in parts if part]
    return " ".join(done)


def code(value: Any) -> str:
    text = value if isinstance(value, str) else yaml.safe_dump(value, default_flow_style=True)
    text = str(text).strip().removesuffix("...").strip()
    ticks = "``" if "`" in text else "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


class SchemaWriter:
    """Types and field tables of one document's schemas, as MyST Markdown."""

    def __init__(self, spec: Mapping[str, Any], key: str) -> None:
        self.spec = spec
        self.key = key

    def ref_name(self, node: Mapping[str, Any]) -> str | None:
        ref = node.get("$ref", "")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            return ref.rsplit("/", 1)[1]
        return None

    def link(self, name: str) -> str:
        return f"{{ref}}`{name} <{schema_label(self.key, name)}>`"

    def type_of(self, schema: Any) -> str:
        """A schema in a few words: ``string or null``, ``array of Run``, ``one of `a`, `b```."""
        if not isinstance(schema, Mapping) or not schema:
            return "any"
        name = self.ref_name(schema)
        if name:
            return self.link(name)
        if "const" in schema:
            return code(schema["const"])
        if "enum" in schema:
            return "one of " + ", ".join(code(v) for v in schema["enum"])
        for combinator, joiner in (("oneOf", " or "), ("anyOf", " or ")):
            if combinator in schema:
                return joiner.join(self.type_of(option) for option in schema[combinator])
        if "allOf" in schema:
            return " and ".join(self.type_of(part) for part in schema["allOf"])
        kinds = schema.get("type", "object" if "properties" in schema else "any")
        kinds = kinds if isinstance(kinds, list) else [kinds]
        words = [self._one_type(kind, schema) for kind in kinds]
        return " or ".join(words)

    def _one_type(self, kind: str, schema: Mapping[str, Any]) -> str:
        if kind == "array":
            items = schema.get("items")
            return f"array of {self.type_of(items)}" if items else "array"
        if kind == "object":
            extra = schema.get("additionalProperties")
            if isinstance(extra, Mapping) and not schema.get("properties"):
                return f"object of {self.type_of(extra)}"
            return "object"
        if kind == "string" and schema.get("format"):
            return f"string ({schema['format']})"
        return str(kind)

    def notes(self, schema: Any) -> str:
        """Description and constraints of a field, for its table cell."""
        if not isinstance(schema, Mapping):
            return ""
        parts = [cell(schema["description"])] if schema.get("description") else []
        limits = [
            ("minimum", "At least"),
            ("maximum", "At most"),
            ("minLength", "At least {} characters"),
            ("maxLength", "At most {} characters"),
            ("minItems", "At least {} items"),
            ("maxItems", "At most {} items"),
        ]
        for field, words in limits:
            if field in schema:
                text = words.format(schema[field]) if "{}" in words else f"{words} {schema[field]}"
                parts.append(text)
        if "pattern" in schema:
            parts.append(f"Matches {code(schema['pattern'])}")
        if "default" in schema:
            parts.append(f"Default {code(schema['default'])}")
        examples = schema.get("examples") or ([schema["example"]] if "example" in schema else [])
        if examples:
            parts.append("For example " + ", ".join(code(v) for v in examples))
        return sentences(parts)

    def fields(self, schema: Any, prefix: str = "") -> Iterator[tuple[str, str, bool, str]]:
        """(field, type, required, notes) of an object, nested objects flattened with dots."""
        schema = schema if isinstance(schema, Mapping) else {}
        if "allOf" in schema:
            for part in schema["allOf"]:
                if self.ref_name(part):
                    yield from self.fields(resolve(self.spec, part), prefix)
                else:
                    yield from self.fields(part, prefix)
            return
        required = set(schema.get("required", []))
        for name, prop in (schema.get("properties") or {}).items():
            path = f"{prefix}{name}"
            yield path, self.type_of(prop), name in required, self.notes(prop)
            yield from self._nested(prop, path)

    def _nested(self, prop: Any, path: str) -> Iterator[tuple[str, str, bool, str]]:
        if not isinstance(prop, Mapping) or self.ref_name(prop):
            return
        if prop.get("properties") or "allOf" in prop:
            yield from self.fields(prop, f"{path}.")
        items = prop.get("items")
        if isinstance(items, Mapping) and not self.ref_name(items) and items.get("properties"):
            yield from self.fields(items, f"{path}[].")

    def table(self, schema: Any) -> list[str]:
        rows = list(self.fields(schema))
        if not rows:
            return []
        lines = ["| field | type | required | notes |", "|---|---|---|---|"]
        for name, kind, required, notes in rows:
            lines.append(f"| `{name}` | {kind} | {'yes' if required else ''} | {notes} |")
        return [*lines, ""]

    def describe(self, name: str, schema: Mapping[str, Any]) -> list[str]:
        """A schema's entry: label, name, description, then its fields or its alternatives."""
        lines = [f"({schema_label(self.key, name)})=", f"**{name}**", ""]
        if schema.get("description"):
            lines += [markdown(schema["description"]), ""]
        alternatives = schema.get("oneOf") or schema.get("anyOf")
        if alternatives:
            lines += ["One of:", ""]
            for option in alternatives:
                option_fields = self.table(option) if isinstance(option, Mapping) else []
                lines += [f"- {self.type_of(option)}", ""]
                lines += ["  " + line if line else "" for line in option_fields]
            return lines
        if "allOf" in schema:
            bases = [self.link(n) for n in (self.ref_name(p) for p in schema["allOf"]) if n]
            if bases:
                lines += ["Every field of " + ", ".join(bases) + ", and:", ""]
                own = {"allOf": [p for p in schema["allOf"] if not self.ref_name(p)]}
                return lines + self.table(own)
        table = self.table(schema)
        return lines + (table or [f"Type: {self.type_of(schema)}.", ""])


class RouteWriter:
    """One route of a document as an ``http:<method>`` entry in MyST Markdown."""

    def __init__(self, spec: Mapping[str, Any], schemas: SchemaWriter) -> None:
        self.spec = spec
        self.schemas = schemas
        servers = spec.get("servers") or [{"url": ""}]
        self.base = str(servers[0]["url"]).rstrip("/")

    def write(self, method: str, path: str, operation: Mapping[str, Any]) -> list[str]:
        lines = [f"{FENCE}{{http:{method}}} {self.base}{path}", ""]
        if operation.get("summary"):
            lines += [f"**{operation['summary']}**", ""]
        if operation.get("description"):
            lines += [markdown(operation["description"]), ""]
        lines += self.parameters(path, operation)
        lines += self.request(operation)
        lines += self.responses(operation)
        return [*lines, FENCE, ""]

    def parameters(self, path: str, operation: Mapping[str, Any]) -> list[str]:
        shared = self.spec["paths"][path].get("parameters", [])
        merged: dict[tuple[str, str], Mapping[str, Any]] = {}
        for raw in [*shared, *operation.get("parameters", [])]:
            parameter = resolve(self.spec, raw)
            merged[(parameter["name"], parameter["in"])] = parameter
        if not merged:
            return []
        lines = ["| parameter | in | type | notes |", "|---|---|---|---|"]
        for (name, where), parameter in merged.items():
            schema = parameter.get("schema", {})
            kind = self.schemas.type_of(schema)
            if parameter.get("required") and where != "path":
                kind += ", required"
            constraints = {k: v for k, v in schema.items() if k != "description"}
            notes = sentences(
                [cell(parameter.get("description", "")), self.schemas.notes(constraints)]
            )
            lines.append(f"| `{name}` | {where} | {kind} | {notes} |")
        return [*lines, ""]

    def request(self, operation: Mapping[str, Any]) -> list[str]:
        body = resolve(self.spec, operation.get("requestBody"))
        if not body:
            return []
        lines: list[str] = []
        for media, content in (body.get("content") or {}).items():
            schema = content.get("schema", {})
            intro = f"**Request body** ({code(media)}): {self.body_type(media, schema)}"
            if body.get("description"):
                intro += f". {cell(body['description'])}"
            lines += [intro, ""]
            if not self.schemas.ref_name(schema):
                lines += self.schemas.table(schema)
        return lines

    def body_type(self, media: str, schema: Mapping[str, Any]) -> str:
        if schema.get("format") == "binary" or not media.endswith("json"):
            return "the bytes"
        return self.schemas.type_of(schema)

    def responses(self, operation: Mapping[str, Any]) -> list[str]:
        answers: list[str] = ["| status | body | meaning |", "|---|---|---|"]
        tables: list[str] = []
        errors: list[str] = []
        for status, raw in operation.get("responses", {}).items():
            response = resolve(self.spec, raw)
            if isinstance(raw, Mapping) and raw.get("$ref", "").endswith("/responses/Error"):
                errors.append(str(status))
                continue
            bodies = []
            for media, content in (response.get("content") or {}).items():
                schema = content.get("schema", {})
                bodies.append(f"{self.body_type(media, schema)} ({code(media)})")
                if media.endswith("json") and not self.schemas.ref_name(schema):
                    table = self.schemas.table(schema)
                    if table:
                        tables += [f"Fields of the `{status}` answer:", "", *table]
            status_text = STATUS_TEXT.get(str(status), "")
            label = f"{status} {status_text}".strip()
            description = cell(response.get("description", ""))
            answers.append(f"| {label} | {'; '.join(bodies) or 'none'} | {description} |")
        lines = ([*answers, ""] if len(answers) > 2 else []) + tables
        if errors:
            body = f" (an {self.schemas.link('Error')} body)" if self.has_error_schema() else ""
            lines += [f"**Errors**{body}: {', '.join(errors)}.", ""]
        return lines

    def has_error_schema(self) -> bool:
        return "Error" in (self.spec.get("components", {}).get("schemas") or {})


class _OpenApiDirective(SphinxDirective):
    required_arguments = 1
    has_content = False
    option_spec = {"key": directives.unchanged_required}

    def spec_path(self) -> Path:
        _, absolute = self.env.relfn2path(self.arguments[0])
        path = Path(absolute)
        self.env.note_dependency(str(path))
        return path

    def key(self, path: Path) -> str:
        return str(self.options.get("key") or path.parent.name)

    def render(self, lines: list[str]) -> list[nodes.Node]:
        if type(self.state).__module__.split(".")[0] != "myst_parser":
            raise self.error(f"{self.name} writes MyST Markdown: use it in a .md page")
        container = nodes.container()
        self.state.nested_parse(StringList(lines, source=self.arguments[0]), 0, container)
        return list(container.children)


class OpenApiRoutes(_OpenApiDirective):
    """The routes of a document under some prefixes, in the document's order."""

    option_spec = {
        **_OpenApiDirective.option_spec,
        "paths": directives.unchanged_required,
        "exclude": directives.unchanged,
    }

    def run(self) -> list[nodes.Node]:
        path = self.spec_path()
        spec = load_spec(path)
        prefixes = self.options.get("paths", "/").split()
        excluded = set(self.options.get("exclude", "").split())
        writer = RouteWriter(spec, SchemaWriter(spec, self.key(path)))
        shown: dict[tuple[str, str], str] = self.env.domaindata.setdefault(
            "openapi_reference", {}
        ).setdefault(str(path), {})
        lines: list[str] = []
        for method, route, operation in operations(spec):
            if route in excluded or not any(_under(route, prefix) for prefix in prefixes):
                continue
            shown[(method, route)] = self.env.docname
            lines += writer.write(method, route, operation)
        if not lines:
            raise self.error(f"no route of {self.arguments[0]} is under {' '.join(prefixes)}")
        return self.render(lines)


class OpenApiSchemas(_OpenApiDirective):
    """Every schema of a document's ``components.schemas``, by name."""

    def run(self) -> list[nodes.Node]:
        path = self.spec_path()
        spec = load_spec(path)
        writer = SchemaWriter(spec, self.key(path))
        lines: list[str] = []
        for name, schema in sorted((spec.get("components", {}).get("schemas") or {}).items()):
            lines += writer.describe(name, schema)
        return self.render(lines)


def _under(route: str, prefix: str) -> bool:
    prefix = prefix.rstrip("/")
    return not prefix or route == prefix or route.startswith(prefix + "/")


def _documented(env: BuildEnvironment) -> dict[str, dict[tuple[str, str], str]]:
    data: dict[str, dict[tuple[str, str], str]] = env.domaindata.setdefault("openapi_reference", {})
    return data


def purge(app: Sphinx, env: BuildEnvironment, docname: str) -> None:
    for shown in _documented(env).values():
        for route in [route for route, where in shown.items() if where == docname]:
            del shown[route]


def merge(
    app: Sphinx, env: BuildEnvironment, docnames: Iterable[str], other: BuildEnvironment
) -> None:
    for path, shown in _documented(other).items():
        _documented(env).setdefault(path, {}).update(shown)


def check_every_route_shown(app: Sphinx, env: BuildEnvironment) -> None:
    """Warn about each route of a rendered document that no page shows."""
    for path, shown in _documented(env).items():
        for method, route, _ in operations(load_spec(Path(path))):
            if (method, route) not in shown:
                logger.warning(
                    "%s %s of %s is in no page: add its prefix to an openapi-routes directive",
                    method.upper(),
                    route,
                    path,
                    type="openapi",
                )


def setup(app: Sphinx) -> dict[str, Any]:
    app.setup_extension("sphinxcontrib.httpdomain")
    app.add_directive("openapi-routes", OpenApiRoutes)
    app.add_directive("openapi-schemas", OpenApiSchemas)
    app.connect("env-purge-doc", purge)
    app.connect("env-merge-info", merge)
    app.connect("env-check-consistency", check_every_route_shown)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
