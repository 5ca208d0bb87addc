"""Output layers with their cross-entropy, stable for every finite logit.

Interface: ``OUTPUTS[name] = (loss_and_delta, probabilities, predict)`` where
``loss_and_delta(z, y) -> (total, delta)``  total = Σ_n E_n (a float, summed, not averaged)
and delta = ∂total/∂z, same shape as z (z is scratch: it may be overwritten);
``probabilities(z)`` and ``predict(z)``.

softmax (K classes, z (N, K), integer labels y (N,)):
    log y_k = z_k - logsumexp(z),  logsumexp(z) = m + log Σ_j e^(z_j - m),  m = max_j z_j
    E = -Σ_n log y_{n, t_n},        ∂E/∂z = y - onehot(t)
sigmoid (two classes, z (N, 1), targets t (N,) in {0, 1}):
    E = -Σ [t log σ(z) + (1 - t) log(1 - σ(z))] = Σ [log(1 + e^z) - t z]
    computed as logaddexp(0, z) - t z,             ∂E/∂z = σ(z) - t
Subtracting the max (softmax) and logaddexp (sigmoid) keep every exponent ≤ 0, so there
is no overflow, no log(0) and no clipping for any finite input.
"""
from __future__ import annotations

import numpy as np

from .activations import sigmoid


def log_softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise log-softmax of z (N, K), by the log-sum-exp trick."""
    shifted = z - z.max(axis=1, keepdims=True)
    shifted -= np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return shifted


def softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise softmax of z (N, K); each row sums to 1."""
    return np.exp(log_softmax(z))


def softmax_cross_entropy(z: np.ndarray, y: np.ndarray):
    """(Σ_n -log softmax(z_n)[y_n], softmax(z) - onehot(y)); overwrites z (a scratch buffer)."""
    rows = np.arange(len(z))
    # Row max and row sums over the short class axis: a transposed copy and a
    # matrix-vector product are several times faster than reductions along axis 1.
    z -= np.ascontiguousarray(z.T).max(axis=0)[:, None]   # every exponent <= 0: no overflow
    delta = np.exp(z)
    sums = delta @ np.ones(z.shape[1], z.dtype)            # >= 1 (the max term is e^0)
    total = float(np.log(sums).sum(dtype=np.float64) - z[rows, y].sum(dtype=np.float64))
    delta /= sums[:, None]
    delta[rows, y] -= 1
    return total, delta


def sigmoid_cross_entropy(z: np.ndarray, y: np.ndarray):
    t = y.reshape(z.shape).astype(z.dtype)
    total = float((np.logaddexp(0, z) - t * z).sum(dtype=np.float64))
    delta = sigmoid(z)
    delta -= t
    return total, delta


OUTPUTS = {
    "softmax": (softmax_cross_entropy, softmax, lambda z: z.argmax(axis=1)),
    "sigmoid": (sigmoid_cross_entropy, lambda z: sigmoid(z)[:, 0], lambda z: (z[:, 0] > 0).astype(np.intp)),
}
