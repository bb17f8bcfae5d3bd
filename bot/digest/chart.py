"""The digest chart: alignment trend per dimension (left) and task coverage (right), as a PNG
readable at chat size (1000x600 px, large type).

matplotlib with the non-interactive Agg canvas and an explicit Figure (no pyplot global state),
so charts render safely in a worker thread while the event loop keeps serving.
"""

from __future__ import annotations

import io

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from bot.digest.figures import DigestFigures
from bot.digest.texts import DigestTexts

WIDTH_PX, HEIGHT_PX, DPI = 1000, 600, 100
DIMENSIONS = ("strategy", "scope", "tasks")
COLOURS = {"strategy": "#1f77b4", "scope": "#2ca02c", "tasks": "#d62728"}
MAX_TASKS = 8
FONT = 13


def _short(text: str, limit: int = 30) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render_chart(figures: DigestFigures, texts: DigestTexts) -> bytes:
    """The PNG bytes of the digest's chart."""
    fig = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI)
    FigureCanvasAgg(fig)
    fig.suptitle(texts.say("chart.title", team=figures.title,
                           start=figures.period.start.strftime("%d %b"),
                           end=figures.period.end.strftime("%d %b %Y")), fontsize=FONT + 3)
    trend, tasks = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1]})
    _trend(trend, figures, texts)
    _tasks(tasks, figures, texts)
    fig.tight_layout(rect=(0, 0, 1, 0.94))
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def _trend(ax: Axes, figures: DigestFigures, texts: DigestTexts) -> None:
    labels = [label for label, _ in figures.series]
    for name in DIMENSIONS:
        points = [(i, value) for i, (_, values) in enumerate(figures.series)
                  if (value := values.get(name)) is not None]
        if points:
            ax.plot([i for i, _ in points], [v for _, v in points], marker="o",
                    linewidth=2.5, color=COLOURS[name], label=texts.say(f"trend.names.{name}"))
    ax.set_title(texts.say("chart.trend_title"), fontsize=FONT)
    ax.set_xticks(range(len(labels)), labels, fontsize=FONT - 2, rotation=30)
    ax.set_ylim(0, 1.05)
    ax.tick_params(axis="y", labelsize=FONT - 1)
    ax.grid(alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=FONT - 2, loc="lower left")
    else:
        ax.text(0.5, 0.5, texts.say("chart.no_data"), ha="center", fontsize=FONT,
                transform=ax.transAxes)


def _tasks(ax: Axes, figures: DigestFigures, texts: DigestTexts) -> None:
    shown = figures.tasks[:MAX_TASKS][::-1]  # critical and least covered at the top
    shares = [t.share or 0.0 for t in shown]
    colours = ["#d62728" if t.critical and (t.share or 0) < 0.5 else
               "#ff7f0e" if t.critical else "#7f7f7f" for t in shown]
    ax.barh(range(len(shown)), shares, color=colours)
    ax.set_yticks(range(len(shown)),
                  [_short(t.name) + (" *" if t.critical else "") for t in shown], fontsize=FONT - 2)
    for row, share in enumerate(shares):
        ax.text(share + 0.02, row, f"{round(share * 100)}%", va="center", fontsize=FONT - 2)
    ax.set_xlim(0, 1.15)
    ax.set_xticks([0, 0.25, 0.5, 0.75, 1], ["0", "25%", "50%", "75%", "100%"],
                  fontsize=FONT - 2)
    ax.set_title(texts.say("chart.tasks_title"), fontsize=FONT)
    ax.grid(axis="x", alpha=0.3)
