"""The layout the project promises: the engine is NumPy alone, the lesson a subpackage on top of
it, the command line a thin layer; no import circles; no module uses another's private names."""

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "tinygrad_lr"
HEAVY = {"pandas", "sklearn", "matplotlib", "torch"}


def _modules() -> dict[str, ast.Module]:
    trees = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        trees[name] = ast.parse(path.read_text(), str(path))
    return trees


def _resolve(module: str, node: ast.ImportFrom, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _imports(trees):
    """module → list of (imported module, names taken from it, top level?), every import."""
    found = {}
    for module, tree in trees.items():
        is_package = (PACKAGE.parent / module.replace(".", "/") / "__init__.py").exists()
        top = {id(n) for n in tree.body}
        items = []
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                items += [(a.name, [], id(node) in top) for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                target = _resolve(module, node, is_package)
                names = [a.name for a in node.names]
                submodules = [f"{target}.{n}" for n in names if f"{target}.{n}" in trees]
                items.append((target, names, id(node) in top))
                items += [(s, [], id(node) in top) for s in submodules]
        found[module] = items
    return found


def test_importing_the_engine_loads_no_heavy_library():
    code = (
        "import sys, tinygrad_lr; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'pandas', 'sklearn', 'matplotlib', 'torch'}))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_the_engine_imports_nothing_from_the_lesson_and_no_heavy_library_at_import_time():
    trees = _modules()
    for module, items in _imports(trees).items():
        # the lesson and the benchmark are applications on top of the engine
        if module.startswith(("tinygrad_lr.lesson", "tinygrad_lr.bench")) or module in (
            "tinygrad_lr.cli",
            "tinygrad_lr.__main__",
        ):
            continue
        for target, _, top_level in items:
            assert not target.startswith("tinygrad_lr.lesson"), f"{module} imports {target}"
            if top_level:
                assert target.split(".")[0] not in HEAVY, f"{module} imports {target}"


def test_there_are_no_import_circles():
    trees = _modules()
    graph = {
        m: {t for t, _, _ in items if t in trees and t != m and not m.startswith(t + ".")}
        for m, items in _imports(trees).items()
    }
    # a package's __init__ importing its own submodules is how packages work, not a circle
    state: dict[str, int] = {}

    def visit(m, path):
        state[m] = 1
        for t in graph[m]:
            if t.startswith(m + "."):
                continue
            assert state.get(t) != 1, "import circle: " + " -> ".join([*path, m, t])
            if t not in state:
                visit(t, [*path, m])
        state[m] = 2

    for m in graph:
        if m not in state:
            visit(m, [])


def test_no_module_uses_another_modules_private_names():
    trees = _modules()
    for module, tree in trees.items():
        modules_bound = set()
        for target, names, _ in _imports(trees)[module]:
            if target.startswith("tinygrad_lr"):
                private = [n for n in names if n.startswith("_") and not n.startswith("__")]
                assert not private, f"{module} imports {private} from {target}"
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level:
                modules_bound |= {a.asname or a.name for a in node.names}
            if isinstance(node, ast.Import):
                modules_bound |= {(a.asname or a.name).split(".")[0] for a in node.names}
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in modules_bound
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
            ):
                raise AssertionError(f"{module} uses {node.value.id}.{node.attr}")


def test_the_command_line_only_parses_and_calls():
    tree = ast.parse((PACKAGE / "cli.py").read_text())
    top_level = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
    names = {a.name for n in top_level for a in n.names}
    assert names <= {"annotations", "argparse", "Path"}, names
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node not in top_level:
            # the lesson package, the check_op kit that `check-op` hands its argument to, or
            # the benchmark that `bench` runs
            assert node.module.startswith(("lesson", "check_kit", "bench")), node.module
