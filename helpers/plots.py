"""Figures of the workbook, one consistent look (``workbook.mplstyle``).

Interface: every plot function draws on ``ax`` (a new figure when None) and returns the
axes; ``save(fig, stem)`` writes ``stem.pdf`` (for LaTeX) and ``stem.png`` (for notebooks,
the HTML report and the README) atomically and without timestamps, so rebuilding changes no bytes.
Nothing here changes rcParams globally: the style applies inside ``style()`` only.
Histories are ``Result.history`` dicts (columns "epoch", "<split>_loss", "<split>_acc", ...).

One look for every figure:
- one type scale: the style's point sizes, and ``save`` fits a figure wider than the report's
  text (``TEXT_WIDTH``) to it before writing, so every figure is printed at its own size and
  a 9-point label reads as 9 points on the page, whatever figsize the notebook chose;
- colour-blind-safe colours (Okabe & Ito), the same colour for the same series in every figure:
  ``SERIES`` fixes train / hold-out / test, the activations and the penalties; a λ sweep is
  drawn in order on a sequential colour map (cividis);
- a run whose history shows it diverged, oscillated or never left chance (``diagnose``) says
  so in its legend entry and is drawn dotted, never silently like the others.
"""
from __future__ import annotations

import contextlib
import io
import math
import re
import textwrap
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.layout_engine import PlaceHolderLayoutEngine

from .fetch import atomic_write

STYLE = str(Path(__file__).with_name("workbook.mplstyle"))
SPLIT_LABELS = {"train": "train", "holdout": "hold-out", "test": "test"}
METRIC_LABELS = {"loss": "cross-entropy (mean per example)", "acc": "percent correct"}
# The report's text width (A4, 2.2 cm margins: 16.6 cm), a little less: no figure is printed wider.
TEXT_WIDTH = 6.3

# Okabe & Ito (2008), distinguishable with every common colour-vision deficiency; no yellow (too
# pale on white). The style's colour cycle is the same list, in this order.
OKABE_ITO = {"blue": "#0072B2", "vermillion": "#D55E00", "green": "#009E73", "purple": "#CC79A7",
             "orange": "#E69F00", "sky": "#56B4E9", "black": "#000000"}
SERIES = {"train": OKABE_ITO["blue"], "holdout": OKABE_ITO["orange"], "test": OKABE_ITO["green"],
          "sigmoid": OKABE_ITO["purple"], "tanh": OKABE_ITO["vermillion"], "relu": OKABE_ITO["sky"],
          "leaky relu": OKABE_ITO["black"], "l1": OKABE_ITO["vermillion"], "l2": OKABE_ITO["blue"]}
_SERIES_PATTERNS = [("leaky relu", r"leaky[ _-]?relu"), ("sigmoid", r"\bsigmoid\b"), ("tanh", r"\btanh\b"),
                    ("relu", r"\brelu\b"), ("holdout", r"^(hold-?out|validation)$"), ("train", r"^train$"),
                    ("test", r"^test$"), ("l1", r"^l1$"), ("l2", r"^l2$")]
_LAMBDA = re.compile(r"λ\s*=?\s*([0-9.eE+-]+)")


@contextlib.contextmanager
def style():
    """Context manager applying the workbook style: ``with plots.style(): ...``.

    Interactive mode is kept as the body left it. In a Jupyter kernel the first figure loads the
    inline backend, which switches interactive mode on; the style's rc context would switch it
    off again on exit, and the inline backend then displays no later figure."""
    with plt.style.context(STYLE):
        try:
            yield
        finally:
            interactive = plt.isinteractive()
    plt.interactive(interactive)


def series_colour(label) -> str | None:
    """The fixed colour of a named series (a split, an activation, a penalty), else None."""
    text = str(label).lower()
    for key, pattern in _SERIES_PATTERNS:
        if re.search(pattern, text):
            return SERIES[key]
    return None


