"""Benchmark: fine-tuning the top blocks of MobileNetV2 on cached activations against plain Keras.

Plain Keras fine-tunes the top of a network by freezing the lower layers (``layer.trainable = False``)
and fitting the whole model on images: every step still runs the frozen lower part forward.
``keras_tl.cached_fine_tuning`` runs the lower part once (``cached_activations``) and fits the top
blocks plus the same head on the stored activations (``top_model``). Same images (ELPV solar cells,
``--n`` training cells, grayscale repeated to RGB), same size, split layer, head, batch size,
optimizer and BatchNorm handling (frozen, inference mode) on both paths: the gradients are the same,
only the repeated forward passes differ.

Reported: seconds per epoch on each path (median over the epochs after the first, which traces the
graph), the one-off cost of the cache, the speed-up ratio per epoch and for ``--epochs`` epochs with
the cache included, and the load average before and after (the machine may be shared).

    .venv/bin/python benchmarks/cached_fine_tuning.py --out benchmarks/cached_fine_tuning.json

Exits non-zero only when it cannot run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras_tl  # noqa: E402  (before keras: quiet start-up)
import keras  # noqa: E402
import numpy as np  # noqa: E402


class EpochTimes(keras.callbacks.Callback):
    """Wall seconds of every epoch."""

    def on_train_begin(self, logs=None):
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self._t = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self._t)


def load(n: int, size: int):
    (x, y), _ = keras_tl.elpv(size=size)
    x, y = x[:n], y[:n]
    rgb = np.repeat(x[..., None], 3, axis=-1).astype("float32")
    pre = keras_tl.Preprocess("MobileNetV2", weights="imagenet-torchvision")
    return keras.ops.convert_to_numpy(pre(rgb)), y


def plain_keras(backbone, split: str, x, y, epochs: int, batch_size: int) -> list[float]:
    """The Keras guide's way: freeze up to the split layer, BatchNorm in inference mode, fit on images."""
    backbone.trainable = True
    frozen = True
    for layer in backbone.layers:
        layer.trainable = not frozen and not isinstance(layer, keras.layers.BatchNormalization)
        if layer.name == split:
            frozen = False
    inputs = keras.Input(backbone.input_shape[1:])
    h = keras.layers.Dropout(0.2)(backbone(inputs))
    model = keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(h))
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    timer = EpochTimes()
    model.fit(x, y, epochs=epochs, batch_size=batch_size, verbose=0, callbacks=[timer])
    return timer.seconds


def cached(backbone, split: str, x, y, epochs: int, batch_size: int) -> tuple[float, list[float]]:
    lower, upper = keras_tl.split_backbone(backbone, split)
    t0 = time.perf_counter()
    acts = keras_tl.cached_activations(lower, x, batch_size=128)
    cache_s = time.perf_counter() - t0
    model = keras_tl.top_model(upper, n_classes=2, batchnorm="frozen")
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    timer = EpochTimes()
    model.fit(acts, y, epochs=epochs, batch_size=batch_size, verbose=0, callbacks=[timer])
    return cache_s, timer.seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1968, help="training cells (1968: all of the paper's training split)")
    parser.add_argument("--size", type=int, default=96)
    parser.add_argument("--split", default="block_12_add", help="the layer after which the backbone is cut")
    parser.add_argument("--epochs", type=int, default=4, help="epochs on each path (the first one traces)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--out", default=None, help="write the figures as JSON here")
    args = parser.parse_args()

    load_before = os.getloadavg()
    x, y = load(args.n, args.size)
    backbone = keras_tl.load_backbone("MobileNetV2", weights="imagenet-torchvision",
                                      input_shape=(args.size, args.size, 3), pooling="avg")
    weights = backbone.get_weights()
    keras.utils.set_random_seed(0)
    cache_s, cached_epochs = cached(backbone, args.split, x, y, args.epochs, args.batch_size)
    backbone.set_weights(weights)
    keras.utils.set_random_seed(0)
    plain_epochs = plain_keras(backbone, args.split, x, y, args.epochs, args.batch_size)
    load_after = os.getloadavg()

    plain_s = statistics.median(plain_epochs[1:] or plain_epochs)
    cached_s = statistics.median(cached_epochs[1:] or cached_epochs)
    result = {
        "backbone": "MobileNetV2 imagenet-torchvision",
        "images": f"ELPV training cells, {args.n} at {args.size}x{args.size}",
        "split_layer": args.split,
        "batch_size": args.batch_size,
        "epochs": args.epochs,
        "plain_keras_s_per_epoch": round(plain_s, 2),
        "cached_s_per_epoch": round(cached_s, 2),
        "cache_once_s": round(cache_s, 2),
        "speedup_per_epoch": round(plain_s / cached_s, 1),
        f"speedup_{args.epochs}_epochs_with_cache": round(sum(plain_epochs) / (cache_s + sum(cached_epochs)), 1),
        "plain_keras_epochs_s": [round(s, 2) for s in plain_epochs],
        "cached_epochs_s": [round(s, 2) for s in cached_epochs],
        "load_average_before": [round(v, 2) for v in load_before],
        "load_average_after": [round(v, 2) for v in load_after],
        "cpu_count": os.cpu_count(),
        "machine": platform.processor() or platform.machine(),
        "keras": keras.__version__,
        "backend": keras.backend.backend(),
    }
    print(json.dumps(result, indent=2))
    if args.out:
        text = json.dumps(result, indent=2) + "\n"
        keras_tl.atomic_write(args.out, lambda tmp: open(tmp, "w", encoding="utf-8").write(text))


if __name__ == "__main__":
    main()
