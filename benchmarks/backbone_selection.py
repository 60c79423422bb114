"""Benchmark: rank the offline backbones on real targets by LogME and LEEP, against the measured linear probe.

For each target, every candidate of ``keras_tl.offline_candidates`` (ImageNet MobileNetV2, ImageNet
EfficientNet-Lite0, HED's VGG16, MobileNetV2 with random weights; on Fashion-MNIST also the develop-model
source CNN pretrained on classes 0-4, cut below its classifier and at its flatten layer) gets one forward pass, LogME, LEEP where it has a classifier, and
a logistic-regression probe over 5 stratified splits (``keras_tl.score_backbones``). Prints each ranking
table with the timings, and the rank correlation of LogME and LEEP with the probe (per target), and of
LogME over all targets' candidates pooled (ranks scaled to 0..1 within each target).

    .venv/bin/python benchmarks/backbone_selection.py                 # ~3-4 min on 2 cores
    .venv/bin/python benchmarks/backbone_selection.py --targets elpv   # one target

Exits non-zero only when it cannot run. Timings are printed for information, never checked.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

import keras_tl  # noqa: E402


def elpv(seed: int):
    """elpv's 1,968 training cells at 96 px, functional vs defective."""
    (x, y), _ = keras_tl.elpv(size=96, seed=seed)
    return x, y, keras_tl.offline_candidates(x.shape[1:], size=96)


def orl(seed: int):
    """The 400 ORL faces at 96 px, 40 people (10 photos each)."""
    x, y = keras_tl.orl_faces(size=96)
    return x, y, keras_tl.offline_candidates(x.shape[1:], size=96)


def fashion(seed: int):
    """Fashion-MNIST classes 5-9, 200 per class, at 64 px; the source CNN (classes 0-4) as a candidate too."""
    (x, y), _ = keras_tl.fashion_mnist()
    x, y = keras_tl.sample_per_class(*keras_tl.select_classes(x, y, range(5, 10)), 200, seed=seed)
    candidates = keras_tl.offline_candidates(x.shape[1:], size=64)
    source = keras_tl.pretrain_source_model(keras_tl.transfer_task(seed=seed), seed=seed, verbose=0)
    candidates["source CNN, fc + classifier"] = source  # features: the 128-unit layer below the softmax; LEEP
    candidates["source CNN, flatten"] = keras_tl.feature_extractor(source, "flatten")  # 3,136 wide, as notebook 04
    return x, y, candidates


TARGETS = {"elpv": elpv, "orl_faces": orl, "fashion_mnist_5_9": fashion}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", nargs="*", default=list(TARGETS), choices=list(TARGETS))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    pooled = {"logme": [], "probe": []}
    for name in args.targets:
        start = time.perf_counter()
        x, y, candidates = TARGETS[name](args.seed)
        built = time.perf_counter() - start
        print(f"\n## {name}: {len(y)} images {x.shape[1:]}, {len(np.unique(y))} classes "
              f"(candidates built in {built:.1f} s)\n")
        ranking = keras_tl.score_backbones(candidates, x, y, seed=args.seed, verbose=0)
        print(ranking)
        for by in ("logme", "leep"):
            try:
                print(f"{by} vs probe: {ranking.rank_correlation(by, 'probe')}")
            except ValueError as exc:
                print(f"{by} vs probe: {exc}")
        print(f"pick by probe: {ranking.best('probe').name}; by LogME: {ranking.best('logme').name}; "
              f"total {time.perf_counter() - start:.1f} s")
        rows = ranking.rows
        for by in pooled:  # ranks within this target, so targets pool
            values = np.array([r.value(by) for r in rows])
            ranks = np.full(len(values), np.nan)
            ok = np.isfinite(values)
            ranks[ok] = np.argsort(np.argsort(values[ok])) / max(ok.sum() - 1, 1)
            pooled[by] += ranks.tolist()
    if len(args.targets) > 1:
        a, b = np.array(pooled["logme"]), np.array(pooled["probe"])  # LEEP: too few candidates per target to pool
        print(f"pooled ranks, logme vs probe: {keras_tl.rank_correlation(a, b)}")


if __name__ == "__main__":
    main()