def colours(labels) -> list[str | None]:
    """One colour per label for lines drawn together: a λ sweep (labels that differ only in their
    λ) in order of λ on cividis (a colour-blind-safe sequential map); else each label naming a
    series (an activation, a split, L1/L2) in that series' colour, the first time it appears, and
    the others in the palette's remaining colours ("sigmoid, N(0,1) weights" beside "sigmoid");
    None for all (the style's cycle) when no label names a series."""
    labels = [str(label) for label in labels]
    found = [_LAMBDA.search(label) for label in labels]
    if len(labels) > 1 and all(found) and len({_LAMBDA.sub("", label) for label in labels}) == 1:
        try:   # labels that differ only in λ: a sweep, drawn in order of λ
            values = [float(m.group(1)) for m in found]
        except ValueError:
            values = []
        if values and len(set(values)) == len(values):
            rank = {v: i for i, v in enumerate(sorted(values))}
            cmap = plt.get_cmap("cividis")
            return [_hex(cmap(0.85 * rank[v] / (len(values) - 1))) for v in values]
    fixed = [series_colour(label) for label in labels]
    if not any(fixed):
        return [None] * len(labels)
    chosen, used = [], set()
    for colour in fixed:
        chosen.append(colour if colour and colour not in used else None)
        used.add(chosen[-1])
    spare = iter(c for c in OKABE_ITO.values() if c not in used and c not in SERIES.values())
    spare_any = iter(c for c in OKABE_ITO.values() if c not in used)
    return [c or next(spare, None) or next(spare_any, "#777777") for c in chosen]


def _hex(rgba) -> str:
    return "#" + "".join(f"{round(255 * c):02X}" for c in rgba[:3])


# --- what a history says about its run (measured, never typed) ---

