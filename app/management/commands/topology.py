"""`manage.py topology`: what this service (SERVICE) runs, as the topology says."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Show the services, what this one hosts, and the Celery queues its workers must consume."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--queues", action="store_true", help="print only this service's queues, comma-separated")

    def handle(self, *args: Any, **options: Any) -> None:
        topology = settings.TOPOLOGY
        if options["queues"]:
            self.stdout.write(",".join(topology.hosted))
            return
        for service in topology.services:
            marker = "*" if service is topology.current else " "
            self.stdout.write(f"{marker} {service.name:<16} {service.url or '-':<28} {', '.join(service.modules)}")
        self.stdout.write(
            f"this process: SERVICE={topology.current.name}; workers consume: {','.join(topology.hosted)}"
        )
        remote = topology.remote_modules()
        proxied = ", ".join(f"/api/{module}/" for module in remote) or "nothing"
        self.stdout.write(f"proxied by the gateway: {proxied}")
