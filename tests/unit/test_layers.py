"""The layers of README "How it works", checked on the source with ``ast`` (no import is executed).

Only runtime imports count: an ``if TYPE_CHECKING:`` block is skipped. The rules:

* (a) no import cycle anywhere in the project (the cycle's path is reported);
* (b) the kernel imports nothing above it; services import neither Flask nor the web layer, the core
  nor the CLI; the core and the CLI import no face or hardware; the web layer no face, hardware or CLI;
* (c) no import inside a function unless ALLOWED_LOCAL lists it with its reason;
* (d) faces, hardware and plugins import no underscore name from ``antrean``, and faces (not the hardware plugin,
  which owns its tables) run no SQL: no ``sqlalchemy`` nor ``antrean.kernel.models``/``db`` import;
  services import no underscore name of another service, and no module reaches one through the core
  (``core.tickets._view``).
"""

from __future__ import annotations

import ast
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("antrean", "kiosk", "display", "console", "publik", "notifier", "hardware", "plugins")
FACES = ("kiosk", "display", "console", "publik", "notifier")
ABOVE_KERNEL = (
    (
        "antrean.services",
        "antrean.web",
        "antrean.core",
        "antrean.cli",
        "antrean.entry",
        "antrean.gunicorn_conf",
        "antrean.__main__",
    )
    + FACES
    + ("hardware", "plugins")
)

