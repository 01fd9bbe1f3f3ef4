"""The fake Microsoft identity service and Bot Framework connector, for the Teams edge."""

from tests.faketeams import fake_connector, fake_identity  # noqa: F401
