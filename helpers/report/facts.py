"""Facts of this build the report states: about the data, the test sets, the environment.

Interface:
    data_facts(dataset="mnist")    # the first training image and the training set after /255 (SPEC "Data")
    data_record(dataset="mnist")   # the data facts the reports printed, as a record (run DATA_RUN) to compare
    n_test(record, variant)        # how many test images a record's variant was scored on
    environment()                  # a markdown line: Python, numpy, matplotlib, machine, cores
    DATA_RUN
"""
from __future__ import annotations

import json
import os
import platform
from functools import lru_cache

import matplotlib
import numpy as np

from .. import data
from ..config import Config
from ..train import load_splits

DATA_RUN = "data"


def data_facts(dataset: str = "mnist") -> dict:
    """The first training image and the training set after /255 (SPEC "Data" lists the values)."""
    x, y = data.load(dataset, "train", flatten=True)
    test, _ = data.load(dataset, "test", flatten=True)
    first = x[0] / 255.0
    scaled = x / 255.0
    return {"label": int(y[0]), "pixel_sum": int(x[0].sum(dtype=np.int64)), "mean": float(first.mean()),
            "std": float(first.std()), "set_mean": float(scaled.mean()), "set_std": float(scaled.std()),
            "n_train": len(x), "n_test": len(test), "side": int(round(x.shape[1] ** 0.5))}


def data_record(dataset: str = "mnist") -> dict:
    """The data facts the reports printed, as a record the reproduction compares like a run's:
    the first training image's mean and std as uint8 / 256 (Lim & Chen's printout)."""
    x, _ = data.load(dataset, "train", flatten=True)
    first = x[0] / 256.0
    return {"run": DATA_RUN, "summary": {"first image / 256": {"first_mean": [float(first.mean()), 0.0],
                                                                "first_std": [float(first.std()), 0.0]}}}


@lru_cache(maxsize=None)
def _n_test(config_json: str) -> int:
    return len(load_splits(Config.from_dict(json.loads(config_json)).replace(progress=False)).y_test)


def n_test(record: dict, variant: str) -> int:
    """How many test images a record's variant was scored on (for the binomial noise band)."""
    return _n_test(json.dumps(record["runs"][variant][0]["config"], sort_keys=True))


def environment() -> str:
    """A markdown line naming the interpreter and the numerical packages of this build."""
    return (f"Built with Python {platform.python_version()}, numpy {np.__version__} and matplotlib "
            f"{matplotlib.__version__} on {platform.machine()}, {os.cpu_count()} CPU cores.")
