"""The BAF heat map: a 5×5 grid of likelihood × consequence coloured by the framework's bands,
each risk's number in its cell. Drawn like the RAG chart (matplotlib's object API on the Agg
canvas, no pyplot), so it is safe in any thread."""

from __future__ import annotations

from pathlib import Path

from bot.framework.baf import CONSEQUENCES, LIKELIHOODS
from bot.ports.baf_view import BafView


def draw_heatmap(view: BafView, path: Path) -> Path:
    """Write the heat map as a PNG at ``path`` and return it."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch, Rectangle

    figure = Figure(figsize=(7.5, 5.6), dpi=150, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    for row in view.grid:
        for cell in row:
            x, y = cell.likelihood - 1, cell.consequence - 1
            axes.add_patch(Rectangle((x, y), 1, 1, facecolor=cell.colour, edgecolor="white",
                                     linewidth=2))
            axes.text(x + 0.06, y + 0.9, str(cell.score), fontsize=7, va="top", ha="left",
                      color=cell.text_colour, alpha=0.85)
            if cell.numbers:
                axes.text(x + 0.5, y + 0.45, _numbers(cell.numbers), fontsize=10,
                          fontweight="bold", va="center", ha="center", color=cell.text_colour,
                          linespacing=1.2)
    axes.set_xlim(0, 5)
    axes.set_ylim(0, 5)
    axes.set_xticks([n - 0.5 for n in LIKELIHOODS],
                    [f"{n}\n{word}" for n, word in LIKELIHOODS.items()], fontsize=8)
    axes.set_yticks([n - 0.5 for n in CONSEQUENCES],
                    [f"{word} {n}" for n, word in CONSEQUENCES.items()], fontsize=8)
    axes.set_xlabel("Likelihood", fontsize=9)
    axes.set_ylabel("Consequence", fontsize=9)
    axes.tick_params(length=0)
    for side in ("top", "right", "bottom", "left"):
        axes.spines[side].set_visible(False)
    axes.set_aspect("equal")
    axes.set_title(f"BAF risks by current score, {view.period_label}", fontsize=10, loc="left")
    colours = {cell.band: cell.colour for line in view.grid for cell in line if cell.band}
    figure.legend(handles=[Patch(facecolor=colours.get(name, "#d8dde0"),
                                 label=f"{name.capitalize()} {low}–{high}")
                           for name, low, high in view.bands],
                  ncols=len(view.bands), fontsize=8, frameon=False, loc="outside lower center")
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png")
    return path


def _numbers(numbers: tuple[str, ...]) -> str:
    """Up to four numbers a line, so a crowded cell stays readable."""
    lines = [", ".join(numbers[i:i + 4]) for i in range(0, len(numbers), 4)]
    return "\n".join(lines).replace("$", r"\$")
