"""The import graph of `app`, read from the source (no imports run): no loops, and the layers
of docs/design.md — the pipeline is pure, the HTTP shell loads no models, the bus only sends."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APP, BENCH = ROOT / "app", ROOT / "bench"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_checking_only(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and ast.unparse(node.test).endswith("TYPE_CHECKING")


def imported(tree: ast.AST, modules: set[str]) -> set[str]:
    """What the import statements name, skipping `if TYPE_CHECKING:` blocks: an app module (for
    `from app.x import y`, `app.x.y` when that is a module) or another library's top-level name."""
    names: set[str] = set()
    stack = [tree]
    while stack:
        node = stack.pop()
        if _type_checking_only(node):
            continue
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            submodules = {f"{node.module}.{a.name}" for a in node.names} & modules
            names.update(submodules or {node.module})
        stack.extend(ast.iter_child_nodes(node))
    return {n if n in modules else n.split(".")[0] for n in names}


def graph(package: Path) -> dict[str, set[str]]:
    paths = {module_name(p): p for p in package.rglob("*.py")}
    return {name: imported(ast.parse(p.read_text()), set(paths)) for name, p in paths.items()}


GRAPH = graph(APP)


def cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One import loop among app modules, or None."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in edges or nxt == node:
                continue
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        state[node] = 2
        path.pop()
        return None

    for node in sorted(edges):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_graph_is_read():
    assert "app.analyses" in GRAPH["app.api.analysis"]
    assert "flask" in GRAPH["app.api.analysis"]


def test_no_import_loops():
    assert cycle(GRAPH) is None


def test_no_import_loops_in_the_benchmarks():
    assert cycle(graph(BENCH)) is None


def test_a_loop_would_be_found():
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


# the API's route modules: the UI reads through app/read_models.py, never through them
API_ROUTES = (
    "analysis",
    "camera",
    "cameras",
    "check_directory",
    "events",
    "faces",
    "feedback",
    "ops",
    "progress",
    "residents",
)
LAYERS = [
    # (modules under, never import any of)
    ("app.pipeline", {"flask", "sqlite3", "app.api", "app.bus", "app.store", "app.services"}),
    ("app.api", {"deepface", "dlib", "tensorflow", "onnxruntime", "app.pipeline.models"}),
    ("app.api", {"app.ui", "app.web", "app.server"}),  # the web app is composed above it
    ("app.ui", {"deepface", "dlib", "tensorflow", "onnxruntime", "app.pipeline", "app.store"}),
    ("app.ui", {"app.web", "app.server", *(f"app.api.{m}" for m in API_ROUTES)}),
    ("app.read_models", {"flask", "app.api", "app.ui", "app.web"}),
    ("app.services", {"flask", "app.api", "app.ui", "app.web"}),
    ("app.bus", {"flask", "app.api", "app.pipeline", "app.services", "app.analyses"}),
    ("app.store", {"flask", "app.api", "app.bus", "app.services", "app.analyses"}),
    ("app.residents", {"flask", "app.api", "app.services", "app.bus"}),
    ("app.recognition", {"flask", "app.api", "app.services", "app.bus", "app.store"}),
    ("app.analyses", {"flask", "app.api", "app.services", "app.store.db"}),
    ("app.dht_requests", {"flask", "app.api", "app.services"}),
    ("app.cameras", {"flask", "app.api", "app.services", "app.analyses", "app.dht_requests"}),
    ("app.errors", {"app"}),
    ("app.queue", {"flask", "app.api", "app.services", "app.bus", "app.store", "app.cameras"}),
    ("app.sifis", {"flask", "app.api", "app.bus", "app.services", "app.pipeline"}),
]


@pytest.mark.parametrize(("layer", "forbidden"), LAYERS)
def test_layers(layer, forbidden):
    broken = {
        (module, target)
        for module, targets in GRAPH.items()
        if module == layer or module.startswith(layer + ".")
        for target in targets
        for f in forbidden
        if target == f or target.startswith(f + ".")
    }
    assert broken == set()


def test_the_pipeline_imports_only_itself_the_domain_and_the_errors():
    allowed = ("app.pipeline", "app.domain", "app.errors")
    outside = {
        (module, target)
        for module, targets in GRAPH.items()
        if module.startswith("app.pipeline")
        for target in targets
        if target.startswith("app.") and not target.startswith(allowed)
    }
    assert outside == set()
