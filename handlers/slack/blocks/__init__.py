"""Block Kit builders: plain values in, Slack JSON out. No database, no Slack calls.

- ``ids`` — action and callback ids, and the small codecs for button values and a modal's
  ``private_metadata`` (which name a deliverable and a period, never a person).
- ``text`` — RAG labels, dates, quoting and escaping of user text, fitting blocks into limits.
- ``prompt`` — the DM prompt per deliverable, reminders, escalations and notices.
- ``modal`` — the update form and its loading / notice views.
- ``replies`` — what the bot says in a prompt's thread.
- ``home`` and ``status`` — the App Home tab and ``/report-status``.
"""
