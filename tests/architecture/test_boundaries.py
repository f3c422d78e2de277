"""The boundaries import-linter cannot see: relations, migrations, strings, schemas, routing, names.

Each rule is checked on the real project, then (where cheap) its checker is shown a small bad
example, so a checker that silently finds nothing cannot pass for a kept rule.
"""

from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import Protocol

import pytest
from django.apps import AppConfig, apps
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.db import router
from django.db.migrations import Migration
from django.db.migrations.loader import MigrationLoader
from django.db.models import Model
from django.db.utils import ConnectionRouter
from ninja import NinjaAPI, Router, Schema

from app.api import api
from app.modules import ModuleSpec, discover_modules
from contracts.kernel.subscriptions import Subscription
from tests.architecture import checks

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CONTRACTS_DIR = PROJECT_ROOT / "contracts"
MODULES = discover_modules()
MODULE_NAMES = tuple(spec.name for spec in MODULES)


def module_app(spec: ModuleSpec) -> AppConfig:
    return apps.get_app_config(spec.name)


def module_models(spec: ModuleSpec) -> list[type[Model]]:
    return list(module_app(spec).get_models(include_auto_created=True))


def contract_packages() -> list[Path]:
    """Every module's contract package; the kernel is the shared ports, not a module's contract."""
    return sorted(p.parent for p in CONTRACTS_DIR.glob("*/__init__.py") if p.parent.name != "kernel")


def test_there_are_modules_to_check() -> None:
    assert len(MODULES) >= 2, "an empty discovery would make every other test pass vacuously"


# --- a) no relation field across apps --------------------------------------------------------


@pytest.mark.parametrize("spec", MODULES, ids=MODULE_NAMES)
def test_models_relate_only_to_their_own_modules_models(spec: ModuleSpec) -> None:
    problems = [p for model in module_models(spec) for p in checks.cross_app_relations(model)]

    assert problems == [], "reference another module's rows by a UUID field, never a relation"


def test_cross_app_relation_checker_catches_a_foreign_key_to_another_app() -> None:
    # Django's LogEntry has foreign keys to auth and contenttypes: just what a module must not do.
    assert checks.cross_app_relations(LogEntry) == [
        "admin.LogEntry.user -> auth",
        "admin.LogEntry.content_type -> contenttypes",
    ]


# --- b) no migration dependency across modules -----------------------------------------------


def module_migrations() -> list[Migration]:
    loader = MigrationLoader(None, ignore_no_migrations=True)  # reads files, needs no database
    return [m for (label, _), m in sorted(loader.disk_migrations.items()) if label in MODULE_NAMES]


def test_module_migrations_depend_only_on_their_own_module() -> None:
    migrations = module_migrations()

    assert migrations, "no module migrations found: the check would pass vacuously"
    assert {m.app_label for m in migrations} <= set(MODULE_NAMES)  # a bare scaffolded module has none yet
    assert checks.foreign_migration_dependencies(migrations) == []


def test_migration_checker_catches_a_dependency_on_another_module() -> None:
    class PriceSnapshot(Migration):
        dependencies = [("orders", "0001_initial"), ("inventory", "0001_initial")]
        run_before = [("notifications", "0001_initial")]

    migration = PriceSnapshot("0002_price_snapshot", "orders")

    assert checks.foreign_migration_dependencies([migration]) == [
        "orders.0002_price_snapshot depends on inventory.0001_initial",
        "orders.0002_price_snapshot must run before notifications.0001_initial",
    ]


# --- c) no reference to another module by string or dynamic import --------------------------


def models_by_module() -> dict[str, list[str]]:
    return {spec.name: [m.__name__ for m in module_models(spec)] for spec in MODULES}


def module_sources(spec: ModuleSpec) -> list[Path]:
    return sorted((PROJECT_ROOT / "modules" / spec.name).rglob("*.py"))


@pytest.mark.parametrize("spec", MODULES, ids=MODULE_NAMES)
def test_modules_name_no_other_module_in_strings_or_dynamic_imports(spec: ModuleSpec) -> None:
    known_models = models_by_module()
    problems = {
        str(path.relative_to(PROJECT_ROOT)): found
        for path in module_sources(spec)
        if (found := checks.hidden_references(path.read_text(), own=spec.name, models_by_module=known_models))
    }

    assert problems == {}, "reach other modules through contracts.<module>, never by name"


HIDDEN_REFERENCES_IN_ORDERS = '''
"""Docstrings may mention modules.inventory and "inventory.Product" freely."""
from django.apps import apps
from importlib import import_module

own_model = apps.get_model("orders", "Order")
product = apps.get_model("inventory", "Product")
anything = apps.get_model(label)
product_fk = models.ForeignKey("inventory.Product", on_delete=models.CASCADE)
own_fk = models.ForeignKey("orders.order", on_delete=models.CASCADE)
api.add_router("/stock", "modules.inventory.api.router")
inventory_api = import_module("modules.orders.api")
legacy = __import__("pickle")
'''


