"""The web form's fixtures (``tests.support.web_form``)."""

from tests.support.web_form import web, web_sqlite  # noqa: F401
