"""Which names a new module (and its sample entity) may have, and every spelling derived from one.

A module's name is its package (``modules/<name>``), its contract package (``contracts/<name>``),
its Django app label, its database alias, its URL prefix (``/api/<name>/``) and, in CamelCase, the
prefix of its classes. So it must be safe in all of those places at once; each refusal below says
in one line which place it would break.
"""

import keyword
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from app.modules import ModuleSpec

MAX_LENGTH = 30  # keeps "<database>_<name>" and "<name>_<entity>" within PostgreSQL's 63 characters
SNAKE_CASE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
CAMEL_CASE = re.compile(r"[A-Z][a-zA-Z0-9]*")
CACHES = frozenset({"__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".DS_Store"})

RESERVED = {
    "app": "the composition root's package",
    "platform": "the composition root's app label",
    "contracts": "the package of every module's contract",
    "kernel": "the shared kernel's contract package (contracts.kernel)",
    "modules": "the package that holds the modules",
    "tests": "the test package",
    "scripts": "the package of entry scripts",
    "benchmarks": "the benchmarks package",
    "api": "the name of the public API's URL prefix (/api/)",
    "docs": "the URL of the API documentation (/api/docs)",
    "health": "the URL of the health endpoint (/api/health)",
    "openapi": "the URL of the OpenAPI document (/api/openapi.json)",
    "static": "the URL prefix of static files",
}

# Names the templates use as identifiers: a sample entity called like one would shadow it.
ENTITY_RESERVED_CLASSES = frozenset(
    {"AppConfig", "ClassVar", "DomainError", "Event", "Field", "HttpRequest", "LimitOffsetPagination"}
    | {"Migration", "NotFoundError", "OutboxEvent", "Protocol", "QuerySet", "Router", "Schema", "Status"}
    | {"Subscription", "UUID"}
)
ENTITY_RESERVED_NAMES = frozenset(
    {"admin", "api", "apps", "bus", "client", "created", "db", "domain", "facade", "gateways", "handlers"}
    | {"migrations", "models", "name", "payload", "publish", "published", "pytest", "registry", "request"}
    | {"response", "router", "schemas", "selectors", "services", "settings", "transaction", "uuid"}
)


class RefusedError(ValueError):
    """The module cannot be created; the message is one line saying why."""


class NameRefusedError(RefusedError):
    """A name that cannot be used."""


@dataclass(frozen=True, kw_only=True)
class EntityNames:
    snake: str  # parcel_label: functions (parcel_label_create), variables, the model's table
    camel: str  # ParcelLabel: the model, DTO, event and error classes
    plural: str  # parcel_labels
    url: str  # parcel-labels: the collection's URL path
    verbose: str  # parcel label
    verbose_plural: str  # parcel labels
    article: str  # a (parcel label), an (item)


@dataclass(frozen=True, kw_only=True)
class ModuleNames:
    name: str  # shipping: package, app label, database alias, URL prefix
    camel: str  # Shipping: class prefix (ShippingConfig, ShippingFacade, ShippingInterface...)
    verbose: str  # Shipping: the app's verbose_name
    entity: EntityNames | None  # the sample entity, None with --no-sample


def check_module_name(name: str, *, root: Path, app_labels: Iterable[str], database_aliases: Iterable[str]) -> None:
    """Raise ``NameRefusedError`` unless a new module may be called ``name``."""
    _check_syntax(name, what="module name")
    if name in sys.stdlib_module_names:
        raise NameRefusedError(f"'{name}' is a standard-library module name; pick a domain word")
    if name in RESERVED:
        raise NameRefusedError(f"'{name}' is reserved: it is {RESERVED[name]}")
    if (root / name / "__init__.py").exists() or (root / f"{name}.py").exists():
        raise NameRefusedError(f"'{name}' is reserved: it is a top-level package or module of this project")
    if (root / "modules" / name / "apps.py").exists():
        raise NameRefusedError(f"a module named '{name}' already exists (modules/{name}/)")
    if (root / "contracts" / name).exists():
        raise NameRefusedError(f"a contract package named '{name}' already exists (contracts/{name}/)")
    if name in set(app_labels):
        raise NameRefusedError(f"'{name}' is already the label of an installed Django app")
    if name in set(database_aliases):
        raise NameRefusedError(f"'{name}' is already a database alias in settings.DATABASES")
    _check_class_prefix(name, root=root)
    for folder in (f"modules/{name}", f"contracts/{name}", f"tests/modules/{name}"):
        if _dirty(root / folder):
            raise NameRefusedError(f"the target directory {folder}/ exists and is not empty")


def check_entity_name(raw: str) -> EntityNames:
    """The sample entity, given in snake_case (parcel_label) or CamelCase (ParcelLabel)."""
    snake = _snake_from_camel(raw) if CAMEL_CASE.fullmatch(raw) else raw
    _check_syntax(snake, what="entity name")
    entity = entity_names(snake)
    if entity.camel in ENTITY_RESERVED_CLASSES or snake in ENTITY_RESERVED_NAMES:
        raise NameRefusedError(f"'{raw}' would shadow a name the generated code uses; pick another entity")
    return entity


def module_names(name: str, *, entity: EntityNames | None) -> ModuleNames:
    words = name.split("_")
    return ModuleNames(
        name=name,
        camel=ModuleSpec(name).class_prefix,  # the spelling discovery looks up
        verbose=" ".join(words).capitalize(),
        entity=entity,
    )


def entity_names(snake: str) -> EntityNames:
    words = snake.split("_")
    plural_words = [*words[:-1], pluralize(words[-1])]
    return EntityNames(
        snake=snake,
        camel="".join(word.capitalize() for word in words),
        plural="_".join(plural_words),
        url="-".join(plural_words),
        verbose=" ".join(words),
        verbose_plural=" ".join(plural_words),
        article="an" if snake[0] in "aeio" else "a",
    )


def pluralize(word: str) -> str:
    """English plural, good enough for a URL path: box -> boxes, category -> categories."""
    if word.endswith(("s", "x", "z", "ch", "sh")):
        return f"{word}es"
    if word.endswith("y") and len(word) > 1 and word[-2] not in "aeiou":
        return f"{word[:-1]}ies"
    return f"{word}s"


def _check_syntax(name: str, *, what: str) -> None:
    if not SNAKE_CASE.fullmatch(name):
        raise NameRefusedError(
            f"'{name}' is not a valid {what}: use lowercase letters, digits and single underscores, "
            "starting with a letter"
        )
    if len(name) > MAX_LENGTH:
        raise NameRefusedError(f"'{name}' is too long for a {what}: at most {MAX_LENGTH} characters")
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        raise NameRefusedError(f"'{name}' is a Python keyword")


def _check_class_prefix(name: str, *, root: Path) -> None:
    prefix = ModuleSpec(name).class_prefix
    for apps_file in sorted((root / "modules").glob("*/apps.py")):
        other = apps_file.parent.name
        if ModuleSpec(other).class_prefix == prefix:
            raise NameRefusedError(f"'{name}' gives the class prefix {prefix}, as module '{other}' does")


def _dirty(folder: Path) -> bool:
    """An existing folder holding anything but caches (an empty one may be reused)."""
    if not folder.exists():
        return False
    if not folder.is_dir():
        return True
    return any(child.name not in CACHES for child in folder.iterdir())


def _snake_from_camel(camel: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", camel).lower()
