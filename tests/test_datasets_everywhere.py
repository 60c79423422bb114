"""Issue 16: every entry point that takes (x, y) or images also takes a tf.data.Dataset of batches.

The datasets come from ``keras.utils.image_dataset_from_directory`` over a folder of PNGs written
here (3 classes x 6 images, 28x28 grayscale, one pattern per class), batch_size=6, unshuffled:
each test checks that samples are counted, not batches, and that the result equals the array path.
"""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")

import keras_tl  # noqa: E402
from keras_tl.core.data_input import as_arrays, label_counts  # noqa: E402

N_CLASSES, PER_CLASS, SIZE = 3, 6, 28


def _pattern(label: int, i: int) -> np.ndarray:
    rng = np.random.default_rng(100 * label + i)
    img = rng.integers(0, 40, size=(SIZE, SIZE)).astype(np.uint8)
    if label == 0:
        img[: SIZE // 2] += 200  # bright top
    elif label == 1:
        img[:, : SIZE // 2] += 200  # bright left
    else:
        img[SIZE // 4: 3 * SIZE // 4, SIZE // 4: 3 * SIZE // 4] += 200  # bright centre
    return img


def write_image_folder(root, n_classes: int = N_CLASSES, per_class: int = PER_CLASS):
    """``root/class_k/img_i.png``: ``n_classes`` x ``per_class`` grayscale PNGs with a pattern per class."""
    from PIL import Image

    for label in range(n_classes):
        folder = root / f"class_{label}"
        folder.mkdir(parents=True)
        for i in range(per_class):
            Image.fromarray(_pattern(label, i), mode="L").save(folder / f"img_{i}.png")
    return root


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return write_image_folder(tmp_path_factory.mktemp("images"))


def dataset(folder, batch_size: int = 6, **kwargs):
    kwargs = {"color_mode": "grayscale", "image_size": (SIZE, SIZE), "shuffle": False, **kwargs}
    return keras.utils.image_dataset_from_directory(folder, batch_size=batch_size, verbose=False, **kwargs)


@pytest.fixture(scope="module")
def arrays(folder):
    x = np.concatenate([xb.numpy() for xb, _ in dataset(folder)])
    y = np.concatenate([yb.numpy() for _, yb in dataset(folder)])
    return x, y


def cnn(n_classes: int = N_CLASSES):
    keras.utils.set_random_seed(0)
    return keras_tl.build_source_cnn(filters=(4, 8), units=8, n_classes=n_classes)


def base():
    return keras_tl.feature_extractor(cnn(), "flatten")


# --------------------------------------------------------------------------- #
# as_arrays, the shared helper
# --------------------------------------------------------------------------- #
@pytest.mark.backend_free  # tf.data and numpy
def test_as_arrays_counts_samples_not_batches(folder, arrays):
    ds = dataset(folder)
    assert int(ds.cardinality()) == 3  # 18 images in batches of 6
    x, y = as_arrays(ds)
    assert x.shape == (N_CLASSES * PER_CLASS, SIZE, SIZE, 1) and x.dtype == np.float32
    assert y.tolist() == [k for k in range(N_CLASSES) for _ in range(PER_CLASS)]
    np.testing.assert_array_equal(x, arrays[0])
    assert label_counts(ds) == {0: PER_CLASS, 1: PER_CLASS, 2: PER_CLASS}


@pytest.mark.backend_free  # tf.data and numpy
def test_as_arrays_images_only_infinite_and_capped(folder):
    x, y = as_arrays(dataset(folder, labels=None))
    assert y is None and len(x) == N_CLASSES * PER_CLASS
    with pytest.raises(ValueError, match="infinite dataset"):
        as_arrays(dataset(folder).repeat())
    x, y = as_arrays(dataset(folder).repeat(), max_samples=25)
    assert len(x) == len(y) == 25
    with pytest.raises(ValueError, match="without labels"):
        as_arrays(dataset(folder, labels=None), need_labels=True)


@pytest.mark.backend_free  # numpy
def test_as_arrays_reads_a_py_dataset():
    class Batches(keras.utils.PyDataset):
        def __len__(self):
            return 3

        def __getitem__(self, i):
            return np.full((2, 4), i, "float32"), np.array([i, i])

    x, y = as_arrays(Batches())
    assert x.shape == (6, 4) and y.tolist() == [0, 0, 1, 1, 2, 2]


# --------------------------------------------------------------------------- #
# strategies
# --------------------------------------------------------------------------- #
def test_extract_features_on_a_dataset_equals_the_arrays(folder, arrays):
    b = base()
    on_ds = keras_tl.extract_features(b, dataset(folder))
    on_arrays = keras_tl.extract_features(b, arrays[0])
    assert on_ds.shape == (18, on_arrays.shape[1])
    np.testing.assert_allclose(on_ds, on_arrays, rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="infinite dataset"):
        keras_tl.extract_features(b, dataset(folder).repeat())


def test_train_head_on_features_takes_a_dataset(folder, arrays):
    ds = dataset(folder)
    model, history = keras_tl.train_head_on_features(base(), ds, None, N_CLASSES, validation_data=ds, epochs=2, verbose=0)
    same, same_history = keras_tl.train_head_on_features(base(), *arrays, N_CLASSES, validation_data=arrays, epochs=2, verbose=0)
    np.testing.assert_allclose(history.history["loss"], same_history.history["loss"], rtol=1e-4)
    np.testing.assert_allclose(model.predict(ds, verbose=0), same.predict(arrays[0], verbose=0), rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="y is given, but x is a dataset"):
        keras_tl.train_head_on_features(base(), ds, arrays[1], N_CLASSES)
    with pytest.raises(ValueError, match="without labels"):
        keras_tl.train_head_on_features(base(), dataset(folder, labels=None), None, N_CLASSES, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="label 2 .*outside the allowed range 0..1"):
        keras_tl.train_head_on_features(base(), ds, None, 2, epochs=1, verbose=0)


# --------------------------------------------------------------------------- #
# pipelines
# --------------------------------------------------------------------------- #
def test_image_dataset_maps_over_a_dataset(folder, arrays):
    ds = keras_tl.image_dataset(dataset(folder), image_size=32, preprocess=lambda t: t / 255.0)
    x, y = as_arrays(ds)
    same, same_y = as_arrays(keras_tl.image_dataset(arrays[0], arrays[1], batch_size=6, image_size=32,
                                                    preprocess=lambda t: t / 255.0))
    assert x.shape == (18, 32, 32, 3) and y.tolist() == arrays[1].tolist() == same_y.tolist()
    np.testing.assert_allclose(x, same, atol=1e-6)
    rebatched = keras_tl.image_dataset(dataset(folder, labels=None), batch_size=5, cache=True)
    assert [int(xb.shape[0]) for xb in rebatched] == [5, 5, 5, 3]
    with pytest.raises(ValueError, match="x is already a tf.data.Dataset"):
        keras_tl.image_dataset(dataset(folder))
    with pytest.raises(ValueError, match="shuffle=True is not allowed"):
        keras_tl.image_dataset(dataset(folder), image_size=32, shuffle=True)
    with pytest.raises(ValueError, match="y is given"):
        keras_tl.image_dataset(dataset(folder), arrays[1], image_size=32)


# --------------------------------------------------------------------------- #
# similarity and the advisor
# --------------------------------------------------------------------------- #
@pytest.fixture(scope="module")
def big_folder(tmp_path_factory):
    return write_image_folder(tmp_path_factory.mktemp("images24"), per_class=8)  # 24 >= similarity's 20


def test_similarity_reads_datasets_with_a_cap(big_folder):
    b = base()
    ds = dataset(big_folder)
    x, y = as_arrays(ds)
    report = keras_tl.measure_similarity(ds, ds, backbone=b, random_baseline=False)
    same = keras_tl.measure_similarity(x, x, backbone=b, target_labels=y, random_baseline=False)
    assert report.n_source == report.n_target == 24  # samples, not the 6 batches
    assert report.logme is not None  # the target's labels were used
    np.testing.assert_allclose([report.score, report.logme], [same.score, same.logme], rtol=1e-5)
    capped = keras_tl.measure_similarity(ds.repeat(), ds, backbone=b, max_samples=22, random_baseline=False)
    assert capped.n_source == capped.n_target == 22
    with pytest.raises(ValueError, match="infinite dataset"):
        keras_tl.measure_similarity(ds.repeat(), ds, backbone=b, max_samples=None)
    with pytest.raises(ValueError, match="target_labels is given"):
        keras_tl.measure_similarity(ds, ds, backbone=b, target_labels=y)


def test_advise_counts_samples_per_class_from_a_dataset(folder, big_folder):
    rec = keras_tl.advise(similarity="high", target=dataset(folder))
    assert rec.samples_per_class == PER_CLASS
    assert f"{PER_CLASS} labelled examples per class over {N_CLASSES} classes" in rec.rationale
    # an unbalanced target: the smallest class counts
    ds = dataset(folder).unbatch().filter(lambda x, y: y != 0).concatenate(dataset(folder).unbatch().take(2)).batch(4)
    assert keras_tl.advise(similarity="high", target=ds).samples_per_class == 2
    measured = keras_tl.advise(backbone=base(), source=dataset(big_folder), target=dataset(big_folder))
    assert measured.report.n_target == 24 and measured.samples_per_class == 8
    assert measured.similarity_score > 0.9  # the same images on both sides
    with pytest.raises(ValueError, match="n_samples=None is not allowed without labelled target data"):
        keras_tl.advise(similarity="high", target=dataset(folder, labels=None))


@pytest.mark.backend_free  # train_strategy reads datasets into arrays (as_arrays) first; its training runs in test_advisor.py
def test_train_strategy_takes_datasets(folder, arrays):
    ds = dataset(folder)
    model, log = keras_tl.train_strategy("fine_tune_all", base(), ds, ds, epochs=1, head_epochs=1, min_head_steps=0)
    same, same_log = keras_tl.train_strategy("fine_tune_all", base(), arrays, arrays, epochs=1, head_epochs=1, min_head_steps=0)
    assert model.output_shape == (None, N_CLASSES)  # the class count read from the dataset's labels
    np.testing.assert_allclose(log["val_accuracy"], same_log["val_accuracy"])
    with pytest.raises(ValueError, match="without labels"):
        keras_tl.train_strategy("scratch", base(), dataset(folder, labels=None), ds)


# --------------------------------------------------------------------------- #
# approaches, forgetting, ensembles, adaptation
# --------------------------------------------------------------------------- #
def head_model():
    keras.utils.set_random_seed(0)
    return keras_tl.add_head(keras_tl.feature_extractor(cnn(), "flatten", trainable=True), N_CLASSES)


def test_tune_passes_a_dataset_to_fit(folder):
    ds = dataset(folder)
    model = head_model()
    histories = keras_tl.tune(model, ds, ds, head_epochs=1, fine_tune_epochs=1, verbose=0)
    assert [len(h["loss"]) for h in histories.values()] == [1, 1]  # 3 steps of 6 images
    assert histories["fine_tune"]["val_loss"][-1] == pytest.approx(model.evaluate(ds, verbose=0)[0], rel=1e-4)
    with pytest.raises(ValueError, match="train is an infinite dataset"):
        keras_tl.tune(head_model(), ds.repeat(), ds, head_epochs=1, verbose=0)


def test_measure_forgetting_takes_datasets(folder, arrays):
    ds = dataset(folder)

    def run(data, evaluate):
        source = cnn()
        target = keras_tl.add_head(keras_tl.feature_extractor(source, "flatten", trainable=True), N_CLASSES)
        target.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        fit = (data, None) if keras_tl.core.data_input.is_dataset(data) else data
        return keras_tl.measure_forgetting(source, target, evaluate, evaluate, *fit, epochs=1, verbose=0, seed=0,
                                           shuffle=False, batch_size=6)

    report, same = run(ds, ds), run(arrays, arrays)
    assert report.source_before == pytest.approx(same.source_before)
    assert report.target_after == pytest.approx(same.target_after, abs=1 / 18)  # one sample at most (float noise)
    assert report.history["loss"] == pytest.approx(same.history["loss"], rel=1e-4)
    with pytest.raises(ValueError, match="x is an infinite dataset"):
        run(ds.repeat(), arrays)


def test_accuracy_of_takes_a_dataset(folder, arrays):
    ds = dataset(folder)
    model = cnn()
    assert keras_tl.accuracy_of(model, ds, None) == keras_tl.accuracy_of(model, *arrays)
    with pytest.raises(ValueError, match="y is given, but x is a dataset"):
        keras_tl.accuracy_of(model, ds, arrays[1])


def test_ensembles_take_a_dataset(folder, arrays):
    ds = dataset(folder)
    members = [cnn(), keras_tl.architecture_only(cnn(), seed=1)]
    probs = keras_tl.average_predictions(members, ds)
    np.testing.assert_allclose(probs, keras_tl.average_predictions(members, arrays[0]), rtol=1e-5, atol=1e-6)
    assert probs.shape == (18, N_CLASSES)
    assert keras_tl.member_accuracies(members, ds) == pytest.approx(keras_tl.member_accuracies(members, *arrays))
    assert keras_tl.accuracy(probs, ds) == keras_tl.accuracy(probs, arrays[1])
    with pytest.raises(ValueError, match="y is given, but x is a dataset"):
        keras_tl.member_accuracies(members, ds, arrays[1])


def test_coral_and_domain_batches_take_datasets(folder, arrays):
    rng = np.random.default_rng(0)
    s, t = rng.normal(size=(30, 3)), rng.normal(size=(26, 3)) * 2.0
    s_ds = tf.data.Dataset.from_tensor_slices(s).batch(4)
    t_ds = tf.data.Dataset.from_tensor_slices((t, np.zeros(26, "int64"))).batch(5)
    np.testing.assert_allclose(keras_tl.coral(s_ds, t_ds), keras_tl.coral(s, t))
    aligner = keras_tl.CORAL().fit(s_ds, t_ds)
    np.testing.assert_allclose(aligner.transform(s_ds), aligner.transform(s))
    with pytest.raises(ValueError, match="infinite dataset"):
        keras_tl.coral(s_ds.repeat(), t)
    batches = keras_tl.DomainBatches(dataset(folder), None, dataset(folder, labels=None), batch_size=4)
    assert len(batches) == 18 // 4  # samples, not the 3 batches
    (xs, xt), ys = batches[0]
    assert xs.shape == xt.shape == (4, SIZE, SIZE, 1) and set(ys.tolist()) <= {0, 1, 2}
    np.testing.assert_array_equal(np.sort(batches.y_source), np.sort(arrays[1]))
