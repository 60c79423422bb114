"""What each layer sees: filters as pictures, their smoothness, feature maps and top-activating images."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import keras_tl


def tiny_cnn() -> keras.Model:
    keras.utils.set_random_seed(0)
    return keras_tl.build_source_cnn(filters=(4, 8), units=8)


def test_layer_filters_are_the_kernels_scaled_per_filter():
    model = tiny_cnn()
    f = keras_tl.layer_filters(model)
    kernel = keras.ops.convert_to_numpy(model.get_layer("block1_conv").kernel)
    assert f.shape == (4, 3, 3, 1)
    k0 = kernel[..., 0]
    np.testing.assert_allclose(f[0], (k0 - k0.min()) / (k0.max() - k0.min()), atol=1e-6)
    assert keras_tl.layer_filters(model, "block2_conv").shape == (8, 3, 3, 4)


def test_layer_filters_inside_a_nested_base():
    head = keras_tl.add_head(keras_tl.feature_extractor(tiny_cnn(), "flatten"), 2)
    assert keras_tl.layer_filters(head).shape == (4, 3, 3, 1)


def test_smoothness_separates_smooth_from_random_filters():
    rng = np.random.default_rng(0)
    random = rng.normal(size=(32, 5, 5, 3))
    yy, xx = np.mgrid[-2:3, -2:3]
    angles = rng.uniform(0, np.pi, 32)
    edges = np.stack([np.cos(a) * xx + np.sin(a) * yy for a in angles])[..., None].repeat(3, -1)  # oriented ramps
    assert keras_tl.filter_smoothness(edges) > 0.5
    assert abs(keras_tl.filter_smoothness(random)) < 0.1


def test_top_activating_ranks_by_the_channel_peak():
    model = tiny_cnn()
    x = np.zeros((6, 28, 28), "float32")
    x[3] = 255.0
    x[5, :14] = 255.0
    maps = keras_tl.feature_maps(model, "block1_relu", x)
    assert maps.shape == (6, 28, 28, 4)
    top = keras_tl.top_activating(model, "block1_relu", x, channels=[0, 1, 2], k=2)
    assert top.shape == (3, 2)
    peak = maps.max(axis=(1, 2))
    for row, channel in zip(top, [0, 1, 2]):
        assert peak[row[0], channel] == peak[:, channel].max()
        assert peak[row[0], channel] >= peak[row[1], channel]


@pytest.mark.parametrize("call, fragment", [
    (lambda m: keras_tl.layer_filters(m, "fc"), "is not a Conv2D layer"),
    (lambda m: keras_tl.top_activating(m, "block1_relu", np.zeros((3, 28, 28)), channels=[9]), "channels=[9] are not allowed"),
    (lambda m: keras_tl.top_activating(m, "block1_relu", np.zeros((3, 28, 28)), k=4), "k=4 is not allowed"),
    (lambda m: keras_tl.feature_maps(m, "fc", np.zeros((3, 28, 28))), "not a 4-D feature map"),
    (lambda m: keras_tl.filter_smoothness(np.zeros((3, 3))), "allowed: (n, kh, kw, channels)"),
])
def test_bad_input(call, fragment):
    model = tiny_cnn()
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(ValueError) as info:
        call(model)
    assert fragment in str(info.value)
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


def test_plots():
    fig = keras_tl.plot_filters(np.random.default_rng(0).random((5, 3, 3, 3)))
    assert len([ax for ax in fig.axes if ax.images]) == 5
    assert len(keras_tl.plot_top_activating(np.zeros((4, 8, 8)), np.array([[0, 1]]), ["a"]).axes) == 2
