import numpy as np
import pytest

import keras
import keras_tl
from keras_tl.transfer import approaches


@pytest.fixture(scope="module")
def task():
    return approaches.select_source_task(n_per_class=4, n_val=100, seed=0)


def test_select_source_task(task):
    assert len(task.source[1]) == 30000 and np.bincount(task.target[1]).tolist() == [4] * 5
    assert len(task.target_val[1]) == 100


def test_develop_source_model_reports_against_the_baseline(task, capsys):
    report = approaches.develop_source_model(task, verbose=1)
    assert report.beats_baseline and report.accuracy > 0.8 and report.baseline == pytest.approx(0.2)
    assert "beats the naive baseline" in capsys.readouterr().out
    weak = approaches.SourceReport(model=report.model, accuracy=0.25, baseline=0.2, margin=0.1)
    assert not weak.beats_baseline and "does NOT clearly beat" in repr(weak)


def test_reuse_source_model_freezes_the_base(task):
    source = keras_tl.build_source_cnn()
    model = approaches.reuse(source, n_classes=3)
    assert model.output_shape == (None, 3)
    assert [w.path for w in model.trainable_weights] == ["head/kernel", "head/bias"]
    base = model.layers[1]
    assert base.output_shape == (None, 3136)  # cut at FEATURE_LAYER ("flatten")


def test_reuse_registry_backbone_adapts_grayscale_and_round_trips(tmp_path):
    backbone = approaches.select_pretrained_model("MobileNetV2", weights=None, input_shape=(32, 32, 3))
    model = approaches.reuse(backbone, n_classes=4, input_shape=(28, 28))
    assert model.input_shape == (None, 28, 28) and model.output_shape == (None, 4)
    assert len(model.trainable_weights) == 2
    x = np.random.default_rng(0).integers(0, 256, (3, 28, 28)).astype("float32")
    path = tmp_path / "reused.keras"
    model.save(path)
    reloaded = keras.saving.load_model(path, safe_mode=True)  # no Lambda: Preprocess is a registered layer
    np.testing.assert_allclose(model.predict(x, verbose=0), reloaded.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


def test_tune_trains_head_then_fine_tunes(task):
    source = keras_tl.build_source_cnn()
    model = approaches.reuse(source, n_classes=5)
    head_before = np.array(model.get_layer("head").kernel)
    conv_before = np.array(model.layers[1].get_layer("block1_conv").kernel)
    histories = approaches.tune(model, task.target, task.target_val, head_epochs=1, fine_tune_epochs=1,
                                learning_rate=1e-3, verbose=0)
    assert set(histories) == {"head", "fine_tune"}
    assert float(model.optimizer.learning_rate) == pytest.approx(1e-4)
    assert not np.allclose(head_before, model.get_layer("head").kernel)
    assert not np.allclose(conv_before, model.layers[1].get_layer("block1_conv").kernel)
    only_head = approaches.tune(approaches.reuse(source, n_classes=5), task.target, head_epochs=1,
                                fine_tune_epochs=0, verbose=0)
    assert set(only_head) == {"head"}


@pytest.mark.parametrize("kwargs, match", [
    (dict(head_epochs=0), "head_epochs=0"),
    (dict(fine_tune_epochs=-1), "fine_tune_epochs=-1"),
    (dict(learning_rate=0.0), "learning_rate=0.0"),
])
def test_tune_rejects_bad_settings(task, kwargs, match):
    model = approaches.reuse(keras_tl.build_source_cnn(), n_classes=5)
    with pytest.raises(ValueError, match=match):
        approaches.tune(model, task.target, **kwargs)


def test_preprocess_layer_matches_keras_function():
    x = np.random.default_rng(0).uniform(0, 255, (2, 32, 32, 3)).astype("float32")
    for name in ["VGG16", "MobileNetV2", "ResNet50"]:
        spec = keras_tl.get_spec(name)
        np.testing.assert_allclose(np.asarray(keras_tl.Preprocess(name)(x)), spec.preprocess_input(x.copy()), rtol=1e-6)
    with pytest.raises(ValueError, match="Unknown backbone"):
        keras_tl.Preprocess("LeNet")
