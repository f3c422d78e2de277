"""The topology edits are inverses, whatever the file around the services looks like."""

import tomllib

import pytest

from scripts.extraction.topology_edit import DEFAULT_TEXT, add_service, remove_service
from tests.scripts.support import PROJECT_ROOT

URL = "http://127.0.0.1:8001"
LAYOUTS = {
    "the project's": (PROJECT_ROOT / "topology.toml").read_text(),
    "ends with a blank line": DEFAULT_TEXT + "\n",
    "ends with a comment": DEFAULT_TEXT + "# more services below, one day\n",
    "comments everywhere": (
        "# head\n\n[services.monolith]  # the main one\n# what it hosts\n"
        'modules = ["*"]  # everything\nurl = "http://127.0.0.1:8000"  # where\n'
    ),
    "no final newline": DEFAULT_TEXT.rstrip("\n"),
    "another table after": DEFAULT_TEXT + "\n[extra]\nnote = 1\n",
    "an extracted service already": DEFAULT_TEXT + '\n[services.orders]\nmodules = ["orders"]\nurl = "http://o:9"\n',
    "explicit modules": '[services.monolith]\nmodules = ["inventory", "notifications", "orders"]\nurl = "http://m:1"\n',
    "explicit, multi-line": (
        '[services.monolith]\nmodules = [\n    "inventory",\n    "notifications",\n    "orders",\n]\nurl = "http://m:1"\n'
    ),
}


@pytest.mark.parametrize("text", LAYOUTS.values(), ids=LAYOUTS.keys())
@pytest.mark.parametrize("module", ["inventory", "notifications"])
def test_removing_an_added_service_restores_the_text_byte_for_byte(text: str, module: str) -> None:
    added, invertible = add_service(text, module=module, url=URL, main="monolith")

    assert invertible
    assert tomllib.loads(added)["services"][module] == {"modules": [module], "url": URL}
    assert module not in tomllib.loads(added)["services"]["monolith"]["modules"]
    assert remove_service(added, module=module, service=module, main="monolith") == text


def test_an_empty_topology_starts_from_the_default_file() -> None:
    added, _ = add_service("", module="inventory", url=URL, main="monolith")

    assert tomllib.loads(added)["services"] == {
        "monolith": {"modules": ["*"], "url": "http://127.0.0.1:8000"},
        "inventory": {"modules": ["inventory"], "url": URL},
    }


def test_removing_one_module_of_a_shared_service_keeps_the_service() -> None:
    text = DEFAULT_TEXT + '\n[services.stock]\nmodules = ["inventory", "orders"]\nurl = "http://s:1"\n'

    removed = remove_service(text, module="inventory", service="stock", main="monolith")

    assert tomllib.loads(removed)["services"]["stock"] == {"modules": ["orders"], "url": "http://s:1"}
