"""Time N separate plain-Keras ``fit``s against one ``keras_tl.repeat`` (and ``repeat_heads``).

Sizes of notebook 11 (the scratch arm: the small source CNN's architecture with random weights and a
new head, 50 Fashion-MNIST images, 40 epochs, batch 32, validated every 4th epoch on 200 images,
scored on 1,000) and notebook 18 (Dense softmax heads on 3,136 cached features, 25 images, 30
epochs, batch 16). Prints the seconds of each and the ratio. Run:

    PYTHONPATH=. python benchmarks/repeat.py [--copies 12] [--heads 40]

Measured on 2 shared CPU cores (AMD EPYC, TensorFlow 2.21), 2026-12-06, while other jobs ran
(load average 6.8 at the start, 4.3 at the end; absolute seconds vary with the load, the ratios less):
12 CNN copies: 12 separate fits 64.3 s, one repeat 29.9 s (2.1x faster);
40 Dense heads: 40 separate fits 143.3 s, one repeat_heads 5.7 s (24.9x faster).
The heads' arithmetic is tiny, so one fit of 40 costs about what one head alone costs; the CNN's
convolutions are real work, which stacking does not remove.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras_tl  # noqa: E402  before keras: it quiets TensorFlow's start-up lines
import keras  # noqa: E402
import numpy as np  # noqa: E402


def fashion(n_train: int, n_val: int = 200, n_test: int = 1000):
    (x, y), (xt, yt) = keras_tl.load_dataset("fashion_mnist")
    keep, keep_t = y >= 5, yt >= 5
    x, y, xt, yt = x[keep], y[keep] - 5, xt[keep_t], yt[keep_t] - 5
    train = keras_tl.sample_per_class(x[:5000], y[:5000], n=n_train // 5, seed=0)
    return train, (x[5000:5000 + n_val], y[5000:5000 + n_val]), (xt[:n_test], yt[:n_test])


def cnn_copies(copies: int) -> tuple[float, float]:
    base = keras_tl.feature_extractor(keras_tl.build_source_cnn(), "flatten")
    data = fashion(50)

    def build(seed):
        return keras_tl.add_head(keras_tl.architecture_only(base, seed=seed), 5)

    started = time.perf_counter()
    for seed in range(copies):   # the plain-Keras loop: one compile, fit and evaluate per seed
        keras.utils.set_random_seed(seed)
        model = build(seed)
        model.compile(keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        model.fit(*data[0], epochs=40, batch_size=32, validation_data=data[1], validation_freq=4, verbose=0)
        model.evaluate(*data[2], verbose=0)
    separate = time.perf_counter() - started
    started = time.perf_counter()
    keras_tl.repeat(build, data, seeds=copies, epochs=40, validation_freq=4)
    return separate, time.perf_counter() - started


def heads(n_heads: int) -> tuple[float, float]:
    rng = np.random.default_rng(0)
    f = rng.normal(size=(2225, 3136)).astype("float32")   # 25 train, 200 val, 2000 test features
    y = rng.integers(0, 5, 2225)
    data = ((f[:25], y[:25]), (f[25:225], y[25:225]), (f[225:], y[225:]))
    started = time.perf_counter()
    for seed in range(n_heads):
        keras.utils.set_random_seed(seed)
        head = keras.Sequential([keras.Input((3136,)), keras.layers.Dense(5, activation="softmax")])
        head.compile(keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        head.fit(*data[0], epochs=30, batch_size=16, validation_data=data[1], verbose=0)
        head.evaluate(*data[2], verbose=0)
    separate = time.perf_counter() - started
    started = time.perf_counter()
    keras_tl.repeat_heads(data, seeds=n_heads, epochs=30, batch_size=16)
    return separate, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=12)
    parser.add_argument("--heads", type=int, default=40)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f}, {os.cpu_count()} CPUs")
    for what, n, (separate, stacked) in [("CNN copies (notebook 11)", args.copies, cnn_copies(args.copies)),
                                        ("Dense heads (notebook 18)", args.heads, heads(args.heads))]:
        print(f"{n} {what}: {n} separate fits {separate:.1f} s, one repeat {stacked:.1f} s "
              f"({separate / stacked:.1f}x faster)")


if __name__ == "__main__":
    main()
