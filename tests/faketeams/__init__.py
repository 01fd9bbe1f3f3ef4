"""Fakes of what Microsoft runs for a Teams bot, on loopback: the identity side (OpenID
metadata, JWKS, client-credentials tokens), the Bot Framework connector and the few Microsoft
Graph calls of ``RAGTIME_TEAMS_GRAPH``."""

from tests.faketeams.connector import FakeConnector, fake_connector
from tests.faketeams.graph import FakeGraph, fake_graph
from tests.faketeams.identity import (
    APP_ID,
    APP_PASSWORD,
    TENANT_ID,
    FakeIdentity,
    fake_identity,
)

__all__ = ["APP_ID", "APP_PASSWORD", "TENANT_ID", "FakeConnector", "FakeGraph", "FakeIdentity",
           "fake_connector", "fake_graph", "fake_identity"]