def test_hidden_reference_checker_catches_each_kind_of_reference() -> None:
    problems = checks.hidden_references(
        HIDDEN_REFERENCES_IN_ORDERS,
        own="orders",
        models_by_module={"orders": ["Order"], "inventory": ["Product"]},
    )

    assert sorted(problems) == sorted(
        [
            "line 7: get_model() must name this module's own app ('orders') literally",
            "line 8: get_model() must name this module's own app ('orders') literally",
            "line 9: 'inventory.Product' refers to another module's model by string",
            "line 11: 'modules.inventory.api.router' names another module (modules.inventory)",
            "line 12: import_module() hides an import from import-linter",
            "line 13: __import__() hides an import from import-linter",
        ]
    )


# --- d) OpenAPI schema names are unique ------------------------------------------------------


def declared_schemas() -> list[type]:
    """Schemas defined in every module's schemas.py, plus the platform's own (app.api)."""
    modules = [import_module("app.api")]
    modules += [import_module(f"{spec.package}.schemas") for spec in MODULES if _has_schemas(spec)]
    return [cls for module in modules for cls in checks.defined_classes(module, Schema)]


def _has_schemas(spec: ModuleSpec) -> bool:
    return (PROJECT_ROOT / "modules" / spec.name / "schemas.py").is_file()


def test_schema_names_are_unique_across_modules() -> None:
    schemas = declared_schemas()

    assert len(schemas) > len(MODULES)  # each module has some, so the collection works
    assert checks.duplicate_names(schemas) == {}, "prefix the name with the module's entity (OrderLineOut)"


def test_openapi_has_one_component_per_exposed_schema() -> None:
    # django-ninja merges same-named schemas into one component, silently (issues #965, #1596):
    # one component per exposed class, by name, shows that nothing was merged.
    exposed = sorted(cls.__name__ for cls in checks.exposed_types(api))

    assert len(exposed) >= len(MODULES)  # each module exposes some, so the walk works
    assert exposed == checks.openapi_component_names(api)


def schema_class(name: str, *, module: str, fields: dict[str, type]) -> type[Schema]:
    """A Schema as if ``module`` defined it, without writing that module."""
    return type(name, (Schema,), {"__annotations__": fields, "__module__": module})


def two_modules_with_a_line_out() -> tuple[type[Schema], type[Schema]]:
    return (
        schema_class("LineOut", module="modules.orders.schemas", fields={"sku": str}),
        schema_class("LineOut", module="modules.inventory.schemas", fields={"quantity": int}),
    )


def test_duplicate_name_checker_catches_the_same_name_in_two_modules() -> None:
    order_line, stock_line = two_modules_with_a_line_out()

    assert checks.duplicate_names([order_line, stock_line]) == {
        "LineOut": ["modules.inventory.schemas.LineOut", "modules.orders.schemas.LineOut"]
    }


def test_component_check_catches_ninja_merging_two_same_named_schemas() -> None:
    order_line, stock_line = two_modules_with_a_line_out()
    proof_api = NinjaAPI(urls_namespace="architecture-proof")
    for name, schema in (("orders", order_line), ("inventory", stock_line)):
        module_router = Router()
        module_router.add_api_operation("/lines", ["GET"], lambda request: {}, response=schema)
        proof_api.add_router(f"/{name}", module_router)

    exposed = sorted(cls.__name__ for cls in checks.exposed_types(proof_api))

    assert exposed == ["LineOut", "LineOut"]
    assert checks.openapi_component_names(proof_api, path_prefix="") == ["LineOut"]  # the silent merge


# --- e) every model is routed to its module's database ---------------------------------------


@pytest.mark.parametrize("spec", MODULES, ids=MODULE_NAMES)
def test_module_models_live_in_the_modules_database(spec: ModuleSpec) -> None:
    models = module_models(spec)
    problems = [
        p
        for model in models
        for p in checks.routing_problems(
            model, expected_alias=spec.database_alias, aliases=settings.DATABASES, router=router
        )
    ]

    if not models:
        pytest.skip(f"{spec.name} has no models yet (a bare module)")
    assert spec.database_alias in settings.DATABASES
    assert problems == []


def test_djangos_own_models_live_in_default() -> None:
    django_apps = [config for config in apps.get_app_configs() if config.name.startswith("django.")]
    problems = [
        p
        for config in django_apps
        for model in config.get_models(include_auto_created=True)
        for p in checks.routing_problems(model, expected_alias="default", aliases=settings.DATABASES, router=router)
    ]

    assert problems == []


class EverythingInDefault:
    """A router that forgot the modules: what the routing check must catch."""

    def db_for_read(self, model: type[Model], **hints: object) -> str:
        return "default"

    def db_for_write(self, model: type[Model], **hints: object) -> str:
        return "default"

    def allow_migrate(self, db: str, app_label: str, **hints: object) -> bool:
        return db == "default"


