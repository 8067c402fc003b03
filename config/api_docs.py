"""The API reference at /api/docs/: a page drawn on the server from the API's own OpenAPI
schema, so that it reads like every other page, works without JavaScript and meets WCAG 2.2
AA (it replaced Swagger UI, whose own markup failed axe-core).

`describe_schema` turns the schema into plain data for the template (no HTML is made here:
the template escapes every word of the schema). The schema is made once per process: it
changes only when the code does.
"""

import functools
import json
import re
from http import HTTPStatus

from csp.constants import NONCE, SELF
from csp.decorators import csp_update
from django.conf import settings
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerSplitView

METHODS = ["get", "put", "patch", "post", "delete", "options", "head", "trace"]
# drf-spectacular lists a choice's labels in the description, one a line: "* `open` - Open".
CHOICE_LINE = re.compile(r"^\* `(?P<value>[^`]*)` - (?P<label>.*)$")
FORMATS = {
    "date-time": "date and time, ISO 8601",
    "date": "date, YYYY-MM-DD",
    "uri": "a web address",
    "email": "an email address",
    "uuid": "a UUID",
    "decimal": "a decimal number",
}
WHERE = {"path": "Path", "query": "Query string", "header": "Header", "cookie": "Cookie"}
PERIODS = {"s": "second", "m": "minute", "h": "hour", "d": "day"}
# A page of results: cursor pages have `next`, `previous` and `results`; numbered pages (the
# paths from before v1) have a `count` too.
PAGE_FIELDS = {"next", "results"}
# The one error shape under /api/v1/ (api.schema.ErrorSerializer).
ERROR_FIELDS = {"message", "errors"}
UNSAFE = {"post", "put", "patch", "delete"}


@functools.cache
def api_reference() -> dict:
    """The API's schema, described for the reference page (made once per process)."""
    return describe_schema(SchemaGenerator().get_schema(request=None, public=True))


@require_safe
def api_docs(request):
    reference = api_reference()
    return render(
        request,
        "pages/api_docs.html",
        {
            **reference,
            "anonymous_rate": anonymous_rate(),
            "token_rate": rate_words("token"),
            "page_size": settings.REST_FRAMEWORK.get("PAGE_SIZE"),
            "crumbs": [("Home", reverse("home")), (reference["title"], None)],
        },
    )


def anonymous_rate() -> str:
    """DJANGO_API_ANON_RATE ("120/minute") in words ("120 requests a minute"), or ""."""
    return rate_words("anon")


def rate_words(scope: str) -> str:
    """A throttle scope's rate ("600/minute") in words ("600 requests a minute"), or ""."""
    rate = settings.REST_FRAMEWORK.get("DEFAULT_THROTTLE_RATES", {}).get(scope)
    number, _, period = (rate or "").partition("/")
    if not number.isdigit() or period[:1] not in PERIODS:
        return ""
    unit = PERIODS[period[:1]]
    return f"{number} request{'s' if number != '1' else ''} {article(unit)} {unit}"


def describe_schema(schema: dict) -> dict:
    """The title, description and operations of an OpenAPI 3 schema, grouped by tag."""
    components = schema.get("components", {}).get("schemas", {})
    info = schema.get("info", {})
    tag_notes = {tag["name"]: tag.get("description", "") for tag in schema.get("tags", [])}
    groups: dict[str, list] = {name: [] for name in tag_notes}
    for path, item in schema.get("paths", {}).items():
        shared = item.get("parameters", [])
        for method in METHODS:
            if method in item:
                operation = item[method]
                tag = (operation.get("tags") or ["other"])[0]
                groups.setdefault(tag, []).append(
                    describe_operation(method, path, operation, shared, components)
                )
    return {
        "title": info.get("title", "API"),
        "version": info.get("version", ""),
        "description": prose(info.get("description", "")),
        "tags": [
            {
                "name": name,
                "heading": name[:1].upper() + name[1:],
                "id": "tag-" + slug(name),
                "description": prose(tag_notes.get(name, "")),
                "operations": operations,
            }
            for name, operations in groups.items()
            if operations
        ],
    }


def describe_operation(method, path, operation, shared, components) -> dict:
    parameters = {
        (p.get("in"), p.get("name")): p for p in [*shared, *operation.get("parameters", [])]
    }
    responses = operation.get("responses", {})
    success = next((code for code in responses if code.startswith("2")), None)
    return {
        "id": "op-" + slug(operation.get("operationId") or f"{method}-{path}"),
        "method": method.upper(),
        "path": path,
        "summary": operation.get("summary", ""),
        "description": prose(operation.get("description", "")),
        "access": access(method, operation),
        "parameters": [describe_parameter(p, components) for p in parameters.values()],
        "body": describe_body(operation.get("requestBody"), components),
        "responses": [
            describe_response(code, answer, components, success)
            for code, answer in responses.items()
        ],
        "result": describe_result(responses[success], components) if success else None,
    }


