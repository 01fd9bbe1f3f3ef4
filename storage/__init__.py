"""Persistence: SQLModel tables, engine and sessions, migrations. Knows nothing of Slack."""
