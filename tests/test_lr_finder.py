"""The learning-rate range test (keras_tl.diagnose.lr_finder): the model left exactly as it was, the suggestion rule."""

import keras
import numpy as np
import pytest

import keras_tl
from keras_tl import add_head, build_source_cnn, feature_extractor, fine_tune, lr_find
from keras_tl.diagnose.lr_finder import LRFinderResult, LRRangeCallback, _suggest


def _data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    x = rng.uniform(0, 60, (n, 28, 28)).astype("float32")
    x[np.arange(n), y * 8 + 2, :] += 180  # a bright row per class: learnable
    return x, y


def _model(seed=0, trainable=True, fit=True):
    keras.utils.set_random_seed(seed)
    base = feature_extractor(build_source_cnn(filters=(4, 8), units=8), "flatten", trainable=trainable)
    model = add_head(base, 3, dropout=0.2)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
    if fit:  # the optimizer has state (iterations, moments) worth keeping
        model.fit(*_data(16, seed=1), epochs=1, batch_size=8, verbose=0)
    return model


def _state(model):
    return [np.array(v) for v in model.variables], [np.array(v) for v in model.optimizer.variables]


def _assert_same(a, b):
    assert len(a[0]) == len(b[0]) and all(np.array_equal(u, v) for u, v in zip(a[0], b[0])), "weights changed"
    assert len(a[1]) == len(b[1]) and all(np.array_equal(u, v) for u, v in zip(a[1], b[1])), "optimizer variables changed"


def test_model_and_optimizer_left_exactly_as_they_were_and_fit_is_unchanged():
    model, twin = _model(), _model()
    before = _state(model)
    result = lr_find(model, *_data(), num_steps=20, batch_size=16, end_lr=1.0)
    assert len(result.lrs) >= 5 and np.isfinite(result.losses[:5]).all()
    after = _state(model)
    _assert_same(before, after)  # weights bit-identical (BN statistics, seed states), optimizer iterations/slots/lr
    assert model.optimizer.variables[0].path.endswith("iteration") and after[1][0] == 2 and np.isclose(float(model.optimizer.learning_rate), 1e-3)
    _assert_same(after, _state(twin))
    for m in (model, twin):
        keras.utils.set_random_seed(5)
        m.fit(*_data(32, seed=2), epochs=2, batch_size=8, verbose=0, shuffle=False)
    _assert_same(_state(model), _state(twin))  # a following fit gives the same result as without lr_find


def test_restored_when_interrupted(monkeypatch):
    model = _model()
    before = _state(model)
    calls = []

    def boom(self, batch, logs=None):
        calls.append(batch)
        if len(calls) == 3:
            raise RuntimeError("interrupted")

    monkeypatch.setattr(LRRangeCallback, "on_train_batch_end", boom)
    with pytest.raises(RuntimeError, match="interrupted"):
        lr_find(model, *_data(), num_steps=10, batch_size=16)
    _assert_same(before, _state(model))


def test_frozen_base_runs_and_suggests_a_rate_where_the_loss_falls():
    model = _model(trainable=False, fit=False)
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss="sparse_categorical_crossentropy")
    assert not model.get_layer("source_cnn_base").trainable_weights
    before = _state(model)
    result = lr_find(model, *_data(128), num_steps=40, batch_size=16, start_lr=1e-4, end_lr=1e3)
    _assert_same(before, _state(model))
    assert 1e-4 < result.suggestion < result.lrs[-1] and result.suggestion == result.steepest
    assert np.isclose(result.min_div_10, result.lrs[result.best_index] / 10)
    assert result.smoothed.min() < result.smoothed[0]
    assert "steepest" in result.rule and "minimum / 10" in result.rule


def test_stops_when_the_loss_diverges():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse")  # unbounded loss: plain SGD blows up
    x = np.random.default_rng(0).normal(size=(128, 4)).astype("float32")
    result = lr_find(model, x, x @ np.array([1.0, -2.0, 0.5, 3.0]), num_steps=50, start_lr=1e-4, end_lr=1e3)
    assert result.diverged and len(result.lrs) < 50
    assert not np.isfinite(result.smoothed[-1]) or result.smoothed[-1] > 4.0 * result.smoothed.min()
    assert result.suggestion < result.lrs[-1]


