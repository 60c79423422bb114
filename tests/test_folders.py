"""keras_tl.image_folder: class sub-folders of PNG/JPEG files built in tmp_path, good and bad."""

import warnings

import numpy as np
import pytest
from PIL import Image

import keras_tl
from keras_tl.data.folders import ImageFolder, image_folder


def save(path, array, mode=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    img = Image.fromarray(np.asarray(array, "uint8"))
    if mode:
        img = img.convert(mode)
    img.save(path)
    return path


def make(root, counts, size=(10, 12)):
    """One class folder per entry; class c, image i is filled with the value 10 * c + i (PNG, exact)."""
    for c, (name, n) in enumerate(counts.items()):
        for i in range(n):
            save(root / name / f"{i}.png", np.full((*size, 3), 10 * c + i))
    return root


def test_arrays_labels_and_class_names(tmp_path):
    make(tmp_path, {"dogs": 2, "cats": 3})
    data = keras_tl.image_folder(tmp_path, image_size=(6, 8))
    assert isinstance(data, ImageFolder)
    assert data.class_names == ["cats", "dogs"]  # sorted: label 0 is cats
    assert data.x.shape == (5, 6, 8, 3) and data.x.dtype == np.uint8
    assert data.y.tolist() == [0, 0, 0, 1, 1] and data.y.dtype == np.int64
    # pixels survive (uniform images stay uniform when resized): dogs were written 0,1; cats 10,11,12
    assert data.x[:, 0, 0, 0].tolist() == [10, 11, 12, 0, 1]
    assert data.validation is None and data.x_val is None
    assert len(data.files) == 5 and data.files[0].endswith("0.png")
    assert "5 images" in repr(data)


def test_mixed_sizes_and_modes_are_converted(tmp_path):
    save(tmp_path / "a" / "rgba.png", np.dstack([np.full((5, 7, 3), 200), np.full((5, 7), 100)]), "RGBA")
    save(tmp_path / "a" / "gray.png", np.full((30, 20), 77), "L")
    save(tmp_path / "b" / "palette.png", np.full((9, 9, 3), 50), "P")
    save(tmp_path / "b" / "photo.jpg", np.full((40, 40, 3), 120))
    data = image_folder(tmp_path, image_size=16)
    assert data.x.shape == (4, 16, 16, 3)
    assert data.x[0].min() == data.x[0].max() == 77  # L repeated into three channels
    assert data.x[1].min() == data.x[1].max() == 200  # RGBA: alpha dropped, colour kept
    assert abs(int(data.x[3].mean()) - 120) <= 2  # JPEG is lossy
    gray = image_folder(tmp_path, image_size=(3, 5), color_mode="grayscale")
    assert gray.x.shape == (4, 3, 5, 1)
    assert gray.x[0].max() == 77


def test_stratified_validation_split_is_seeded(tmp_path):
    make(tmp_path, {"a": 10, "b": 5})
    data = image_folder(tmp_path, image_size=4, validation_split=0.2, seed=1)
    assert sorted(data.y_val.tolist()) == [0, 0, 1]  # 20% of each class
    assert len(data.y) == 12 and np.bincount(data.y).tolist() == [8, 4]
    assert not set(data.files) & set(data.val_files)
    (x, y), (x_val, y_val) = data.train, data.validation
    assert x_val.shape == (3, 4, 4, 3)
    again = image_folder(tmp_path, image_size=4, validation_split=0.2, seed=1)
    assert again.val_files == data.val_files
    other = [image_folder(tmp_path, image_size=4, validation_split=0.2, seed=s).val_files for s in range(2, 6)]
    assert any(v != data.val_files for v in other)


def test_max_per_class(tmp_path):
    make(tmp_path, {"a": 6, "b": 2})
    data = image_folder(tmp_path, image_size=4, max_per_class=3)
    assert np.bincount(data.y).tolist() == [3, 2]


def test_hidden_and_non_image_files_are_skipped_with_a_warning(tmp_path):
    make(tmp_path, {"a": 2, "b": 2})
    (tmp_path / "a" / ".DS_Store").write_bytes(b"junk")
    (tmp_path / "a" / "notes.txt").write_text("hi")
    (tmp_path / "README.md").write_text("loose file")
    save(tmp_path / ".ipynb_checkpoints" / "x.png", np.zeros((4, 4, 3)))
    save(tmp_path / "b" / "nested" / "deep.png", np.zeros((4, 4, 3)))
    with pytest.warns(UserWarning, match="skipped 3 file"):
        data = image_folder(tmp_path, image_size=4)
    assert data.class_names == ["a", "b"]
    assert np.bincount(data.y).tolist() == [2, 3]  # the nested image counts for b


def test_no_warning_for_a_clean_folder(tmp_path):
    make(tmp_path, {"a": 1, "b": 1})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        image_folder(tmp_path, image_size=4)


def test_dataset_in_memory_and_streamed_agree(tmp_path):
    make(tmp_path, {"a": 3, "b": 2})
    memory = image_folder(tmp_path, image_size=(5, 6), validation_split=0.4)
    streamed = image_folder(tmp_path, image_size=(5, 6), validation_split=0.4, as_dataset=True, batch_size=2)
    assert streamed.x is None and streamed.x_val is None
    assert streamed.files == memory.files and streamed.y.tolist() == memory.y.tolist()
    for subset in ("train", "validation"):
        a = [(xb.numpy(), yb.numpy()) for xb, yb in memory.dataset(subset, batch_size=2, shuffle=False)]
        b = [(xb.numpy(), yb.numpy()) for xb, yb in streamed.dataset(subset, shuffle=False)]
        assert [xb.shape[0] for xb, _ in b] == [xb.shape[0] for xb, _ in a]
        np.testing.assert_array_equal(np.concatenate([xb for xb, _ in a]), np.concatenate([xb for xb, _ in b]))
        np.testing.assert_array_equal(np.concatenate([yb for _, yb in a]), np.concatenate([yb for _, yb in b]))
    shuffled = np.concatenate([yb.numpy() for _, yb in memory.dataset(batch_size=8, seed=3)])
    assert sorted(shuffled.tolist()) == sorted(memory.y.tolist())
    with pytest.raises(ValueError, match="subset='test' is not allowed"):
        memory.dataset("test")
    with pytest.raises(ValueError, match="no validation part"):
        image_folder(tmp_path, image_size=4).dataset("validation")


def test_many_images_are_streamed(tmp_path, monkeypatch):
    make(tmp_path, {"a": 2, "b": 2})
    monkeypatch.setattr("keras_tl.data.folders.IN_MEMORY_LIMIT", 3)
    with pytest.warns(UserWarning, match="more than IN_MEMORY_LIMIT=3"):
        data = image_folder(tmp_path, image_size=4)
    assert data.x is None and len(data.y) == 4


def test_missing_and_empty_folders(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        image_folder(tmp_path / "nope")
    with pytest.raises(ValueError, match="is empty"):
        image_folder(tmp_path)
    (tmp_path / "loose.png").write_bytes(b"x")
    with pytest.raises(ValueError, match="no class sub-folders"):
        image_folder(tmp_path)
    with pytest.raises(NotADirectoryError):
        image_folder(tmp_path / "loose.png")


def test_one_class_and_empty_class(tmp_path):
    make(tmp_path, {"only": 3})
    with pytest.raises(ValueError, match="one class sub-folder only \\('only'\\)"):
        image_folder(tmp_path)
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("no images here")
    with pytest.raises(ValueError, match="Class folder\\(s\\) \\['empty'\\]"):
        image_folder(tmp_path)


def test_undecodable_image_is_named(tmp_path):
    make(tmp_path, {"a": 2, "b": 2})
    bad = tmp_path / "b" / "broken.jpg"
    bad.write_bytes(b"not really a jpeg")
    for as_dataset in (False, True):
        with pytest.raises(ValueError, match="Cannot decode image file .*broken.jpg"):
            image_folder(tmp_path, image_size=4, as_dataset=as_dataset)


def test_truncated_png_is_named(tmp_path):
    make(tmp_path, {"a": 2, "b": 2})
    good = save(tmp_path / "a" / "big.png", np.random.default_rng(0).integers(0, 255, (64, 64, 3)))
    good.write_bytes(good.read_bytes()[:200])
    with pytest.raises(ValueError, match="big.png"):
        image_folder(tmp_path, image_size=4)


def test_class_too_small_for_the_split(tmp_path):
    make(tmp_path, {"a": 4, "b": 1})
    with pytest.raises(ValueError, match="\\{'b': 1\\}.*fewer than the 2 images"):
        image_folder(tmp_path, validation_split=0.25)


@pytest.mark.parametrize("kwargs, message", [
    (dict(image_size=0), "image_size=0 is not allowed"),
    (dict(image_size=(4, 4, 3)), "image_size=(4, 4, 3) is not allowed"),
    (dict(color_mode="rgba"), "color_mode='rgba' is not allowed"),
    (dict(validation_split=1.0), "validation_split=1.0 is not allowed"),
    (dict(max_per_class=0), "max_per_class=0 is not allowed"),
    (dict(batch_size=0), "batch_size=0 is not allowed"),
])
def test_bad_arguments(tmp_path, kwargs, message):
    make(tmp_path, {"a": 2, "b": 2})
    with pytest.raises(ValueError, match=message.replace("(", "\\(").replace(")", "\\)")):
        image_folder(tmp_path, **kwargs)
