"""Hidden-layer activations, looked up by name in one table.

Interface: ``ACTIVATIONS[name] = (forward, backward)`` with
``forward(z, out) -> a``      writes f(z) into ``out`` (which may be ``z`` itself) and returns it;
``backward(a, delta) -> delta`` multiplies ``delta`` in place by f'(z), written in terms of
the *output* a = f(z), so the forward pass need not keep z.

    sigmoid     a = 1 / (1 + e^-z)                            f' = a (1 - a)
    tanh        a = tanh z                                    f' = 1 - a^2
    relu        a = max(z, 0)                                 f' = [a > 0]
    leaky_relu  a = z if z > 0 else 0.01 z                    f' = 1 if a > 0 else 0.01

The sigmoid is evaluated through e^-|z|, which never overflows (e^-z does for z < -88
in float32).
ReLU's derivative at exactly 0 is taken as 0 (the kink; gradient checks avoid it).
"""
from __future__ import annotations

import numpy as np

LEAK = 0.01


def sigmoid(z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Logistic function, stable and accurate for every finite z.

    With e = exp(-|z|) <= 1 (never overflows): σ(z) = 1/(1+e) for z >= 0, e/(1+e) for
    z < 0; both branches keep full relative precision, also for tiny σ(z).
    """
    e = np.exp(-np.abs(z))
    r = np.reciprocal(1 + e)
    return np.multiply(np.where(z >= 0, 1, e), r, out=out)


def _sigmoid_backward(a, delta):
    delta *= a
    delta *= 1 - a
    return delta


def _tanh(z, out=None):
    return np.tanh(z, out=out)


def _tanh_backward(a, delta):
    square = np.multiply(a, a)
    np.subtract(1, square, out=square)
    delta *= square
    return delta


def _relu(z, out=None):
    return np.maximum(z, 0, out=out)


def _relu_backward(a, delta):
    delta *= a > 0
    return delta


def _leaky_relu(z, out=None):
    return np.multiply(z, np.where(z > 0, 1, LEAK).astype(z.dtype), out=out)


def _leaky_relu_backward(a, delta):
    delta *= np.where(a > 0, 1, LEAK).astype(delta.dtype)
    return delta


ACTIVATIONS = {
    "sigmoid": (sigmoid, _sigmoid_backward),
    "tanh": (_tanh, _tanh_backward),
    "relu": (_relu, _relu_backward),
    "leaky_relu": (_leaky_relu, _leaky_relu_backward),
}


def get(name: str):
    """(forward, backward) for ``name``; ValueError listing the choices otherwise."""
    try:
        return ACTIVATIONS[name]
    except KeyError:
        raise ValueError(f"activation={name!r} is not known; choose one of {sorted(ACTIVATIONS)}") from None
