"""Checkers for the boundaries that import-linter cannot see.

Each takes plain inputs (a model, some migrations, source text, classes, a router) and returns a list
of human-readable problems, so test_boundaries.py can run it on the real project and, to prove it
can fail, on a small bad example.
"""

import ast
import dataclasses
import inspect
import re
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from enum import Enum
from pathlib import Path
from types import ModuleType
from typing import Any, get_args

from django.db.migrations import Migration
from django.db.models import Model
from django.db.utils import ConnectionRouter
from ninja import NinjaAPI
from pydantic import BaseModel

from contracts.kernel.errors import DomainError

# --- a) relations between models -------------------------------------------------------------


def cross_app_relations(model: type[Model]) -> list[str]:
    """Relation fields (either direction) whose other end is not in the model's own app.

    Every module has its own database, so such a relation could never be joined or enforced.
    """
    own = model._meta.app_label
    return [
        f"{model._meta.label}.{field.name} -> {_app_label_of(field.related_model)}"
        for field in model._meta.get_fields(include_hidden=True)
        if field.is_relation and _app_label_of(field.related_model) != own
    ]


def _app_label_of(related: Any) -> str:
    if isinstance(related, str):  # a lazy reference that never resolved: "app_label.Model"
        return related.split(".")[0]
    if related is None:  # a GenericForeignKey: it may point at any app's model
        return "<any app>"
    return str(related._meta.app_label)


# --- b) migration dependencies ---------------------------------------------------------------


def foreign_migration_dependencies(migrations: Iterable[Migration]) -> list[str]:
    """Dependencies (and run_before) on another app's migrations.

    A module's database contains only its own tables, and an extracted module takes its migrations
    along, so they must form a graph of their own.
    """
    problems = []
    for migration in migrations:
        own = migration.app_label
        for app_label, name, *_ in migration.dependencies:
            if app_label != own:
                problems.append(f"{own}.{migration.name} depends on {app_label}.{name}")
        for app_label, name, *_ in migration.run_before:
            if app_label != own:
                problems.append(f"{own}.{migration.name} must run before {app_label}.{name}")
    return problems


# --- c) references by string and dynamic imports --------------------------------------------

DYNAMIC_IMPORTS = frozenset({"import_module", "__import__"})
APP_LOOKUPS = frozenset({"get_model", "get_app_config"})
MODULE_PATH = re.compile(r"\bmodules\.([A-Za-z_]\w*)")
MODEL_LABEL = re.compile(r"([A-Za-z_]\w*)\.([A-Za-z_]\w*)")


def hidden_references(source: str, *, own: str, models_by_module: Mapping[str, Iterable[str]]) -> list[str]:
    """What in a module's source reaches another module without an import statement.

    ``own`` is the module's name; ``models_by_module`` maps every module's app label to its model
    names, so that a string like "inventory.Product" (a lazy ForeignKey) is recognised.
    """
    tree = ast.parse(source)
    docstrings = _docstring_nodes(tree)  # prose may mention other modules
    model_names = {label: {name.lower() for name in names} for label, names in models_by_module.items()}
    problems: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            problems += _call_problems(node, own=own)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node not in docstrings:
            problems += _string_problems(node, own=own, model_names=model_names)
    return problems


def _docstring_nodes(tree: ast.Module) -> set[ast.AST]:
    owners = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
    return {
        node.body[0].value
        for node in ast.walk(tree)
        if isinstance(node, owners)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }


def _call_problems(call: ast.Call, *, own: str) -> list[str]:
    name = _called_name(call.func)
    if name in DYNAMIC_IMPORTS:
        return [f"line {call.lineno}: {name}() hides an import from import-linter"]
    if name in APP_LOOKUPS and _first_literal_label(call) != own:
        return [f"line {call.lineno}: {name}() must name this module's own app ({own!r}) literally"]
    return []


def _called_name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _first_literal_label(call: ast.Call) -> str | None:
    first = call.args[0] if call.args else None
    if isinstance(first, ast.Constant) and isinstance(first.value, str):
        return first.value.split(".")[0]
    return None  # computed: it could name any app


def _string_problems(node: ast.Constant, *, own: str, model_names: Mapping[str, set[str]]) -> list[str]:
    text = str(node.value)
    problems = [
        f"line {node.lineno}: {text!r} names another module (modules.{match[1]})"
        for match in MODULE_PATH.finditer(text)
        if match[1] != own
    ]
    label = MODEL_LABEL.fullmatch(text)
    if label and label[1] != own and label[2].lower() in model_names.get(label[1], set()):
        problems.append(f"line {node.lineno}: {text!r} refers to another module's model by string")
    return problems


# --- d) OpenAPI schema names -----------------------------------------------------------------


def defined_classes(module: ModuleType, base: type = object) -> list[type]:
    """The subclasses of ``base`` defined in ``module`` (not merely imported into it)."""
    return [
        value
        for value in vars(module).values()
        if isinstance(value, type) and issubclass(value, base) and value.__module__ == module.__name__
    ]


def duplicate_names(classes: Iterable[type]) -> dict[str, list[str]]:
    """Class names used by more than one class, with where each is defined."""
    where: defaultdict[str, list[str]] = defaultdict(list)
    for cls in set(classes):
        where[cls.__name__].append(f"{cls.__module__}.{cls.__qualname__}")
    return {name: sorted(paths) for name, paths in where.items() if len(paths) > 1}


def exposed_types(api: NinjaAPI) -> set[type]:
    """Every model and enum the API's operations take or return, nested ones included.

    These are what become OpenAPI components: the per-operation wrappers ninja generates
    (response, body, query and path models) are walked through but are not components themselves.
    """
    found: set[type] = set()
    for wrapper in _operation_models(api):
        for field in wrapper.model_fields.values():
            _collect(field.annotation, found)
    return found


