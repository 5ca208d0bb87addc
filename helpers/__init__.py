"""helpers: the course's code, in numpy, read in this order (each module one concept, its formulas
and shapes in its docstring; it imports numpy and itself only).

 1. ``activations``  hidden units: sigmoid, tanh, ReLU, leaky ReLU, and f' from the output a = f(z)
 2. ``losses``       output layers with their cross-entropy, stable for every finite logit
 3. ``models``       one Network for logistic, softmax and multi-layer models: (loss, grads) by backprop
 4. ``optim``        update rules (SGD, classic and averaged momentum, Adam, AdamW) and the learning-rate schedule
 5. ``history``      what is recorded after each epoch (loss, accuracy, ‖W‖), divergence made loud
 6. ``stopping``     early stopping and which epoch's weights a fit returns
 7. ``train``        the one training loop: ``fit(config, splits)``, and warm-started ``sweep``
 8. ``gradcheck``    backprop against central differences
 9. ``data``         the reports' subsets, digit pairs, hold-out splits and normalisations
10. ``mnist``        the IDX files, read and verified by sha256
11. ``config`` and ``config_rules``   the one validated Config of every experiment

The reports' equations, and where each is computed:
    σ(z) = 1/(1 + e^-z), tanh, max(z, 0)            activations.ACTIVATIONS
    y = σ(x·w + b);  E = -Σ [t ln y + (1-t) ln(1-y)]  losses.sigmoid_cross_entropy, models.Network
    y_k = e^{z_k} / Σ_j e^{z_j};  E = -Σ_n ln y_{n,t_n}  losses.softmax_cross_entropy
    ∂E/∂z = y - t;  δ_{l-1} = (δ_l W_lᵀ) ⊙ f'(a_{l-1})    models.Network.loss (backprop)
    E + λ2 ΣW² + λ1 Σ|W|, gradients 2λ2 W + λ1 sign W  models.Network._penalise
    w ← w - η∇E;  v ← γv - η∇E, w ← w + v            optim.sgd, optim.momentum
    Δw ← γΔw + (1-γ)η∇E, w ← w - Δw                  optim.averaged
    η(t) = η0 / (1 + t/T)                            optim.learning_rate
    w ← w - η m̂/(√v̂ + ε)  (Adam; AdamW: - ηλ w too)   optim.adam (beyond the reports)
    (E(w+ε) - E(w-ε)) / 2ε                           gradcheck.check_gradients
    x/255, per-image z-score, data-set z-score         data.normalise

Beneath it, and never imported by it: ``helpers.pipeline`` (parameter files, the fit engine and
cache, results and their provenance, the search), ``helpers.figures`` (drawing) and
``helpers.report`` (the report's pieces and the reproduction's verdicts).
"""
