"""Benchmark: keras_tl's training helpers against the same training written in plain Keras.

keras_tl is meant to be a thin layer: its helpers should cost no more time than the Keras calls
they stand for. Three pairs, same data, seeds, epochs and batch size:

* ``train_head_on_features`` vs ``base.predict`` + a ``Dense`` head compiled and fitted by hand;
* ``fine_tune`` + ``fit`` vs setting ``trainable`` by hand, recompiling with a 10x lower rate, ``fit``;
* ``pretrain_source_model(cache=False)`` vs ``build_source_cnn`` + ``compile`` + ``fit`` + ``evaluate``.

Repetitions are interleaved (helper, plain, plain, helper, ...); medians are compared. Target
(issue 7): time ratio helper / plain at most 1.05.

    .venv/bin/python benchmarks/helper_overhead.py --repeats 3

Exits non-zero only when it cannot run.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

import keras_tl  # noqa: E402


def head_helper(base, x, y, a):
    keras_tl.train_head_on_features(base, x, y, n_classes=5, epochs=a.epochs, batch_size=32, seed=0, verbose=0)


def head_plain(base, x, y, a):
    keras.utils.set_random_seed(0)
    features = base.predict(x, batch_size=256, verbose=0)
    head = keras.Sequential([keras.Input(features.shape[1:]), keras.layers.Dense(5, activation="softmax")])
    head.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    head.fit(features, y, epochs=a.epochs, batch_size=32, verbose=0)


def _headed(base_model):
    keras.utils.set_random_seed(0)
    base = keras.models.clone_model(base_model)
    base.set_weights(base_model.get_weights())
    model = keras_tl.add_head(keras_tl.set_trainable(base, False), 5)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model, base


def fine_tune_helper(base, x, y, a):
    model, _ = _headed(base)
    keras_tl.fine_tune(model, layers="block2")
    model.fit(x, y, epochs=a.epochs, batch_size=32, verbose=0)


def fine_tune_plain(base, x, y, a):
    model, inner = _headed(base)
    inner.trainable = True
    for layer in inner.layers:
        layer.trainable = layer.name.startswith("block2") or layer.name == "flatten"
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.trainable = False
    model.compile(optimizer=keras.optimizers.Adam(1e-4), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=a.epochs, batch_size=32, verbose=0)


def pretrain_helper(task, a):
    keras_tl.pretrain_source_model(task, epochs=a.pretrain_epochs, cache=False, verbose=0)


def pretrain_plain(task, a):
    (x, y), (xt, yt) = task.source, task.source_test
    keras.utils.set_random_seed(0)
    model = keras_tl.build_source_cnn(n_classes=5)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=a.pretrain_epochs, batch_size=128, verbose=0)
    model.evaluate(xt, yt, batch_size=512, verbose=0)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="target training images (default 2000)")
    parser.add_argument("--n-source", type=int, default=6000, help="source training images for pretraining")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--pretrain-epochs", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    try:
        task = keras_tl.transfer_task(n_per_class=args.n // 5)
    except keras_tl.DatasetUnavailableError as exc:
        print(f"cannot run: {exc}", file=sys.stderr)
        return 1
    (xs, ys), (xst, yst) = task.source, task.source_test
    small = keras_tl.TransferTask(
        source=(xs[: args.n_source], ys[: args.n_source]), source_test=(xst[:2000], yst[:2000]),
        target=task.target, target_val=task.target_val,
        source_classes=task.source_classes, target_classes=task.target_classes,
    )
    base = keras_tl.feature_extractor(keras_tl.pretrain_source_model(verbose=0), "flatten")
    x, y = task.target
    pairs = {
        f"train_head_on_features ({len(x)} img, {args.epochs} ep)": (
            lambda: head_helper(base, x, y, args), lambda: head_plain(base, x, y, args)),
        f"fine_tune + fit ({len(x)} img, {args.epochs} ep)": (
            lambda: fine_tune_helper(base, x, y, args), lambda: fine_tune_plain(base, x, y, args)),
        f"pretrain_source_model ({args.n_source} img, {args.pretrain_epochs} ep)": (
            lambda: pretrain_helper(small, args), lambda: pretrain_plain(small, args)),
    }
    print(f"# keras_tl helpers vs plain Keras; {platform.machine()}, {os.cpu_count()} CPUs, keras {keras.__version__}, "
          f"backend {keras.backend.backend()}; {args.repeats} interleaved repetitions (medians)")
    rows = []
    for label, (helper, plain) in pairs.items():
        helper()  # warm-up: first-call tracing and imports out of the measurement
        times = {"helper": [], "plain": []}
        for rep in range(args.repeats):
            for kind in (("helper", "plain") if rep % 2 == 0 else ("plain", "helper")):
                t0 = time.perf_counter()
                (helper if kind == "helper" else plain)()
                times[kind].append(time.perf_counter() - t0)
        th, tp = statistics.median(times["helper"]), statistics.median(times["plain"])
        print(f"  {label}: helper {[round(t, 2) for t in times['helper']]} plain {[round(t, 2) for t in times['plain']]}",
              flush=True)
        rows.append(f"{label:<48} {th:9.2f} {tp:9.2f} {th / tp:7.3f}")
    print(f"{'pair':<48} {'helper s':>9} {'plain s':>9} {'ratio':>7}")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
