"""The settings a caption or sentence states, read from the configuration that ran (never typed).

Interface (``record``: a results record; its ``runs[variant][seed]["config"]`` are the configurations
that ran; ``variants``: the ones a caption speaks of, default all):
    common(record, field, variants=None)   # the value all of them ran with; None when they differ
    network(record, variants=None)         # "784-128-10 tanh"; "784-64-10 ReLU"; "784-128-10" when activations differ
    value(x)                               # a setting as the reports write it: 0.01, 1e-3, 0.05, 1,000
    digits(record), pair(record)           # (2, 3), "2 vs 3": the digit pair of a logistic run
    rule(record)                           # the momentum rule: "classic", "averaged" or "no momentum"
    penalty(record), gradient(record)      # "λΣW²" / "λΣW²/2"; its gradient "2λW" / "λW"
    penalties(record)                      # "L2 λ 1e-3", "L1 λ 0.01", "no penalty" ("" when variants differ)
    batches(record), inputs(record), start(record)   # "mini-batches of 128"; "per-image z-scored inputs"; "N(0,1)"
    count(n)                               # "two" (one to ten in words, then digits)
    a(n)                                   # "an 8", "a 64": the number with its article
    merged(*records), first(record)        # several runs' variants as one record; a run's first variant alone
    training(record, total), held_out(record), test_images(record), split(record), bias_input(record)
                                           # the data a run took: "the first 20,000 training images", ...
A field the variants do not share is never stated as if they did: the helpers then say less.
"""
from __future__ import annotations

PIXELS = 28 * 28     # every image of MNIST and Fashion-MNIST (helpers.mnist checks the files' dims)
CLASSES = 10
ACTIVATION_NAMES = {"relu": "ReLU", "leaky_relu": "leaky ReLU", "tanh": "tanh", "sigmoid": "sigmoid"}
RULES = {"momentum": "classic", "averaged": "averaged", "sgd": "no momentum"}
PENALTY_FORMS = {"2lw": "λΣW²", "lw": "λΣW²/2"}
GRADIENT_FORMS = {"2lw": "2λW", "lw": "λW"}
INPUTS = {"image-z": "per-image z-scored inputs", "dataset-z": "inputs z-scored over the training set",
          "255": "inputs divided by 255"}
STARTS = {"normal": "N(0,1)", "xavier": "Xavier", "he": "He", "zeros": "zero"}
WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def configs(record: dict, variants=None) -> list[dict]:
    """Every configuration (each seed's) of ``variants`` that ran."""
    runs = record["runs"]
    return [seed["config"] for v in (runs if variants is None else variants) for seed in runs[v]]


def common(record: dict, field: str, variants=None):
    """The value of ``field`` every listed variant ran with; None when they differ (or none ran)."""
    values = [c.get(field) for c in configs(record, variants)]
    return values[0] if values and all(v == values[0] for v in values) else None


def network(record: dict, variants=None) -> str:
    """The layer widths and the hidden activation: "784-128-10 tanh"; the activation is left out
    when the variants differ in it, the widths given per variant when those differ."""
    shapes = {_widths(c) for c in configs(record, variants)}
    widths = shapes.pop() if len(shapes) == 1 else " / ".join(sorted(shapes))
    activation = common(record, "activation", variants) if common(record, "model", variants) == "mlp" else None
    return f"{widths} {ACTIVATION_NAMES.get(activation, activation)}" if activation else widths


def _widths(config: dict) -> str:
    outputs = 1 if config.get("digits") else CLASSES
    hidden = list(config.get("hidden") or []) if config.get("model") == "mlp" else []
    return "-".join(str(n) for n in (PIXELS, *hidden, outputs))


def value(x) -> str:
    """A setting as the reports write it: 0.01, 0.05, 1e-3, 1e-4, 7.8e-5, 1,000."""
    if isinstance(x, bool) or x is None or x == 0:
        return str(x)
    if isinstance(x, int) or float(x).is_integer() and abs(x) >= 1:
        return f"{int(x):,}"
    if abs(x) >= 0.01:
        return f"{x:g}"
    mantissa, exponent = f"{x:.2e}".split("e")
    return f"{mantissa.rstrip('0').rstrip('.')}e{int(exponent)}"


