"""Email: SROs who are not on Slack get their prompts, reminders, re-prompts and confirmations
by email (``messenger.EmailMessenger``), rendered from jinja2 templates (``render``) and sent by
SMTP or GOV.UK Notify (``transports``)."""
