"""Many short runs in one ``fit``: the same small model over seeds, targets or arms.

:func:`repeat` trains one copy of ``build(key)`` per key, each on its own ``(train, val, test)``
data, all in one ``fit`` of a multi-input, multi-output functional ``keras.Model``.
:func:`repeat_heads` does the same for softmax heads on cached features, as slices of one
``EinsumDense`` kernel, and returns each head's accuracy curves as well.

**Why it is fast.** For a small model, much of a ``fit`` step's time is overhead (the Python loop,
launching ops, tracing the step, validating), not arithmetic. N copies stacked side by side pay it
once, with N times the arithmetic. For softmax heads on cached features, where the arithmetic is
tiny, 40 heads in one ``fit`` cost about what one head costs alone (``benchmarks/repeat.py``: 25x
faster than 40 separate fits); for the small CNN of notebook 11 the convolutions' arithmetic is
real and 12 copies in one ``fit`` run about 2x faster than 12 separate fits.

**Why it is exact.** The copies share no variable. Keras adds the outputs' losses, and the
gradient of a sum with respect to one copy's weights is the gradient of that copy's own loss: each
copy gets exactly the gradient it would get alone, and the optimizer's update of a variable reads
only that variable's gradient. With the same seed and the same batches (``shuffle=False``), a
stacked copy ends where a separate plain-Keras run ends, up to float rounding (``tests/test_repeat.py``).
With ``shuffle=True`` all copies see one shuffled order per epoch (each its own data).

**Two details.** The optimizer's and the metrics' variables are created before ``fit`` (an
``evaluate`` on one example per copy): created inside ``fit`` they make TensorFlow trace the
training step twice. Each copy keeps its best validated epoch (``keep_best``), as
``keras.callbacks.EarlyStopping(monitor="val_accuracy", mode="max", restore_best_weights=True)``
would for a single model that never stops early.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

PARTS = ("train", "val", "test")


@dataclass
class RepeatResult:
    """What :func:`repeat_heads` returns.

    ``accuracy[key]``: the test accuracy of key's head at its kept epoch. ``curves[part]``: an array
    ``(len(epochs), len(keys))`` of every head's accuracy on that part (``"val"``, ``"test"`` and any
    other evaluation part) after each validated epoch; ``epochs`` lists those epochs (1-based);
    ``best_epoch[key]``: the epoch kept.
    """

    accuracy: dict
    curves: dict = field(default_factory=dict)
    epochs: list = field(default_factory=list)
    best_epoch: dict = field(default_factory=dict)

    @property
    def keys(self) -> list:
        return list(self.accuracy)


def _pair(part, where: str) -> tuple[np.ndarray, np.ndarray]:
    if not isinstance(part, (tuple, list)) or len(part) != 2:
        raise ValueError(f"{where} must be an (x, y) pair, got {type(part).__name__}.")
    x, y = np.asarray(part[0]), np.asarray(part[1]).ravel()
    if len(x) != len(y) or len(y) == 0:
        raise ValueError(f"{where}: x has {len(x)} samples and y {len(y)}; they must match and be more than 0.")
    return x, y


def _parts(item, key, extra: bool) -> dict:
    """One key's data as {part: (x, y)}: a (train, val, test) triple, or a dict with those parts (and more if extra)."""
    if isinstance(item, Mapping):
        names = list(item)
        if names[:3] != list(PARTS) or (not extra and len(names) != 3):
            allowed = "'train', 'val', 'test' (then any other evaluation parts)" if extra else "'train', 'val', 'test'"
            raise ValueError(f"data[{key!r}] has parts {names!r}; allowed: {allowed}, in that order.")
        return {name: _pair(part, f"data[{key!r}][{name!r}]") for name, part in item.items()}
    if not isinstance(item, (tuple, list)) or len(item) != 3:
        raise ValueError(f"data[{key!r}] must be a (train, val, test) triple of (x, y) pairs, got "
                         f"{type(item).__name__} of length {len(item) if hasattr(item, '__len__') else '?'}.")
    return {name: _pair(part, f"data[{key!r}][{name!r}]") for name, part in zip(PARTS, item)}


