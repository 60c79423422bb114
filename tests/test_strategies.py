import numpy as np
import pytest

import keras
from keras_tl.transfer.heads import add_head, architecture_only, feature_extractor, set_trainable
from keras_tl.models.source_model import build_source_cnn


def test_feature_extractor_is_frozen_and_shares_weights():
    source = build_source_cnn()
    base = feature_extractor(source, "flatten")
    assert base.output_shape == (None, 3136)
    assert base.trainable_weights == []
    assert base.get_layer("block1_conv") is source.get_layer("block1_conv")
    with pytest.raises(ValueError, match="Unknown layer 'fc9'"):
        feature_extractor(source, "fc9")


def test_add_head_replaces_the_classifier():
    base = feature_extractor(build_source_cnn(n_classes=5), "flatten")
    model = add_head(base, n_classes=2, dropout=0.2)
    assert model.output_shape == (None, 2)
    assert len(model.trainable_weights) == 2  # only the new head's kernel and bias
    with pytest.raises(ValueError, match="n_classes=1"):
        add_head(base, n_classes=1)


def test_architecture_only_has_fresh_trainable_weights():
    trained = build_source_cnn()
    frozen_base = feature_extractor(trained, "flatten")
    fresh = architecture_only(frozen_base, seed=0)
    assert all(layer.trainable for layer in fresh.layers)
    assert len(fresh.trainable_weights) == len(frozen_base.weights) - 4  # all but 2 BN layers x (mean, var)
    assert not np.allclose(fresh.get_layer("block1_conv").kernel, frozen_base.get_layer("block1_conv").kernel)
    again = architecture_only(frozen_base, seed=0)
    np.testing.assert_array_equal(fresh.get_layer("block2_conv").kernel, again.get_layer("block2_conv").kernel)


def test_set_trainable_reaches_nested_layers():
    model = add_head(feature_extractor(build_source_cnn(), "flatten"), 3)
    set_trainable(model, True)
    assert all(layer.trainable for layer in model.layers[1].layers)
    set_trainable(model, False)
    assert model.trainable_weights == []


def test_models_round_trip_through_keras_format(tmp_path):
    base = feature_extractor(build_source_cnn(), "flatten")
    for name, model in {"transfer": add_head(base, 4),
                        "scratch": add_head(architecture_only(base, seed=1), 4)}.items():
        path = tmp_path / f"{name}.keras"
        model.save(path)
        reloaded = keras.saving.load_model(path, safe_mode=True)
        x = np.random.default_rng(0).integers(0, 255, (8, 28, 28)).astype("float32")
        np.testing.assert_allclose(model.predict(x, verbose=0), reloaded.predict(x, verbose=0), rtol=1e-6)
        assert len(reloaded.trainable_weights) == len(model.trainable_weights)
