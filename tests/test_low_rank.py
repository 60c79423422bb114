"""LoRA (keras_tl.transfer.low_rank, keras_tl.lora): what trains, what stays frozen, merging, adapter files, .keras round trips, errors."""

import keras
import numpy as np
import pytest

import keras_tl
from keras_tl import load_lora_weights, lora, lora_summary, merge_lora, save_lora_weights


def _base(seed=0):
    """A tiny CNN with BatchNorm, pointwise (1x1) and 3x3 convolutions and a depthwise one."""
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((8, 8, 3))
    x = keras.layers.Conv2D(8, 3, padding="same", name="stem")(inputs)
    x = keras.layers.BatchNormalization(name="stem_BN")(x)
    x = keras.layers.Conv2D(16, 1, name="block_1_expand")(x)
    x = keras.layers.DepthwiseConv2D(3, padding="same", name="block_1_depthwise")(x)
    x = keras.layers.Conv2D(8, 1, name="block_1_project")(x)
    x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    return keras.Model(inputs, x, name="base")


def _model(seed=0):
    """The base nested as a layer, with a new softmax head: the shape of keras_tl.reuse / add_head."""
    base = _base(seed)
    inputs = keras.Input((8, 8, 3))
    outputs = keras.layers.Dense(3, activation="softmax", name="head")(base(inputs))
    return keras.Model(inputs, outputs, name="clf")


def _data(n=24, seed=1):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 8, 8, 3)).astype("float32"), rng.integers(0, 3, n)


def _perturb(model, seed=3):
    """Non-zero adapters, as after training (B starts at zero)."""
    rng = np.random.default_rng(seed)
    for layer in model.get_layer("base").layers:
        if getattr(layer, "lora_enabled", False):
            layer.lora_kernel_b.assign(rng.normal(scale=0.3, size=layer.lora_kernel_b.shape).astype("float32"))
    return model


def _names(weights):
    return sorted("/".join(w.path.split("/")[-2:]) for w in weights)


def test_only_adapters_and_head_train_and_the_model_starts_as_it_was():
    x, y = _data()
    model = _model()
    before = model.predict(x, verbose=0)
    lora(model, 2, layers="pointwise")
    assert _names(model.trainable_weights) == sorted([
        "block_1_expand/lora_kernel_a", "block_1_expand/lora_kernel_b",
        "block_1_project/lora_kernel_a", "block_1_project/lora_kernel_b", "head/kernel", "head/bias"])
    np.testing.assert_allclose(model.predict(x, verbose=0), before, atol=1e-6)  # B = 0: the pretrained model
    frozen = {w.path: np.array(w) for w in model.non_trainable_weights}
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    for w in model.non_trainable_weights:  # kernels, biases and BatchNorm statistics untouched
        np.testing.assert_array_equal(np.array(w), frozen[w.path], err_msg=w.path)
    assert np.abs(model.get_layer("base").get_layer("block_1_project").lora_kernel_b.numpy()).max() > 0


@pytest.mark.backend_free  # layer selection by name and type: no backend-specific code
def test_layer_selectors_name_type_regex_and_within():
    def chosen(**kwargs):
        return sorted(lora_summary(lora(_model(), 1, **kwargs)).layers)

    assert chosen(layers=["stem"]) == ["stem"]
    assert chosen(layers="Conv2D") == ["block_1_expand", "block_1_project", "stem"]
    assert chosen(layers="block_1_") == ["block_1_expand", "block_1_project"]  # the depthwise conv is skipped
    assert chosen(layers="pointwise", within="block_1_p") == ["block_1_project"]
    assert chosen(layers=lambda layer: layer.name == "stem") == ["stem"]
    assert chosen(layers="Dense", train=[]) == ["head"]


@pytest.mark.backend_free  # layer selection by name: no backend-specific code
def test_attention_selects_query_key_value_projections():
    keras.utils.set_random_seed(0)
    inputs = keras.Input((5, 8))
    x = keras.layers.MultiHeadAttention(num_heads=2, key_dim=4, name="self_attention")(inputs, inputs)
    outputs = keras.layers.Dense(2, name="head")(keras.layers.GlobalAveragePooling1D()(x))
    model = lora(keras.Model(inputs, outputs), 2, layers="attention")
    assert sorted(lora_summary(model).layers) == ["key", "query", "value"]
    assert "attention_output" not in lora_summary(model).layers


def test_lora_summary_counts_and_trainable_summary_shows_them():
    model = lora(_model(), 2, layers="pointwise")
    s = lora_summary(model)
    # expand 8->16: A 8x2 + B 2x16 = 48; project 16->8: A 16x2 + B 2x8 = 48; head 8*3 + 3 = 27
    assert (s.lora_params, s.head_params) == (96, 27)
    all_params = sum(int(np.prod(w.shape)) for w in model.weights)
    assert s.frozen_params == all_params - 96 - 27 and s.full_params == all_params - 96
    table = keras_tl.trainable_summary(model)
    assert "block_1_expand" in table and " lora " in table
    assert "LoRA: 96 parameters in 2 layers (rank [2])" in table.splitlines()[-1]


