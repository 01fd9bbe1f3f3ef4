"""Collecting updates: rounds, the governance rules, SROs' updates (versioned, never
overwritten) from forms and thread replies, reminders and escalation. ``flows`` holds the use
cases the CLI, Slack and the scheduler all call; ``submissions`` what an SRO's answer does."""