def diagnose(history: dict, chance: float | None = None, margin: float = 0.05, swing: float = 0.03) -> str | None:
    """A short flag when a run's history shows trouble, else None. Measured, in this order:

    - "diverged (non-finite <column> from epoch k)": a loss or accuracy that is NaN or infinite;
    - "diverged (training loss rose from a to b)": the last training loss more than twice its
      first and more than four times its lowest;
    - "never left chance (...)": no accuracy of any split ever above ``chance + margin``
      (``chance`` = 1/classes; without it this test is skipped);
    - "hold-out accuracy oscillates (...)": over the second half of the record (at least four
      changes), at least half of the consecutive changes reverse the one before, each by more
      than ``swing`` (a fraction: 0.03 = 3 points); "oscillates at chance" when, besides, the
      hold-out accuracy over that half averages no more than ``chance + margin``.
    """
    epochs = list(history.get("epoch", []))
    for column, values in history.items():
        if column.endswith(("_loss", "_acc")):
            values = np.asarray([np.nan if v is None else v for v in values], dtype=float)
            bad = ~np.isfinite(values)
            if bad.any():
                first = int(np.argmax(bad))
                when = epochs[first] if first < len(epochs) else first
                return f"diverged (non-finite {column.replace('_', ' ')} from epoch {when})"
    flags = []
    train = np.asarray(history.get("train_loss", []), dtype=float)
    if len(train) >= 3 and train[-1] > 2 * train[0] and train[-1] > 4 * train.min():
        flags.append(f"diverged (training loss rose from {train[0]:.3g} to {train[-1]:.3g})")
    accuracy = {split: np.asarray(history[f"{split}_acc"], dtype=float)
                for split in ("holdout", "test", "train") if f"{split}_acc" in history}
    if chance is not None and accuracy and max(a.max() for a in accuracy.values()) <= chance + margin:
        best = next(iter(accuracy.values())).max()
        flags.append(f"never left chance (best {100 * best:.1f}% against chance {100 * chance:.0f}%)")
    holdout = accuracy.get("holdout")
    if holdout is not None:
        half = holdout[max(len(holdout) // 2 - 1, 0):]
        changes = np.diff(half)
        big = np.abs(changes) > swing
        reversals = big[1:] & big[:-1] & (np.sign(changes[1:]) != np.sign(changes[:-1]))
        if len(reversals) >= 3 and reversals.mean() >= 0.5:
            swings = f"swings of up to {100 * np.abs(changes).max():.0f} points"
            if chance is not None and half.mean() <= chance + margin:
                flags = [f for f in flags if not f.startswith("never left chance")]
                flags.append(f"oscillates at chance (hold-out accuracy {100 * half.mean():.0f}% on average, {swings})")
            else:
                flags.append(f"hold-out accuracy oscillates ({swings})")
    return "; ".join(flags) if flags else None


def _flag_label(label, history) -> tuple[str, dict]:
    """The legend label and line style of a run: flagged runs say why and are drawn dotted."""
    flag = diagnose(history)
    if flag is None:
        return str(label), {}
    short = flag.split(" (")[0]
    return f"{label} [{short}]", {"linestyle": ":"}


# --- plots ---

def _axes(ax, figsize=None):
    if ax is not None:
        return ax
    with style():
        return plt.figure(figsize=figsize).add_subplot()


def _values(history: dict, column: str, metric: str) -> np.ndarray:
    values = np.asarray(history[column], dtype=float)
    return 100 * values if metric == "acc" else values


def curves(history: dict, metric: str = "loss", splits=("train", "holdout", "test"), ax=None,
           title: str | None = None):
    """``metric`` ("loss" or "acc") over epochs for each split present in ``history``, each split in
    its own colour (``SERIES``)."""
    ax = _axes(ax)
    with style():
        for split in splits:
            column = f"{split}_{metric}"
            if column in history:
                ax.plot(history["epoch"], _values(history, column, metric), label=SPLIT_LABELS[split],
                        color=SERIES[split])
        flag = diagnose(history)
        ax.set(xlabel="epoch", ylabel=METRIC_LABELS[metric], title=f"{title} [{flag.split(' (')[0]}]"
               if flag and title else title)
        ax.legend()
    return ax


def compare(histories: dict, metric: str = "acc", split: str = "test", ax=None, title: str | None = None,
            dashed: str | None = None, legend: bool = True):
    """Several runs on one axes: ``histories`` maps a label (λ, γ, activation...) to a history.
    ``dashed`` names a second split drawn dashed in each run's colour (e.g. "train"). Colours:
    ``colours(labels)``; a run ``diagnose`` flags is drawn dotted, its flag in its legend entry;
    long labels wrap (``legend=False``: no legend, e.g. for one shared by several panels)."""
    ax = _axes(ax)
    with style():
        for (label, history), colour in zip(histories.items(), colours(histories)):
            text, flagged = _flag_label(label, history)
            line, = ax.plot(history["epoch"], _values(history, f"{split}_{metric}", metric), label=_wrap(text),
                            color=colour, **flagged)
            if dashed:
                ax.plot(history["epoch"], _values(history, f"{dashed}_{metric}", metric), "--", color=line.get_color())
        ylabel = f"{SPLIT_LABELS[split]} {METRIC_LABELS[metric]}"
        if dashed:
            ylabel = f"{METRIC_LABELS[metric]}\n(solid {SPLIT_LABELS[split]}, dashed {SPLIT_LABELS[dashed]})"
        ax.set(xlabel="epoch", ylabel=ylabel, title=title)
        if legend:
            ax.legend()
    return ax


LEGEND_WRAP = 34   # characters: a longer legend label wraps rather than running over the axes


def _wrap(label: str) -> str:
    return textwrap.fill(str(label), LEGEND_WRAP, break_on_hyphens=False)


def validation_and_test(histories: dict, axes=None, figsize=None):
    """Two panels for several runs: hold-out loss (left) and test percent correct (right), one
    legend for both beneath them (the figure grows by its height). ``axes``: a pair of axes, or
    None for a new figure; returns the pair. The loss axis is set by the stated runs: an
    inferred run (label "(inferred)") whose loss goes far above them is clipped, and the panel's
    title says so (clip_to_stated)."""
    labels = [_flag_label(label, history)[0] for label, history in histories.items()]
    columns = 1 if max(map(len, labels), default=0) > LEGEND_WRAP else 2
    lines = sum(_wrap(label).count("\n") + 1 for label in labels) / columns
    if axes is None:
        with style():
            _, axes = plt.subplots(1, 2, figsize=figsize or (TEXT_WIDTH, 2.3 + 0.16 * lines + 0.15))
    compare(histories, "loss", "holdout", ax=axes[0], title="hold-out loss", legend=False)
    compare(histories, "acc", "test", ax=axes[1], title="test percent correct", legend=False)
    if clip_to_stated(axes[0], histories, "holdout_loss"):
        axes[0].set_title("hold-out loss (inferred runs clipped)")
    with style():
        axes[0].figure.legend(*axes[1].get_legend_handles_labels(), loc="outside lower center", ncol=columns)
    return axes


CLIP_RATIO = 2.0   # an inferred run's curve above twice the stated runs' highest value is clipped


def clip_to_stated(ax, histories: dict, column: str) -> bool:
    """Limit ``ax``'s y axis to the stated runs' range (5% margin) when an inferred run goes above
    CLIP_RATIO times their highest ``column`` value; True when it clipped."""
    def finite(history):
        values = np.asarray([v for v in history.get(column, []) if v is not None], float)
        return values[np.isfinite(values)]
    stated = [v.max() for label, h in histories.items() if "(inferred)" not in str(label) and (v := finite(h)).size]
    inferred = [v.max() for label, h in histories.items() if "(inferred)" in str(label) and (v := finite(h)).size]
    if not stated or not inferred or max(inferred) <= CLIP_RATIO * max(stated):
        return False
    low = min(v.min() for h in histories.values() if (v := finite(h)).size)
    top = max(stated)
    ax.set_ylim(low - 0.05 * (top - low), top + 0.05 * (top - low))
    return True


def versus_lambda(lambdas, values, ax=None, label: str | None = None, ylabel: str = "", title=None):
    """A metric against the penalty weight λ on a log axis (one call per curve; an L1 or L2
    curve in its ``SERIES`` colour)."""
    ax = _axes(ax)
    with style():
        ax.semilogx(lambdas, values, marker="o", label=label, color=series_colour(label) if label else None)
        ax.set(xlabel="λ", ylabel=ylabel, title=title)
        if label:
            ax.legend()
    return ax


def class_means(x: np.ndarray, y: np.ndarray, classes: int = 10) -> np.ndarray:
    """(D, classes): the average image of each class, as columns like a weight matrix."""
    counts = np.bincount(y, minlength=classes)
    return (np.eye(classes)[y].T @ x / np.maximum(counts, 1)[:, None]).T


def _mosaic(columns: np.ndarray, symmetric: bool, side: int = 28, pad: int = 2) -> np.ndarray:
    """Columns (side², K) as one row of K tiles, each scaled to [-1, 1] (or [0, 1]), NaN padding."""
    tiles = columns.T.reshape(-1, side, side).astype(float)
    scale = np.abs(tiles).max(axis=(1, 2), keepdims=True) if symmetric else tiles.max(axis=(1, 2), keepdims=True)
    tiles = tiles / np.where(scale > 0, scale, 1)
    row = np.full((side, len(tiles) * (side + pad) - pad), np.nan)
    for k, tile in enumerate(tiles):  # K <= 10 tiles: a loop over images, not pixels
        row[:, k * (side + pad):k * (side + pad) + side] = tile
    return row


def _columns(vectors, name: str) -> np.ndarray:
    """(784, K) from one vector (784,), a list of K vectors, or an array (784, K)."""
    columns = np.column_stack(vectors) if isinstance(vectors, (list, tuple)) else np.asarray(vectors)
    columns = columns[:, None] if columns.ndim == 1 else columns
    if columns.ndim != 2 or columns.shape[0] != 784:
        raise ValueError(f"{name}: expected (784,), (784, K) or a list of (784,) vectors, got shape {columns.shape}")
    return columns


def weight_images(weights, means=None, labels=None, ax=None, title=None):
    """Weight vectors as 28×28 images (blue −, red +, each scaled to its own max |w|), beneath
    each class's average image when ``means`` is given. ``weights``, ``means``: a vector (784,),
    an array (784, K) (columns, like W1) or a list of K vectors. The text is the style's
    (same title and tick sizes as every other figure)."""
    weights = _columns(weights, "weights")
    k = weights.shape[1]
    ax = _axes(ax, figsize=(0.75 * k + 0.5, 2.2 if means is not None else 1.45))
    top = _mosaic(weights, symmetric=True)
    width, height = top.shape[1], top.shape[0]
    rows = 1 if means is None else 2
    with style():
        ax.imshow(top, cmap="RdBu_r", vmin=-1, vmax=1, extent=(0, width, rows * 30 - 2, (rows - 1) * 30),
                  interpolation="nearest")
        if means is not None:
            ax.imshow(_mosaic(_columns(means, "means"), symmetric=False), cmap="gray_r", vmin=0, vmax=1,
                      extent=(0, width, height, 0), interpolation="nearest")
        ax.set(xlim=(0, width), ylim=(rows * 30 - 2, 0), title=title)
        labels = range(k) if labels is None else labels
        ax.set_xticks([i * 30 + 14 for i in range(k)], [_tile_label(label) for label in labels])
        ax.tick_params(axis="x", length=0)
        ax.set_yticks([])
        ax.grid(False)
        for side in ("left", "bottom"):
            ax.spines[side].set_visible(False)
    return ax


def _tile_label(label) -> str:
    """A label under a 28×28 tile, wrapped to about the tile's width."""
    return "\n".join(textwrap.fill(part, 11, break_on_hyphens=False) for part in str(label).split("\n"))


def gradcheck_table(rows, ax=None, title=None):
    """The gradient-check rows (gradcheck.Row) as a table figure."""
    ax = _axes(ax, figsize=(TEXT_WIDTH, 0.3 * (len(rows) + 1) + 0.3))
    cells = [[f"W{r.layer}" if r.parameter.startswith("W") else r.parameter, str(r.index),
              f"{r.numerical:.8g}", f"{r.backprop:.8g}", f"{r.abs_diff:.2e}", f"{r.rel_diff:.2e}"]
             for r in rows]
    with style():
        table = ax.table(cellText=cells, colLabels=["parameter", "index", "numerical", "backprop",
                                                     "abs diff", "rel diff"], loc="center")
        table.auto_set_font_size(False)
        table.set_fontsize(plt.rcParams["legend.fontsize"])
        ax.axis("off")
        ax.set_title(title)
    return ax


# --- the reproduction at a glance ---

VERDICTS = {"noise": ("within noise", OKABE_ITO["blue"]),
            "explained": ("explained by an ablation", OKABE_ITO["orange"]),
            "inconsistent": ("inconsistent in the report", OKABE_ITO["purple"]),
            "open": ("open gap", OKABE_ITO["vermillion"])}
PROVENANCE_MARKERS = {"stated": ("o", "stated settings"), "default": ("s", "named default"),
                      "inferred": ("D", "inferred setting")}
ABLATION_MARKER = "D"   # hollow: an inferred ablation's result, joined to the stated one by a dotted line
X_LIMIT = 4.0   # noise bands shown either side of the published value; further points sit at the edge


def reproduction(rows: list[dict], ax=None, label_width: int = 48):
    """One row per published number, grouped by report: the workbook's mean ± std as a point with
    an error bar, at its distance from the published value in noise bands ((ours − published) /
    noise), so the grey band [−1, 1] is "within noise" for every metric; the numbers themselves
    (published, workbook) in the right margin. Marker: provenance (stated ●, default ■, inferred ◆);
    colour: verdict (within noise, explained by a measured ablation, open); an inferred ablation's
    result, when measured, as a hollow diamond joined to the stated one by a dotted line.

    ``rows``: dicts with ``group``, ``label``, ``published``, ``mean``, ``std``, ``noise``,
    ``digits``, ``provenance``, ``verdict`` ("noise" | "explained" | "open") and optional
    ``ablation`` {``mean``, ``std``} (report.reproduction_rows builds them from the records).
    """
    groups: dict[str, list[dict]] = {}
    for row in rows:
        groups.setdefault(row["group"], []).append(row)
    lines = sum(len(g) + 1 for g in groups.values())
    row_height = min(_ROW, (PAGE_HEIGHT - _TOP - _BOTTOM) / (lines + 1))   # one page, however many rows
    if ax is None:   # laid out by hand: a label column, the axes, two columns of numbers, the key below
        height = row_height * (lines + 1) + _TOP + _BOTTOM
        with style():
            # a placeholder engine: the style's constrained layout would otherwise return at savefig
            fig = plt.figure(figsize=(TEXT_WIDTH, height), layout=PlaceHolderLayoutEngine(True, True))
            ax = fig.add_axes((_LABELS / TEXT_WIDTH, _BOTTOM / height, 1 - (_LABELS + _MARGIN) / TEXT_WIDTH,
                               row_height * (lines + 1) / height))
    with style():
        y, ticks, labels, headers = 0, [], [], []
        ax.axvspan(-1, 1, color="0.88", zorder=0, lw=0)
        ax.axvline(0, color="0.35", lw=0.8, zorder=1)
        for group, members in groups.items():
            headers.append((y, group))
            y += 1
            for row in members:
                z = _band(row["mean"], row)
                marker = PROVENANCE_MARKERS.get(row.get("provenance", "stated"), PROVENANCE_MARKERS["stated"])[0]
                colour = VERDICTS[row["verdict"]][1]
                err = row["std"] / row["noise"] if row["noise"] else 0
                ax.errorbar(np.clip(z, -X_LIMIT, X_LIMIT), y, xerr=err if abs(z) < X_LIMIT else None,
                            fmt=marker, color=colour, ms=4.5, elinewidth=1, capsize=1.5, zorder=3)
                if abs(z) >= X_LIMIT:   # off the scale: at the edge, an arrowhead pointing on
                    ax.plot(math.copysign(X_LIMIT + 0.4, z), y, ">" if z > 0 else "<", color=colour, ms=4, zorder=3)
                if row.get("ablation"):
                    za = float(np.clip(_band(row["ablation"]["mean"], row), -X_LIMIT, X_LIMIT))
                    ax.plot([np.clip(z, -X_LIMIT, X_LIMIT), za], [y, y], color=colour, lw=0.8, ls=":", zorder=2)
                    ax.plot(za, y, ABLATION_MARKER, mfc="white", mec=colour, ms=4.5, zorder=3)
                ticks.append(y)
                labels.append(textwrap.shorten(row["label"], label_width, placeholder="…"))
                d = row["digits"]
                ours = f"{row['mean']:.{d}f}" + (f" ± {row['std']:.{d}f}" if row["std"] else "")
                _margin(ax, y, f"{row['published']:.{d}f}", 0)
                _margin(ax, y, ours, 1)
                y += 1
        for y0, group in headers:
            ax.annotate(group, xy=(0, y0), xycoords=("axes fraction", "data"), xytext=(-4, 0),
                        textcoords="offset points", ha="right", va="center", fontweight="bold",
                        annotation_clip=False)
            if y0:
                ax.axhline(y0 - 0.5, color="0.75", lw=0.6)
        _margin(ax, -1.1, "published", 0, fontweight="bold")
        _margin(ax, -1.1, "workbook", 1, fontweight="bold")
        ax.set_yticks(ticks, labels)
        ax.tick_params(axis="y", length=0)
        ax.set_ylim(y - 0.5, -1.5)
        ax.set_xlim(-X_LIMIT - 0.6, X_LIMIT + 0.6)
        ax.set_xticks(range(-int(X_LIMIT), int(X_LIMIT) + 1))
        ax.grid(False)
        ax.set_xlabel("workbook − published, in noise bands (grey: within noise)")
        verdicts = [plt.Line2D([], [], ls="", marker="o", color=c, label=text) for text, c in VERDICTS.values()]
        present = {row.get("provenance", "stated") for row in rows}
        kinds = [plt.Line2D([], [], ls="", marker=m, mfc="0.45", mec="0.45", label=text)
                 for key, (m, text) in PROVENANCE_MARKERS.items() if key in present]
        if any(row.get("ablation") for row in rows):
            kinds.append(plt.Line2D([], [], ls=":", lw=0.8, marker=ABLATION_MARKER, mfc="white", mec="0.45",
                                    color="0.45", label="inferred ablation"))
        columns = max(len(verdicts), len(kinds))
        blank = plt.Line2D([], [], ls="", label=" ")
        verdicts += [blank] * (columns - len(verdicts))
        kinds += [blank] * (columns - len(kinds))
        handles = [h for pair in zip(verdicts, kinds) for h in pair]   # filled by column: one row each
        ax.figure.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 0), ncol=columns, frameon=False,
                         handletextpad=0.3, columnspacing=1.0)
    return ax


