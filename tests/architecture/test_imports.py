"""Imports stay visible: a function-local import of project code hides a dependency (and so the
cycles the layer contracts forbid), so each one needs a comment that says why it is local."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = (
    "config",
    "core",
    "customers",
    "catalog",
    "pricing",
    "orders",
    "fulfillment",
    "returns",
    "auctions",
)


def _block_comment_above(lines: list[str], index: int) -> bool:
    """A comment on the line above this import or above the run of imports it belongs to."""
    while index > 0:
        above = lines[index - 1].strip()
        if above.startswith("#"):
            return True
        if above and not above.startswith(("from ", "import ")):
            return False
        index -= 1
    return False


def _local_project_imports(path: Path):
    source = path.read_text()
    lines = source.splitlines()
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for inner in ast.walk(node):
            if isinstance(inner, ast.ImportFrom) and inner.module:
                names = [inner.module]
            elif isinstance(inner, ast.Import):
                names = [alias.name for alias in inner.names]
            else:
                continue
            if not any(name.split(".")[0] in APPS for name in names):
                continue
            here = lines[inner.lineno - 1]
            if "#" not in here and not _block_comment_above(lines, inner.lineno - 1):
                yield f"{path.relative_to(ROOT)}:{inner.lineno}: {here.strip()}"


def test_every_function_local_import_of_project_code_says_why():
    unexplained = [
        found
        for app in APPS
        for path in sorted((ROOT / app).rglob("*.py"))
        if "migrations" not in path.parts
        for found in _local_project_imports(path)
    ]
    assert not unexplained, "function-local imports without a comment:\n" + "\n".join(unexplained)
