"""Every report figure legible at its printed size (issue 29): drawn by matplotlib's renderer, no
text runs off the figure or over another text (their window extents), a hold-out row and a test
row of one setting are told apart, a loss axis is not set by one early spike, curves drawn on one
another say so, and a table's identical rows are named in its caption."""
import numpy as np
import matplotlib
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.text import Text  # noqa: E402

from helpers import figures  # noqa: E402
from helpers.pipeline import published, runfiles  # noqa: E402
from helpers.report import tables  # noqa: E402
from helpers.report.reproduction_view import METRICS  # noqa: E402


def text_problems(fig) -> tuple[list, list]:
    """(texts outside the figure, pairs of texts that overlap), from the drawn texts' extents, drawn
    as figures.save draws them (in the workbook's style, at the text width)."""
    width, height = fig.get_size_inches()
    if width > figures.TEXT_WIDTH:
        fig.set_size_inches(figures.TEXT_WIDTH, height * figures.TEXT_WIDTH / width)
    with figures.style():
        fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    ticks, shown = set(), []   # an axis keeps tick labels it does not draw (outside its view): only the drawn count
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                ticks |= {tick.label1, tick.label2}
            shown += [t for tick in axis._update_ticks() for t in (tick.label1, tick.label2)]
    texts = shown + [t for t in fig.findobj(Text) if t not in ticks]
    drawn = [(t.get_text(), t.get_window_extent(renderer)) for t in texts if t.get_visible() and t.get_text().strip()]
    drawn = [(s, b) for s, b in drawn if b.width > 0 and b.height > 0]
    box = fig.bbox
    outside = [s for s, b in drawn if b.x0 < box.x0 - 1 or b.y0 < box.y0 - 1 or b.x1 > box.x1 + 1 or b.y1 > box.y1 + 1]
    overlaps = [(a, c) for i, (a, b) in enumerate(drawn) for c, d in drawn[i + 1:]
                if min(b.x1, d.x1) - max(b.x0, d.x0) > 1 and min(b.y1, d.y1) - max(b.y0, d.y0) > 1]
    return outside, overlaps


def assert_legible(fig):
    outside, overlaps = text_problems(fig)
    assert outside == [] and overlaps == [], f"outside the figure: {outside}; overlapping: {overlaps[:5]}"


def test_the_reproduction_figure_keeps_each_row_s_metric_and_no_text_collides():
    entries = published.published()
    rows = [{"group": e["report"], "label": f"{i}. {e['label']} · {METRICS[e['metric']]}", "published": float(e["value"]),
             "mean": float(e["value"]) * 0.99, "std": 0.1, "noise": 1.0, "digits": 2, "provenance": e["provenance"],
             "verdict": "noise", "ablation": None} for i, e in enumerate(entries, 1)]
    ax = figures.reproduction_chart(rows)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert len(set(labels)) == len(labels) == len(entries), "two rows read the same"
    for label in labels:   # "9. softmax, warm-started selection, L2… · test %": hold-out % / test % kept, never cut
        e = entries[int(label.split(".")[0]) - 1]
        assert label.endswith(f" · {METRICS[e['metric']]}"), label
    assert_legible(ax.figure)
    plt.close(ax.figure)


@pytest.mark.parametrize("count", [3, 17])
def test_weight_images_labels_never_run_into_each_other(count):
    """01's weights: its three variants, and its penalised variants too (17 tiles) with the
    notebook's two-line labels; softmax weights under their class means."""
    names = list(runfiles.defaults("01_logistic")["variants"])
    names += [f"{p} λ={lam:g}" for p in ("l2", "l1") for lam in (0.1, 0.03, 0.01, 0.003, 0.001, 0.0003, 0.0001)]
    labels = [name.replace(" ", "\n", 1) for name in names[:count]]
    rng = np.random.default_rng(0)
    ax = figures.weight_images(list(rng.normal(size=(count, 784))), labels=labels, title="weights as 28×28 images")
    assert_legible(ax.figure)
    plt.close(ax.figure)
    ax = figures.weight_images(rng.normal(size=(784, 10)), means=rng.random((784, 10)), title="weights and class means")
    assert_legible(ax.figure)
    plt.close(ax.figure)


def history(loss, acc):
    n = len(loss)
    return {"epoch": list(range(1, n + 1)), "holdout_loss": list(loss), "test_acc": list(acc), "train_loss": list(loss)}


def test_a_single_early_spike_does_not_set_the_loss_axis_and_the_figure_says_so():
    settle = 0.3 + 0.2 * np.exp(-np.arange(60) / 10)
    spiked = history(np.r_[100.0, settle[1:]], np.linspace(0.8, 0.9, 60))
    calm = history(settle * 1.1, np.linspace(0.8, 0.92, 60))
    axes = figures.validation_and_test({"η 0.1": spiked, "η 0.01": calm})
    assert axes[0].get_ylim()[1] < 1.0, axes[0].get_ylim()
    assert "spike to 100" in axes[0].get_title()
    assert_legible(axes[0].figure)
    plt.close(axes[0].figure)
    ax = figures.curves(spiked, "loss", splits=("train", "holdout"), title="loss")
    assert ax.get_ylim()[1] < 1.0 and "spike to 100" in ax.get_title()
    plt.close(ax.figure)
    ax = figures.curves(calm, "loss", splits=("train", "holdout"), title="loss")   # no spike: nothing clipped
    assert "spike" not in ax.get_title() and ax.get_ylim()[1] >= max(calm["holdout_loss"])
    plt.close(ax.figure)


def test_curves_drawn_on_one_line_say_so_in_the_legend():
    same = history(np.linspace(1, 0.3, 20), np.linspace(0.5, 0.9, 20))
    other = history(np.linspace(1.2, 0.4, 20), np.linspace(0.4, 0.85, 20))
    ax = figures.compare({"L1 λ 0.1": same, "L1 λ 0.5": same, "L1 λ 1": same, "L2 λ 0.1": other}, "acc", "test")
    texts = [t.get_text().replace("\n", " ") for t in ax.get_legend().get_texts()]
    assert texts == ["L1 λ 0.1", "L1 λ 0.5 (same curve as L1 λ 0.1)", "L1 λ 1 (same curve as L1 λ 0.1)", "L2 λ 0.1"]
    assert_legible(ax.figure)
    plt.close(ax.figure)


def test_a_table_with_identical_rows_names_them_in_its_caption():
    record = {"run": "runs/02_softmax/zhu_guo_early", "runs": {}, "summary": {
        "l2 λ=0.01": {"holdout_acc": [0.877, 0.0007, 3], "test_acc": [0.9203, 0.0042, 3], "epochs_run": [1000, 0, 3]},
        "l2 λ=0.05": {"holdout_acc": [0.877, 0.0007, 3], "test_acc": [0.9203, 0.0042, 3], "epochs_run": [1000, 0, 3]},
        "l2 λ=0.001": {"holdout_acc": [0.893, 0.0027, 3], "test_acc": [0.931, 0.0004, 3], "epochs_run": [1000, 0, 3]}}}
    piece = tables.summary_table(record, ["holdout_acc", "test_acc", "epochs_run"], "Zhu & Guo (early)")
    assert "Identical rows: l2 λ=0.01 and l2 λ=0.05 show the same numbers" in piece.html
    assert "0.001 show" not in piece.html