def digits(record: dict) -> tuple:
    """The digit pair of a logistic run, as its first variant orders it (positive, negative); a
    variant that swaps the two is the same pair. () when the variants' pairs differ."""
    pairs = [tuple(c.get("digits") or ()) for c in configs(record)]
    return pairs[0] if pairs and len({frozenset(p) for p in pairs}) == 1 else ()


def pair(record: dict) -> str:
    first = digits(record)
    return f"{first[0]} vs {first[1]}" if first else "digit pairs that differ"


def rule(record: dict, variants=None) -> str:
    optimizer = common(record, "optimizer", variants)
    return RULES.get(optimizer, optimizer or "per-variant")


def penalty(record: dict, variants=None) -> str:
    return PENALTY_FORMS.get(common(record, "l2_gradient", variants), "the penalty")


def gradient(record: dict, variants=None) -> str:
    return GRADIENT_FORMS.get(common(record, "l2_gradient", variants), "the penalty's gradient")


def penalties(record: dict, variants=None) -> str:
    """"L2 λ 1e-3" (and/or L1), "no penalty"; "" when the variants differ in it."""
    l1, l2 = common(record, "l1", variants), common(record, "l2", variants)
    if l1 is None or l2 is None:
        return ""
    named = [f"{name} λ {value(lam)}" for name, lam in (("L1", l1), ("L2", l2)) if lam]
    return ", ".join(named) or "no penalty"


def batches(record: dict, variants=None) -> str:
    size = common(record, "batch_size", variants)
    return "full-batch gradient descent" if size is None and configs(record, variants) and \
        all(c.get("batch_size") is None for c in configs(record, variants)) else \
        f"mini-batches of {value(size)}" if size else "mini-batches of sizes that differ"


def inputs(record: dict, variants=None) -> str:
    normalisation = common(record, "normalisation", variants)
    return INPUTS.get(normalisation, f"inputs normalised {normalisation}" if normalisation else "inputs normalised per variant")


def start(record: dict, variants=None) -> str:
    init = common(record, "init", variants)
    return STARTS.get(init, init or "per-variant")


def a(n: int) -> str:
    """``n`` with its article as it is read aloud: "a 64", "an 8", "an 11", "an 18,000", "a 128"."""
    digits = str(abs(int(n)))
    vowel = digits[0] == "8" or (len(digits) % 3 == 2 and digits[:2] in ("11", "18"))
    return f"{'an' if vowel else 'a'} {int(n):,}"


def count(n: int) -> str:
    return WORDS[n] if 0 <= n < len(WORDS) else f"{n:,}"


def first(record: dict) -> dict:
    """The record restricted to its first variant (the run's own setting, before any inferred one)."""
    name = next(iter(record["runs"]))
    return {"runs": {name: record["runs"][name]}}


def merged(*records: dict) -> dict:
    return {"runs": {f"{i}/{v}": seeds for i, r in enumerate(records) for v, seeds in r["runs"].items()}}


def training(record: dict, total: int) -> str:
    n = common(record, "n_train")
    return f"the first {value(n)} training images" if n else f"all {value(total)} training images"


def held_out(record: dict) -> str:
    """Which training images a run held out: "the first 2,000 of them", "the first 10%", "the 2,000
    after them (skipping image 20,000)"."""
    how, size, n, gap = (common(record, f) for f in ("holdout", "holdout_size", "n_train", "holdout_gap"))
    if how == "first":
        return f"the first {value(round(size * n))} of them" if n else f"the first {round(100 * size)}%"
    if how == "next":
        skipped = f" (skipping image {value(n)})" if gap == 1 and n else f" (skipping {value(gap)} images)" if gap else ""
        return f"the {value(round(size))} after them{skipped}"
    return f"{round(100 * size)}% drawn at random" if how == "shuffle" and size else "per variant"


def split(record: dict) -> str:
    size = common(record, "holdout_size")
    return f"{round(100 * (1 - size))}/{round(100 * size)}" if size is not None and size < 1 else "per variant"


def test_images(record: dict) -> str:
    n, how = common(record, "n_test"), common(record, "test_select")
    if not n:
        return "the full test set"
    return f"the first {value(n)} of the pair in the test set" if how == "pair-first" else f"the last {value(n)} test images"


def bias_input(record: dict) -> str:
    c = common(record, "bias_input")
    if not c:
        return "per variant"
    return value(c) if c >= 1 else f"1/{round(1 / c)}" if abs(1 / c - round(1 / c)) < 1e-6 else value(c)
