"""The Jinja2 templates the page, its figures and the Downloads block are rendered from, shipped in the package."""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from ..files import json_text

_env = Environment(loader=PackageLoader("mediapack.publish", "templates"),
                   autoescape=select_autoescape(("html", "j2")), undefined=StrictUndefined,
                   keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)
_env.policies["json.dumps_kwargs"] = {"sort_keys": False, "ensure_ascii": False}
_env.policies["json.dumps_function"] = json_text  # so the page's control-character clean-up cannot alter it


def render(template: str, **context: object) -> str:
    """Render one of the shipped templates (every value autoescaped) with ``context``."""
    return _env.get_template(template).render(**context)
