"""The next steps printed after an extraction or a merge: exact commands, in order."""

import os
from urllib.parse import urlsplit

from app.topology import Service
from scripts.extraction.deployment import DEPLOY, processes


def extracted(*, module: str, service: Service, main: Service, standalone: str | None) -> str:
    env = f"{DEPLOY}/{service.name}.env"
    lines = [
        "Next steps",
        f"1. Move {module}'s data. Its tables are already alone in their own database:",
        f"   - SQLite (the default): var/db/{module}.sqlite3. On this machine the {service.name} service opens",
        "     that same file: nothing to move. For another host, stop the monolith's processes, copy it",
        f'     (sqlite3 var/db/{module}.sqlite3 ".backup {module}.sqlite3") and set',
        f"     {module.upper()}_DATABASE_URL=sqlite:////<path>/{module}.sqlite3 in {env}.",
        f"   - PostgreSQL (DATABASE_URL=postgres://.../<database>): the database {_database(module)}.",
        "     On the same server nothing moves (the service derives that name from the same DATABASE_URL).",
        "     To give it a server of its own: stop the monolith's processes, create the new database, then",
        f"       pg_dump --no-owner --dbname=<URL of {_database(module)}> | psql --dbname=<new database URL>",
        f"     and set {module.upper()}_DATABASE_URL=<new database URL> in {env}.",
        f"2. Migrate the {service.name} service's databases (its module's and its own default):",
        f"     set -a && . {env} && set +a && SERVICE={service.name} .venv/bin/python manage.py migrate",
        f"3. Start the {service.name} service's processes ({DEPLOY}/Procfile; Redis must be running):",
        *_commands(service),
        f"4. Restart the {main.name} service's processes so that they read the new topology: its gateway then",
        f"   proxies /api/{module}/ to {service.url}, its calls to {module} go over HTTP and its worker",
        f"   consumes {', '.join(main.modules) or 'no queue'} only:",
        *_commands(main),
        f"Or run the whole topology in containers: docker compose -f {DEPLOY}/docker-compose.yml up --build",
        f"Undo: python scripts/extract_module.py --merge {module}",
    ]
    if standalone:
        lines.insert(-2, f"The standalone project in {standalone} runs the same service on its own: see its README.md.")
    return "\n".join(lines)


def merged(*, module: str, service: Service, main: Service) -> str:
    lines = [
        "Next steps",
        f"1. Stop the {service.name} service's processes once its relay has sent what it holds",
        f"   (SERVICE={service.name} .venv/bin/python manage.py events status shows nothing new or pending):",
        *(f"     {p.name}" for p in processes(service)),
        f"2. Bring {module}'s data back if it moved:",
        f"   - SQLite: on this machine the monolith opens var/db/{module}.sqlite3 again, nothing to do;",
        f"     from another host, copy the file back to var/db/{module}.sqlite3.",
        f"   - PostgreSQL: keep {module.upper()}_DATABASE_URL pointing at its database (in {DEPLOY}/{main.name}.env),",
        f"     or pg_dump it back into {_database(module)} on the monolith's server.",
        f"3. Restart the {main.name} service's processes: its worker consumes {', '.join(main.modules)} again:",
        *_commands(main),
    ]
    return "\n".join(lines)


def _commands(service: Service) -> list[str]:
    # As in deploy/Procfile, without its `exec` (which would end the shell the line is pasted into).
    return [f"     {p.procfile_line().split(': ', 1)[1].replace(' exec ', ' ', 1)}" for p in processes(service)]


def _database(module: str) -> str:
    """``<database>_<module>``, with the database named when DATABASE_URL is set here."""
    url = os.environ.get("DATABASE_URL", "")
    base = urlsplit(url).path.lstrip("/") if url.startswith("postgres") else ""
    return f"{base or '<database>'}_{module}"
