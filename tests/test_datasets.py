import gzip

import numpy as np
import pytest

import keras_tl
from keras_tl.data.adapters import adapt_images, image_adapter
from keras_tl.data.builtin import DatasetUnavailableError, digits, fashion_mnist, load_dataset
from keras_tl.data.shifts import shift_domain
from keras_tl.data.splits import relabel, sample_per_class, select_classes, split_by_class, stratified_split
from keras_tl.data.tasks import transfer_task
from keras_tl.data import builtin


# --- Fashion-MNIST --------------------------------------------------------------------------
def test_fashion_mnist_shapes_and_dtypes(fashion):
    (x_train, y_train), (x_test, y_test) = fashion
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert x_train.dtype == np.uint8 and y_train.dtype == np.uint8
    assert np.bincount(y_train).tolist() == [6000] * 10
    assert np.bincount(y_test).tolist() == [1000] * 10
    assert x_train.max() == 255 and x_train.min() == 0
    assert len(keras_tl.FASHION_MNIST_CLASSES) == 10


def _write_idx(path, array, compress=True):
    header = bytes([0, 0, 8, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    data = header + array.astype(np.uint8).tobytes()
    if compress:
        with gzip.open(str(path) + ".gz", "wb") as f:
            f.write(data)
    else:
        path.write_bytes(data)


def _fake_fashion_dir(tmp_path, compress=True):
    rng = np.random.default_rng(0)
    _write_idx(tmp_path / "train-images-idx3-ubyte", rng.integers(0, 256, (12, 28, 28)), compress)
    _write_idx(tmp_path / "train-labels-idx1-ubyte", np.arange(12) % 10, compress)
    _write_idx(tmp_path / "t10k-images-idx3-ubyte", rng.integers(0, 256, (4, 28, 28)), compress)
    _write_idx(tmp_path / "t10k-labels-idx1-ubyte", np.arange(4), compress)
    return tmp_path


@pytest.mark.parametrize("compress", [True, False])
def test_fashion_mnist_reads_idx_from_a_folder(tmp_path, compress):
    (x, y), (xt, yt) = fashion_mnist(data_dir=_fake_fashion_dir(tmp_path, compress))
    assert x.shape == (12, 28, 28) and yt.tolist() == [0, 1, 2, 3]


def test_truncated_idx_file_is_reported(tmp_path):
    folder = _fake_fashion_dir(tmp_path, compress=False)
    raw = (folder / "t10k-images-idx3-ubyte").read_bytes()
    (folder / "t10k-images-idx3-ubyte").write_bytes(raw[:-10])
    with pytest.raises(ValueError, match="truncated or corrupt"):
        fashion_mnist(data_dir=folder)


def test_fashion_mnist_missing_and_offline_names_both_fixes(tmp_path, monkeypatch):
    import urllib.error
    import keras.src.utils.file_utils as file_utils

    monkeypatch.setattr(builtin, "FASHION_MNIST_DIRS", (tmp_path / "debian", tmp_path / "keras"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))

    def offline(*args, **kwargs):
        raise urllib.error.URLError("[Errno -2] Name or service not known")

    monkeypatch.setattr(file_utils, "urlretrieve", offline)  # Keras's real download path, cut off
    with pytest.raises(DatasetUnavailableError) as err:
        fashion_mnist()
    message = str(err.value)
    assert "apt-get install dataset-fashion-mnist" in message
    assert "~/.keras/datasets/fashion-mnist" in message
    assert str(tmp_path / "debian") in message


def test_fashion_mnist_without_download(tmp_path):
    with pytest.raises(DatasetUnavailableError, match="dataset-fashion-mnist"):
        fashion_mnist(data_dir=tmp_path, download=False)


# --- digits -----------------------------------------------------------------------------------
def test_digits_is_a_28x28_uint8_domain(digits_data):
    (x, y), (xt, yt) = digits_data
    assert x.shape[1:] == (28, 28) and x.dtype == np.uint8
    assert len(x) + len(xt) == 1797
    assert x.max() == 255 and set(np.unique(y)) == set(range(10))
    assert abs(len(xt) / 1797 - 0.25) < 0.01


def test_digits_keeps_8x8_when_asked():
    (x, _), _ = digits(size=None)
    assert x.shape[1:] == (8, 8)


def test_digits_bad_size():
    with pytest.raises(ValueError, match="size=4"):
        digits(size=4)


def test_load_dataset_unknown_name():
    with pytest.raises(ValueError, match="'mnist'.*allowed"):
        load_dataset("mnist")


# --- splitting helpers ------------------------------------------------------------------------
def test_split_by_class_reindexes_each_part(fashion):
    (x, y), _ = fashion
    (xs, ys), (xt, yt) = split_by_class(x, y, range(5), range(5, 10))
    assert len(xs) == len(xt) == 30000
    assert sorted(np.unique(ys)) == sorted(np.unique(yt)) == [0, 1, 2, 3, 4]
    # label 0 of the target is original class 5 (Sandal)
    assert np.array_equal(xt[yt == 0], x[y == 5])


def test_split_by_class_errors(fashion):
    (x, y), _ = fashion
    with pytest.raises(ValueError, match=r"overlap on \[4\]"):
        split_by_class(x, y, range(5), range(4, 10))
    with pytest.raises(ValueError, match="source_classes is empty"):
        split_by_class(x, y, [], range(5, 10))
    with pytest.raises(ValueError, match=r"Classes \[11\] have no examples"):
        split_by_class(x, y, [0], [11])
    (_, ys), (_, yt) = split_by_class(x[:100], y[:100], [0, 1], [1, 2], disjoint=False)
    assert ys.max() == 1 and yt.max() == 1


def test_select_classes_order_defines_labels():
    x = np.arange(6)[:, None]
    y = np.array([3, 7, 3, 9, 7, 3])
    xs, ys = select_classes(x, y, [9, 3])
    assert ys.tolist() == [1, 1, 0, 1] and xs.ravel().tolist() == [0, 2, 3, 5]
    assert relabel(np.array([5, 7, 5, 9])).tolist() == [0, 1, 0, 2]


def test_mismatched_lengths():
    with pytest.raises(ValueError, match="different lengths: 3 images and 2 labels"):
        select_classes(np.zeros((3, 2)), np.array([0, 1]), [0])


def test_sample_per_class_counts_and_seed(digits_data):
    (x, y), _ = digits_data
    xa, ya = sample_per_class(x, y, n=7, seed=1)
    xb, yb = sample_per_class(x, y, n=7, seed=1)
    xc, _ = sample_per_class(x, y, n=7, seed=2)
    assert np.bincount(ya).tolist() == [7] * 10
    assert np.array_equal(xa, xb) and not np.array_equal(xa, xc)


def test_sample_per_class_too_many(digits_data):
    (x, y), _ = digits_data
    smallest = np.bincount(y).min()
    with pytest.raises(ValueError, match=f"n={smallest + 1} .* allowed: 1..{smallest}"):
        sample_per_class(x, y, n=int(smallest) + 1)
    with pytest.raises(ValueError, match="n=0"):
        sample_per_class(x, y, n=0)


def test_stratified_split_keeps_proportions(digits_data):
    (x, y), _ = digits_data
    (xa, ya), (xb, yb) = stratified_split(x, y, val_fraction=0.3, seed=0)
    assert len(xa) + len(xb) == len(x)
    assert np.allclose(np.bincount(yb) / len(yb), np.bincount(y) / len(y), atol=0.01)
    with pytest.raises(ValueError, match="val_fraction=1.5"):
        stratified_split(x, y, val_fraction=1.5)


def test_transfer_task_canonical_split():
    task = transfer_task(n_per_class=20, seed=0)
    assert task.source[0].shape == (30000, 28, 28)
    assert task.source_test[0].shape == (5000, 28, 28)
    assert task.target[0].shape == (100, 28, 28) and np.bincount(task.target[1]).tolist() == [20] * 5
    assert task.target_val[0].shape == (5000, 28, 28)
    assert task.n_source_classes == task.n_target_classes == 5
    small = transfer_task(n_per_class=20, n_val=1000, seed=0)
    assert len(small.target_val[1]) == 1000 and np.bincount(small.target_val[1]).tolist() == [200] * 5
    assert "target classes [5, 6, 7, 8, 9]" in repr(task)
    with pytest.raises(ValueError, match="n_val=0"):
        transfer_task(n_val=0)


# --- domain shift -----------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["rotate", "invert", "noise", "contrast", "mix"])
def test_shift_amount_zero_is_identity_and_distance_grows(digits_data, kind):
    (x, _), _ = digits_data
    x = x[:200]
    other = np.full_like(x, 255) if kind == "mix" else None
    assert np.array_equal(shift_domain(x, kind, 0.0, other=other), x)
    dist = [np.abs(shift_domain(x, kind, a, other=other).astype(float) - x).mean() for a in (0.0, 0.25, 0.5)]
    assert dist[0] < dist[1] < dist[2], dist


def test_shift_invert_and_rotate_exact(digits_data):
    (x, _), _ = digits_data
    assert np.array_equal(shift_domain(x, "invert", 1.0), 255 - x)
    upside_down = shift_domain(x[:20], "rotate", 1.0)
    assert np.abs(upside_down.astype(int) - np.rot90(x[:20], 2, axes=(1, 2))).max() <= 1


def test_shift_errors(digits_data):
    (x, _), _ = digits_data
    with pytest.raises(ValueError, match="'blur'.*allowed"):
        shift_domain(x, "blur", 0.5)
    with pytest.raises(ValueError, match="amount=1.5"):
        shift_domain(x, "noise", 1.5)
    with pytest.raises(ValueError, match="needs `other`"):
        shift_domain(x, "mix", 0.5)
    with pytest.raises(ValueError, match="same image shape"):
        shift_domain(x, "mix", 0.5, other=np.zeros((3, 8, 8), np.uint8))


# --- adapters ---------------------------------------------------------------------------------
def test_image_adapter_makes_rgb_at_size():
    adapter = image_adapter(32)
    out = np.asarray(adapter(np.full((2, 28, 28), 200, np.uint8)))
    assert out.shape == (2, 32, 32, 3) and np.allclose(out, 200)
    out = np.asarray(image_adapter((40, 36))(np.zeros((1, 28, 28, 1), np.float32)))
    assert out.shape == (1, 40, 36, 3)
    with pytest.raises(ValueError, match="channels=2"):
        image_adapter(32, channels=2)


def test_adapt_images_streams_batches(digits_data):
    (x, y), _ = digits_data
    import keras

    batches = list(adapt_images(x[:100], y[:100], size=75, batch_size=32,
                                   preprocess=keras.applications.inception_v3.preprocess_input))
    assert [b[0].shape[0] for b in batches] == [32, 32, 32, 4]
    assert tuple(batches[0][0].shape[1:]) == (75, 75, 3)
    assert float(np.min(batches[0][0])) >= -1.0 and float(np.max(batches[0][0])) <= 1.0
