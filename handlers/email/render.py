"""Outbox rows as emails: one jinja2 template pair (plain text and HTML) per kind.

``render(kind, values)`` gives the subject, the plain-text part and the HTML part. The HTML
templates autoescape everything (names, titles, comments are people's text); the plain-text ones
need no escaping, and the subject is made one line by the transport. Words for RAG ratings and
dates are ``bot.words``'s, the same as Slack's and the paper's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from bot.words import day, rag_word

_env = Environment(
    loader=PackageLoader("handlers.email", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
    undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
)
_env.filters["day"] = lambda value: day(value, missing="not set")
_env.filters["rag"] = lambda value: rag_word(value, missing="no update")


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def render(template: str, values: dict[str, Any]) -> Rendered:
    """``template`` (``round``, ``reminder``, ``changes_requested``, ``confirmation``) with
    ``values``: its ``subject`` block, plain-text and HTML parts."""
    text_template = _env.get_template(f"{template}.txt.j2")
    context = text_template.new_context(dict(values))
    subject = "".join(text_template.blocks["subject"](context)).strip()
    text = "".join(text_template.blocks["body"](context)).lstrip("\n")
    html = _env.get_template(f"{template}.html.j2").render(values, subject=subject)
    return Rendered(subject=" ".join(subject.split()), text=text, html=html)