def _operation_models(api: NinjaAPI) -> Iterator[type[BaseModel]]:
    # ninja keeps its mounted routers in a private list; there is no public way to walk them.
    for _prefix, router in api._routers:
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                candidates = (*operation.models, *operation.response_models.values())
                yield from (m for m in candidates if isinstance(m, type) and issubclass(m, BaseModel))


def _collect(annotation: Any, found: set[type]) -> None:
    for candidate in _types_in(annotation):
        if candidate in found:
            continue
        if issubclass(candidate, BaseModel):
            found.add(candidate)
            for field in candidate.model_fields.values():
                _collect(field.annotation, found)
        elif issubclass(candidate, Enum):
            found.add(candidate)


def _types_in(annotation: Any) -> Iterator[type]:
    arguments = get_args(annotation)
    if arguments:  # list[X], X | None, Annotated[X, ...], dict[K, V]...
        for argument in arguments:
            yield from _types_in(argument)
    elif isinstance(annotation, type):
        yield annotation


def openapi_component_names(api: NinjaAPI, *, path_prefix: str | None = None) -> list[str]:
    schema = api.get_openapi_schema(path_prefix=path_prefix)
    return sorted(schema.get("components", {}).get("schemas", {}))


# --- e) database routing ---------------------------------------------------------------------


def routing_problems(
    model: type[Model], *, expected_alias: str, aliases: Iterable[str], router: ConnectionRouter
) -> list[str]:
    """Where ``router`` sends ``model`` other than to ``expected_alias``, for reads, writes and migrations."""
    label = model._meta.label
    problems = [
        f"{label}: {name} -> {alias!r}, expected {expected_alias!r}"
        for name, alias in (
            ("db_for_read", router.db_for_read(model)),
            ("db_for_write", router.db_for_write(model)),
        )
        if alias != expected_alias
    ]
    migrated_on = sorted(
        alias
        for alias in aliases
        if router.allow_migrate(alias, model._meta.app_label, model_name=model._meta.model_name)
    )
    if migrated_on != [expected_alias]:
        problems.append(f"{label}: migrated on {migrated_on}, expected only [{expected_alias!r}]")
    return problems


# --- f) naming conventions -------------------------------------------------------------------

CONTRACT_FILES = ("interface.py", "dto.py", "events.py", "errors.py")
VERSIONED_NAME = re.compile(r"V\d+$")


def interface_methods(interface: type) -> list[str]:
    return [name for name, value in vars(interface).items() if inspect.isfunction(value) and not name.startswith("_")]


def not_keyword_only(function: Callable[..., Any]) -> list[str]:
    """Parameters (``self`` aside) a caller could pass positionally."""
    parameters = inspect.signature(function).parameters.values()
    return [p.name for p in parameters if p.name != "self" and p.kind is not inspect.Parameter.KEYWORD_ONLY]


def implementation_problems(implementation: type, interface: type) -> list[str]:
    """Interface methods the class lacks, or implements with other or positional parameters."""
    problems = []
    for name in interface_methods(interface):
        method = getattr(implementation, name, None)
        if method is None:
            problems.append(f"{implementation.__name__} lacks {name}()")
            continue
        if positional := not_keyword_only(method):
            problems.append(f"{implementation.__name__}.{name}() takes {positional} positionally")
        if _parameter_names(method) != _parameter_names(getattr(interface, name)):
            problems.append(f"{implementation.__name__}.{name}() parameters differ from {interface.__name__}'s")
    return problems


def _parameter_names(function: Callable[..., Any]) -> list[str]:
    return [name for name in inspect.signature(function).parameters if name != "self"]


def missing_contract_files(package: Path) -> list[str]:
    return [f"{package.name}/{name}" for name in CONTRACT_FILES if not (package / name).is_file()]


def value_type_problems(classes: Iterable[type]) -> list[str]:
    """DTOs and events must be frozen, keyword-only dataclasses: immutable, and safe to extend."""
    problems = []
    for cls in classes:
        if not dataclasses.is_dataclass(cls):
            problems.append(f"{cls.__qualname__} is not a dataclass")
            continue
        if not cls.__dataclass_params__.frozen:  # type: ignore[attr-defined]
            problems.append(f"{cls.__qualname__} is not frozen")
        if positional := [f.name for f in dataclasses.fields(cls) if not f.kw_only]:
            problems.append(f"{cls.__qualname__} takes {positional} positionally")
    return problems


def unversioned_names(classes: Iterable[type]) -> list[str]:
    """Event types travel between processes: a breaking change is a new class with a new V<n>."""
    return [cls.__qualname__ for cls in classes if not VERSIONED_NAME.search(cls.__name__)]


def non_domain_errors(classes: Iterable[type]) -> list[str]:
    """Errors that cross a boundary derive from DomainError, so the API and the wire can map them."""
    return [cls.__qualname__ for cls in classes if not issubclass(cls, DomainError)]


# --- g) contracts import only the standard library ------------------------------------------


def non_stdlib_imports(source: str, *, first_party: Iterable[str] = ("contracts",)) -> list[str]:
    allowed = set(sys.stdlib_module_names) | set(first_party)
    problems = []
    for node in ast.walk(ast.parse(source)):
        for name in _absolute_imports(node):
            if name.split(".")[0] not in allowed:
                problems.append(f"line {node.lineno}: imports {name}")  # type: ignore[attr-defined]
    return problems


def _absolute_imports(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        return [node.module]
    return []  # a relative import stays inside its own package