def test_works_when_fine_tuning_and_suggests_a_rate_that_trains():
    x, y = _data(128)
    model = fine_tune(_model(trainable=False), layers="all", learning_rate=1e-3)
    result = lr_find(model, x, y, num_steps=40, batch_size=16, start_lr=1e-6, end_lr=10.0)
    assert 1e-6 < result.suggestion < 10.0
    # the smoothed loss at the suggestion is falling: lower than where the test started
    i = int(np.argmin(np.abs(result.lrs - result.suggestion)))
    assert result.smoothed[i] < result.smoothed[0]


def test_dataset_of_batches():
    tf = pytest.importorskip("tensorflow")
    x, y = _data(64)
    model = _model()
    before = _state(model)
    ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(16)  # 4 batches, repeated as needed
    result = lr_find(model, ds, num_steps=12, end_lr=1.0)
    assert len(result.lrs) == 12 and result.lrs[0] == 1e-7
    _assert_same(before, _state(model))
    with pytest.raises(ValueError, match="pass y=None"):
        lr_find(model, ds, y, num_steps=12)


def test_learning_rates_grow_exponentially_per_batch():
    model = _model()
    seen = []
    original = LRRangeCallback.on_train_batch_end

    def spy(self, batch, logs=None):
        seen.append(float(self.model.optimizer.learning_rate))
        original(self, batch, logs)

    LRRangeCallback.on_train_batch_end = spy
    try:
        result = lr_find(model, *_data(), num_steps=6, batch_size=16, start_lr=1e-4, end_lr=1e-1, diverge=1e9)
    finally:
        LRRangeCallback.on_train_batch_end = original
    assert np.allclose(seen, np.geomspace(1e-4, 1e-1, 6), rtol=1e-5)
    assert np.allclose(result.lrs, seen, rtol=1e-5)


@pytest.mark.backend_free  # numpy on a given curve
def test_suggestion_rule_on_a_known_curve():
    lrs = np.geomspace(1e-6, 1, 61)
    t = np.log10(lrs)
    smoothed = 2.0 - np.tanh(2 * (t + 3)) + np.where(t > -1, 40 * (t + 1) ** 2, 0)  # steepest at 1e-3
    steepest, min_div_10, best, rule, suggestion, method = _suggest(lrs, smoothed)
    assert np.isclose(steepest, 1e-3, rtol=0.05) and suggestion == steepest and method == "steepest"
    assert np.isclose(min_div_10, lrs[best] / 10) and -1.5 < np.log10(lrs[best]) < -0.5
    rising = _suggest(lrs[:10], np.linspace(1, 2, 10))  # rising from the start: no slope to read
    assert rising[4] == 1e-7 and rising[5] == "too early" and "too early" in rising[3]


def _ema(losses, beta=0.98):
    avg, out = 0.0, []
    for n, loss in enumerate(losses, start=1):
        avg = beta * avg + (1 - beta) * loss
        out.append(avg / (1 - beta**n))
    return np.array(out)


@pytest.mark.backend_free  # numpy on a given curve
def test_flat_then_rising_loss_suggests_a_tenth_of_the_edge_not_the_start():
    """Issue 24: before fine-tuning MobileNetV2 on elpv (a head that already fits), lr_find suggested 1.0e-08.

    The loss is flat within batch noise, then rises: the smoothed minimum is a lucky batch in the first
    steps, and both old readings (steepest, minimum / 10) landed at or below start_lr. The measured
    curve's shape: noise 0.1 around 0.33 up to ~5e-5, then rising.
    """
    lrs = np.geomspace(1e-7, 1e-2, 70)
    rng = np.random.default_rng(3)
    trend = 0.33 + np.where(lrs > 5e-5, 0.25 * np.log10(lrs / 5e-5) ** 2, 0.0)
    losses = trend + rng.normal(0, 0.1, len(lrs)) * (1 + (lrs > 5e-5))
    old_best = int(np.argmin(_ema(losses)))
    steepest, min_div_10, best, rule, suggestion, method = _suggest(lrs, _ema(losses), losses)
    assert lrs[old_best] / 10 < 1e-6  # the old rule: a tenth of a minimum among the first, noisy steps
    assert method == "edge / 10" and "flat within batch noise" in rule
    assert 5e-6 / 3 < suggestion < 5e-6 * 3  # a tenth of where the loss starts to rise (5e-5), within the noise


