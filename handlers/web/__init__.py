"""The web channel: the update form for SROs not on Slack (``form_blueprint``), mounted by
``ragtime.web`` beside ``/slack/events``. Each route reads the request, makes one ``bot`` call
and renders a template; identity comes only from the signed link (``bot.collection.links``)."""

from handlers.web.form import form_blueprint

__all__ = ["form_blueprint"]
