"""The domain: periods, calendar, framework import, rounds, updates, reports, CLI."""
