"""The fields a request may carry, read off the OpenAPI document (for tests that check every
one of them, including the fields added later)."""

from __future__ import annotations

import re

from pydantic import BaseModel, ValidationError

REF = re.compile(r"#/components/schemas/([\w.-]+)")


def document(app) -> dict:
    return app.test_client().get("/api/openapi.json").get_json()


def _kinds(schema, wanted: set[str]) -> set[str]:
    """The wanted formats or types a property's schema (or its anyOf options, or the items of
    an array) names."""
    if not isinstance(schema, dict):
        return set()
    found = {schema.get("format"), schema.get("type")} & wanted
    for option in schema.get("anyOf", []):
        found |= _kinds(option, wanted)
    if schema.get("type") == "array":
        found |= {f"{kind}[]" for kind in _kinds(schema.get("items"), wanted)}
    return found


def body_fields(doc: dict, wanted: set[str], *, json_only: bool = False) -> set:
    """(component, property, kind) of request bodies, for each kind in `wanted` (formats such
    as "date", types such as "integer"); "kind[]" for the items of an array."""
    components = doc["components"]["schemas"]
    found = set()

    def walk(name: str, seen: frozenset) -> None:
        if name in seen:
            return
        for prop, sub in components[name].get("properties", {}).items():
            found.update((name, prop, kind) for kind in _kinds(sub, wanted))
            for ref in REF.findall(str(sub)):
                walk(ref, seen | {name})

    for operations in doc["paths"].values():
        for op in operations.values():
            if not isinstance(op, dict):
                continue
            for content_type, content in op.get("requestBody", {}).get("content", {}).items():
                if json_only and "json" not in content_type:
                    continue
                for ref in REF.findall(str(content)):
                    walk(ref, frozenset())
    return found


def query_fields(doc: dict, wanted: set[str]) -> set:
    """(method, path, parameter, kind) of the parameters naming a wanted format or type."""
    found = set()
    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            if not isinstance(op, dict):
                continue
            for param in op.get("parameters", []):
                for kind in _kinds(param.get("schema", {}), wanted):
                    found.add((method.upper(), path, param["name"], kind))
    return found


def models() -> dict[str, type[BaseModel]]:
    """Every pydantic model by name (the document's components are named so)."""
    found: dict[str, type[BaseModel]] = {}
    stack = [BaseModel]
    while stack:
        for sub in stack.pop().__subclasses__():
            found.setdefault(sub.__name__, sub)
            stack.append(sub)
    return found


def errors_at(model: type[BaseModel], prop: str, value) -> list[str]:
    """The error types validating {prop: value} gives at that property (or its items)."""
    try:
        model.model_validate({prop: value})
    except ValidationError as exc:
        return [e["type"] for e in exc.errors() if e["loc"][:1] == (prop,)]
    return []