def test_merge_lora_gives_a_plain_model_with_the_same_predictions():
    x, _ = _data()
    model = _perturb(lora(_model(), 4, layers="pointwise", alpha=8))
    plain = merge_lora(model)
    assert not any("lora" in w.path for w in plain.weights)
    assert len(plain.weights) == len(_model().weights)
    np.testing.assert_allclose(plain.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-5)
    assert not np.allclose(plain.predict(x, verbose=0), _model().predict(x, verbose=0), atol=1e-3)  # merged, not lost


def test_adapter_file_round_trip_small_and_checked_against_the_base(tmp_path):
    x, _ = _data()
    trained = _perturb(lora(_model(), 2, layers="pointwise"))
    path = save_lora_weights(trained, tmp_path / "adapter.npz")
    trained.save(tmp_path / "full.keras")
    assert path.stat().st_size < (tmp_path / "full.keras").stat().st_size / 4

    fresh = load_lora_weights(lora(_model(), 2, layers="pointwise"), path)
    np.testing.assert_allclose(fresh.predict(x, verbose=0), trained.predict(x, verbose=0), atol=1e-6)

    other = lora(_model(seed=7), 2, layers="pointwise")  # another base: other frozen kernels
    before = [np.array(w) for w in other.weights]
    with pytest.raises(ValueError, match="different base"):
        load_lora_weights(other, path)
    assert all(np.array_equal(a, np.array(w)) for a, w in zip(before, other.weights))

    with pytest.raises(ValueError, match="enable LoRA with the same layers and rank"):
        load_lora_weights(lora(_model(), 3, layers="pointwise"), path)


def test_keras_file_round_trip_in_safe_mode(tmp_path):
    x, _ = _data()
    model = _perturb(lora(_model(), 2, layers="pointwise"))
    config = model.get_layer("base").get_layer("block_1_expand").get_config()
    assert config["lora_rank"] == 2
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-5)
    assert loaded.get_layer("base").get_layer("block_1_expand").lora_enabled


@pytest.mark.parametrize("kwargs, fragment", [
    (dict(rank=0, layers="pointwise"), "rank=0 is not allowed"),
    (dict(rank=2.0, layers="pointwise"), "rank=2.0 is not allowed"),
    (dict(rank=9, layers="pointwise"), "rank=9 is above the dimensions"),
    (dict(rank=1, layers=["stem_BN"]), "do not support LoRA; the kinds that do: Dense"),
    (dict(rank=1, layers="DepthwiseConv2D"), "Layers of type DepthwiseConv2D do not support LoRA"),
    (dict(rank=1, layers="nothing_here"), "matched no layer"),
    (dict(rank=1, layers=["nope"]), "No layer named ['nope']"),
    (dict(rank=1, layers="pointwise", alpha=-1), "alpha=-1 is not allowed"),
])
def test_bad_input_leaves_the_model_unchanged(kwargs, fragment):
    model = _model()
    before = _names(model.trainable_weights)
    with pytest.raises(ValueError) as info:
        lora(model, **kwargs)
    assert fragment in str(info.value)
    assert _names(model.trainable_weights) == before
    assert not any(getattr(layer, "lora_enabled", False) for layer in model.get_layer("base").layers)


def test_enabling_twice_is_a_clear_error():
    model = lora(_model(), 1, layers="pointwise")
    with pytest.raises(ValueError, match=r"LoRA is already enabled on \['block_1_expand', 'block_1_project'\]"):
        lora(model, 1, layers="Conv2D")
    assert not model.get_layer("base").get_layer("stem").lora_enabled


@pytest.mark.backend_free  # layer selection by name: no backend-specific code
def test_attention_finds_query_key_value_in_a_keras_hub_bert():
    keras_hub = pytest.importorskip("keras_hub")
    keras.utils.set_random_seed(0)
    backbone = keras_hub.models.BertBackbone(vocabulary_size=50, num_layers=2, num_heads=2, hidden_dim=8,
                                             intermediate_dim=16, max_sequence_length=8)
    lora(backbone, 2, layers="attention", train=[])
    s = lora_summary(backbone)
    assert sorted(s.layers) == ["key", "key", "query", "query", "value", "value"]
    # EinsumDense kernel (8, 2 heads, 4): Keras puts A (8, 2, rank) and B (rank, 4)
    assert s.lora_params == 6 * (8 * 2 * 2 + 2 * 4) and s.head_params == 0


def test_adapters_train_below_frozen_containers():
    """A base frozen layer by layer (freeze(), or a KerasHub classifier with trainable_layers=0) must not
    hide the adapters: exactly the adapters and the head train."""
    keras.utils.set_random_seed(0)
    inner = keras.Sequential([keras.Input((6,)), keras.layers.Dense(8, name="d1"), keras.layers.Dense(8, name="d2")],
                             name="block")
    inputs = keras.Input((6,))
    model = keras.Model(inputs, keras.layers.Dense(2, name="head")(inner(inputs)))
    inner.trainable = False
    for layer in inner.layers:
        layer.trainable = False
    lora(model, 2, layers=["d1", "d2"])
    names = sorted(w.path.split("/")[-2] + "/" + w.name for w in model.trainable_weights)
    assert names == ["d1/lora_kernel_a", "d1/lora_kernel_b", "d2/lora_kernel_a", "d2/lora_kernel_b",
                     "head/bias", "head/kernel"], names
