"""The PDF's own process: WeasyPrint writing one paper (``child``), and what keeps it fast
(``speed``). Nothing here imports the rest of ``bot``: the process starts in about 0.3 s instead
of the 0.8 s it took when it imported the reports package first. ``bot.reports.pdf_process``
starts it and talks to it.
"""
