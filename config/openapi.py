"""How the OpenAPI schema groups its operations: v1 first, by area; the older paths last.

drf-spectacular tags each operation with the first part of its path after the common
prefix (`/api/`), so every v1 operation without a tag of its own would be tagged "v1", and
the read-only paths from before v1 would share their tags ("listings") with the v1 ones.
Swagger UI, Redoc and the reference page (/api/docs/) all group by tag, so this hook:

- tags a v1 operation that has no tag of its own with its area (`/api/v1/listings/...` ->
  "listings"); operations tagged by their view (`extend_schema(tags=[...])`) keep theirs;
- tags every operation outside /api/v1/ with LEGACY, listed last, with a description
  saying what differs, so that a reader starts with v1;
- lists the tags in the schema in that order (SPECTACULAR_SETTINGS["TAGS"] first, with
  their descriptions, then the others as their paths come, then LEGACY).

Operation ids are untouched: they stay what clients were generated with.
"""

V1 = "/api/v1/"
LEGACY = "before v1"
LEGACY_DESCRIPTION = (
    "The read-only addresses the API had before v1, kept working for clients written "
    "against them. They give public data only, come in numbered pages (`?page=2`, with a "
    '`count`) and answer errors as `{"detail": "..."}`. Use the v1 addresses above for '
    "anything new: the same data, with cursor pages, `updated_since` and one error shape."
)
METHODS = {"get", "put", "patch", "post", "delete", "options", "head", "trace"}


def group_by_area(result, generator, request, public):
    """A drf-spectacular postprocessing hook (SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"])."""
    order: list[str] = []
    for path, item in result.get("paths", {}).items():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            if not path.startswith(V1):
                operation["tags"] = [LEGACY]
            elif operation.get("tags", ["v1"]) == ["v1"]:
                operation["tags"] = [path.removeprefix(V1).split("/", 1)[0] or "v1"]
            order += [tag for tag in operation["tags"] if tag not in order]
    known = {tag["name"]: tag for tag in result.get("tags", [])}
    names = [name for name in known if name in order]
    names += [name for name in order if name not in names and name != LEGACY]
    if LEGACY in order:
        names.append(LEGACY)
        known.setdefault(LEGACY, {"name": LEGACY, "description": LEGACY_DESCRIPTION})
    result["tags"] = [known.get(name, {"name": name}) for name in names]
    return result


def _error(description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


UNSUPPORTED = _error(
    "The body is not JSON (or its Content-Type names a type the API does not read): send "
    "`Content-Type: application/json`"
)
ANY_OPERATION = {
    "401": _error(
        "A token that is not valid, was revoked, or was sent without `Bearer`: refused even "
        "where no token is needed, so that the mistake shows"
    ),
    "404": _error("No such record, or you cannot see it; or an unknown `?format=`"),
    "406": _error("The Accept header asks for a format the API does not give: ask for JSON"),
}


def _v1_operations(result):
    """Each v1 operation of the schema, if it has the Error component (else none)."""
    if "Error" not in result.get("components", {}).get("schemas", {}):
        return
    for path, item in result.get("paths", {}).items():
        if path.startswith(V1):
            yield from (op for method, op in item.items() if method in METHODS)


def document_unsupported_media_type(result, generator, request, public):
    """Every v1 operation that reads a body can answer 415 (a body DRF cannot parse, e.g. a
    multipart body with a broken boundary); say so, with the one error shape.

    A postprocessing hook (SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]).
    """
    for operation in _v1_operations(result):
        if "requestBody" in operation:
            operation.setdefault("responses", {}).setdefault("415", UNSUPPORTED)
    return result


def document_answers_of_every_operation(result, generator, request, public):
    """The answers any v1 operation can give, whatever it does (found missing by an outside
    probe): 401 for a wrong token (even on public data), 404 for an unknown ?format= (on any
    method), and 406 for an Accept header asking for another format. Listed where the
    operation does not already describe them.

    A postprocessing hook (SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]).
    """
    for operation in _v1_operations(result):
        responses = operation.setdefault("responses", {})
        for code, answer in ANY_OPERATION.items():
            responses.setdefault(code, answer)
        operation["responses"] = dict(sorted(responses.items()))
    return result