def access(method: str, operation: dict) -> str:
    """Who may call an operation, from its `security` (drf-spectacular adds `{}` when it
    answers without signing in) and its method (a `read` token only reads)."""
    security = operation.get("security")
    if security is None:
        return ""
    if {} in security:
        return "public"
    return "write" if method in UNSAFE else "read"


def describe_body(body, components) -> dict | None:
    """The request body: its fields (those a client sends, not the read-only ones) and its
    examples (from `OpenApiExample`), as JSON text."""
    if not body:
        return None
    content = body.get("content", {})
    media = "application/json" if "application/json" in content else next(iter(content), "")
    if not media:
        return None
    name, node = resolve(content[media].get("schema", {}), components)
    sent = [field for field in fields(node, components) if not field["read_only"]]
    examples = [
        {
            "summary": example.get("summary") or key,
            "json": json.dumps(example.get("value"), indent=2, ensure_ascii=False),
        }
        for key, example in content[media].get("examples", {}).items()
        if "value" in example
    ]
    return {
        "name": name,
        "media": media,
        "required": bool(body.get("required")),
        "fields": sent,
        "examples": examples,
    }


def describe_parameter(parameter, components) -> dict:
    node = resolve(parameter.get("schema", {}), components)[1]
    text, labels = split_choices(parameter.get("description", ""))
    many = node.get("type") == "array"
    return {
        "name": parameter.get("name", ""),
        "name_parts": breakable(parameter.get("name", "")),
        "where": WHERE.get(parameter.get("in", ""), parameter.get("in", "")),
        "required": bool(parameter.get("required")),
        "type": type_words(parameter.get("schema", {}), components),
        "description": prose(text),
        "choices": choices(resolve(node.get("items", {}), components)[1] if many else node, labels),
        "pattern": node.get("pattern", ""),
        "repeat": many and parameter.get("in") == "query" and parameter.get("explode", True),
    }


def describe_response(code, answer, components, success=None) -> dict:
    try:
        phrase = HTTPStatus(int(code)).phrase
    except ValueError:  # "default", or "2XX"
        phrase = ""
    body = answer.get("content", {}).get("application/json", {}).get("schema")
    description = answer.get("description", "")
    if not description.strip():
        description = "The request worked" if code.startswith("2") else phrase
    return {
        "code": code,
        "phrase": phrase,
        "description": prose(description),
        "body": body_words(body, components, fields_below=code == success) if body else "",
    }


def describe_result(answer, components) -> dict | None:
    """The fields of a successful answer: a page of results, a list, or one object."""
    body = answer.get("content", {}).get("application/json", {}).get("schema")
    if not body:
        return None
    name, node = resolve(body, components)
    kind, counted = "object", False
    if is_page(node):
        counted = "count" in node["properties"]
        kind, (name, node) = "page", resolve(node["properties"]["results"]["items"], components)
    elif node.get("type") == "array":
        kind, (name, node) = "list", resolve(node.get("items", {}), components)
    if not node.get("properties"):
        return None
    shown = [field for field in fields(node, components) if not field["write_only"]]
    return {"kind": kind, "counted": counted, "name": name, "fields": shown}


def fields(node, components) -> list[dict]:
    described = []
    for name, field in node.get("properties", {}).items():
        resolved = resolve(field, components)[1]
        if resolved.get("type") == "array":
            resolved = resolve(resolved.get("items", {}), components)[1]
        text, labels = split_choices(field.get("description") or resolved.get("description", ""))
        described.append(
            {
                "name": name,
                "name_parts": breakable(name),
                "required": name in node.get("required", []),
                "read_only": bool(field.get("readOnly") or resolved.get("readOnly")),
                "write_only": bool(field.get("writeOnly") or resolved.get("writeOnly")),
                "type": type_words(field, components),
                "description": prose(text),
                "choices": choices(resolved, labels),
                "pattern": resolved.get("pattern", ""),
                "max_length": resolved.get("maxLength"),
            }
        )
    return described


def is_page(node) -> bool:
    properties = node.get("properties", {})
    return set(properties) >= PAGE_FIELDS and properties["results"].get("type") == "array"


def is_error(node) -> bool:
    return set(node.get("properties", {})) == ERROR_FIELDS


def resolve(node, components) -> tuple[str, dict]:
    """A schema node with its `$ref` (or an allOf of one `$ref`) followed: (name, node)."""
    if len(node.get("allOf", [])) == 1:
        name, target = resolve(node["allOf"][0], components)
        return name, {**target, **{k: v for k, v in node.items() if k != "allOf"}}
    ref = node.get("$ref", "")
    if ref.startswith("#/components/schemas/"):
        name = ref.rsplit("/", 1)[1]
        return name, components.get(name, {})
    return "", node


