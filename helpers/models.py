"""Logistic regression, softmax regression and multi-layer networks: one model type.

Interface. A model is a frozen ``Network(sizes, activation, output)``; its parameters are a
dict of named arrays ``{"W1": (D, H1), "b1": (H1,), ..., "WL": (H_{L-1}, K), "bL": (K,)}``:

    params = model.init(rng, scheme, dtype)
    loss, grads = model.loss(params, x, y, l1=0, l2=0, reduction="mean")   # grads: same keys
    model.logits(params, x), model.probabilities(params, x), model.predict(params, x)

x is (N, D) float; y is (N,) integer labels 0..K-1 (softmax) or 0/1 targets (sigmoid).
Logistic regression is ``Network((D, 1), output="sigmoid")``, softmax regression
``Network((D, 10))``, the course network ``Network((784, 128, 10), "tanh")``.

Forward: a_0 = x, a_l = f(a_{l-1} W_l + b_l) for hidden layers, z_L = a_{L-1} W_L + b_L.
Loss:    E = data + λ2 Σ W² + λ1 Σ |W|, where data = Σ_n E_n ("sum") or (1/N) Σ_n E_n
         ("mean"); the penalty is never divided by N. Its gradients are 2 λ2 W and
         λ1 sign(W) — the course's convention (one report wrote λW for L2, i.e. λ2 = λ/2).
         Biases are not penalised unless ``penalise_bias=True``.
Bias as an input weight (``init(..., bias="input")``, Config.bias): the reports that append
a constant 1 to every image and learn its weight compute [1, x]·[b; W] = x·W + b, the same
function, and their penalty covers b. So no 785th column is built: b is drawn with W as
row 0 of one (D+1, K) matrix by the same scheme (fan_in = D+1), and fit penalises it
(penalise_bias). The gradient is the same too: ∂E/∂b = Σ_n δ (+ the penalty term).
Backward: δ_L = ∂E/∂z_L (losses.py), ∂E/∂W_l = a_{l-1}ᵀ δ_l, ∂E/∂b_l = Σ_n δ_l,
          δ_{l-1} = (δ_l W_lᵀ) ⊙ f'(a_{l-1}); no gradient is formed for the input x.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import activations
from .losses import OUTPUTS

INITS = ("zeros", "normal", "xavier", "he")
BIASES = ("separate", "input")
REDUCTIONS = ("mean", "sum")


@dataclass(frozen=True)
class Network:
    sizes: tuple[int, ...]       # layer widths, input first: (784, 128, 10)
    activation: str = "tanh"     # hidden activation, a key of activations.ACTIVATIONS
    output: str = "softmax"      # "softmax" (K >= 2 classes) or "sigmoid" (K = 1, two classes)
    bias_scale: float = 1.0      # c in z = a·W + c·b: b is the weight of a constant input c (1: a plain bias)

    def __post_init__(self):
        sizes = tuple(self.sizes)
        if len(sizes) < 2 or not all(isinstance(s, (int, np.integer)) and s >= 1 for s in sizes):
            raise ValueError(f"sizes={self.sizes!r} must list at least two positive integer widths")
        object.__setattr__(self, "sizes", tuple(int(s) for s in sizes))
        # (W name, b name) per layer, built once: the training step looks them up per batch
        object.__setattr__(self, "_names", tuple((f"W{l}", f"b{l}") for l in range(1, len(sizes))))
        activations.get(self.activation)
        if self.output not in OUTPUTS:
            raise ValueError(f"output={self.output!r} is not known; choose one of {sorted(OUTPUTS)}")
        if (self.output == "sigmoid") != (sizes[-1] == 1):
            raise ValueError(f"output={self.output!r} with {sizes[-1]} output units: "
                             "use 'sigmoid' with 1 unit, 'softmax' with 2 or more")

    @property
    def depth(self) -> int:
        """Number of weight layers L."""
        return len(self.sizes) - 1

    def init(self, rng: np.random.Generator, scheme: str = "xavier", dtype=np.float32,
             bias: str = "separate") -> dict:
        """Weights by ``scheme``; biases 0 (``bias="separate"``) or drawn with W (``"input"``).

        zeros: W = 0 (linear models only: hidden units would stay identical);
        normal: W ~ N(0, 1); xavier: W ~ N(0, 1/fan_in); he: W ~ N(0, 2/fan_in).
        ``bias="input"``: each layer's b is the weight of a constant-1 input: [b; W] is one
        (fan_in + 1, fan_out) draw of the scheme with fan_in + 1 inputs, b its row 0 (the
        constant prepended, as in Zhu & Guo's code).
        """
        if scheme not in INITS:
            raise ValueError(f"init={scheme!r} is not known; choose one of {INITS}")
        if bias not in BIASES:
            raise ValueError(f"bias={bias!r} is not known; choose one of {BIASES}")
        if scheme == "zeros" and self.depth > 1:
            raise ValueError("init='zeros' cannot train hidden layers (every unit stays the same); "
                             "use 'xavier' or 'he'")
        params = {}
        extra = int(bias == "input")
        for layer, (fan_in, fan_out) in enumerate(zip(self.sizes, self.sizes[1:]), start=1):
            fan_in += extra
            scale = {"zeros": 0.0, "normal": 1.0, "xavier": fan_in ** -0.5, "he": (2 / fan_in) ** 0.5}[scheme]
            w = (scale * rng.standard_normal((fan_in, fan_out))).astype(dtype)
            params[f"W{layer}"] = w[extra:].copy() if extra else w
            params[f"b{layer}"] = w[0].copy() if extra else np.zeros(fan_out, dtype=dtype)
        return params

    def _forward(self, params, x):
        """Activations [a_0 = x, a_1, ..., a_{L-1}] and the logits z_L."""
        forward, _ = activations.get(self.activation)
        acts = [x]
        for layer, (w, b) in enumerate(self._names, start=1):
            z = acts[-1] @ params[w]
            z += params[b] if self.bias_scale == 1 else params[b].dtype.type(self.bias_scale) * params[b]
            if layer == self.depth:
                return acts, z
            acts.append(forward(z, out=z))

    def logits(self, params, x):
        """z_L, (N, K)."""
        return self._forward(params, x)[1]

    def probabilities(self, params, x):
        """(N, K) class probabilities (softmax), or (N,) P(t = 1) (sigmoid)."""
        return OUTPUTS[self.output][1](self.logits(params, x))

    def predict(self, params, x):
        """(N,) predicted labels (0/1 for sigmoid)."""
        return OUTPUTS[self.output][2](self.logits(params, x))

    def check(self, params, x, y) -> None:
        """ValueError unless params, x and y fit this model."""
        for layer, shape in enumerate(zip(self.sizes, self.sizes[1:]), start=1):
            w, b = params.get(f"W{layer}"), params.get(f"b{layer}")
            if w is None or b is None or w.shape != shape or b.shape != shape[1:]:
                raise ValueError(f"params: W{layer}/b{layer} must have shapes {shape}/{shape[1:]}")
        if x.ndim != 2 or x.shape[1] != self.sizes[0]:
            raise ValueError(f"x has shape {x.shape}; expected (N, {self.sizes[0]})")
        if y.shape != (len(x),):
            raise ValueError(f"y has shape {y.shape}; expected ({len(x)},) to match x")
        top = max(self.sizes[-1], 2) - 1
        if not np.issubdtype(y.dtype, np.integer) or (y.size and (y.min() < 0 or y.max() > top)):
            raise ValueError(f"y must hold integer labels in 0..{top}")

    def loss(self, params, x, y, l1=0.0, l2=0.0, reduction="mean", penalise_bias=False,
             grads=None, check=True, grad_scale=1.0, metrics=None):
        """(loss, grads) for a batch; see the module docstring for the formulas.

        ``grads``: optional dict of arrays to write the gradients into (the training loop
        reuses one per run); a new dict is made otherwise. ``check=False`` skips the
        argument checks (the training loop checks once, not per batch).
        ``grad_scale``: the gradients come out multiplied by it (the loss does not): the
        training loop passes η, which saves the optimiser a pass over every array.
        ``metrics``: optional dict; receives ``"data_total"`` (Σ_n E_n, no penalty) and
        ``"predictions"`` of this forward pass, the very numbers ``train.evaluate`` computes
        for ``params`` on (x, y) (a full-batch run reuses them instead of a second pass).
        """
        if check:
            self.check(params, x, y)
            if l1 < 0 or l2 < 0:
                raise ValueError(f"penalties must be >= 0, got l1={l1}, l2={l2}")
            if reduction not in REDUCTIONS:
                raise ValueError(f"reduction={reduction!r}: choose 'mean' or 'sum'")
        _, backward = activations.get(self.activation)
        grads = {k: np.empty_like(v) for k, v in params.items()} if grads is None else grads
        acts, z = self._forward(params, x)
        if metrics is not None:
            metrics["predictions"] = OUTPUTS[self.output][2](z)   # before the loss overwrites z
        total, delta = OUTPUTS[self.output][0](z, y)
        if metrics is not None:
            metrics["data_total"] = total
        if reduction == "mean":
            total /= len(x)
        scale = grad_scale / len(x) if reduction == "mean" else grad_scale
        if scale != 1:
            delta *= delta.dtype.type(scale)
        ones = np.ones(len(x), delta.dtype)  # Σ_n δ as a matrix-vector product (faster than sum)
        for layer in range(self.depth, 0, -1):
            w, b = self._names[layer - 1]
            np.matmul(acts[layer - 1].T, delta, out=grads[w])
            np.matmul(ones, delta, out=grads[b])
            if self.bias_scale != 1:        # ∂E/∂b = c Σ_n δ_n
                grads[b] *= grads[b].dtype.type(self.bias_scale)
            if layer > 1:
                delta = backward(acts[layer - 1], delta @ params[w].T)
        return total + self._penalise(params, grads, l1, l2, penalise_bias, grad_scale), grads

    @staticmethod
    def _penalise(params, grads, l1, l2, penalise_bias, grad_scale=1.0) -> float:
        """Add λ2 ΣW² + λ1 Σ|W| to the loss and 2 λ2 W + λ1 sign W to the gradients."""
        penalty = 0.0
        for name, w in params.items():
            if not (name.startswith("W") or penalise_bias):
                continue
            if l2:
                squares = float(np.vdot(w, w))
                if not np.isfinite(squares):  # float32 overflows above ~1.8e19: recount in float64
                    squares = float(np.vdot(w.astype(np.float64), w.astype(np.float64)))
                penalty += l2 * squares
                grads[name] += w.dtype.type(2 * l2 * grad_scale) * w
            if l1:
                penalty += l1 * float(np.abs(w).sum(dtype=np.float64))
                grads[name] += w.dtype.type(l1 * grad_scale) * np.sign(w)
        return penalty


def penalty(params: dict, l1: float, l2: float, penalise_bias: bool) -> float:
    """λ2 ΣW² + λ1 Σ|W| (biases too when ``penalise_bias``), in float64: the penalty alone."""
    total = 0.0
    for name, w in params.items():
        if name.startswith("W") or penalise_bias:
            w64 = w.astype(np.float64, copy=False)
            total += l2 * float(np.vdot(w64, w64)) + l1 * float(np.abs(w64).sum())
    return total


def logistic_regression(n_inputs: int = 784) -> Network:
    """Two-class logistic regression: P(t=1|x) = σ(x·w + b)."""
    return Network((n_inputs, 1), output="sigmoid")


def softmax_regression(n_inputs: int = 784, n_classes: int = 10) -> Network:
    """Multinomial logistic regression: y = softmax(x W + b)."""
    return Network((n_inputs, n_classes), output="softmax")


def mlp(hidden=(128,), activation: str = "tanh", n_inputs: int = 784, n_classes: int = 10) -> Network:
    """A network n_inputs - hidden... - n_classes with a softmax output."""
    return Network((n_inputs, *hidden, n_classes), activation)
