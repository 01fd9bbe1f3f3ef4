"""Imported once by the compiler's forkserver (``RAGTIME_COMPILE_START=forkserver``, see
``bot.reports.isolated``), so every compile forked from it starts warm.

The drawing and Word libraries are imported lazily where they are used, to keep the command
line quick; a forked compile would import them again each time (matplotlib alone was half of a
compile's CPU), and WeasyPrint in a process of its own for each PDF. Here they are imported,
and the report templates compiled, once; the PDF is then written in the compile's own process
(``write_pdfs_in_this_process``).
"""

from __future__ import annotations

import gc

import docx  # noqa: F401
import docxtpl  # noqa: F401
import matplotlib.backends.backend_agg
import matplotlib.figure
import matplotlib.patches
import matplotlib.ticker  # noqa: F401
import weasyprint  # noqa: F401

from bot.pdf import speed
from bot.reports.pdf_process import write_pdfs_in_this_process
from bot.reports.render import TEMPLATES, environment

speed.install()
write_pdfs_in_this_process()

for _template in sorted(TEMPLATES.glob("*.j2")):
    environment(_template.suffixes[0].lstrip(".")).get_template(_template.name)

# What every compile shares with the forkserver is never walked (and so never written to, page
# by page) by the compile's collector.
gc.freeze()
