import numpy as np
import pytest

import keras_tl
from keras_tl.models.source_model import FEATURE_LAYER, SOURCE_BLOCKS, build_source_cnn, majority_baseline, pretrain_source_model
from keras_tl.data.tasks import TransferTask


def test_source_cnn_has_named_blocks():
    model = build_source_cnn(n_classes=7)
    names = [layer.name for layer in model.layers]
    for block in SOURCE_BLOCKS.values():
        for name in block:
            assert name in names
    assert model.output_shape == (None, 7)
    assert model.get_layer("fc").output.shape == (None, 128)
    assert FEATURE_LAYER == "flatten"
    with pytest.raises(ValueError, match="n_classes=1"):
        build_source_cnn(n_classes=1)
    with pytest.raises(ValueError, match="input_shape"):
        build_source_cnn(input_shape=(28, 28, 3))


def test_majority_baseline():
    assert majority_baseline(np.array([1, 1, 0]), np.array([1, 0, 0, 0])) == 0.25
    with pytest.raises(ValueError):
        majority_baseline(np.array([]), np.array([1]))


def _tiny_task(fashion):
    (x, y), (xt, yt) = fashion
    (xs, ys), (xv, yv) = (x[:600], y[:600] % 3), (xt[:200], yt[:200] % 3)
    return TransferTask(source=(xs, ys), source_test=(xv, yv), target=(xs[:10], ys[:10]),
                        target_val=(xv, yv), source_classes=(0, 1, 2), target_classes=(0, 1, 2))


@pytest.mark.filterwarnings("ignore:The source model does not clearly beat")
def test_pretrain_caches_atomically_and_reloads(fashion, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KERAS_TL_CACHE", str(tmp_path))
    task = _tiny_task(fashion)
    first = pretrain_source_model(task, epochs=1, seed=3, verbose=0)
    files = sorted(p.name for p in tmp_path.iterdir())
    assert len(files) == 2 and files[0].endswith(".json") and files[1].endswith(".keras")
    assert not any(name.startswith(".tmp") for name in files)
    second = pretrain_source_model(task, epochs=1, seed=3)
    assert "loaded from cache" in capsys.readouterr().out
    x = task.source_test[0][:16]
    np.testing.assert_allclose(first.predict(x, verbose=0), second.predict(x, verbose=0), rtol=1e-6)
    # other settings: another cache entry
    pretrain_source_model(task, epochs=1, seed=4, verbose=0)
    assert len(list(tmp_path.glob("*.keras"))) == 2


def test_pretrain_warns_when_the_baseline_is_not_beaten(fashion, tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_TL_CACHE", str(tmp_path))
    task = _tiny_task(fashion)
    rng = np.random.default_rng(0)
    shuffled = (task.source[0], rng.permutation(task.source[1]))  # labels carry no signal
    task.source, task.source_test = shuffled, (task.source_test[0], rng.permutation(task.source_test[1]))
    with pytest.warns(UserWarning, match="does not clearly beat the naive baseline"):
        pretrain_source_model(task, epochs=1, cache=False, verbose=0)
    assert list(tmp_path.iterdir()) == []  # cache=False writes nothing


def test_pretrain_rejects_bad_settings(fashion):
    with pytest.raises(ValueError, match="epochs=0"):
        pretrain_source_model(_tiny_task(fashion), epochs=0)
    with pytest.raises(ValueError, match="learning_rate=0"):
        pretrain_source_model(_tiny_task(fashion), learning_rate=0)


def test_default_source_model_clearly_beats_the_naive_baseline():
    task = keras_tl.transfer_task()
    model = keras_tl.pretrain_source_model(task)
    _, accuracy = model.evaluate(*task.source_test, verbose=0)
    baseline = majority_baseline(task.source[1], task.source_test[1])
    assert baseline == pytest.approx(0.2)
    assert accuracy > baseline + 0.5, (accuracy, baseline)
