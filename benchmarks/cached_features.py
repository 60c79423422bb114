"""Benchmark: head training on cached features against training through the frozen base every epoch.

The Keras transfer-learning guide trains ``base(inputs) -> head`` with the base frozen: every epoch
runs the whole base forward again. ``keras_tl.train_head_on_features`` runs the base once
(``extract_features``) and trains the head on the stored features. With a frozen base and no
augmentation both compute the same thing; this measures how much faster the cached path is and
checks that the accuracy is the same.

Two bases, each on the same Fashion-MNIST data (target classes 5-9, ``--n`` training images,
1000 test images), the same head, seed, epochs and batch size:

* ``source``: the pretrained source CNN of ``keras_tl.pretrain_source_model`` cut at ``flatten``
  (the base of the notebooks; cached after its first training);
* ``mobilenetv2``: MobileNetV2 (``weights=None``, so no download) at ``--size`` px, the 28x28
  images resized on the fly inside the model (``image_adapter`` + ``Preprocess``), its pooled
  features standardised by a ``Normalization`` layer adapted once on the training images (random
  weights give features of about 1e-12 that no head learns from). ImageNet weights would cost
  the same time.

Repetitions are interleaved (cached, through, through, cached, ...) so a noisy machine hurts both
alike; the medians are compared.

    .venv/bin/python benchmarks/cached_features.py                 # both bases, 10 epochs
    .venv/bin/python benchmarks/cached_features.py --bases source --repeats 3

Exits non-zero only when it cannot run. Target (issue 7): at least 5x faster at 10 epochs,
accuracy within 1 point.
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


def make_base(name: str, size: int, x_adapt) -> keras.Model:
    if name == "source":
        source = keras_tl.pretrain_source_model(verbose=0)
        return keras_tl.feature_extractor(source, "flatten")
    if name == "mobilenetv2":
        keras.utils.set_random_seed(0)
        backbone = keras_tl.load_backbone("MobileNetV2", weights=None, input_shape=(size, size, 3), pooling="avg")
        inputs = keras.Input((28, 28), name="image")
        x = keras_tl.image_adapter(size)(inputs)
        x = keras_tl.Preprocess("MobileNetV2")(x)
        features = keras.Model(inputs, backbone(x))
        # Random weights give pooled features of about 1e-12 (BatchNorm at its initial statistics): a head
        # cannot learn from them. Standardising them (adapted once, part of the frozen base) fixes that.
        norm = keras.layers.Normalization(name="standardise")
        norm.adapt(features.predict(x_adapt, batch_size=128, verbose=0))
        base = keras.Model(inputs, norm(features(inputs)), name=f"mobilenetv2_{size}px")
        return keras_tl.set_trainable(base, False)
    raise ValueError(f"base={name!r} is not allowed: give 'source' or 'mobilenetv2'.")


def cached(base, x, y, x_test, y_test, args):
    model, _ = keras_tl.train_head_on_features(
        base, x, y, n_classes=5, epochs=args.epochs, batch_size=args.batch_size, seed=0, verbose=0
    )
    return model


def through_base(base, x, y, x_test, y_test, args):
    keras.utils.set_random_seed(0)
    model = keras_tl.add_head(base, 5)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=args.epochs, batch_size=args.batch_size, verbose=0)
    return model


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bases", nargs="+", default=["source", "mobilenetv2"], choices=["source", "mobilenetv2"])
    parser.add_argument("--n", type=int, default=2000, help="training images (default 2000)")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--size", type=int, default=96, help="MobileNetV2 input size in px (default 96)")
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args(argv)
    try:
        (x_all, y_all), (xt_all, yt_all) = keras_tl.fashion_mnist()
    except keras_tl.DatasetUnavailableError as exc:
        print(f"cannot run: {exc}", file=sys.stderr)
        return 1
    classes = (5, 6, 7, 8, 9)
    x, y = keras_tl.select_classes(x_all, y_all, classes)
    x, y = keras_tl.sample_per_class(x, y, args.n // 5, seed=0)
    x_test, y_test = keras_tl.select_classes(xt_all, yt_all, classes)
    x_test, y_test = x_test[:1000], y_test[:1000]

    print(f"# cached features vs training through the frozen base; {platform.machine()}, {os.cpu_count()} CPUs, "
          f"keras {keras.__version__}, backend {keras.backend.backend()}")
    print(f"# {len(x)} training images, {len(x_test)} test images, {args.epochs} epochs, batch {args.batch_size}, "
          f"{args.repeats} interleaved repetitions (medians)")
    header = f"{'base':<18} {'cached s':>9} {'through s':>10} {'speed-up':>9} {'acc cached':>11} {'acc through':>12} {'diff (pts)':>11}"
    rows = []
    for name in args.bases:
        base = make_base(name, args.size, x)
        times = {"cached": [], "through": []}
        acc = {}
        for rep in range(args.repeats):
            order = ("cached", "through") if rep % 2 == 0 else ("through", "cached")
            for kind in order:
                fn = cached if kind == "cached" else through_base
                t0 = time.perf_counter()
                model = fn(base, x, y, x_test, y_test, args)
                times[kind].append(time.perf_counter() - t0)
                acc[kind] = float(model.evaluate(x_test, y_test, batch_size=256, verbose=0)[1])
                print(f"  {name} rep {rep} {kind:<8} {times[kind][-1]:7.1f} s  test accuracy {acc[kind]:.4f}", flush=True)
        tc, tt = statistics.median(times["cached"]), statistics.median(times["through"])
        rows.append(f"{base.name:<18} {tc:9.1f} {tt:10.1f} {tt / tc:8.1f}x {acc['cached']:11.4f} {acc['through']:12.4f} "
                    f"{100 * (acc['cached'] - acc['through']):+11.2f}")
    print(header)
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
