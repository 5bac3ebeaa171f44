"""The house's import rules, read from the code's own imports (every ``import`` statement,
those inside functions included, and every ``import_module("…")`` with a literal name).

- The portal's apps stand on floors: an app imports only from apps on lower floors
  (the shared kernel ``ameli_portal`` is the ground). A new app in INSTALLED_APPS fails
  here until it is given its floor.
- ``ameli_portal`` holds the project's wiring too (settings, root URLs, the app configs):
  those modules may name every app; the rest of it is the kernel and names none.
- ``reimbursements/rules.py`` stays pure: the standard library only.
"""

import ast
import sys
from pathlib import Path

import pytest
from django.apps import apps

ROOT = Path(__file__).resolve().parent.parent

# Lower floors first. Apps on the same floor do not import each other.
FLOORS = (
    ("ameli_portal",),
    ("accounts",),
    ("reimbursements",),
    ("attestations", "messaging"),
    ("requests_app",),
    ("api",),  # the API for apps stands on every app's services and reads
)
FLOOR = {app: level for level, names in enumerate(FLOORS) for app in names}
# The project's wiring, not the kernel: allowed to name every app.
WIRING = (
    "ameli_portal.settings",
    "ameli_portal.urls",
    "ameli_portal.apps",
    "ameli_portal.wsgi",
    "ameli_portal.asgi",
    "ameli_portal.celery",
)


def _portal_apps():
    return sorted(
        {config.name.split(".")[0] for config in apps.get_app_configs() if Path(config.path).parent == ROOT}
    )


def _modules(app):
    for path in sorted((ROOT / app).rglob("*.py")):
        if "migrations" in path.parts:
            continue
        yield ".".join(path.relative_to(ROOT).with_suffix("").parts), path


def _imported_names(path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "id", getattr(node.func, "attr", "")) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield node.lineno, node.args[0].value


def test_every_portal_app_has_a_floor():
    assert set(_portal_apps()) == set(FLOOR), (
        "Donnez à chaque application son étage dans FLOORS (tests/test_architecture.py)."
    )


@pytest.mark.parametrize("app", sorted(FLOOR))
def test_apps_import_only_from_lower_floors(app):
    wrong = []
    for module, path in _modules(app):
        if module in WIRING:
            continue
        for lineno, name in _imported_names(path):
            target = name.split(".")[0]
            if target in FLOOR and target != app and FLOOR[target] >= FLOOR[app]:
                wrong.append(f"{path.relative_to(ROOT)}:{lineno} imports {name}")
    assert wrong == []


def test_the_rules_engine_imports_the_standard_library_only():
    path = ROOT / "reimbursements" / "rules.py"
    outside = [
        f"rules.py:{lineno} imports {name}"
        for lineno, name in _imported_names(path)
        if name.split(".")[0] not in sys.stdlib_module_names
    ]
    assert outside == []


def _app_module_imports(app):
    """The app's own modules each module imports (absolute or relative, at the top or inside
    a function: an import deferred into a function still makes the two modules one knot)."""
    modules = dict(_modules(app))
    names = set(modules)
    graph = {}
    for module, path in modules.items():
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        targets = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parent = package.split(".")
                    parent = parent[: len(parent) - (node.level - 1)]
                    base = ".".join(parent + ([node.module] if node.module else []))
                found = [base] + [f"{base}.{alias.name}" for alias in node.names]
            else:
                continue
            for name in found:
                # `import a.b.c` also imports a.b: the longest of the app's modules named.
                while name and name not in names:
                    name = name.rpartition(".")[0]
                if name and name != module and not modules[name].name == "__init__.py":
                    targets.add(name)
        graph[module] = targets
    return graph


def _circles(graph):
    """The strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


@pytest.mark.parametrize("app", sorted(FLOOR))
def test_the_modules_of_an_app_import_each_other_one_way(app):
    """No circle inside an app (services ↔ tasks, say): tasks import services, and
    services enqueue jobs by name (ameli_portal.outbox.enqueue)."""
    assert _circles(_app_module_imports(app)) == []


def test_a_circle_between_two_modules_is_found():
    assert _circles({"a.services": {"a.tasks"}, "a.tasks": {"a.services"}, "a.views": {"a.services"}}) == [
        ["a.services", "a.tasks"]
    ]