def test_routing_checker_catches_a_module_model_routed_to_default() -> None:
    order = apps.get_model("orders", "Order")

    problems = checks.routing_problems(
        order,
        expected_alias="orders",
        aliases=settings.DATABASES,
        router=ConnectionRouter([EverythingInDefault()]),
    )

    assert problems == [
        "orders.Order: db_for_read -> 'default', expected 'orders'",
        "orders.Order: db_for_write -> 'default', expected 'orders'",
        "orders.Order: migrated on ['default'], expected only ['orders']",
    ]


# --- f) the naming conventions app.modules.ModuleSpec relies on -------------------------------


@pytest.mark.parametrize("spec", MODULES, ids=MODULE_NAMES)
def test_module_app_is_labelled_after_the_module(spec: ModuleSpec) -> None:
    assert module_app(spec).name == spec.package


@pytest.mark.parametrize("spec", MODULES, ids=MODULE_NAMES)
def test_module_facade_implements_its_interface_keyword_only(spec: ModuleSpec) -> None:
    interface = spec.interface()

    assert interface.__name__ == f"{spec.class_prefix}Interface"
    assert getattr(interface, "_is_protocol", False), f"{interface.__name__} is not a typing.Protocol"
    assert [m for m in checks.interface_methods(interface) if checks.not_keyword_only(getattr(interface, m))] == []
    assert checks.implementation_problems(type(spec.facade()), interface) == []


@pytest.mark.parametrize("spec", MODULES, ids=MODULE_NAMES)
def test_module_exposes_a_router_and_its_subscriptions(spec: ModuleSpec) -> None:
    subscriptions = spec.subscriptions()

    assert isinstance(spec.router(), Router)
    assert all(isinstance(s, Subscription) for s in subscriptions)
    # the id's prefix is who subscribes: it keys idempotency records and dead letters
    assert [s.id for s in subscriptions if s.module != spec.name] == []


class PricesInterface(Protocol):
    def get_prices(self, *, skus: tuple[str, ...]) -> tuple[str, ...]: ...

    def get_stock(self, *, sku: str) -> int: ...


class SloppyFacade:
    def get_prices(self, skus: tuple[str, ...]) -> tuple[str, ...]:
        return skus


def test_implementation_checker_catches_missing_and_positional_methods() -> None:
    assert checks.implementation_problems(SloppyFacade, PricesInterface) == [
        "SloppyFacade.get_prices() takes ['skus'] positionally",
        "SloppyFacade lacks get_stock()",
    ]


@pytest.mark.parametrize("package", contract_packages(), ids=lambda p: p.name)
def test_contract_package_has_its_four_files(package: Path) -> None:
    assert checks.missing_contract_files(package) == []


@pytest.mark.parametrize("package", contract_packages(), ids=lambda p: p.name)
def test_contract_types_are_frozen_keyword_only_and_versioned(package: Path) -> None:
    dto, events, errors = (import_module(f"contracts.{package.name}.{name}") for name in ("dto", "events", "errors"))
    event_types = checks.defined_classes(events)

    assert checks.value_type_problems(checks.defined_classes(dto)) == []
    assert checks.value_type_problems(event_types) == []
    assert checks.unversioned_names(event_types) == []
    assert checks.non_domain_errors(checks.defined_classes(errors)) == []


@dataclass
class OrderPlaced:
    order_id: str


def test_value_type_checkers_catch_a_mutable_positional_unversioned_event() -> None:
    assert checks.value_type_problems([OrderPlaced, ValueError]) == [
        "OrderPlaced is not frozen",
        "OrderPlaced takes ['order_id'] positionally",
        "ValueError is not a dataclass",
    ]
    assert checks.unversioned_names([OrderPlaced]) == ["OrderPlaced"]
    assert checks.non_domain_errors([ValueError]) == ["ValueError"]


def test_contract_file_checker_catches_a_missing_file(tmp_path: Path) -> None:
    (tmp_path / "interface.py").touch()

    assert checks.missing_contract_files(tmp_path) == [
        f"{tmp_path.name}/{n}" for n in ("dto.py", "events.py", "errors.py")
    ]


# --- g) contracts import only the standard library -------------------------------------------


def contract_sources() -> list[Path]:
    return sorted(CONTRACTS_DIR.rglob("*.py"))


def test_contracts_import_only_the_standard_library() -> None:
    sources = contract_sources()
    problems = {
        str(path.relative_to(PROJECT_ROOT)): found
        for path in sources
        if (found := checks.non_stdlib_imports(path.read_text()))
    }

    assert sources
    assert problems == {}, "contracts are plain Python: dataclasses, Protocols, exceptions"


def test_stdlib_checker_catches_a_framework_import() -> None:
    source = """
import dataclasses
from contracts.kernel.events import Event
import django.db
from pydantic import BaseModel
"""

    assert checks.non_stdlib_imports(source) == ["line 4: imports django.db", "line 5: imports pydantic"]


def test_the_per_module_checks_are_not_vacuous() -> None:
    """Bare modules may have no models or contract methods yet, but the project as a whole must."""
    assert any(list(apps.get_app_config(spec.name).get_models()) for spec in MODULES)
    assert any(checks.interface_methods(spec.interface()) for spec in MODULES)
