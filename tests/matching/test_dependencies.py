"""Who may import what of the matcher: the rules of the README's matching section, checked on
the source (every import, including those inside functions)."""

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SKIP = {".venv", "node_modules", ".git", "static", "frontend"}


def python_files(under: Path = REPO):
    for path in sorted(under.rglob("*.py")):
        if not SKIP.intersection(path.relative_to(REPO).parts):
            yield path


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports: "a.b" for `import a.b`, and "a.b" and "a.b.c" for
    `from a.b import c` (c may be a module or a name)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def top_folder(path: Path) -> str:
    return path.relative_to(REPO).parts[0]


def test_the_helper_finds_imports_inside_functions(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from matching import engine\n    import matching.views\n")
    assert {"matching.engine", "matching.views"} <= imported_modules(sample)


def test_only_matching_benchmarks_and_tests_import_the_engine():
    offenders = [
        str(path.relative_to(REPO))
        for path in python_files()
        if top_folder(path) not in {"matching", "benchmarks", "tests"}
        and any(
            m == "matching.engine" or m.startswith("matching.engine.")
            for m in imported_modules(path)
        )
    ]
    assert offenders == []


def test_clusters_reach_matching_through_its_services_only():
    offenders = []
    for path in python_files(REPO / "clusters"):
        for module in imported_modules(path):
            if module == "matching" or not module.startswith("matching."):
                continue
            if module != "matching.services" and not module.startswith("matching.services."):
                offenders.append(f"{path.relative_to(REPO)}: {module}")
    assert offenders == []


def test_the_engine_package_imports_no_django():
    files = list(python_files(REPO / "matching" / "engine"))
    assert len(files) >= 8  # the package, not one file
    for path in files:
        django = {m for m in imported_modules(path) if m.split(".")[0] == "django"}
        assert not django, f"{path.relative_to(REPO)} imports {django}"