# The reproduction figure's layout, in inches: row height (at most; rows close up to 9.3 pt, the
# 8 pt labels' leading, so that it fits PAGE_HEIGHT), label column, number columns, key.
PAGE_HEIGHT = 8.8   # the A4 text height (10 in) less room for a caption
_ROW, _TOP, _BOTTOM, _LABELS, _MARGIN = 0.16, 0.3, 0.85, 2.55, 1.6
_COLUMNS = (4, 54)            # the number columns' offsets from the axes' right edge, in points


def _margin(ax, y, text, column, **kwargs):
    ax.annotate(text, xy=(1, y), xycoords=("axes fraction", "data"), xytext=(_COLUMNS[column], 0),
                textcoords="offset points", ha="left", va="center", annotation_clip=False,
                fontsize=plt.rcParams["legend.fontsize"], **kwargs)


def _band(value: float, row: dict) -> float:
    return (value - row["published"]) / row["noise"] if row["noise"] else 0.0


def save(fig, stem) -> list[Path]:
    """Write ``stem``.pdf and ``stem``.png atomically, with no timestamp or version metadata.

    A figure wider than ``TEXT_WIDTH`` is first set to that width (its height in proportion):
    text keeps its point size, so the figure is printed at its own size and every figure of the
    report shares one type scale."""
    stem = Path(stem)
    width, height = fig.get_size_inches()
    if width > TEXT_WIDTH:
        fig.set_size_inches(TEXT_WIDTH, height * TEXT_WIDTH / width)
    written = []
    for fmt, metadata in (("pdf", {"CreationDate": None, "Producer": None, "Creator": None}),
                          ("png", {"Software": None})):
        buffer = io.BytesIO()
        with style(), contextlib.suppress(AttributeError):
            fig.savefig(buffer, format=fmt, metadata=metadata)
        path = stem.with_suffix(f".{fmt}")
        atomic_write(path, buffer.getvalue())
        written.append(path)
    return written


