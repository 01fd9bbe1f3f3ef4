"""RAG chart: stacked horizontal bars (green, amber, red, no update) per theme or quarter.

Drawn with matplotlib's object API on the Agg canvas (no pyplot, no global backend state), so
it is safe in Bolt's listener threads and in the scheduler.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path

from bot.ports.report_view import RagCounts
from bot.words import NO_UPDATE, RAG_WORDS

COLOURS = {"green": "#007f3b", "amber": "#ffb81c", "red": "#d5281b", "missing": "#aeb7bd"}
LABELS = {**RAG_WORDS, "missing": NO_UPDATE}
TEXT_ON = {"green": "white", "amber": "black", "red": "white", "missing": "black"}


def draw_rag_chart(
    bars: Sequence[tuple[str, RagCounts]], path: Path, *, title: str = "RAG by theme"
) -> Path:
    """Write the chart as a PNG at ``path`` and return it."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    names = [_safe_label(name) for name, _ in bars]
    height = 1.4 + 0.45 * max(len(bars), 1) + 0.12 * sum(n.count("\n") for n in names)
    figure = Figure(figsize=(7.5, height), dpi=150, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    positions = list(range(len(bars)))[::-1]  # first bar at the top
    left = [0] * len(bars)
    for key in ("green", "amber", "red", "missing"):
        values = [getattr(counts, key) for _, counts in bars]
        drawn = axes.barh(positions, values, left=left, color=COLOURS[key], label=LABELS[key],
                          edgecolor="white", linewidth=0.8, height=0.65)
        axes.bar_label(drawn, labels=[str(v) if v else "" for v in values], label_type="center",
                       color=TEXT_ON[key], fontsize=8, fontweight="bold")
        left = [a + b for a, b in zip(left, values, strict=True)]
    axes.set_yticks(positions, names, fontsize=8)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.tick_params(axis="x", labelsize=8)
    axes.set_xlim(0, max([*left, 1]) * 1.02)
    axes.spines[["top", "right"]].set_visible(False)
    axes.set_title(_safe_label(title, width=90), fontsize=10, loc="left")
    figure.legend(ncols=4, fontsize=8, frameon=False, loc="outside lower center")
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png")
    return path


def _safe_label(text: str, *, width: int = 28) -> str:
    """Wrapped, shortened, and with ``$`` escaped so matplotlib never reads it as maths."""
    text = " ".join(str(text).split()) or "—"
    if len(text) > 3 * width:
        text = text[: 3 * width - 1] + "…"
    wrapped = "\n".join(textwrap.wrap(text, width=width, break_long_words=True)) or text
    return wrapped.replace("$", r"\$")
