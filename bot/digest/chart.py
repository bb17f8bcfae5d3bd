"""The digest chart: stated against actual strategy, in one picture a VP reads at chat size.

Left, the picture that matters most: where the team's reported effort goes - activities aimed at
segments in scope, out of scope or at no named segment, split into on task (maps to a sales task),
off task and against the strategy (a discount against "no discount-led deals") - this period
against the last, side by side. Right, critical-task coverage, where a
task nobody covers shows a visible "0%" rather than no bar at all; below it, the alignment trend,
each point at the end of its period and the axis fitted to the periods that have data.

1200x675 px (16:9, what Slack and Teams show without scaling down much) with 13-16 pt type.
matplotlib with the non-interactive Agg canvas and an explicit Figure (no pyplot global state),
so charts render safely in a worker thread while the event loop keeps serving.
"""

from __future__ import annotations

import io
from datetime import timedelta

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from bot.digest.figures import DigestFigures, Effort
from bot.digest.texts import DigestTexts
from bot.text import shorten

WIDTH_PX, HEIGHT_PX, DPI = 1200, 675, 100
DIMENSIONS = ("strategy", "scope", "tasks")
COLOURS = {"strategy": "#1f77b4", "scope": "#2ca02c", "tasks": "#d62728"}
ON_TASK, OFF_TASK = "#2ca02c", "#ff7f0e"
AGAINST = "#8c1c13"  # work against the strategy: the darkest, last in each bar
MAX_TASKS = 6
FONT = 13
COVERED = 0.5


def _short(text: str, limit: int = 26) -> str:
    return shorten(text, limit)


def render_chart(figures: DigestFigures, texts: DigestTexts) -> bytes:
    """The PNG bytes of the digest's chart."""
    fig = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI)
    FigureCanvasAgg(fig)
    last_day = figures.period.end - timedelta(seconds=1)  # the period's end is exclusive
    fig.suptitle(texts.say("chart.title", team=figures.title,
                           start=figures.period.start.strftime("%d %b"),
                           end=last_day.strftime("%d %b %Y")),
                 fontsize=FONT + 3)
    grid = fig.add_gridspec(2, 2, width_ratios=(1, 1.1), height_ratios=(1, 1))
    _effort(fig.add_subplot(grid[:, 0]), figures, texts)
    _tasks(fig.add_subplot(grid[0, 1]), figures, texts)
    _trend(fig.add_subplot(grid[1, 1]), figures, texts)
    fig.tight_layout(rect=(0, 0, 1, 0.94))
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def _effort(ax: Axes, figures: DigestFigures, texts: DigestTexts) -> None:
    """Two bars per row (this period on top, last period below), each stacked on/off task."""
    rows = [(where, now, before) for (where, *now), (_, *before)
            in zip(figures.effort.rows(), figures.effort_before.rows(), strict=True)
            if where != "none" or sum(now) + sum(before)]  # "no segment" only when it happens
    labels: list[str] = []
    positions: list[float] = []
    for index, (where, now, before) in enumerate(rows[::-1]):
        base = index * 3.0
        for offset, (on, off, against), alpha, period in ((1.0, now, 1.0, "this_period"),
                                                           (0.0, before, 0.45, "last_period")):
            y = base + offset
            first = (index, offset) == (0, 1.0)
            ax.barh(y, on, color=ON_TASK, alpha=alpha, height=0.9,
                    label=texts.say("chart.on_task") if first else None)
            ax.barh(y, off, left=on, color=OFF_TASK, alpha=alpha, height=0.9,
                    label=texts.say("chart.off_task") if first else None)
            ax.barh(y, against, left=on + off, color=AGAINST, alpha=alpha, height=0.9,
                    label=texts.say("chart.against") if first else None)
            ax.text(on + off + against, y, f"  {on + off + against}", va="center",
                    fontsize=FONT - 2)
            labels.append(f"{texts.say(f'chart.rows.{where}')}\n{texts.say(f'chart.{period}')}"
                          if offset else texts.say(f"chart.{period}"))
            positions.append(y)
    ax.set_yticks(positions, labels, fontsize=FONT - 2)
    top = max((_total(e) for e in (figures.effort, figures.effort_before)), default=0)
    ax.set_xlim(0, max(top, 1) * 1.2)
    ax.tick_params(axis="x", labelsize=FONT - 2)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # activities are counted, not measured
    ax.set_title(texts.say("chart.effort_title"), fontsize=FONT)
    ax.grid(axis="x", alpha=0.3)
    ax.legend(fontsize=FONT - 2, loc="lower right")
    if not figures.effort.total and not figures.effort_before.total:
        ax.text(0.5, 0.5, texts.say("chart.no_data"), ha="center", fontsize=FONT,
                transform=ax.transAxes)


