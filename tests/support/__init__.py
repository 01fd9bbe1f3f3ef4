"""Test helpers shared across test directories: signed Slack requests and the served app."""
