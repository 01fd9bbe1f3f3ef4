"""Slack listeners and Block Kit views: thin adapters from Slack payloads to bot services."""
