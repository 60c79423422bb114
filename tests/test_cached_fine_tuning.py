"""Fine-tuning the top blocks on cached activations (keras_tl.transfer.cached_fine_tuning).

A tiny MobileNetV2 (alpha 0.35, 32x32, random weights) built once per module; each test that
changes weights or flags builds its own copy. Nothing here loads the real weights or a data set.
"""

import numpy as np
import pytest

import keras
from keras_tl.transfer import cached_fine_tuning as cft


def mobilenet(pooling="avg"):
    keras.utils.set_random_seed(0)
    return keras.applications.MobileNetV2(weights=None, input_shape=(32, 32, 3), alpha=0.35,
                                          include_top=False, pooling=pooling)


@pytest.fixture(scope="module")
def backbone():
    return mobilenet()


def images(n=6, seed=0):
    return np.random.default_rng(seed).normal(size=(n, 32, 32, 3)).astype("float32")


def test_split_points_are_block_outputs(backbone):
    points = cft.split_points(backbone)
    for name in ("block_2_add", "block_5_add", "block_12_add", "block_13_project_BN", "block_15_add", "Conv_1_bn"):
        assert name in points
    # inside a residual block the shortcut crosses the cut too
    for name in ("block_5_expand", "block_12_expand_relu", "block_14_project_BN"):
        assert name not in points
    assert backbone.layers[0].name not in points and backbone.layers[-1].name not in points


@pytest.mark.parametrize("at_layer", ["block_5_add", "block_12_add", "block_13_project_BN"])
def test_split_model_output_equals_the_full_backbone(backbone, at_layer):
    lower, upper = cft.split_backbone(backbone, at_layer)
    x = images()
    acts = cft.cached_activations(lower, x, batch_size=4)
    assert acts.shape[1:] == tuple(backbone.get_layer(at_layer).output.shape[1:])
    np.testing.assert_allclose(upper.predict(acts, verbose=0), backbone.predict(x, verbose=0), atol=1e-5)
    assert not lower.trainable_weights
    assert isinstance(lower, keras.Model) and isinstance(upper, keras.Model)


def test_bad_split_layer_lists_the_allowed_ones(backbone):
    with pytest.raises(ValueError, match=r"at_layer='block_12_expand' is inside a block.*block_12_add"):
        cft.split_backbone(backbone, "block_12_expand")
    with pytest.raises(ValueError, match="is not a layer of this backbone"):
        cft.split_backbone(backbone, "block_99_add")


def test_sequential_backbone_splits_anywhere():
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(4, name="d1"), keras.layers.Dense(3, name="d2"),
                              keras.layers.Dense(2, name="d3")])
    assert cft.split_points(model) == ["d1", "d2"]
    lower, upper = cft.split_backbone(model, "d2")
    x = np.random.default_rng(0).normal(size=(3, 5)).astype("float32")
    np.testing.assert_allclose(upper(lower(x)), model(x), atol=1e-6)


def test_top_model_fine_tunes_the_shared_backbone_layers():
    net = mobilenet()
    lower, upper = cft.split_backbone(net, "block_15_add")
    before = net.get_layer("Conv_1").get_weights()[0].copy()
    frozen_before = net.get_layer("block_14_project").get_weights()[0].copy()
    model = cft.top_model(upper, n_classes=2)
    bns = [layer for layer in upper.layers if isinstance(layer, keras.layers.BatchNormalization)]
    assert bns and not any(layer.trainable for layer in bns)
    acts = cft.cached_activations(lower, images(8))
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="sparse_categorical_crossentropy")
    model.fit(acts, np.arange(8) % 2, epochs=1, batch_size=4, verbose=0)
    assert not np.allclose(net.get_layer("Conv_1").get_weights()[0], before)       # upper: trained, in the backbone
    np.testing.assert_array_equal(net.get_layer("block_14_project").get_weights()[0], frozen_before)  # lower: untouched
    # the whole classifier on images: the frozen lower part, then the trained top and head
    full = keras.Sequential([lower, model])
    np.testing.assert_allclose(full.predict(images(8), verbose=0), model.predict(acts, verbose=0), atol=1e-5)


def test_top_model_trains_batchnorm_with_its_momentum():
    lower, upper = cft.split_backbone(mobilenet(pooling=None), "block_15_add")
    model = cft.top_model(upper, n_classes=3, batchnorm="train", momentum=0.9, dropout=0.0)
    bns = [layer for layer in upper.layers if isinstance(layer, keras.layers.BatchNormalization)]
    assert all(layer.trainable and layer.momentum == 0.9 for layer in bns)
    assert model.output_shape == (None, 3)
    assert "pool" in [layer.name for layer in model.layers] and "dropout" not in [layer.name for layer in model.layers]


def test_cached_activations_refuse_an_unfrozen_lower(backbone):
    lower, _ = cft.split_backbone(mobilenet(), "block_5_add")
    lower.trainable = True
    with pytest.raises(ValueError, match="only valid for a frozen lower part"):
        cft.cached_activations(lower, images(2))
