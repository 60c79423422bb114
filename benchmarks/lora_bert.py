"""LoRA vs feature extraction vs fine-tuning on the offline MiniLM BERT with real movie reviews.

Data (``--data``): ``movies`` (the default), ``--train`` and ``--test`` snippets drawn from the
training and test parts of ``keras_tl.rated_snippets("movies")`` (human-rated, Hutto and Gilbert 2014).
``docs/lora_bert.json`` was measured earlier on 492 reviews written for this project (344 / 148), removed in
issue 24 when real texts replaced them; ``--data reviews`` reads that CSV if you still have it (``--reviews-csv``).

Arms (same epochs, sequence length, batch size and seeds for all):

* ``frozen``: frozen encoder, mean pooling, new softmax head (``trainable_layers=0``);
* ``lora_r1`` / ``lora_r4`` / ``lora_r16``: ``keras_tl.lora(clf, rank, layers="attention")``
  (query/key/value of the 6 attention layers) plus the head;
* ``top2``: the top 2 transformer layers and the head fine-tuned;
* ``full``: every layer fine-tuned.

For each arm: trainable parameters, % of full fine-tuning's, held-out accuracy on the 148 test
reviews (mean, sd, min, max over seeds), seconds per training epoch (the first epoch, which also
traces the graph, reported apart) and the saved size (LoRA: the adapter ``.npz`` of
``save_lora_weights``, adapters + head; the others: the whole model's ``.weights.h5``, which after
``fit`` also holds Adam's two moments per trainable weight; ``model_weights_bytes`` is the weights alone).

Usage (2 busy CPU cores: about 14 minutes)::

    PYTHONPATH=. python benchmarks/lora_bert.py --data movies --train 1000 --test 1000 --seeds 0 --epochs 2 \
        --sequence-length 56 --batch-size 32 --out docs/lora_bert_movies.json

The JSON is rewritten after every run, so an interrupted benchmark keeps what it measured.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

import keras
import keras_hub
import numpy as np

import keras_tl
from keras_tl.text.classifiers import keras_hub_classifier
from keras_tl.text.hub import check_texts
from keras_tl.text.minilm import minilm_path


ARMS = {
    # name: (kind, setting, learning rate)
    "frozen": ("layers", 0, None),
    "lora_r1": ("lora", 1, None),
    "lora_r4": ("lora", 4, None),
    "lora_r16": ("lora", 16, None),
    "top2": ("layers", 2, None),
    "full": ("layers", None, None),
}
LABELS = {
    "frozen": "frozen encoder + head",
    "lora_r1": "LoRA rank 1 (q/k/v) + head",
    "lora_r4": "LoRA rank 4 (q/k/v) + head",
    "lora_r16": "LoRA rank 16 (q/k/v) + head",
    "top2": "top 2 layers fine-tuned",
    "full": "all layers fine-tuned",
}


class EpochTimer(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.times = []

    def on_epoch_begin(self, epoch, logs=None):
        self._t0 = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.times.append(time.perf_counter() - self._t0)


def n_params(weights) -> int:
    return sum(int(np.prod(w.shape)) for w in weights)


def build(arm: str, seed: int, sequence_length: int, preprocessor):
    kind, setting, _ = ARMS[arm]
    keras.utils.set_random_seed(seed)
    backbone = keras_hub.models.BertBackbone.from_preset(str(minilm_path()))
    if kind == "lora":
        # trainable_layers=None, as measured (before a fix, lora() left adapters frozen below blocks that
        # set_trainable_top_layers(..., 0) had frozen; see docs/lora.md). lora() freezes all but adapters + head.
        model = keras_hub_classifier(backbone, 2, preprocessor=preprocessor, pooling="mean",
                                          trainable_layers=None, sequence_length=sequence_length, seed=seed)
        model = keras_tl.lora(model, setting, layers="attention")
    else:
        model = keras_hub_classifier(backbone, 2, preprocessor=preprocessor, pooling="mean",
                                          trainable_layers=setting, sequence_length=sequence_length, seed=seed)
    return model


def run_one(arm, seed, args, preprocessor, data, tmp):
    (x_train, y_train), (x_test, y_test) = data
    kind = ARMS[arm][0]
    lr = args.lora_lr if kind == "lora" else (args.head_lr if arm == "frozen" else args.fine_tune_lr)
    t0 = time.perf_counter()
    model = build(arm, seed, args.sequence_length, preprocessor)
    build_s = time.perf_counter() - t0
    model.compile(optimizer=keras.optimizers.Adam(lr), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    trainable = n_params(model.trainable_weights)
    timer = EpochTimer()
    t0 = time.perf_counter()
    history = model.fit(x_train, y_train, epochs=args.epochs, batch_size=args.batch_size, verbose=0,
                        callbacks=[timer])
    fit_s = time.perf_counter() - t0
    acc = float(model.evaluate(x_test, y_test, batch_size=64, verbose=0)[1])
    if kind == "lora":
        path = keras_tl.save_lora_weights(model, Path(tmp) / f"{arm}_{seed}.npz")
        s = keras_tl.lora_summary(model)
        if not s.lora_params or s.lora_params + s.head_params != trainable:
            raise RuntimeError(f"LoRA adapters are not what trains: {s}; trainable {trainable}")
        extra = {"lora_params": s.lora_params, "head_params": s.head_params, "lora_layers": len(s.layers)}
    else:
        path = Path(tmp) / f"{arm}_{seed}.weights.h5"
        model.save_weights(path)
        extra = {}
    size = os.path.getsize(path)
    # A compiled, trained model's .weights.h5 also holds the optimizer's state (Adam: two moments per
    # trainable weight), so full fine-tuning's file is ~3x the weights; record the weights alone as well.
    weights_bytes = sum(int(np.prod(w.shape)) * np.dtype(w.dtype).itemsize for w in model.weights)
    row = {"arm": arm, "seed": seed, "lr": lr, "trainable_params": trainable, "accuracy": acc,
           "epoch_seconds": [round(t, 2) for t in timer.times], "fit_seconds": round(fit_s, 2),
           "build_seconds": round(build_s, 2), "saved_bytes": size, "saved_file": path.name,
           "model_weights_bytes": weights_bytes,
           "final_train_loss": float(history.history["loss"][-1]),
           "final_train_accuracy": float(history.history["accuracy"][-1]), **extra}
    print(f"{arm:<9} seed {seed}: acc {acc:.3f}  trainable {trainable:,}  epochs {row['epoch_seconds']} s  "
          f"saved {size / 1e6:.2f} MB  train loss {row['final_train_loss']:.3f}", flush=True)
    del model
    keras.backend.clear_session()
    return row


def summarise(rows, arms):
    full = next((r["trainable_params"] for r in rows if r["arm"] == "full"), None)
    table = []
    for arm in arms:
        rs = [r for r in rows if r["arm"] == arm]
        if not rs:
            continue
        accs = [r["accuracy"] for r in rs]
        later = [t for r in rs for t in r["epoch_seconds"][1:]]
        first = [r["epoch_seconds"][0] for r in rs]
        table.append({
            "arm": arm, "label": LABELS[arm], "lr": rs[0]["lr"], "seeds": [r["seed"] for r in rs],
            "trainable_params": rs[0]["trainable_params"],
            "percent_of_full": None if full is None else round(100 * rs[0]["trainable_params"] / full, 3),
            "accuracy_mean": round(statistics.fmean(accs), 4),
            "accuracy_sd": round(statistics.stdev(accs), 4) if len(accs) > 1 else None,
            "accuracy_min": min(accs), "accuracy_max": max(accs), "accuracies": accs,
            "seconds_per_epoch": round(statistics.median(later), 2) if later else None,
            "first_epoch_seconds": round(statistics.median(first), 2),
            "saved_bytes": rs[0]["saved_bytes"], "model_weights_bytes": rs[0].get("model_weights_bytes"),
            "saved_file_kind": Path(rs[0]["saved_file"]).suffix,
        })
    return table


def _reviews(path: str):
    """Train and test texts from a CSV with text, label and split columns (the format of the removed set)."""
    texts, y, _ = keras_tl.text_csv(path, "text", "label")
    import csv

    with open(path, newline="", encoding="utf-8") as fh:
        split = np.asarray([row["split"] for row in csv.DictReader(fh)])
    part = lambda name: ([t for t, s in zip(texts, split) if s == name], y[split == name])  # noqa: E731
    return part("train"), part("test")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--sequence-length", type=int, default=64)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--lora-lr", type=float, default=2e-3)
    p.add_argument("--head-lr", type=float, default=2e-3)
    p.add_argument("--fine-tune-lr", type=float, default=5e-5)
    p.add_argument("--arms", nargs="+", default=list(ARMS), choices=list(ARMS))
    p.add_argument("--data", choices=["movies", "reviews"], default="movies")
    p.add_argument("--reviews-csv", help="--data reviews: a CSV with text, label (0/1) and split (train/test) columns")
    p.add_argument("--train", type=int, default=1000, help="movies: training snippets (drawn with seed 0)")
    p.add_argument("--test", type=int, default=1000, help="movies: test snippets (drawn with seed 0)")
    p.add_argument("--out", default="docs/lora_bert_movies.json")
    args = p.parse_args()

    t_start = time.perf_counter()
    if args.data == "reviews":
        if not args.reviews_csv:
            p.error("--data reviews needs --reviews-csv (the written reviews were removed in issue 24)")
        (x_train, y_train), (x_test, y_test) = _reviews(args.reviews_csv)
    else:
        (x_train, y_train), (x_test, y_test) = keras_tl.rated_snippets("movies")
        rng = np.random.default_rng(0)
        tr, te = rng.permutation(len(y_train))[:args.train], rng.permutation(len(y_test))[:args.test]
        x_train, y_train = [x_train[i] for i in tr], np.asarray(y_train)[tr]
        x_test, y_test = [x_test[i] for i in te], np.asarray(y_test)[te]
    data = ((check_texts(x_train), np.asarray(y_train)), (check_texts(x_test), np.asarray(y_test)))
    tokenizer = keras_hub.models.BertTokenizer.from_preset(str(minilm_path()))
    preprocessor = keras_hub.models.BertTextClassifierPreprocessor(tokenizer, sequence_length=args.sequence_length)
    settings = {"model": "all-MiniLM-L6-v2 (keras_tl.text.minilm_path(), KerasHub BertBackbone)",
                "pooling": "mean", "dropout": 0.1, "epochs": args.epochs, "batch_size": args.batch_size,
                "sequence_length": args.sequence_length, "seeds": args.seeds, "optimizer": "Adam",
                "lr": {"frozen (head)": args.head_lr, "lora (adapters + head)": args.lora_lr,
                       "top2 / full fine-tuning": args.fine_tune_lr},
                "lora_alpha": "rank (scale 1)", "data": args.data, "train_size": len(y_train), "test_size": len(y_test),
                "keras": keras.__version__, "backend": keras.backend.backend(), "machine": platform.machine(),
                "cpu_count": os.cpu_count()}
    rows = []
    out = Path(args.out)
    with tempfile.TemporaryDirectory(prefix="lora_bert_") as tmp:
        for seed in args.seeds:
            for arm in args.arms:
                rows.append(run_one(arm, seed, args, preprocessor, data, tmp))
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_text(json.dumps({"settings": settings, "summary": summarise(rows, args.arms),
                                           "runs": rows, "wall_seconds": round(time.perf_counter() - t_start, 1),
                                           "complete": False}, indent=1))
    result = {"settings": settings, "summary": summarise(rows, args.arms), "runs": rows,
              "wall_seconds": round(time.perf_counter() - t_start, 1), "complete": True}
    out.write_text(json.dumps(result, indent=1))
    print(f"\n{'arm':<30} {'trainable':>11} {'% full':>8} {'acc mean':>9} {'sd':>6} {'s/epoch':>8} {'saved MB':>9}")
    for r in result["summary"]:
        pct = "" if r["percent_of_full"] is None else f"{r['percent_of_full']:.2f}"
        sd = "" if r["accuracy_sd"] is None else f"{r['accuracy_sd']:.3f}"
        spe = r["seconds_per_epoch"] if r["seconds_per_epoch"] is not None else r["first_epoch_seconds"]
        print(f"{r['label']:<30} {r['trainable_params']:>11,} {pct:>8} {r['accuracy_mean']:>9.3f} {sd:>6} "
              f"{spe:>8} {r['saved_bytes'] / 1e6:>9.2f}")
    print(f"wall time {result['wall_seconds']:.0f} s -> {out}")


if __name__ == "__main__":
    main()
