"""The command line: validate, plan every file, then show (--dry-run) or write."""

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path

from scripts.extraction import steps, validation
from scripts.extraction.changes import Changes
from scripts.extraction.deployment import deployment_files, is_generated
from scripts.extraction.project import DEFAULT_HOST, Hosting, Project, RefusedError, service_url
from scripts.extraction.standalone import Standalone, export
from scripts.extraction.topology_edit import add_service, diff, remove_service

ROOT = Path(__file__).resolve().parents[2]

DESCRIPTION = """\
Run a module as its own service (or bring it back): edits topology.toml (TOPOLOGY_FILE when set),
regenerates deploy/ for every service of the result and prints the next steps. Nothing is written
when a check refuses (exit status 1, one line on stderr) or with --dry-run."""
EPILOG = """\
examples:
  python scripts/extract_module.py inventory --dry-run
  python scripts/extract_module.py inventory --port 8001
  python scripts/extract_module.py inventory --standalone ../inventory-service
  python scripts/extract_module.py --merge inventory"""


@dataclass
class Plan:
    headline: str
    changes: Changes
    topology_diff: str
    next_steps: str
    notes: list[str] = field(default_factory=list)
    standalone: Standalone | None = None
    standalone_dir: Path | None = None


def main(argv: list[str] | None = None, *, root: Path = ROOT) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if bool(args.module) == bool(args.merge):
        parser.error("name one module to extract, or --merge MODULE")
    if args.merge and (args.port or args.standalone or args.host != DEFAULT_HOST):
        parser.error("--port, --host and --standalone go with an extraction, not with --merge")
    project = Project(root)
    try:
        plan = _merge(project, args.merge) if args.merge else _extract(project, args)
    except RefusedError as refused:
        print(f"extract_module: refused: {refused}", file=sys.stderr)
        return 1
    files = plan.changes.listing(exclude=plan.standalone_dir)  # before writing: new, changed or unchanged
    if args.dry_run:
        _preview(plan, files)
    else:
        plan.changes.apply()
        _report(plan, files)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="extract_module.py",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("module", nargs="?", help="the module to extract into a service of its own")
    parser.add_argument("--merge", metavar="MODULE", help="bring an extracted module back into the main service")
    parser.add_argument("--port", type=_port, help="the new service's port (default: the first free one from 8001)")
    parser.add_argument("--host", default=DEFAULT_HOST, help=f"the new service's host (default {DEFAULT_HOST})")
    parser.add_argument("--standalone", metavar="DIR", type=Path, help="also write an independent project for it")
    parser.add_argument("--dry-run", action="store_true", help="show the topology diff and the files; write nothing")
    return parser


def _port(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"not a port: {text!r}")
    return int(text)


def _extract(project: Project, args: argparse.Namespace) -> Plan:
    module: str = args.module
    validation.module_exists(project, module)
    before = project.hosting()
    validation.extractable(before, module)
    validation.no_importers(project, module)
    validation.lint_imports(project)
    port = args.port or before.free_port()
    validation.port_free(before, port)
    if args.standalone:
        validation.standalone_target(project, args.standalone)
    url = service_url(args.host, port)
    text, invertible = add_service(before.text, module=module, url=url, main=before.main)
    after = project.hosting(text)
    changes = _deploy_changes(project, after)
    plan = Plan(
        headline=f"Extract {module!r} into service {module!r} at {url}",
        changes=changes,
        topology_diff=diff(before.text, text, name=project.display(project.topology_path)),
        next_steps="",
    )
    if args.standalone:
        target = args.standalone.resolve()
        plan.standalone = export(project, module, after=after, service_url=url)
        plan.standalone_dir = target
        for path, content in plan.standalone.files.items():
            changes.write(target / path, content)
    changes.write(project.topology_path, text)  # last: the switch
    main_service, new_service = after.service(after.main), after.service(module)
    assert main_service is not None
    assert new_service is not None
    plan.next_steps = steps.extracted(
        module=module,
        service=new_service,
        main=main_service,
        standalone=str(plan.standalone_dir) if plan.standalone_dir else None,
    )
    if not before.text.strip():
        plan.notes.append(f"{project.display(project.topology_path)} did not exist: it is created.")
    elif not invertible:
        plan.notes.append("--merge will restore the topology's content but not its exact text (the file's own layout).")
    return plan


def _merge(project: Project, module: str) -> Plan:
    validation.module_exists(project, module)
    before = project.hosting()
    validation.mergeable(before, module)
    host = before.host_of(module)
    text = remove_service(before.text, module=module, service=host.name, main=before.main)
    after = project.hosting(text)
    changes = _deploy_changes(project, after)
    changes.write(project.topology_path, text)
    main_service = after.service(after.main)
    assert main_service is not None
    return Plan(
        headline=f"Merge {module!r} back from service {host.name!r} into {before.main!r}",
        changes=changes,
        topology_diff=diff(before.text, text, name=project.display(project.topology_path)),
        next_steps=steps.merged(module=module, service=host, main=main_service),
    )


def _deploy_changes(project: Project, after: Hosting) -> Changes:
    """deploy/ for every service of ``after``; generated files of services that are gone are removed."""
    changes = Changes(project.root)
    topology_file = str(project.topology_path) if project.topology_overridden else None
    files = deployment_files(after, topology_file=topology_file)
    for path, content in files.items():
        changes.write(project.root / path, content)
    if project.deploy_dir.is_dir():
        for stale in sorted(project.deploy_dir.glob("*.env")):
            if project.root / f"deploy/{stale.name}" not in changes.writes and is_generated(stale.read_text()):
                changes.remove(stale)
    return changes


def _preview(plan: Plan, files: list[str]) -> None:
    print(f"{plan.headline} (dry run: nothing written).\n")
    print(plan.topology_diff or "(topology unchanged)")
    print("Files that would be written:")
    for line in files:
        print(f"  {line}")
    if plan.standalone and plan.standalone_dir:
        print(f"Standalone project that would be written to {plan.standalone_dir}:")
        for line in plan.standalone.summary():
            print(f"  {line}")
    for note in plan.notes:
        print(f"Note: {note}")


def _report(plan: Plan, files: list[str]) -> None:
    print(f"{plan.headline}: done.\n")
    print(plan.topology_diff)
    print("Files:")
    for line in files:
        print(f"  {line}")
    if plan.standalone and plan.standalone_dir:
        print(f"Standalone project in {plan.standalone_dir}: {len(plan.standalone.files)} files")
        print(f"  contracts: {', '.join(plan.standalone.contracts)}")
        subscribers = ", ".join(f"{sid} <- {event}" for sid, event in plan.standalone.subscribers)
        print(f"  subscribers elsewhere, declared in its topology.toml: {subscribers or 'none'}")
    for note in plan.notes:
        print(f"Note: {note}")
    print()
    print(plan.next_steps)
