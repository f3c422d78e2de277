"""The structured edit of topology.toml: add a service for a module, or take it away again.

tomlkit keeps every comment and the layout of what it does not touch. The two edits are inverses:
adding ``[services.<module>]`` and then removing it gives back the original text byte for byte. Both
keep the file's ending (tomlkit leaves the blank line that separated a removed last table behind),
and ``add_service`` proves the inverse on the actual text before anything is written.
"""

import difflib

import tomlkit
from tomlkit.items import Array, Table
from tomlkit.toml_document import TOMLDocument

from app.topology import DEFAULT_SERVICE, EVERYTHING_ELSE
from scripts.extraction.project import DEFAULT_HOST, RefusedError, service_url

HEADER = """\
# Which modules run in which service, and where each service is reached (see app/topology.py).
# `scripts/extract_module.py <module>` adds a service here; `--merge <module>` removes it.
"""
DEFAULT_TEXT = f"""{HEADER}
[services.{DEFAULT_SERVICE}]
modules = ["{EVERYTHING_ELSE}"]
url = "{service_url(DEFAULT_HOST, 8000)}"
"""


def add_service(text: str, *, module: str, url: str, main: str) -> tuple[str, bool]:
    """``text`` with ``[services.<module>]`` hosting ``module`` at ``url`` (and ``module`` taken out of
    the main service when that one lists its modules). Also whether ``remove_service`` restores
    ``text`` byte for byte."""
    text = text if text.strip() else DEFAULT_TEXT
    doc = tomlkit.parse(text)
    services = _services(doc)
    main_modules = _modules(services, main)
    if EVERYTHING_ELSE not in main_modules and module in main_modules:
        del main_modules[list(main_modules).index(module)]
    table = tomlkit.table()
    table.add("modules", [module])
    table.add("url", url)
    services[module] = table
    added = _keep_ending(text, tomlkit.dumps(doc))
    return added, remove_service(added, module=module, service=module, main=main) == text


def remove_service(text: str, *, module: str, service: str, main: str) -> str:
    """``text`` without ``module`` in ``service``: the table goes when it hosted only that module;
    the main service gets ``module`` back when it lists its modules."""
    doc = tomlkit.parse(text)
    services = _services(doc)
    main_modules = _modules(services, main)
    if EVERYTHING_ELSE not in main_modules and module not in main_modules:
        _insert(main_modules, module)
    hosted = _modules(services, service)
    if [str(m) for m in hosted] == [module]:
        del services[service]
    else:
        del hosted[list(hosted).index(module)]
    return _keep_ending(text, tomlkit.dumps(doc))


def diff(before: str, after: str, *, name: str) -> str:
    lines = difflib.unified_diff(
        before.splitlines(keepends=True), after.splitlines(keepends=True), fromfile=name, tofile=f"{name} (after)"
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def _services(doc: TOMLDocument) -> Table:
    services = doc.get("services")
    if not isinstance(services, Table):
        raise RefusedError("topology.toml: write the services as [services.<name>] tables to edit them")
    return services


def _modules(services: Table, name: str) -> Array:
    service = services.get(name)
    modules = service.get("modules") if isinstance(service, Table) else None
    if not isinstance(modules, Array):
        raise RefusedError(f"topology.toml: services.{name}.modules is not an array")
    return modules


def _insert(modules: Array, module: str) -> None:
    """In alphabetical place when the list is sorted, else at the end."""
    names = [str(m) for m in modules]
    place = len(names)
    if names == sorted(names):
        place = next((i for i, name in enumerate(names) if name > module), place)
    if place == 0 and names:  # tomlkit loses the separator's space when inserting first: insert second, swap
        modules.insert(1, module)
        modules[0], modules[1] = module, names[0]
    else:
        modules.insert(place, module)


def _keep_ending(before: str, after: str) -> str:
    """``after`` ending in as many newlines as ``before`` does."""
    return after.rstrip("\n") + "\n" * (len(before) - len(before.rstrip("\n")))
