"""Benchmark: how long the BERT-for-text steps take on this machine (offline MiniLM).

Measures, on 500 human-rated movie-review snippets (``keras_tl.rated_snippets("movies")``): loading
all-MiniLM-L6-v2 with KerasHub, the sequence length the snippets need
(``suggest_sequence_length``), frozen mean-pooled features at that length and at KerasHub's
default 128 (what padding costs), one epoch of fine-tuning the top 2 transformer layers, the TF-Hub
export, and the same features through ``HubEncoder`` on the export.

    .venv/bin/python benchmarks/text_timings.py

Exits non-zero only when it cannot run (MiniLM or keras-hub missing). Timings are printed for
information, never checked.
"""

from __future__ import annotations

import os
import platform
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

import keras_tl  # noqa: E402


def main() -> int:
    try:

        minilm_path()
    except (ImportError, OSError) as exc:
        print(f"cannot run: {exc}", file=sys.stderr)
        return 1
    (x_train, y_train), _ = keras_tl.rated_snippets("movies")
    x_train, y_train = check_texts(x_train[:500]), y_train[:500]
    texts = x_train
    rows = []

    def timed(label, fn):
        t0 = time.perf_counter()
        out = fn()
        rows.append((label, time.perf_counter() - t0))
        return out

    backbone, pre = timed("load MiniLM (KerasHub, from the wheel's folder)", lambda: load_minilm(sequence_length=128))
    length = timed("suggest_sequence_length (99th percentile of word pieces)", lambda: suggest_sequence_length(texts, pre))
    timed(f"mean features, {len(texts)} snippets at 128 tokens (first call, with tracing)",
          lambda: text_features(backbone, pre, texts))
    timed(f"mean features, {len(texts)} snippets at 128 tokens (again)", lambda: text_features(backbone, pre, texts))
    pre.sequence_length = length
    timed(f"mean features, {len(texts)} snippets at {length} tokens (first call, with tracing)",
          lambda: text_features(backbone, pre, texts))
    feats = timed(f"mean features, {len(texts)} snippets at {length} tokens (again)", lambda: text_features(backbone, pre, texts))
    keras.utils.set_random_seed(0)
    model = keras_hub_classifier(load_minilm(sequence_length=length)[0], 2, preprocessor=pre, trainable_layers=2)
    model.compile(optimizer=keras.optimizers.Adam(5e-5), loss="sparse_categorical_crossentropy")
    timed(f"fine-tune top 2 layers, 1st epoch ({len(x_train)} snippets, batch 32, {length} tokens)",
          lambda: model.fit(x_train, y_train, epochs=1, batch_size=32, verbose=0))
    timed("fine-tune top 2 layers, 2nd epoch",
          lambda: model.fit(x_train, y_train, epochs=1, batch_size=32, verbose=0))
    folder = timed("export_tfhub", lambda: export_tfhub(backbone, tempfile.mkdtemp() + "/minilm"))
    encoder = timed("HubEncoder load of the export", lambda: HubEncoder(str(folder), output="mean"))
    tokens = pre(check_texts(texts))
    hub_feats = timed(f"HubEncoder mean features, {len(texts)} snippets", lambda: np.asarray(encoder({
        "input_word_ids": tokens["token_ids"], "input_mask": tokens["padding_mask"],
        "input_type_ids": tokens["segment_ids"]})))
    print(f"# keras-tl text timings; {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"keras {keras.__version__}, backend {keras.backend.backend()}")
    for label, seconds in rows:
        print(f"{label:<62} {seconds:7.2f} s")
    slow, fast = rows[3][1], rows[5][1]
    print(f"padding to 128 instead of {length} tokens: {slow / fast:.1f}x the time of the frozen pass")
    print(f"largest |HubEncoder - KerasHub| feature difference: {np.abs(hub_feats - feats).max():.2e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