@pytest.mark.backend_free  # numpy on a given curve
def test_a_loss_that_never_moves_is_called_flat():
    lrs = np.geomspace(1e-7, 1e-3, 30)
    losses = np.full(30, 0.3076378703) + np.arange(30) * 1e-14
    result = _suggest(lrs, _ema(losses), losses)
    assert result[5] == "flat" and "nothing may be training" in result[3] and np.isclose(result[4], 1e-4)


def test_fine_tuning_a_head_that_fits_gets_a_rate_above_start_lr():
    """The old failure on a small case: a converged model, then fine_tune, then lr_find from 1e-7."""
    x, y = _data(96)
    model = _model(trainable=False, fit=False)
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=40, batch_size=16, verbose=0)
    model = fine_tune(model, layers="all")
    result = lr_find(model, x, y, num_steps=60, batch_size=16, start_lr=1e-7, end_lr=10.0)
    assert result.suggestion > 1e-6, result.rule
    assert result.method in ("steepest", "edge / 10")


@pytest.mark.backend_free  # matplotlib on a given result
def test_plot_of_a_flat_loss_has_plain_tick_labels():
    """Issue 24: the y-axis read `1e-13+3.076378703e-1` (an offset formatter on a flat loss)."""
    lrs = np.geomspace(1e-7, 1e-3, 30)
    flat = np.full(30, 0.3076378703) + np.arange(30) * 1e-14
    r = LRFinderResult(lrs, flat, flat, 1e-8, 1e-8, "rule", False, 1e-7, 1e-3, best_index=0, suggested=1e-4,
                       method="flat")
    fig = r.plot()
    fig.canvas.draw()
    axis = fig.axes[0].yaxis
    assert axis.get_major_formatter().get_offset() == ""
    labels = [t.get_text() for t in axis.get_ticklabels() if t.get_text()]
    assert labels and not any("e" in t for t in labels), labels
    low, high = fig.axes[0].get_ylim()
    assert high - low > 0.01  # a readable span, not 1e-12


@pytest.mark.backend_free  # matplotlib; the finder's run is tested above
def test_plot_marks_the_suggestions():
    model = _model()
    result = lr_find(model, *_data(), num_steps=10, batch_size=16)
    fig = result.plot()
    labels = [line.get_label() for line in fig.axes[0].lines]
    assert any(lbl.startswith(f"{result.method} (suggestion)") for lbl in labels)
    assert any(lbl.startswith("steepest") for lbl in labels)
    assert any(lbl.startswith("minimum / 10") for lbl in labels)
    assert fig.axes[0].get_xscale() == "log"
    assert isinstance(result, LRFinderResult) and "suggestion" in repr(result)


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        (dict(start_lr=1.0, end_lr=0.1), "start_lr must be below end_lr"),
        (dict(start_lr=0.0), "start_lr=0.0 is not allowed"),
        (dict(end_lr=-1.0), "end_lr=-1.0 is not allowed"),
        (dict(num_steps=4), "num_steps=4 is not allowed"),
        (dict(beta=1.0), "beta=1.0 is not allowed"),
        (dict(diverge=1.0), "diverge=1.0 is not allowed"),
        (dict(batch_size=0), "batch_size=0 is not allowed"),
    ],
)
def test_bad_arguments_leave_the_model_unchanged(kwargs, fragment):
    model = _model(fit=False)
    before = _state(model)
    with pytest.raises(ValueError, match=fragment.replace("(", r"\(")):
        lr_find(model, *_data(16), **kwargs)
    _assert_same(before, _state(model))


def test_uncompiled_model_and_schedule_refused():
    keras.utils.set_random_seed(0)
    model = add_head(feature_extractor(build_source_cnn(filters=(4, 8), units=8), "flatten"), 3)
    weights = [np.array(v) for v in model.variables]
    with pytest.raises(ValueError, match="is not compiled"):
        lr_find(model, *_data(16))
    assert all(np.array_equal(a, np.array(b)) for a, b in zip(weights, model.variables))
    schedule = keras.optimizers.schedules.ExponentialDecay(1e-3, 10, 0.9)
    model.compile(optimizer=keras.optimizers.Adam(schedule), loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match="compile with a float learning rate"):
        lr_find(model, *_data(16))
    with pytest.raises(ValueError, match="different lengths"):
        lr_find(_model(fit=False), *_data(16)[:1], np.zeros(3, int))


def test_public():
    assert keras_tl.lr_find is lr_find and "lr_find" in keras_tl.__all__ and "LRFinderResult" in keras_tl.__all__
