"""The PDF process (``python -m bot.pdf.child``, started by ``bot.reports.pdf_process``): the
output path, the base URL and the HTML on stdin; the tagged PDF written, exit 0; or exit 1 with
the reason on the last line of stderr. Runs without the cyclic collector and ends with
``os._exit``: the system takes its memory back whole."""

from __future__ import annotations

import gc
import os
import sys

from bot.pdf import speed

PDF_VARIANT = "pdf/ua-1"


def serve() -> int:
    """Import WeasyPrint at once (while the compile makes the other formats), then write the
    one paper on stdin."""
    gc.disable()
    import weasyprint  # noqa: F401

    request = sys.stdin.buffer.read().decode()
    if not request:
        return 0  # the compile ended without asking for the PDF
    path, base_url, html = request.split("\n", 2)
    failed = write(path, base_url, html)
    if failed:
        print(failed, file=sys.stderr)
        return 1
    return 0


def write(path: str, base_url: str, html: str) -> str | None:
    """Write the tagged PDF of ``html`` at ``path``: None, or why it could not be written."""
    from weasyprint import HTML

    speed.install()
    try:
        HTML(string=html, base_url=base_url).write_pdf(path, pdf_variant=PDF_VARIANT)
    except Exception as error:
        return f"{type(error).__name__}: {error}".replace("\n", " ")
    return None


if __name__ == "__main__":
    status = serve()
    sys.stderr.flush()
    os._exit(status)
