"""Benchmark: restart a compiled model from ``keras_tl.snapshot`` against building and compiling a new one.

Notebook 14's model and run: the cached source CNN cut at ``flatten``, a new ``Dense(5)`` head, every
layer but BatchNorm trainable, Adam; 3 epochs on the 250 labelled target images (batch 32), then
``evaluate`` on 1,000 held-out images. Each run starts from a seed's initial weights and a fresh Adam:

* **new model**: ``clone_model`` + ``set_weights`` + ``add_head`` + ``compile`` + ``fit`` + ``evaluate``
  (the first ``fit`` and ``evaluate`` of every new model trace their step again);
* **restore**: one model compiled once, ``start.restore(weights=..., learning_rate=...)`` + ``fit`` +
  ``evaluate`` (the traced steps are reused).

Both give the same scores (printed). Runs are interleaved (new, restore, new, restore, ...) after one
warm-up run of each; medians are compared.

    .venv/bin/python benchmarks/restarts.py --runs 5

Measured on 2 cores (AMD EPYC, AVX-512; TensorFlow 2.21, Keras 3.15) while other jobs shared them (load
average 9), ``--runs 5``, medians per run: new model 4.02 s wall / 1.29 s CPU, restore 2.13 s wall / 0.62 s
CPU: about 2x faster, 0.7 s of CPU saved per run (the new traces of ``fit`` and ``evaluate``). A second
run at the same load: 3.04 s against 1.57 s wall. Scores identical in every pair. Notebook 14 restarts 15
times (5 seeds x 3 rates): about 10 s of CPU saved against a new model per run.

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

import keras_tl  # noqa: E402

SCE = "sparse_categorical_crossentropy"


def new_model(source, task, seed, rate=1e-3):
    """Notebook 14's ``fresh``: a copy of the source, a seed's head, compiled."""
    src = keras.models.clone_model(source)
    src.set_weights(source.get_weights())
    keras.utils.set_random_seed(seed)
    model = keras_tl.add_head(keras_tl.feature_extractor(src, "flatten", trainable=True), task.n_target_classes, seed=seed)
    keras_tl.freeze_to(model, 0)
    model.compile(optimizer=keras.optimizers.Adam(rate), loss=SCE, metrics=["accuracy"])
    return model


def one_run(model, task, seed, epochs):
    keras.utils.set_random_seed(seed)
    model.fit(*task.target, epochs=epochs, batch_size=32, verbose=0)
    return model.evaluate(*task.target_val, batch_size=256, verbose=0)[1]


def timed(fn):
    """Wall and CPU seconds (all threads of this process) of fn(), and its result."""
    wall, cpu = time.perf_counter(), time.process_time()
    score = fn()
    return (time.perf_counter() - wall, time.process_time() - cpu), score


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each way (after one warm-up each)")
    parser.add_argument("--epochs", type=int, default=3)
    a = parser.parse_args()
    task = keras_tl.transfer_task(n_per_class=50, n_val=1000, seed=0)
    source = keras_tl.pretrain_source_model(task, seed=0, verbose=0)
    reused = new_model(source, task, seed=0)
    start = keras_tl.snapshot(reused)
    rate = 1e-3
    starts = {seed: new_model(source, task, seed).get_weights() for seed in range(a.runs + 1)}

    def fresh(seed):
        return one_run(new_model(source, task, seed, rate), task, seed, a.epochs)

    def restored(seed):
        start.restore(weights=starts[seed], learning_rate=rate)
        return one_run(reused, task, seed, a.epochs)

    fresh(0), restored(0)   # warm-up: the first trace of each, TensorFlow's own start-up
    times = {"new model": [], "restore": []}
    for seed in range(1, a.runs + 1):
        (t_new, s_new), (t_restore, s_restore) = timed(lambda: fresh(seed)), timed(lambda: restored(seed))
        times["new model"].append(t_new)
        times["restore"].append(t_restore)
        print(f"seed {seed}: new model {t_new[0]:.2f} s wall / {t_new[1]:.2f} s CPU (accuracy {s_new:.4f}), "
              f"restore {t_restore[0]:.2f} s / {t_restore[1]:.2f} s CPU (accuracy {s_restore:.4f})"
              f"{'' if s_new == s_restore else '  DIFFERENT'}")
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; "
          f"{a.runs} runs, {a.epochs} epochs each")
    for i, what in enumerate(("wall", "CPU")):
        new, restore = (statistics.median(t[i] for t in times[k]) for k in ("new model", "restore"))
        print(f"median {what} per run: new model {new:.2f} s, restore {restore:.2f} s "
              f"({new / restore:.1f}x, {new - restore:+.2f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
