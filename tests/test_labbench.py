"""The JupyterLab benchmark edits 04_momentum's parameters cell as a student would: one new variant,
everything else in the cell as it was."""
import nbformat
import pytest

from helpers.pipeline import labbench
from helpers.pipeline.settings import ROOT


def _parameters(nb) -> dict:
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    namespace = {}
    exec(cell.source, namespace)            # the repository's own notebook, nothing read from elsewhere
    return {k: v for k, v in namespace.items() if not k.startswith("__")}


def test_the_edit_leaves_one_new_variant_and_the_rest_of_the_cell():
    original = nbformat.read(ROOT / labbench.NOTEBOOK, 4)
    edited = labbench.changed_variant(original)
    before, after = _parameters(original), _parameters(edited)
    assert after["variants"] == {"γ 0.5, η 0.01": {"momentum": 0.5, "lr": 0.01}}
    assert after["variants"].keys().isdisjoint(before["variants"])
    assert {k: v for k, v in after.items() if k != "variants"} == {k: v for k, v in before.items() if k != "variants"}
    assert _parameters(original) == before                      # the notebook read is not changed in place


def test_a_notebook_without_the_cell_is_refused_by_name():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    with pytest.raises(ValueError, match="04_momentum.ipynb has no parameters cell"):
        labbench.changed_variant(nb)
