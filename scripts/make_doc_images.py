"""Draw the pictures of lr_find and interpret for the README (docs/img/*.png): tiny and deterministic.

Run: ``python scripts/make_doc_images.py`` (about half a minute on a CPU; needs Fashion-MNIST and the
cached source model, which ``keras_tl.pretrain_source_model`` trains once).
"""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")

import keras  # noqa: E402
import matplotlib  # noqa: E402

import keras_tl  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "docs" / "img"


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    matplotlib.rcParams["svg.hashsalt"] = "keras-tl"
    keras.utils.set_random_seed(0)
    task = keras_tl.transfer_task(n_per_class=50, n_val=1000, seed=0)
    source = keras_tl.pretrain_source_model(task, seed=0, verbose=0)
    model = keras_tl.add_head(keras_tl.feature_extractor(source, "flatten", trainable=True), 5, seed=0)
    keras_tl.freeze_to(model, 0)  # everything but BatchNorm trains
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    result = keras_tl.lr_find(model, *task.target, num_steps=100, batch_size=32, seed=0)
    result.plot().savefig(OUT / "lr_find.png", dpi=100)
    model.optimizer.learning_rate = result.suggestion
    model.fit(*task.target, epochs=5, batch_size=32, verbose=0)
    interp = keras_tl.interpret(model, *task.target_val, class_names=list(keras_tl.FASHION_MNIST_CLASSES[5:]))
    interp.plot_confusion_matrix().savefig(OUT / "confusion_matrix.png", dpi=100)
    interp.plot_top_losses(9).savefig(OUT / "top_losses.png", dpi=100)
    print(result, interp, interp.most_confused()[:3], sep="\n")


if __name__ == "__main__":
    main()