def type_words(node, components) -> str:
    """A schema node's type for a person: "string", "list of strings", "Challenge object"."""
    name, resolved = resolve(node, components)
    alternatives = resolved.get("oneOf") or resolved.get("anyOf")
    if alternatives:
        words = " or ".join(type_words(option, components) for option in alternatives)
    elif resolved.get("type") == "array":
        words = "list of " + plural(type_words(resolved.get("items", {}), components))
    elif resolved.get("type") == "object" or resolved.get("properties"):
        words = f"{name} object" if name else "object"
    else:
        words = resolved.get("type", "any type")
        if resolved.get("format") in FORMATS:
            words += f" ({FORMATS[resolved['format']]})"
    if node.get("nullable") or resolved.get("nullable"):
        words += ", or null"
    return words


def plural(words: str) -> str:
    head, bracket, rest = words.partition(" (")
    return f"{head}s{bracket}{rest}"


def body_words(node, components, *, fields_below: bool = True) -> str:
    """An answer's body in a few words, for the table of answers. `fields_below`: the page
    lists this body's fields (it is the successful answer's)."""
    name, resolved = resolve(node, components)
    below = " (its fields are below)" if fields_below else ""
    if is_error(resolved):
        return "An error: message and errors (see Errors, above)"
    if is_page(resolved):
        return f"A page of results{below}"
    if resolved.get("type") == "array":
        return "A list of " + plural(type_words(resolved.get("items", {}), components))
    properties = resolved.get("properties", {})
    if name and properties:
        return f"{article(name.lower()).capitalize()} {name} object{below}"
    if properties:
        listed = ", ".join(
            f"{key} ({type_words(value, components)})" for key, value in properties.items()
        )
        return f"An object with {listed}"
    extra = resolved.get("additionalProperties")
    if isinstance(extra, dict):
        words = type_words(extra, components)
        return f"An object in which each value is {article(words)} {words}"
    return type_words(node, components)


def split_choices(text: str) -> tuple[str, dict[str, str]]:
    """A description without drf-spectacular's list of choices, and that list's labels."""
    kept, labels = [], {}
    for line in (text or "").splitlines():
        match = CHOICE_LINE.match(line.strip())
        if match:
            labels[match["value"]] = match["label"]
        else:
            kept.append(line)
    return "\n".join(kept).strip(), labels


def choices(node, labels) -> list[dict]:
    return [
        {"value": str(value), "parts": breakable(str(value)), "label": labels.get(str(value), "")}
        for value in node.get("enum", [])
        if value not in ("", None)
    ]


def prose(text: str) -> list[list[dict]]:
    """Paragraphs of words and `code`: each a list of {"text", "code"} parts, not HTML."""
    paragraphs = []
    for paragraph in re.split(r"\n\s*\n", (text or "").strip()):
        if paragraph.strip():
            parts = re.split(r"`([^`]*)`", " ".join(paragraph.split()))
            paragraphs.append(
                [{"text": part, "code": i % 2 == 1} for i, part in enumerate(parts) if part]
            )
    return paragraphs


def breakable(name: str) -> list[str]:
    """A name cut after each "_", where the template lets a narrow screen wrap it (<wbr>)."""
    return re.findall(r"[^_]*_|[^_]+", name) or [name]


def article(word: str) -> str:
    return "an" if word[:1] in "aeiou" or word.startswith("hour") else "a"


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"


# Swagger UI and Redoc, for developers who want to try requests in the browser. Both are
# third-party JavaScript applications served from this site (drf-spectacular-sidecar: no
# CDN), on pages of their own templates (templates/api/) with no inline script or style.
# The reference above stays the main one: these need JavaScript and are not fully accessible
# (their axe-core results are in tests/browser/test_api_viewers.py and docs/security.md).
class SwaggerUI(SpectacularSwaggerSplitView):
    template_name = "api/swagger_ui.html"
    url_name = "api-v1-schema"


class Redoc(SpectacularRedocView):
    template_name = "api/redoc.html"
    url_name = "api-v1-schema"


swagger_ui = SwaggerUI.as_view()
# Redoc's page alone relaxes the site's policy, as little as it works with:
# - Redoc writes its styles into <style> elements: they carry the request's nonce
#   (static/api-viewers/redoc-init.js passes it to Redoc);
# - two <style> elements are added as its file loads, before it can be given the nonce: an
#   empty one and perfect-scrollbar's CSS, allowed by their SHA-256 (drf-spectacular-sidecar
#   2026.10.1, Redoc 2.5.4: tests/browser/test_api_viewers.py fails if an upgrade changes them);
# - its search runs in a Web Worker made from a blob: URL.
# It still tries to load Redocly's logo from their CDN: img-src blocks that (Redoc then hides
# the logo), so that reading the docs tells no third party.
REDOC_POLICY = {
    "style-src": [
        NONCE,
        "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",
        "'sha256-QMIg+bpjm3JdElJ388KYke01izlUW0UoNOeKjpMxdgc='",
    ],
    "worker-src": [SELF, "blob:"],
}
redoc = csp_update(REDOC_POLICY)(Redoc.as_view())
