"""What each file of a module is for: the anatomy that the scaffold, import-linter and readers share.

Keys are paths with ``<name>`` for the module's name. ``--help`` prints this table and ``--dry-run``
annotates each planned file with its line, so the two cannot drift apart (a test checks that every
template has an entry).
"""

import tomllib
from pathlib import Path

ROLES = {
    "modules/<name>/__init__.py": "the package; its docstring says what the module does",
    "modules/<name>/apps.py": "the Django app: label == database alias == <name>",
    "modules/<name>/api.py": "ninja Router at /api/<name>/: parse, call services/selectors",
    "modules/<name>/schemas.py": "In/Out schemas named <Name><Entity>...: unique in OpenAPI",
    "modules/<name>/handlers.py": "SUBSCRIPTIONS to other modules' events (idempotent)",
    "modules/<name>/facade.py": "<Name>Facade implements the contract, returns DTOs",
    "modules/<name>/services.py": "writes <entity>_<verb>(): atomic on <name>, publish events",
    "modules/<name>/selectors.py": "reads <entity>_get/_list: this module's tables only",
    "modules/<name>/gateways.py": "other modules' interfaces, from the registry",
    "modules/<name>/models.py": "skinny models; other modules' rows by UUID, never FK",
    "modules/<name>/domain.py": "pure rules and value objects, no Django",
    "modules/<name>/admin.py": "the Django admin of the module's models",
    "modules/<name>/demo.py": "demo data for `make run` (load_demo_data), idempotent",
    "modules/<name>/migrations/__init__.py": "migrations, applied to the module's database only",
    "modules/<name>/migrations/0001_initial.py": "creates the sample entity's table",
    "contracts/<name>/__init__.py": "the contract: the only part other modules may import",
    "contracts/<name>/interface.py": "<Name>Interface(Protocol): keyword-only, on DTOs",
    "contracts/<name>/dto.py": "frozen, keyword-only dataclasses",
    "contracts/<name>/events.py": "<Thing><PastTense>V<n>; breaking change = new version",
    "contracts/<name>/errors.py": "DomainError subclasses (NotFoundError -> HTTP 404)",
    "tests/modules/<name>/__init__.py": "module tests (shared fixtures in tests/conftest.py)",
    "tests/modules/<name>/conftest.py": "a sample entity, created through the services",
    "tests/modules/<name>/test_domain.py": "domain rules, no database",
    "tests/modules/<name>/test_services.py": "services, selectors; events stored only with a commit",
    "tests/modules/<name>/test_facade.py": "the facade keeps the contract, bound in the registry",
    "tests/modules/<name>/test_api.py": "the HTTP API and its OpenAPI entries",
    "tests/contracts/cases_<name>.py": "contract conformance: same answers in-process and over HTTP",
}


def role(path: str, *, name: str) -> str:
    """The role of ``path`` (relative to the project root) in module ``name``; "" if it has none."""
    return ROLES.get(path.replace(f"/{name}/", "/<name>/", 1).replace(f"/cases_{name}.py", "/cases_<name>.py"), "")


def help_table() -> str:
    width = max(len(path) for path in ROLES)
    return "\n".join(f"  {path:<{width}}  {text}" for path, text in ROLES.items())


def layers(pyproject: Path) -> list[str]:
    """The module-anatomy layers of the import-linter contract in ``pyproject``, top to bottom.

    Read from the contract whose ``containers`` are ``modules.*``, so the help text shows the rule
    that is enforced, not a copy of it; empty when there is no such contract.
    """
    try:
        config = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return []
    for contract in config.get("tool", {}).get("importlinter", {}).get("contracts", []):
        if contract.get("type") == "layers" and "modules.*" in contract.get("containers", []):
            return [str(layer).replace("(", "").replace(")", "") for layer in contract.get("layers", [])]
    return []
