"""Benchmark: streamed feature extraction over the Fashion-MNIST training set at ImageNet input size.

The 60,000 training images are 28x28 grayscale (47 MB as uint8). At 224x224x3 float32 the same
images would take 36 GB, at 96 px 6.6 GB: they must never be resident at full size together.
``keras_tl.image_dataset`` streams them: each batch is resized (bilinear, grayscale repeated to
RGB) and preprocessed in ``tf.data`` worker threads, prefetched, and fed to the frozen backbone
(``base.predict``); only the pooled features (1280 floats per image for MobileNetV2) are kept.

Reports images per second (after the first batch, which includes tracing), the time extrapolated
to the whole set, and peak memory: the process's maximum resident set size
(``resource.getrusage``) before and after extraction, against what the resized images would need
if all were resident.

    .venv/bin/python benchmarks/feature_extraction.py --limit 2000             # 2000 images, 96 px
    .venv/bin/python benchmarks/feature_extraction.py --size 224 --limit 500
    .venv/bin/python benchmarks/feature_extraction.py                          # all 60,000

The backbone has random weights (``weights=None``: no download); ImageNet weights cost the same
time. Exits non-zero only when it cannot run.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

import keras_tl  # noqa: E402


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backbone", default="MobileNetV2")
    parser.add_argument("--size", type=int, default=96, help="backbone input size in px (default 96)")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--limit", type=int, default=None, help="process only the first N images")
    args = parser.parse_args(argv)
    try:
        (x, _), _ = keras_tl.fashion_mnist()
        base = keras_tl.load_backbone(args.backbone, weights=None, input_shape=(args.size, args.size, 3),
                                      pooling="avg", trainable=False)
    except (keras_tl.DatasetUnavailableError, ImportError, ValueError) as exc:
        print(f"cannot run: {exc}", file=sys.stderr)
        return 1
    n_full = len(x)
    if args.limit:
        x = x[: args.limit]
    n = len(x)
    pre = keras_tl.Preprocess(args.backbone)
    ds = keras_tl.image_dataset(x, batch_size=args.batch_size, image_size=args.size, preprocess=pre)
    rss_before = peak_rss_mb()

    features = np.empty((n, base.output_shape[-1]), "float32")
    t_start = time.perf_counter()
    t_first = None
    i = 0
    predict = keras.Sequential([base])  # one compiled inference function, fed batch by batch
    for batch in ds:
        out = predict.predict_on_batch(batch)
        features[i : i + len(out)] = out
        i += len(out)
        if t_first is None:
            t_first = time.perf_counter()
            n_first = len(out)
    t_end = time.perf_counter()
    rss_after = peak_rss_mb()
    total = t_end - t_start
    steady = (n - n_first) / (t_end - t_first) if n > n_first else n / total
    resident_gb = n_full * args.size * args.size * 3 * 4 / 1e9

    print(f"# streamed feature extraction; {platform.machine()}, {os.cpu_count()} CPUs, keras {keras.__version__}, "
          f"backend {keras.backend.backend()}")
    print(f"backbone                      {args.backbone} (weights=None), {args.size}x{args.size}x3, pooled "
          f"{base.output_shape[-1]} features")
    print(f"images processed              {n} of {n_full} (batch {args.batch_size})")
    print(f"wall time                     {total:.1f} s (first batch, with tracing: {t_first - t_start:.1f} s)")
    print(f"throughput                    {steady:.0f} images/s (after the first batch)")
    print(f"{'extrapolated, all ' + str(n_full):<30}{n_full / steady / 60:.1f} min")
    print(f"peak RSS                      {rss_before:.0f} MB before, {rss_after:.0f} MB after "
          f"(+{rss_after - rss_before:.0f} MB; features kept: {features.nbytes / 1e6:.0f} MB)")
    print(f"all {n_full} images resident at {args.size} px float32 would need {resident_gb:.1f} GB")
    assert i == n and np.isfinite(features).all()
    return 0


if __name__ == "__main__":
    sys.exit(main())