SEARCH_MARKERS = {"COMPLETE": ("o", "complete"), "PRUNED": ("x", "pruned at its rung"), "FAIL": ("v", "diverged")}


def search_trials(classes: dict, axes=None, columns: int = 3):
    """One panel per model class: its search's monitored hold-out metric per trial (in the order
    they were asked), complete trials as dots, pruned ones as crosses (their best value at the
    rung), the chosen trial ringed. ``classes``: {class: {"trials": search.trials_table rows,
    "monitor": "holdout_acc"|"holdout_loss", "chosen_trial": number}}. Returns the axes."""
    names = list(classes)
    rows = math.ceil(len(names) / columns)
    if axes is None:
        with style():
            _, axes = plt.subplots(rows, columns, figsize=(TEXT_WIDTH, 1.9 * rows + 0.5), squeeze=False)
    axes = np.asarray(axes).ravel()
    with style():
        for ax, name in zip(axes, names):
            spec = classes[name]
            metric = "acc" if spec["monitor"].endswith("acc") else "loss"
            for state, (marker, label) in SEARCH_MARKERS.items():
                points = [(t["number"], t["value"]) for t in spec["trials"] if t["state"] == state and t["value"] is not None]
                if points:
                    x, y = zip(*points)
                    ax.plot(x, _values({"v": y}, "v", metric), marker, color=SERIES["holdout"] if state == "COMPLETE"
                            else OKABE_ITO["black"], label=label, markersize=4 if marker == "o" else 5)
            best = [t for t in spec["trials"] if t["number"] == spec["chosen_trial"]]
            if best:
                ax.plot(best[0]["number"], _values({"v": [best[0]["value"]]}, "v", metric)[0], "o", mfc="none",
                        mec=OKABE_ITO["vermillion"], markersize=9, label="chosen")
            ax.set(title=name, xlabel="trial", ylabel=f"hold-out {METRIC_LABELS[metric].split(' (')[0]}")
            _zoom(ax, [t["value"] for t in spec["trials"] if t["value"] is not None], metric)
        for ax in axes[len(names):]:
            ax.set_visible(False)
        handles = {}
        for ax in axes[:len(names)]:
            for h, label in zip(*ax.get_legend_handles_labels()):
                handles.setdefault(label, h)
        axes[0].figure.legend(handles.values(), handles.keys(), loc="outside lower center", ncol=len(handles))
    return axes


def _zoom(ax, values, metric: str) -> None:
    """Show the good end of a search: the best values, not the worst trials' tail."""
    values = np.sort(np.asarray([v for v in values if v is not None and np.isfinite(v)], float))
    if values.size < 3:
        return
    if metric == "acc":
        top = 100 * values[-1]
        low = 100 * values[len(values) // 4]
        ax.set_ylim(low - 0.1 * (top - low + 0.1), top + 0.1 * (top - low + 0.1))
    else:
        best, high = values[0], values[-(len(values) // 4) - 1]
        ax.set_ylim(best - 0.1 * (high - best + 1e-3), high + 0.1 * (high - best + 1e-3))
