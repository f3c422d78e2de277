"""Name checks and the spellings derived from a name: pure functions, no database, no files written."""

from pathlib import Path

import pytest

from app.modules import ModuleSpec
from app.scaffold.names import (
    NameRefusedError,
    check_entity_name,
    check_module_name,
    entity_names,
    module_names,
    pluralize,
)

LABELS = ("platform", "admin", "auth", "contenttypes", "sessions", "messages", "staticfiles", "ninja")


def check(name: str, root: Path) -> None:
    check_module_name(name, root=root, app_labels=LABELS, database_aliases=("default",))


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("", "not a valid module name"),
        ("Shipping", "not a valid module name"),
        ("9lives", "not a valid module name"),
        ("ship-ping", "not a valid module name"),
        ("ship ping", "not a valid module name"),
        ("_shipping", "not a valid module name"),
        ("shipping_", "not a valid module name"),
        ("ship__ping", "not a valid module name"),
        ("shipping.v2", "not a valid module name"),
        ("expédition", "not a valid module name"),
        ("s" * 31, "too long"),
        ("class", "Python keyword"),
        ("lambda", "Python keyword"),
        ("match", "Python keyword"),
        ("json", "standard-library module"),
        ("email", "standard-library module"),
        ("platform", "standard-library module"),
        ("app", "reserved"),
        ("contracts", "reserved"),
        ("kernel", "reserved"),
        ("modules", "reserved"),
        ("tests", "reserved"),
        ("health", "reserved"),
        ("auth", "label of an installed Django app"),
        ("admin", "label of an installed Django app"),
        ("sessions", "label of an installed Django app"),
        ("ninja", "label of an installed Django app"),
        ("default", "database alias"),
    ],
)
def test_a_name_that_cannot_be_a_module_is_refused_in_one_line(name: str, reason: str, tmp_path: Path) -> None:
    with pytest.raises(NameRefusedError, match=reason) as refused:
        check(name, tmp_path)

    assert "\n" not in str(refused.value)


@pytest.mark.parametrize("entry", ["reports/__init__.py", "manage.py"])
def test_a_top_level_package_or_module_of_the_project_is_refused(entry: str, tmp_path: Path) -> None:
    (tmp_path / entry).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / entry).touch()

    with pytest.raises(NameRefusedError, match="top-level package or module of this project"):
        check(entry.split("/")[0].removesuffix(".py"), tmp_path)


def test_an_existing_module_is_refused(tmp_path: Path) -> None:
    (tmp_path / "modules" / "shipping").mkdir(parents=True)
    (tmp_path / "modules" / "shipping" / "apps.py").touch()

    with pytest.raises(NameRefusedError, match=r"a module named 'shipping' already exists"):
        check("shipping", tmp_path)


def test_an_existing_contract_package_is_refused(tmp_path: Path) -> None:
    (tmp_path / "contracts" / "shipping").mkdir(parents=True)

    with pytest.raises(NameRefusedError, match=r"contract package named 'shipping' already exists"):
        check("shipping", tmp_path)


def test_a_name_whose_class_prefix_another_module_has_is_refused(tmp_path: Path) -> None:
    (tmp_path / "modules" / "a1b").mkdir(parents=True)
    (tmp_path / "modules" / "a1b" / "apps.py").touch()

    with pytest.raises(NameRefusedError, match="class prefix A1b"):
        check("a_1b", tmp_path)


@pytest.mark.parametrize("folder", ["modules/shipping", "contracts/shipping", "tests/modules/shipping"])
def test_a_dirty_target_directory_is_refused(folder: str, tmp_path: Path) -> None:
    (tmp_path / folder).mkdir(parents=True)
    (tmp_path / folder / "notes.txt").write_text("mine")

    with pytest.raises(NameRefusedError, match=r"exists and is not empty|already exists"):
        check("shipping", tmp_path)


def test_an_empty_or_cache_only_target_directory_may_be_reused(tmp_path: Path) -> None:
    (tmp_path / "modules" / "shipping" / "__pycache__").mkdir(parents=True)
    (tmp_path / "tests" / "modules" / "shipping").mkdir(parents=True)

    check("shipping", tmp_path)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("parcel-label", "not a valid entity name"),
        ("Parcel_Label", "not a valid entity name"),
        ("class", "Python keyword"),
        ("request", "shadow a name"),
        ("Router", "shadow a name"),
        ("Subscription", "shadow a name"),
        ("e" * 31, "too long"),
    ],
)
def test_an_entity_name_that_would_break_the_generated_code_is_refused(raw: str, reason: str) -> None:
    with pytest.raises(NameRefusedError, match=reason):
        check_entity_name(raw)


def test_an_entity_may_be_given_in_snake_or_camel_case() -> None:
    assert check_entity_name("ParcelLabel") == check_entity_name("parcel_label")


def test_every_spelling_of_an_entity() -> None:
    entity = entity_names("parcel_label")

    assert (entity.snake, entity.camel, entity.plural, entity.url) == (
        "parcel_label",
        "ParcelLabel",
        "parcel_labels",
        "parcel-labels",
    )
    assert (entity.verbose, entity.verbose_plural, entity.article) == ("parcel label", "parcel labels", "a")
    assert entity_names("item").article == "an"


@pytest.mark.parametrize(
    ("word", "plural"),
    [("item", "items"), ("box", "boxes"), ("category", "categories"), ("day", "days"), ("batch", "batches")],
)
def test_plurals_for_url_paths(word: str, plural: str) -> None:
    assert pluralize(word) == plural


def test_the_class_prefix_is_the_one_module_discovery_looks_up() -> None:
    names = module_names("parcel_tracking", entity=None)

    assert names.camel == ModuleSpec("parcel_tracking").class_prefix == "ParcelTracking"
    assert names.verbose == "Parcel tracking"
