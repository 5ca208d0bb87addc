"""Issue 28: Zhu & Guo (early)'s warm chain, as the workbook runs it (the 02 run's configurations
through pipeline.fits and train.sweep), against a re-implementation written from SPEC B1' alone:
the first 10 % of the first N training images held out, the last test images, the constant 1
prepended, W ~ N(0, 1) (bias row first), batch gradient descent on the summed loss with 2λW,
η(t) = η0/(1 + t/T) restarted at every λ, hold-out accuracy recorded before the first update and
after each, stop once it has fallen 3 epochs in a row (a tie is no fall), the highest-accuracy
weights kept, the cap, and each λ continuing the last weights of the one before in the stated order.
At full scale (1000 epochs) the two gave the same hold-out accuracies and best epochs, seed for seed
(87.60 / 87.75 / 87.75 % at epochs 923 / 983 / 981 for λ 0.01)."""
import numpy as np

from helpers import data
from helpers.pipeline import fits
from helpers.pipeline.params import base_config
from helpers.pipeline.resolve import effective
from helpers.pipeline.settings import NOTEBOOKS
from helpers.train import load_splits, sweep

N_TRAIN, N_TEST, CAP = 20000, 2000, 15   # the run's own data; a 15-epoch cap instead of 1000


def early_chain_configs(seed: int):
    """The first λ round of runs/02_softmax/zhu_guo_early as the build resolves it, with a short cap:
    (its configurations in chain order, its λs)."""
    P = effective(NOTEBOOKS / "runs" / "02_softmax" / "zhu_guo_early.yaml", "full")
    base = base_config(P).replace(epochs=CAP, seed=seed, progress=False)
    assert (base.n_train, base.n_test) == (N_TRAIN, N_TEST)
    first = fits.lambda_sets(P["selection"]["lambdas"])[0]
    steps = fits.penalty_variants(P["selection"]["penalties"], first)
    return [base.replace(**overrides) for overrides in steps.values()], first


def reimplemented(seed: int, lambdas, eta0=0.004, T=2.0, patience=3, cap=CAP):
    """SPEC B1' by hand: (hold-out accuracy per epoch, best accuracy, best epoch, epochs run) per λ."""
    xa, ya = data.load("mnist", "train", flatten=True)
    x = np.hstack([np.ones((N_TRAIN, 1)), xa[:N_TRAIN] / 255.0]).astype(np.float32)
    y = ya[:N_TRAIN]
    n_hold = int(0.1 * N_TRAIN)
    xh, yh, xtr, ytr = x[:n_hold], y[:n_hold], x[n_hold:], y[n_hold:]
    W = np.random.default_rng(seed).standard_normal((785, 10)).astype(np.float32)
    targets = np.eye(10, dtype=np.float32)[ytr]
    accuracy = lambda w: float(((xh @ w).argmax(1) == yh).mean())  # noqa: E731
    out = []
    for lam in lambdas:
        accs, falls = [accuracy(W)], 0
        for t in range(cap):
            z = xtr @ W
            p = np.exp(z - z.max(1, keepdims=True))
            p /= p.sum(1, keepdims=True)
            W = W - np.float32(eta0 / (1 + t / T)) * (xtr.T @ (p - targets) + np.float32(2 * lam) * W)
            accs.append(accuracy(W))
            falls = falls + 1 if accs[-1] < accs[-2] else 0
            if falls >= patience:
                break
        best = int(np.argmax(accs))   # the first epoch of the highest accuracy
        out.append({"holdout_acc": accs, "best": accs[best], "best_epoch": best, "epochs": len(accs) - 1})
    return out


def test_the_workbooks_warm_chain_is_the_reimplementation_of_spec_b1_prime():
    configs, lambdas = early_chain_configs(seed=1)
    assert lambdas == [0.01, 0.001, 0.0001]          # the stated order, the first round
    splits = load_splits(configs[0])
    workbook = sweep(configs, splits)
    by_hand = reimplemented(1, lambdas)
    stopped = [r for r in by_hand if r["epochs"] < CAP]
    assert stopped and len(stopped) < len(by_hand)   # the stop fires in the chain, and the cap ends a fit
    for ours, theirs in zip(workbook, by_hand):
        assert ours.final["epochs_run"] == theirs["epochs"]
        assert np.allclose(ours.history["holdout_acc"], theirs["holdout_acc"], atol=1.5 / len(splits.y_holdout))
        assert ours.final["best_epoch"] == theirs["best_epoch"]
        assert ours.final["holdout_acc"] == theirs["best"]