def _runs(data, seeds, extra: bool = False) -> tuple[dict, dict]:
    """({key: {part: (x, y)}}, {key: seed}) from one triple and seeds, or from {key: triple}."""
    if isinstance(data, Mapping) and not set(data) <= set(PARTS):
        if seeds is not None:
            raise ValueError(f"seeds={seeds!r} with data given per key: the seed is each key's last part; "
                             "pass seeds=None.")
        if not data:
            raise ValueError("data={} holds no run: give {key: (train, val, test)} with at least one key.")
        runs = {key: _parts(item, key, extra) for key, item in data.items()}
        seed_of = {key: key[-1] if isinstance(key, tuple) and key else key for key in runs}
        bad = [key for key, seed in seed_of.items()
               if isinstance(seed, bool) or not isinstance(seed, (int, np.integer))]
        if bad:
            raise ValueError(f"key {bad[0]!r} does not end in an integer seed: use keys like (arm, seed) or seed.")
        return runs, {key: int(seed) for key, seed in seed_of.items()}
    seeds = [0] if seeds is None else list(range(seeds)) if isinstance(seeds, (int, np.integer)) else list(seeds)
    if not seeds or len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds={seeds!r}: give a positive count or a list of distinct seeds.")
    parts = _parts(data, "all", extra)
    return {int(s): parts for s in seeds}, {int(s): int(s) for s in seeds}


def _groups(runs: dict, extra=lambda key: ()) -> list[list]:
    """Keys whose parts have the same sizes (they can share one fit), in data order."""
    groups: dict = {}
    for key, parts in runs.items():
        groups.setdefault(tuple(len(y) for _, y in parts.values()) + tuple(extra(key)), []).append(key)
    return list(groups.values())


def _optimizer(optimizer, learning_rate: float):
    import keras

    if callable(optimizer) and not isinstance(optimizer, keras.optimizers.Optimizer):
        built = optimizer()
        if not isinstance(built, keras.optimizers.Optimizer):
            raise ValueError(f"optimizer() returned {type(built).__name__}, not a keras.optimizers.Optimizer.")
        return built
    if isinstance(optimizer, str):
        try:
            return keras.optimizers.get({"class_name": optimizer, "config": {"learning_rate": learning_rate}})
        except ValueError:
            pass
    raise ValueError(f"optimizer={optimizer!r}: give a Keras optimizer name ('adam', 'sgd', ...) or a function "
                     "that returns a new keras.optimizers.Optimizer (one optimizer serves all copies of one fit).")


def _check_training(epochs: int, batch_size: int, validation_freq: int) -> None:
    for name, value in (("epochs", epochs), ("batch_size", batch_size), ("validation_freq", validation_freq)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name}={value!r} must be a positive integer.")
    if validation_freq > epochs:
        raise ValueError(f"validation_freq={validation_freq!r} is more than epochs={epochs!r}: "
                         "no epoch would be validated.")


def repeat(build: Callable[[Hashable], "keras.Model"], data, seeds: int | Sequence[int] | None = None, *,  # noqa: F821
           epochs: int, batch_size: int = 32, optimizer="adam", learning_rate: float = 1e-3,
           loss="sparse_categorical_crossentropy", validation_freq: int = 1, keep_best: bool = True,
           shuffle: bool = True, verbose: int = 0) -> dict:
    """Train one copy of ``build(key)`` per key in one ``fit``; return ``{key: test accuracy}``.

    ``data`` is one ``(train, val, test)`` triple of ``(x, y)`` pairs that every seed uses (the keys
    are then the seeds: ``seeds`` a count or a list), or ``{key: (train, val, test)}`` (then the seed
    is ``key[-1]`` for a tuple key, else the key). ``keras.utils.set_random_seed(seed)`` runs before
    each ``build(key)``, which returns a fresh ``keras.Model`` with a softmax output. Copies whose
    parts have the same sizes train in one ``fit``, the others in one ``fit`` per size. Each copy
    keeps its best validated epoch (validated every ``validation_freq`` epochs) unless
    ``keep_best=False``. See the module docstring for why one fit of N copies is fast and exact.

    Example:
        >>> import keras, numpy as np
        >>> rng = np.random.default_rng(0)
        >>> x, y = rng.normal(size=(60, 4)).astype("float32"), np.arange(60) % 3
        >>> def build(seed):
        ...     return keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
        >>> acc = repeat(build, ((x[:40], y[:40]), (x[40:50], y[40:50]), (x[50:], y[50:])), seeds=3, epochs=2)
        >>> sorted(acc)
        [0, 1, 2]
    """
    _check_training(epochs, batch_size, validation_freq)
    if not callable(build):
        raise ValueError(f"build={build!r} is not callable: give a function key -> keras.Model.")
    runs, seed_of = _runs(data, seeds)
    accuracy: dict = {}
    for keys in _groups(runs):
        accuracy.update(_fit_group(build, keys, runs, seed_of, epochs=epochs, batch_size=batch_size,
                                   optimizer=_optimizer(optimizer, learning_rate), loss=loss,
                                   validation_freq=validation_freq, keep_best=keep_best, shuffle=shuffle,
                                   verbose=verbose))
    return {key: accuracy[key] for key in runs}


