"""The committed OpenAPI schema (docs/openapi.yaml) is the one the code makes.

Partners read the committed file (and compare it between releases) without running the
site, so a change to the API that is not in it fails here. `make openapi` regenerates it.
"""

import difflib
from pathlib import Path

import yaml
from django.core.management import call_command
from drf_spectacular.validation import validate_schema

COMMITTED = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"
HOW_TO_FIX = "Run `make openapi` and commit docs/openapi.yaml."
SHOWN_LINES = 60


def made_by_the_code(folder: Path) -> str:
    """What `make openapi` writes (the same command, with its checks)."""
    out = folder / "openapi.yaml"
    call_command("spectacular", "--file", str(out), "--validate", "--fail-on-warn")
    return out.read_text(encoding="utf-8")


def difference(committed: str, made: str) -> str:
    """Nothing when they are the same; else what to do, and the start of a unified diff."""
    if committed == made:
        return ""
    lines = list(
        difflib.unified_diff(
            committed.splitlines(),
            made.splitlines(),
            "docs/openapi.yaml (committed)",
            "the schema the code makes",
            lineterm="",
            n=2,
        )
    )
    more = len(lines) - SHOWN_LINES
    tail = [f"... and {more} more lines of difference"] if more > 0 else []
    return "\n".join(
        [f"docs/openapi.yaml differs from the code. {HOW_TO_FIX}", *lines[:SHOWN_LINES], *tail]
    )


def test_the_committed_schema_is_the_one_the_code_makes(tmp_path):
    assert COMMITTED.exists(), f"docs/openapi.yaml is missing. {HOW_TO_FIX}"
    problem = difference(COMMITTED.read_text(encoding="utf-8"), made_by_the_code(tmp_path))
    assert not problem, problem


def test_the_committed_schema_is_valid_openapi_3_with_the_v1_paths():
    schema = yaml.safe_load(COMMITTED.read_text(encoding="utf-8"))
    validate_schema(schema)  # raises on anything that is not valid OpenAPI 3
    assert schema["openapi"].startswith("3.")
    assert any(path.startswith("/api/v1/") for path in schema["paths"])
    # The old read-only addresses are still described, for clients written against them.
    assert "/api/listings/" in schema["paths"]


def test_a_stale_file_is_reported_with_what_to_run_and_what_changed():
    problem = difference("openapi: 3.0.3\ninfo: old\n", "openapi: 3.0.3\ninfo: new\n")
    assert problem.startswith("docs/openapi.yaml differs from the code. Run `make openapi`")
    assert "-info: old" in problem and "+info: new" in problem
    assert difference("same\n", "same\n") == ""
    long = difference("", "\n".join(f"line {i}" for i in range(500)))
    assert long.endswith("more lines of difference") and len(long.splitlines()) < 70


def test_every_v1_operation_lists_the_answers_any_request_can_get():
    """Found by an outside probe: public reads answer 401 to a wrong token, any operation
    406 to an Accept header for another format, and reads 404 to an unknown ?format=, and
    the schema listed none of them there."""
    schema = yaml.safe_load(COMMITTED.read_text(encoding="utf-8"))
    missing = []
    for path, item in schema["paths"].items():
        if not path.startswith("/api/v1/"):
            continue
        for method, operation in item.items():
            wanted = {"401", "404", "406"}
            lacking = wanted - set(operation["responses"])
            if lacking:
                missing.append(f"{method.upper()} {path}: {sorted(lacking)}")
    assert missing == []
