"""Rendering the planned files in memory with Django's template engine.

Templates are plain Django templates (like ``startapp --template``) with two conveniences for
generating Python:

- a line holding nothing but a ``{% tag %}`` or ``{# comment #}`` leaves no blank line behind
  (Jinja's ``trim_blocks``/``lstrip_blocks``), so ``{% if sample %}`` can sit on its own line;
- a variable that does not exist is an error, not an empty string.
"""

import re
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path, PurePosixPath
from typing import Any

from django.template import Context, Engine, Template
from django.template.base import Origin

from app.scaffold.names import ModuleNames
from app.scaffold.plan import TEMPLATES_DIR, Plan

MISSING = "<<missing variable: %s>>"
TAG_LINE = re.compile(r"^[ \t]*(\{%.*?%\}|\{#.*?#\})[ \t]*\n", re.MULTILINE)
ENGINE = Engine(autoescape=False, string_if_invalid=MISSING, libraries={}, builtins=[])


class RenderError(RuntimeError):
    pass


def context_for(names: ModuleNames) -> dict[str, Any]:
    return {
        "module": asdict(names),
        "entity": asdict(names.entity) if names.entity else None,
        "sample": names.entity is not None,
    }


def render_plan(
    plan: Plan, context: Mapping[str, Any], *, templates_dir: Path = TEMPLATES_DIR
) -> dict[PurePosixPath, str]:
    """Every planned file's content, in memory; nothing is written."""
    return {
        planned.path: render_template(templates_dir / planned.template, context) if planned.template else ""
        for planned in plan.files
    }


def render_template(path: Path, context: Mapping[str, Any]) -> str:
    source = TAG_LINE.sub(r"\1", path.read_text(encoding="utf-8"))
    template = Template(source, origin=Origin(str(path)), name=path.name, engine=ENGINE)
    text = template.render(Context(dict(context), autoescape=False))
    if "<<missing variable:" in text:
        missing = re.findall(r"<<missing variable: ([^>]*)>>", text)
        raise RenderError(f"{path.name}: unknown template variable(s) {', '.join(sorted(set(missing)))}")
    return text