def _stack(build, keys: list, seed_of: dict):
    """The copies (each a keras.Model of its own name) and the functional model that holds them all."""
    import keras

    copies = []
    for i, key in enumerate(keys):
        keras.utils.set_random_seed(seed_of[key])
        model = build(key)
        if not isinstance(model, keras.Model):
            raise ValueError(f"build({key!r}) returned {type(model).__name__}, not a keras.Model.")
        copies.append(keras.Model(model.inputs, model.outputs, name=f"copy_{i}"))
    inputs = [keras.Input(c.inputs[0].shape[1:], dtype=c.inputs[0].dtype) for c in copies]
    outputs = [keras.layers.Identity(name=f"out_{i}")(c(x)) for i, (c, x) in enumerate(zip(copies, inputs))]
    return copies, keras.Model(inputs, outputs, name="repeat")


def _accuracies(logs: dict, n: int, prefix: str = "") -> list[float]:
    if n == 1 and f"{prefix}out_0_accuracy" not in logs:
        return [float(logs[f"{prefix}accuracy"])]
    return [float(logs[f"{prefix}out_{i}_accuracy"]) for i in range(n)]


def _fit_group(build, keys, runs, seed_of, *, epochs, batch_size, optimizer, loss, validation_freq, keep_best,
               shuffle, verbose) -> dict:
    import keras

    copies, model = _stack(build, keys, seed_of)
    model.compile(optimizer, loss=loss, metrics={f"out_{i}": ["accuracy"] for i in range(len(keys))})
    (x, y), (xv, yv), (xt, yt) = [([runs[k][p][0] for k in keys], [runs[k][p][1] for k in keys]) for p in PARTS]
    n_val = len(yv[0])   # validation and test in batches of this size: one traced test step serves both
    model.optimizer.build(model.trainable_variables)   # create optimizer and metric variables before fit:
    model.evaluate([v[:1] for v in xv], [v[:1] for v in yv], verbose=0)   # created inside, the step traces twice
    best = [(-1.0, None)] * len(keys)

    def keep(epoch, logs):   # EarlyStopping(restore_best_weights=True), per copy
        if "val_loss" not in logs:   # not a validation epoch
            return
        for i, value in enumerate(_accuracies(logs, len(keys), "val_")):
            if value > best[i][0]:
                best[i] = (value, copies[i].get_weights())

    model.fit(x, y, epochs=epochs, batch_size=batch_size, shuffle=shuffle, verbose=verbose,
              **(dict(validation_data=(xv, yv), validation_freq=validation_freq, validation_batch_size=n_val,
                      callbacks=[keras.callbacks.LambdaCallback(on_epoch_end=keep)]) if keep_best else {}))
    if keep_best:
        for copy, (_, weights) in zip(copies, best):
            copy.set_weights(weights)
    logs = model.evaluate(xt, yt, batch_size=n_val, verbose=0, return_dict=True)
    return dict(zip(keys, _accuracies(logs, len(keys))))


