"""Every Adaptive Card Ragtime sends in Teams, built with ``microsoft-teams-cards``'s models
(so each is checked against them) and returned as plain JSON for the gateway.

Text anyone typed (a narrative, a deliverable's title from a framework file, a name) is placed
in ``TextRun``s of a ``RichTextBlock``, which Teams never reads as Markdown; only Ragtime's own
words go in ``TextBlock``s.
"""
