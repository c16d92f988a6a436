"""The package's module graph: no import cycle anywhere in chanest/ (deferred imports inside
functions count too: a cycle hidden in a function is still a cycle), and the layering the
design relies on."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "chanest"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, modules: set[str]) -> set[str]:
    """chanest modules imported anywhere in ``path`` (module level or inside functions)."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif node.module is None or node.level:
            continue
        else:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        out |= {n for n in names if n in modules}
    return out


def import_graph() -> dict[str, set[str]]:
    files = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = {m: _imports(p, set(files)) for m, p in files.items()}
    for m in files:  # importing a.b from outside package a runs a/__init__ first
        parent = m.rpartition(".")[0]
        for importer, deps in graph.items():
            inside = importer == parent or importer.startswith(parent + ".")
            if m in deps and parent in files and parent != "chanest" and not inside:
                deps.add(parent)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle (as a path a → … → a), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        stack.append(m)
        for dep in sorted(graph.get(m, ())):
            if dep == m:
                continue
            if state.get(dep) == 1:
                return stack[stack.index(dep):] + [dep]
            if dep not in state and (found := visit(dep)):
                return found
        stack.pop()
        state[m] = 2
        return None

    for m in sorted(graph):
        if m not in state and (found := visit(m)):
            return found
    return None


def test_no_import_cycle_in_the_package():
    cycle = find_cycle(import_graph())
    assert cycle is None, " -> ".join(cycle)


def test_the_cycle_finder_reports_a_planted_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


#: chanest's folders (and top-level leaves) from the bottom up, following the data flow; a
#: module imports only from its own folder or a lower tier ("" is the package itself)
TIERS = [{"schema"}, {"fileio", "seeding", "versions", "warn", "device", "metrics", "launch",
          "interrupt"},
         {"grid"}, {"channels"}, {"data"}, {"models"}, {"pretrained"}, {"estimators"},
         {"evaluation"}, {"training", "link", "plots"}, {"commands"}, {"cli"}, {"__main__", ""}]


def tier_of(module: str) -> tuple[int, str]:
    """(tier, folder or leaf) of a chanest module."""
    parts = module.split(".")
    unit = parts[1] if len(parts) > 1 else ""
    return next(i for i, tier in enumerate(TIERS) if unit in tier), unit


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    """Imports from a higher tier, or from a sibling folder of the same tier."""
    found = []
    for module, deps in graph.items():
        tier, unit = tier_of(module)
        for dep in deps:
            dep_tier, dep_unit = tier_of(dep)
            if dep_unit != unit and (dep_tier > tier or (dep_tier == tier and tier > 1)):
                found.append(f"{module} -> {dep}")
    return sorted(found)


def test_every_module_belongs_to_a_tier():
    for module in import_graph():
        tier_of(module)  # StopIteration names a folder missing from TIERS


def test_no_folder_imports_from_a_higher_or_sibling_folder():
    assert upward_imports(import_graph()) == []


def test_the_tier_check_reports_a_planted_upward_import():
    graph = {"chanest.data.dataset": {"chanest.estimators.base"},
             "chanest.link.chain": {"chanest.training.loop"},
             "chanest.estimators.base": {"chanest.data.batch"}}
    assert upward_imports(graph) == ["chanest.data.dataset -> chanest.estimators.base",
                                     "chanest.link.chain -> chanest.training.loop"]


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def private_imports(source: str, module: str) -> list[str]:
    """Uses in ``source`` (the text of chanest module ``module``) of another chanest module's
    private names: ``from chanest.a import _x``, ``chanest.a._x`` through a module alias, or
    a private module ``chanest.a._m`` imported from outside package ``chanest.a``."""
    found, aliases = [], {}

    def check_module(name: str, line: int) -> None:
        parts = name.split(".")
        for i, part in enumerate(parts):
            package = ".".join(parts[:i])
            if _private(part) and not (module == package or module.startswith(package + ".")):
                found.append(f"line {line}: private module {name}")

    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("chanest."):
                    check_module(a.name, node.lineno)
                    aliases[a.asname or a.name] = a.name
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("chanest"):
            check_module(node.module, node.lineno)
            for a in node.names:
                if _private(a.name) and node.module != module:
                    found.append(f"line {node.lineno}: {a.name} from {node.module}")
                aliases[a.asname or a.name] = f"{node.module}.{a.name}"
    for node in ast.walk(ast.parse(source)):
        if (isinstance(node, ast.Attribute) and _private(node.attr)
                and isinstance(node.value, ast.Name) and node.value.id in aliases
                and aliases[node.value.id] != module):
            found.append(f"line {node.lineno}: {node.value.id}.{node.attr}")
    return found


def test_no_module_uses_a_private_name_of_another_chanest_module():
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if hits := private_imports(path.read_text(), _module_name(path)):
            found[str(path.relative_to(PACKAGE.parent))] = hits
    assert not found, found


@pytest.mark.parametrize("source", [
    "from chanest.evaluation.evaluate import _run\n",
    "import chanest.evaluation.evaluate as ev\nev._run()\n",
    "from chanest.evaluation import evaluate\nevaluate._summarise()\n",
    "from chanest.estimators._linalg import eigh\n",
])
def test_the_private_name_check_reports_a_planted_use(source):
    assert private_imports(source, "chanest.link.evaluate")


@pytest.mark.parametrize("source,module", [
    ("from chanest.estimators._linalg import eigh\n", "chanest.estimators.lmmse"),
    ("from chanest.evaluation.core import EvaluationCore\n", "chanest.link.evaluate"),
    ("from chanest.link.evaluate import __all__\n", "chanest.link.uplink"),
])
def test_the_private_name_check_allows_public_names_and_a_packages_own_modules(source,
                                                                               module):
    assert private_imports(source, module) == []