def _summed_over_heads(y_true, y_pred):
    """Sparse cross-entropy per sample, summed over the heads: each head's loss as if it trained alone."""
    import keras

    return keras.ops.sum(keras.losses.sparse_categorical_crossentropy(y_true, y_pred), axis=-1)


def repeat_heads(data, seeds: int | Sequence[int] | None = None, *, epochs: int, n_classes: int | None = None,
                 batch_size: int = 32, optimizer="adam", learning_rate: float = 1e-3, validation_freq: int = 1,
                 kernel_initializer=None, shuffle: bool = True, verbose: int = 0) -> RepeatResult:
    """One softmax head per key on cached features, all heads slices of one ``EinsumDense`` kernel.

    The cheap case of :func:`repeat` (a ``Dense`` softmax head on features a frozen base computed
    once): the heads of one size group are one layer ``EinsumDense("nkd,kdc->nkc")``, head ``k``
    reading only key ``k``'s features, trained in one ``fit`` on a loss summed over the heads (each
    head gets its own gradient, as alone). ``data`` as for :func:`repeat`, each ``x`` of shape
    ``(n, features)``; a key's data may also be a dict ``{"train", "val", "test", ...}`` with more
    evaluation parts. After every validated epoch each head is scored on every part but train, in
    numpy (a part whose ``x`` is one array for several keys is multiplied once); each head keeps its
    best validated epoch. ``n_classes``: inferred from the labels when ``None``. Each head starts
    where ``keras.layers.Dense`` would after ``keras.utils.set_random_seed(seed)`` (Glorot-uniform
    kernel, zero bias), so with the same batches it ends where a plain ``Dense`` head would; a Keras
    ``kernel_initializer`` instead fills the whole ``(heads, features, classes)`` kernel at once, after
    ``set_random_seed`` of the group's first seed (``"glorot_uniform"``, ``EinsumDense``'s default,
    counts every head in its fan, so the heads start smaller than a ``Dense`` head).
    Returns a :class:`RepeatResult` (test accuracies, curves).

    Example:
        >>> import numpy as np
        >>> rng = np.random.default_rng(0)
        >>> f, y = rng.normal(size=(60, 8)).astype("float32"), np.arange(60) % 3
        >>> result = repeat_heads(((f[:40], y[:40]), (f[40:50], y[40:50]), (f[50:], y[50:])), seeds=4, epochs=3)
        >>> sorted(result.accuracy), result.curves["val"].shape
        ([0, 1, 2, 3], (3, 4))
    """
    _check_training(epochs, batch_size, validation_freq)
    if n_classes is not None and (isinstance(n_classes, bool) or not isinstance(n_classes, (int, np.integer))
                                  or n_classes < 2):
        raise ValueError(f"n_classes={n_classes!r} must be an integer of at least 2 (or None: from the labels).")
    runs, seed_of = _runs(data, seeds, extra=True)
    classes = {}
    for key, parts in runs.items():
        if parts["train"][0].ndim != 2:
            raise ValueError(f"data[{key!r}]['train'] x has shape {parts['train'][0].shape}: heads take features "
                             "of shape (samples, features); flatten them first.")
        top = int(max(y.max() for _, y in parts.values())) + 1
        if n_classes is not None and top > n_classes:
            raise ValueError(f"data[{key!r}] has label {top - 1}, not below n_classes={n_classes}.")
        classes[key] = n_classes or max(top, 2)
    names = [list(parts)[1:] for parts in runs.values()]
    if any(n != names[0] for n in names):
        raise ValueError(f"the keys' data have different evaluation parts {sorted(set(map(tuple, names)))}: "
                         "give every key the same.")
    results = [_fit_heads(keys, runs, seed_of, classes[keys[0]], kernel_initializer, epochs=epochs,
                          batch_size=batch_size, optimizer=_optimizer(optimizer, learning_rate),
                          validation_freq=validation_freq, shuffle=shuffle, verbose=verbose)
               for keys in _groups(runs, lambda key: (classes[key], runs[key]["train"][0].shape[1]))]
    order = {key: i for i, key in enumerate(runs)}
    columns = np.argsort([order[k] for r in results for k in r.accuracy])   # back to data order
    merged = RepeatResult({k: v for r in results for k, v in r.accuracy.items()},
                          best_epoch={k: v for r in results for k, v in r.best_epoch.items()})
    return RepeatResult(accuracy={k: merged.accuracy[k] for k in runs}, epochs=results[0].epochs,
                        curves={p: np.concatenate([r.curves[p] for r in results], axis=1)[:, columns]
                                for p in names[0]},
                        best_epoch={k: merged.best_epoch[k] for k in runs})