def _total(effort: Effort) -> int:
    return max(on + off + against for _, on, off, against in effort.rows())


def _tasks(ax: Axes, figures: DigestFigures, texts: DigestTexts) -> None:
    """Critical tasks, least covered at the top; 0% gets a sliver of bar and a red label, so a
    neglected task is the most visible row, not an empty one."""
    shown = [t for t in figures.tasks if t.critical][:MAX_TASKS][::-1]
    shares = [t.share or 0.0 for t in shown]
    colours = ["#d62728" if share < COVERED else "#1f77b4" for share in shares]
    ax.barh(range(len(shown)), [max(s, 0.01) for s in shares], color=colours,
            edgecolor=colours, linewidth=1.5)
    ax.set_yticks(range(len(shown)),
                  [_short(t.name, 34) for t in shown], fontsize=FONT - 2)
    answered = figures.task_reporters > 0
    for row, share in enumerate(shares):
        label = f"{round(share * 100)}%" if answered else "n/a"
        ax.text(share + 0.02, row, label, va="center", fontsize=FONT - 1,
                color="#d62728" if answered and share < COVERED else "#222222")
    ax.set_xlim(0, 1.2)
    ax.set_xticks([0, 0.5, 1], ["0", "50%", "100%"], fontsize=FONT - 2)
    ax.axvline(COVERED, color="#999999", linestyle=":", linewidth=1)
    ax.set_title(texts.say("chart.tasks_title"), fontsize=FONT)


def _trend(ax: Axes, figures: DigestFigures, texts: DigestTexts) -> None:
    labels = [label for label, _ in figures.series]
    values: list[float] = []
    for name in DIMENSIONS:
        points = [(i, value) for i, (_, means) in enumerate(figures.series)
                  if (value := means.get(name)) is not None]
        if points:
            values += [v for _, v in points]
            ax.plot([i for i, _ in points], [v for _, v in points], marker="o",
                    linewidth=2.5, color=COLOURS[name])
            last_x, last_y = points[-1]  # labelled at its end: no legend over the lines
            ax.text(last_x + 0.15, last_y, texts.say(f"chart.short.{name}"), color=COLOURS[name],
                    va="center", fontsize=FONT - 2, fontweight="bold")
    ax.set_title(texts.say("chart.trend_title"), fontsize=FONT)
    ax.set_xticks(range(len(labels)), labels, fontsize=FONT - 3, rotation=30, ha="right")
    ax.set_xlim(-0.3, max(len(labels) - 1, 0) + 1.6)  # room for the line labels
    low, high = (min(values), max(values)) if values else (0.0, 1.0)
    pad = max(0.05, (high - low) * 0.15)
    ax.set_ylim(max(0.0, low - pad), min(1.05, high + pad))
    ax.tick_params(axis="y", labelsize=FONT - 2)
    ax.grid(alpha=0.3)
    if not values:
        ax.text(0.5, 0.5, texts.say("chart.no_data"), ha="center", fontsize=FONT,
                transform=ax.transAxes)