#: (importing module, imported module or its package, reason): the only imports allowed inside a function
ALLOWED_LOCAL = {
    (
        "antrean",
        "antrean.web.app",
        "``import antrean`` (the command's first import) stays light: antrean.entry "
        "monkey-patches for gevent before Flask, ssl or psycopg are imported",
    ),
    ("antrean.entry", "gevent", "the patch itself, only for ``antrean run``"),
    ("antrean.entry", "antrean.cli", "imported after the patch, never before"),
    ("antrean.kernel.runtime", "gevent", "only in a process that gevent patched (``patched()`` checks first)"),
    ("antrean.web.server", "gevent", "serve time only, after the patch"),
    ("antrean.web.server", "gunicorn", "serve time only, with --workers > 1"),
    ("antrean.services.health", "redis", "optional: only with a redis_url"),
    ("antrean.services.exports", "openpyxl", "heavy (~0.15 s), only when a spreadsheet is downloaded"),
    ("antrean.services.exports", "reportlab", "heavy (~0.15 s), only when a PDF is downloaded"),
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _runtime_imports(module: str, path: Path, modules: dict) -> list:
    """[(module, target, names, line, in_function)] for the runtime imports of one module."""
    is_package = path.name == "__init__.py"
    imports = []

    def visit(body, in_function):  # statements only: an import is a statement (fast: no expressions)
        for child in body:
            if isinstance(child, ast.Import):
                for alias in child.names:
                    imports.append((module, alias.name, (), child.lineno, in_function))
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:  # relative: from the module's package
                    package = module.split(".") if is_package else module.split(".")[:-1]
                    package = package[: len(package) - (child.level - 1)]
                    base = ".".join(package + ([base] if base else []))
                names = tuple(a.name for a in child.names)
                for name in names:  # ``from pkg import submodule`` imports the submodule
                    if f"{base}.{name}" in modules:
                        imports.append((module, f"{base}.{name}", (), child.lineno, in_function))
                imports.append((module, base, names, child.lineno, in_function))
            elif isinstance(child, ast.If) and _is_type_checking(child):
                visit(child.orelse, in_function)
            else:
                inner = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
                for field in ("body", "orelse", "finalbody"):
                    visit(getattr(child, field, ()) or (), inner)
                for part in getattr(child, "handlers", ()) or getattr(child, "cases", ()) or ():
                    visit(part.body, inner)

    visit(ast.parse(path.read_text(encoding="utf-8"), str(path)).body, False)
    return imports


@lru_cache(maxsize=1)
def project() -> tuple[dict, list]:
    """({module: path}, [(module, target, names, line, in_function)]) for every runtime import."""
    modules = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            modules[_module_name(path)] = path
    imports = []
    for module, path in modules.items():
        imports.extend(_runtime_imports(module, path, modules))
    return modules, imports


def _within(target: str, *prefixes: str) -> bool:
    return any(target == p or target.startswith(p + ".") for p in prefixes)


def _project_module(target: str, modules: dict) -> str | None:
    while target and target not in modules:
        target = target.rpartition(".")[0]
    return target or None


def _where(module: str, line: int) -> str:
    return f"{project()[0][module].relative_to(ROOT)}:{line}"


def test_the_graph_is_the_project():
    modules, imports = project()
    assert {
        "antrean.core",
        "antrean.kernel.db",
        "antrean.services.queue",
        "antrean.web.app",
        "console.views",
        "hardware.plugin",
        "plugins.ektp",
    } <= set(modules)
    assert len(imports) > 500


def test_no_import_cycle():
    modules, imports = project()
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for module, target, _names, _line, in_function in imports:
        found = _project_module(target, modules)
        if not in_function and found and found != module:
            graph[module].add(found)
    # Tarjan's strongly connected components, iteratively
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, edges = work[-1]
            for nxt in edges:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph[nxt]))))
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.add(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        components.append(component)
    cycles = [" -> ".join(_cycle_path(graph, component)) for component in components]
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def _cycle_path(graph: dict, component: set) -> list[str]:
    """One cycle through the component's first module: a breadth-first path back to it."""
    start = min(component)
    paths = {start: [start]}
    todo = [start]
    while todo:
        node = todo.pop(0)
        for nxt in sorted(graph[node] & component):
            if nxt == start:
                return paths[node] + [start]
            if nxt not in paths:
                paths[nxt] = paths[node] + [nxt]
                todo.append(nxt)
    return sorted(component)  # pragma: no cover - a component always has a cycle


def test_layers():
    modules, imports = project()
    wrong = []
    for module, target, names, line, _in_function in imports:
        where = f"{_where(module, line)}: {module} imports {target}"
        if _within(module, "antrean.kernel"):
            if target == "antrean" and set(names) <= {"__version__"}:
                continue
            if _within(target, *ABOVE_KERNEL) or _within(
                target, "flask", "flask_login", "flask_wtf", "flask_socketio", "flask_limiter"
            ):
                wrong.append(f"{where} (the kernel imports nothing above it)")
        elif _within(module, "antrean.services"):
            if _within(
                target,
                "antrean.web",
                "antrean.core",
                "antrean.cli",
                "flask",
                "flask_login",
                "flask_wtf",
                "flask_socketio",
                "flask_limiter",
                *FACES,
                "hardware",
            ):
                wrong.append(f"{where} (services import the kernel, never Flask, the web layer or the core)")
            if _within(target, "antrean.services") and target != module and any(n.startswith("_") for n in names):
                wrong.append(f"{where} {names} (another service's private names)")
        elif module in ("antrean.core", "antrean.cli") or _within(module, "antrean.web"):
            if _within(target, *FACES, "hardware"):
                wrong.append(f"{where} (the core, the CLI and the web layer know no face or hardware)")
            if _within(module, "antrean.web") and _within(target, "antrean.cli"):
                wrong.append(f"{where} (the web layer is below the CLI)")
    assert not wrong, "\n".join(wrong)


def test_no_import_inside_a_function_unless_listed():
    _modules, imports = project()
    allowed = {(m, t) for m, t, _reason in ALLOWED_LOCAL}
    local = [(m, t, line) for m, t, _names, line, in_function in imports if in_function]
    wrong = [
        f"{_where(m, line)}: {m} imports {t} inside a function"
        for m, t, line in local
        if not any(m == am and _within(t, at) for am, at in allowed)
    ]
    assert not wrong, "import at the top (or add it to ALLOWED_LOCAL with its reason):\n" + "\n".join(wrong)
    stale = {(am, at) for am, at in allowed if not any(m == am and _within(t, at) for m, t, _line in local)}
    assert not stale, f"ALLOWED_LOCAL lists imports that are gone: {sorted(stale)}"
    assert all(reason for _m, _t, reason in ALLOWED_LOCAL)


def test_faces_use_public_names_and_run_no_sql():
    _modules, imports = project()
    wrong = []
    for module, target, names, line, _in_function in imports:
        if not _within(module, *FACES, "hardware", "plugins"):
            continue
        where = f"{_where(module, line)}: {module} imports {target}"
        if _within(target, "antrean"):
            private = [n for n in names if n.startswith("_") and n != "__version__"]
            if private or any(part.startswith("_") and part != "__main__" for part in target.split(".")):
                wrong.append(f"{where} {private} (a private name: ask the service for public API)")
        if _within(module, *FACES) and _within(target, "sqlalchemy", "antrean.kernel.models", "antrean.kernel.db"):
            wrong.append(f"{where} (a face runs no SQL: call a service method)")
    assert not wrong, "\n".join(wrong)


def test_no_private_service_attribute_across_modules():
    """``core.tickets._view(...)`` from another module is a private name too: services expose ``view_in`` etc."""
    import re

    services = "tickets|queue|workflow|users|reports|survey|notify|booking|calendar"
    private = re.compile(rf"\bcore\.({services})\._[a-z]\w*")
    modules, _imports = project()
    wrong = [
        f"{path.relative_to(ROOT)}: {m.group(0)}"
        for module, path in modules.items()
        for m in private.finditer(path.read_text(encoding="utf-8"))
    ]
    assert not wrong, "\n".join(wrong)