def _hits(layer, keys: list, runs: dict, part: str) -> np.ndarray:
    """Each head's accuracy on its key's part, in numpy; keys that share one x array are multiplied once."""
    kernel, bias = layer.get_weights()   # (heads, features, classes), (heads, classes)
    accuracy = np.empty(len(keys))
    shared: dict = {}
    for i, key in enumerate(keys):
        shared.setdefault(id(runs[key][part][0]), []).append(i)
    for heads in shared.values():
        x = runs[keys[heads[0]]][part][0].astype("float32", copy=False)
        w = kernel[heads].transpose(1, 0, 2).reshape(x.shape[1], -1)   # one matmul for all these heads
        logits = (x @ w).reshape(len(x), len(heads), -1) + bias[heads]
        for j, i in enumerate(heads):
            accuracy[i] = float((logits[:, j].argmax(-1) == runs[keys[i]][part][1]).mean())
    return accuracy


def _fit_heads(keys, runs, seed_of, n_classes, initializer, *, epochs, batch_size, optimizer, validation_freq, shuffle,
               verbose) -> RepeatResult:
    import keras

    x = np.stack([runs[k]["train"][0] for k in keys], axis=1).astype("float32")   # (n, heads, features)
    y = np.stack([runs[k]["train"][1] for k in keys], axis=1)
    if initializer is None:
        kernels = []
        for k in keys:   # each head starts where keras.layers.Dense would after set_random_seed(its seed)
            keras.utils.set_random_seed(seed_of[k])
            kernels.append(keras.ops.convert_to_numpy(keras.initializers.GlorotUniform()((x.shape[-1], n_classes))))
        initializer = keras.initializers.Constant(np.stack(kernels))
    keras.utils.set_random_seed(seed_of[keys[0]])
    layer = keras.layers.EinsumDense("nkd,kdc->nkc", (len(keys), n_classes), bias_axes="kc", activation="softmax",
                                     kernel_initializer=initializer)
    model = keras.Sequential([keras.Input(x.shape[1:]), layer])
    model.compile(optimizer, loss=_summed_over_heads)
    model.optimizer.build(model.trainable_variables)   # before fit: created inside, the step traces twice
    parts = list(runs[keys[0]])[1:]
    curves = {p: [] for p in parts}
    validated, best = [], {"acc": np.full(len(keys), -1.0), "weights": None}

    def keep(epoch, logs):   # every validated epoch: score each head on every part, keep each head's best
        if (epoch + 1) % validation_freq:
            return
        validated.append(epoch + 1)
        for p in parts:
            curves[p].append(_hits(layer, keys, runs, p))
        better = curves["val"][-1] > best["acc"]
        kernel, bias = layer.get_weights()
        if best["weights"] is None:
            best["weights"], best["epoch"] = [kernel, bias], np.full(len(keys), epoch + 1)
        best["acc"][better], best["epoch"][better] = curves["val"][-1][better], epoch + 1
        best["weights"][0][better], best["weights"][1][better] = kernel[better], bias[better]

    model.fit(x, y, epochs=epochs, batch_size=batch_size, shuffle=shuffle, verbose=verbose,
              callbacks=[keras.callbacks.LambdaCallback(on_epoch_end=keep)])
    layer.set_weights(best["weights"])
    test = _hits(layer, keys, runs, "test")
    return RepeatResult(accuracy=dict(zip(keys, test.tolist())), curves={p: np.array(c) for p, c in curves.items()},
                        epochs=validated, best_epoch=dict(zip(keys, best["epoch"].tolist())))
