"""The workbook's figures, one look (workbook.mplstyle): ``from helpers import figures``.

Every drawing function draws on ``ax`` (a new figure when None) and returns the axes;
``figures.save(fig, stem)`` writes stem.pdf (LaTeX) and stem.png (notebooks, the HTML report,
the README) atomically and without timestamps, so rebuilding changes no bytes. Nothing changes
rcParams globally: the style applies inside ``figures.style()`` only. Histories are
``Result.history`` dicts. Modules: ``look`` (style, colours, save), ``diagnosis`` (what a
history says, numpy only), ``lines`` (runs over epochs, against λ), ``images`` (28×28 tiles),
``table`` (the gradient check against its bound), ``glance`` (the reproduction at a glance), ``trials`` (a search),
``updates`` (test accuracy against updates, beside a published value).
"""
from .diagnosis import diagnose
from .glance import reproduction_chart
from .images import class_means, mosaic, weight_images
from .lines import LEGEND_WRAP, clip_to_stated, compare, curves, validation_and_test, versus_lambda
from .look import (METRIC_LABELS, OKABE_ITO, SERIES, SPLIT_LABELS, STYLE, TEXT_WIDTH, colours, save, series_colour,
                   style)
from .table import gradcheck_figure
from .trials import search_trials
from .updates import accuracy_vs_updates, first_reached, reached_sentence

__all__ = ["LEGEND_WRAP", "accuracy_vs_updates", "first_reached", "METRIC_LABELS", "OKABE_ITO", "SERIES", "SPLIT_LABELS", "STYLE", "TEXT_WIDTH",
           "class_means", "clip_to_stated", "colours", "compare", "curves", "diagnose", "gradcheck_figure", "mosaic", "reached_sentence",
           "reproduction_chart", "save", "search_trials", "series_colour", "style", "validation_and_test",
           "versus_lambda", "weight_images"]
