"""The package's shape: no import cycles (imports inside functions count too), and a light start-up."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import mediapack

PACKAGE = Path(mediapack.__file__).parent
HEAVY = ("moviepy", "av", "jinja2", "markdown_it", "PIL", "numpy", "yaml", "rich", "ffmpeg", "distributed", "dask")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, modules: set[str]) -> set[str]:
    """Every mediapack module ``path`` imports, wherever the import statement stands."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[:len(anchor) - node.level + 1]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)  # `from . import x`: a module x
    return {module for module in found if module in modules and module != name}


def import_graph() -> dict[str, set[str]]:
    paths = sorted(PACKAGE.rglob("*.py"))
    modules = {module_name(path) for path in paths}
    return {module_name(path): imports_of(path, modules) for path in paths}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """Return one import cycle as a list of modules (first repeated at the end), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                return path[path.index(target):] + [target]
            if target not in state and (cycle := visit(target)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_the_graph_sees_imports_inside_functions() -> None:
    graph = import_graph()
    assert "mediapack.compose.social" in graph["mediapack.stages"]  # imported only when social cuts are asked
    assert "mediapack.batch" in graph["mediapack.cli"]  # imported inside the build command


def test_no_module_imports_itself_back() -> None:
    cycle = find_cycle(import_graph())
    assert cycle is None, " -> ".join(cycle)


def test_the_wings_are_subpackages() -> None:
    wings = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    assert {"story", "photo", "video", "compose", "publish"} <= wings


def test_no_module_is_over_400_lines() -> None:
    long = {module_name(p): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 400}
    assert not long


def loaded_after(*argv: str, cwd: Path) -> set[str]:
    """Run the CLI in a fresh interpreter with ``argv``; return which heavy libraries it imported."""
    script = ("import sys\nsys.argv = ['mediapack', *sys.argv[1:]]\nfrom mediapack.cli import app\n"
              "try:\n    app()\nexcept SystemExit:\n    pass\n"
              f"print('loaded:', *(m for m in {HEAVY!r} if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", script, *argv], capture_output=True, text=True, cwd=cwd,
                          timeout=120, check=False)
    assert "Traceback" not in proc.stderr, proc.stderr
    return set(proc.stdout.rpartition("loaded:")[2].split())


def test_help_and_verify_import_no_media_or_page_library(tmp_path: Path) -> None:
    assert loaded_after("--help", cwd=tmp_path) == set()
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "a.txt").write_text("a\n", encoding="utf-8")
    (tmp_path / "out" / "SHA256SUMS").write_text(
        "87428fc522803d31065e7bce3cf03fe475096631e5e07bbd7a0fde60c4cf25c7  a.txt\n", encoding="utf-8")
    assert loaded_after("verify", str(tmp_path / "out"), cwd=tmp_path) == set()
