import keras
import numpy as np
import pytest

import keras_tl
from keras_tl.transfer.adaptation import CORAL, DeepCORAL, DomainBatches, coral, coral_loss
from keras_tl.measure.distances import coral_distance


def correlated(n, d, seed, scale=1.0, shift=0.0):
    rng = np.random.default_rng(seed)
    mixing = rng.normal(size=(d, d)) * scale
    return rng.normal(size=(n, d)) @ mixing + shift


# --------------------------------------------------------------------------- #
# Closed-form CORAL
# --------------------------------------------------------------------------- #
def test_coral_makes_source_covariance_equal_target():
    source, target = correlated(2000, 6, seed=0), correlated(1500, 6, seed=1, scale=2.0, shift=3.0)
    assert not np.allclose(np.cov(source, rowvar=False), np.cov(target, rowvar=False), atol=0.5)
    aligned = coral(source, target, eps=1e-8)
    np.testing.assert_allclose(np.cov(aligned, rowvar=False), np.cov(target, rowvar=False), atol=1e-6, rtol=1e-6)


def test_coral_with_eps_matches_the_regularised_covariances():
    """With eps > 0 the whitening uses cov + eps I: the *regularised* covariance of the output is the target's."""
    source, target = correlated(1000, 4, seed=2), correlated(1000, 4, seed=3, scale=3.0)
    eps = 1.0
    aligner = CORAL(eps=eps).fit(source, target)
    m = aligner.matrix_
    c_s, c_t = np.cov(source, rowvar=False) + eps * np.eye(4), np.cov(target, rowvar=False) + eps * np.eye(4)
    np.testing.assert_allclose(m.T @ c_s @ m, c_t, atol=1e-8, rtol=1e-8)
    # The residual mismatch is eps * (I - M^T M): smaller than before, not zero.
    assert coral_distance(aligner.transform(source), target) < coral_distance(source, target)


def test_coral_match_mean_and_transform_new_rows():
    source, target = correlated(800, 3, seed=4), correlated(800, 3, seed=5, scale=0.5, shift=-7.0)
    aligner = CORAL(eps=1e-8, match_mean=True).fit(source, target)
    out = aligner.transform(source)
    np.testing.assert_allclose(out.mean(axis=0), target.mean(axis=0), atol=1e-8)
    np.testing.assert_allclose(np.cov(out, rowvar=False), np.cov(target, rowvar=False), atol=1e-6)
    assert aligner.transform(source[:5]).shape == (5, 3)
    # The paper's form keeps the mean: only the covariance moves.
    plain = coral(source, target, eps=1e-8)
    np.testing.assert_allclose(plain.mean(axis=0), source.mean(axis=0) @ CORAL(eps=1e-8).fit(source, target).matrix_)


def test_coral_identical_distributions_change_nothing():
    x = correlated(500, 5, seed=6)
    np.testing.assert_allclose(coral(x, x, eps=1.0), x, atol=1e-8)


# --------------------------------------------------------------------------- #
# coral_loss
# --------------------------------------------------------------------------- #
def test_coral_loss_zero_for_identical_and_grows_with_shift():
    x = correlated(400, 8, seed=7).astype("float32")
    assert float(coral_loss(x, x)) == 0.0
    losses = [float(coral_loss(x, x * s)) for s in (1.0, 1.5, 2.0, 3.0)]
    assert losses[0] == 0.0 and all(a < b for a, b in zip(losses, losses[1:])), losses


def test_coral_loss_equals_coral_distance():
    s, t = correlated(300, 5, seed=8), correlated(300, 5, seed=9, scale=2.0)
    assert float(coral_loss(s, t)) == pytest.approx(coral_distance(s, t), rel=1e-6)


def test_coral_loss_is_differentiable_in_a_model():
    """Gradient flows through the loss: a trainable scale learns to match the target covariance."""
    import tensorflow as tf

    x = correlated(256, 4, seed=10).astype("float32")
    scale = keras.Variable(1.0)
    target = 2.0 * x
    with tf.GradientTape() as tape:
        loss = coral_loss(scale * x, target)
    grad = tape.gradient(loss, scale.value)
    assert float(grad) < 0  # increasing the scale towards 2 lowers the loss


# --------------------------------------------------------------------------- #
# Deep CORAL
# --------------------------------------------------------------------------- #
def make_domains(seed=0, n=512, d=8):
    rng = np.random.default_rng(seed)
    xs = rng.normal(size=(n, d)).astype("float32")
    ys = (xs[:, 0] + xs[:, 1] > 0).astype("int32")
    stretch = np.diag(np.linspace(0.3, 3.0, d)).astype("float32")
    xt = (rng.normal(size=(n, d)) @ stretch + 1.0).astype("float32")
    return xs, ys, xt


def make_deep_coral(weight, d=8, seed=0):
    keras.utils.set_random_seed(seed)
    features = keras.Sequential([keras.Input((d,)), keras.layers.Dense(6, activation="tanh")], name="features")
    head = keras.Sequential([keras.Input((6,)), keras.layers.Dense(2, activation="softmax")], name="head")
    model = DeepCORAL(features, head, weight=weight)
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def test_deep_coral_reduces_feature_coral_distance_vs_weight_zero():
    xs, ys, xt = make_domains()
    distances = {}
    for weight in (0.0, 30.0):
        model = make_deep_coral(weight)
        history = model.fit(DomainBatches(xs, ys, xt, batch_size=64, seed=0), epochs=8, verbose=0)
        assert history.history["accuracy"][-1] > 0.85, (weight, history.history)
        fs = model.feature_model.predict(xs, verbose=0)
        ft = model.feature_model.predict(xt, verbose=0)
        distances[weight] = coral_distance(fs, ft)
    assert distances[30.0] < 0.5 * distances[0.0], distances  # measured: 0.0021 vs 0.0104


def test_deep_coral_loss_includes_the_coral_term():
    xs, ys, xt = make_domains()
    batch = DomainBatches(xs, ys, xt, batch_size=128)[0]
    plain, adapted = make_deep_coral(0.0), make_deep_coral(5.0)  # same seed: same initial weights
    adapted.set_weights(plain.get_weights())
    l0 = plain.evaluate(*batch, batch_size=128, verbose=0, return_dict=True)["loss"]
    l5 = adapted.evaluate(*batch, batch_size=128, verbose=0, return_dict=True)["loss"]
    (x_source, x_target), _ = batch
    expected = 5.0 * float(coral_loss(plain.feature_model(x_source), plain.feature_model(x_target)))
    assert l5 - l0 == pytest.approx(expected, rel=1e-3, abs=1e-6)


def test_deep_coral_saves_and_loads(tmp_path):
    xs, ys, xt = make_domains()
    model = make_deep_coral(2.0)
    model.fit(DomainBatches(xs, ys, xt, batch_size=64), epochs=1, verbose=0)
    path = tmp_path / "deep_coral.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert isinstance(loaded, DeepCORAL) and loaded.weight == 2.0
    np.testing.assert_allclose(loaded.predict(xt, verbose=0), model.predict(xt, verbose=0), atol=1e-6)
    loaded.fit(DomainBatches(xs, ys, xt, batch_size=64), epochs=1, verbose=0)  # still trains after loading


def test_reexported():
    assert keras_tl.DeepCORAL is DeepCORAL and keras_tl.coral is coral and keras_tl.coral_loss is coral_loss
    assert keras_tl.CORAL is CORAL and keras_tl.DomainBatches is DomainBatches


# --------------------------------------------------------------------------- #
# Bad input
# --------------------------------------------------------------------------- #
def test_bad_inputs():
    a, b = np.zeros((10, 3)), np.zeros((10, 4))
    with pytest.raises(ValueError, match="different widths: 3 and 4"):
        coral(a, b)
    with pytest.raises(ValueError, match="different widths: 3 and 4"):
        coral_loss(a.astype("float32"), b.astype("float32"))
    with pytest.raises(ValueError, match="target is empty"):
        coral(a, np.zeros((0, 3)))
    with pytest.raises(ValueError, match="empty batch"):
        coral_loss(a, np.zeros((0, 3)))
    with pytest.raises(ValueError, match="source has 1 sample.*at least 2"):
        coral(np.zeros((1, 3)), a)
    with pytest.raises(ValueError, match="batch size 1.*at least 2"):
        coral_loss(np.zeros((1, 3)), a)
    with pytest.raises(ValueError, match="eps=-1.*>= 0"):
        CORAL(eps=-1)
    with pytest.raises(ValueError, match="2-D"):
        coral(np.zeros(10), np.zeros(10))
    with pytest.raises(ValueError, match="not fitted"):
        CORAL().transform(a)
    with pytest.raises(ValueError, match=r"transform vs fit\) have different widths: 4 and 3"):
        CORAL().fit(a + np.eye(10, 3), a).transform(b)
    features = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    head = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2)])
    for bad in (-0.5, float("nan"), "1"):
        with pytest.raises(ValueError, match=r"weight=.*not allowed.*>= 0"):
            DeepCORAL(features, head, weight=bad)
    with pytest.raises(ValueError, match="x_target is empty"):
        DomainBatches(a, np.zeros(10), np.zeros((0, 3)), batch_size=4)
    with pytest.raises(ValueError, match="x_target has 1 sample"):
        DomainBatches(a, np.zeros(10), np.zeros((1, 3)), batch_size=4)
    with pytest.raises(ValueError, match="batch_size=1"):
        DomainBatches(a, np.zeros(10), a, batch_size=1)
    with pytest.raises(ValueError, match="different shapes"):
        DomainBatches(a, np.zeros(10), b, batch_size=4)
    with pytest.raises(ValueError, match="fewer than batch_size=32"):
        DomainBatches(a, np.zeros(10), a, batch_size=32)


# --------------------------------------------------------------------------- #
# adapt_batchnorm (AdaBN)
# --------------------------------------------------------------------------- #
def test_adapt_batchnorm_gives_a_frozen_base_the_target_statistics_and_nothing_else():
    base = keras_tl.feature_extractor(keras_tl.build_source_cnn(seed=0), "flatten")   # frozen
    model = keras_tl.add_head(base, n_classes=2, seed=0)
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 255, size=(64, 28, 28)).astype("float32")
    bns = [layer for layer in base.layers if isinstance(layer, keras.layers.BatchNormalization)]
    others = [w.numpy().copy() for w in model.weights if "moving" not in w.path]
    flags = [(layer.name, layer.trainable) for layer in base.layers]
    assert keras_tl.adapt_batchnorm(model, x, batch_size=16) is model
    # block1's BN input is the conv of the rescaled images: its statistics are now the target's
    conv = keras.Model(base.inputs, base.get_layer("block1_conv").output)
    z = conv.predict(x, verbose=0)
    np.testing.assert_allclose(bns[0].moving_mean.numpy(), z.mean(axis=(0, 1, 2)), atol=1e-4)
    np.testing.assert_allclose(bns[0].moving_variance.numpy(), z.var(axis=(0, 1, 2)), rtol=0.05, atol=1e-5)
    assert [w.numpy() for w in model.weights if "moving" not in w.path][0].tobytes() == others[0].tobytes()
    assert all(np.array_equal(a, w.numpy()) for a, w in zip(others, [w for w in model.weights if "moving" not in w.path]))
    assert [(layer.name, layer.trainable) for layer in base.layers] == flags
    assert all(layer.momentum == 0.9 for layer in bns)


def test_adapt_batchnorm_undoes_an_affine_shift_of_the_inputs():
    """Dense then BatchNorm: an affine change of the inputs (e.g. contrast) moves every unit by an affine map,
    which the re-estimated statistics undo exactly. (With zero-padded convolutions the border does not shift
    with the image, so there it is undone only in the image's interior.)"""
    keras.utils.set_random_seed(0)
    inputs = keras.Input((6,))
    model = keras.Model(inputs, keras.layers.BatchNormalization()(keras.layers.Dense(4)(inputs)))
    model.trainable = False
    x = np.random.default_rng(1).uniform(0, 255, size=(500, 6)).astype("float32")
    shifted = 128.0 + 0.15 * (x - 128.0)
    keras_tl.adapt_batchnorm(model, x)
    before = model.predict(x, verbose=0)
    assert np.abs(model.predict(shifted, verbose=0) - before).mean() > 0.3
    keras_tl.adapt_batchnorm(model, shifted, batch_size=500)
    np.testing.assert_allclose(model.predict(shifted, verbose=0), before, atol=0.01)   # up to BN epsilon


def test_adapt_batchnorm_restores_the_statistics_on_error():
    inputs = keras.Input((3,))
    model = keras.Model(inputs, keras.layers.BatchNormalization()(inputs))
    bn = model.layers[-1]
    with pytest.raises(Exception):
        keras_tl.adapt_batchnorm(model, np.ones((4, 5), "float32"))   # wrong width: the pass fails
    np.testing.assert_array_equal(bn.moving_mean.numpy(), np.zeros(3))
    assert bn.momentum == 0.99


def test_score_with_own_statistics_logs_the_score_after_adabn():
    rng = np.random.default_rng(0)
    x = rng.normal(4.0, 3.0, (96, 6)).astype("float32")      # far from BatchNorm's initial statistics (0, 1)
    y = (x[:, 0] > 4.0).astype("int64")
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((6,)), keras.layers.BatchNormalization(name="bn"),
                              keras.layers.Dense(2, activation="softmax")])
    model.compile(keras.optimizers.Adam(1e-2), "sparse_categorical_crossentropy", metrics=["accuracy"])
    log = model.fit(x, y, epochs=2, batch_size=32, verbose=0, validation_data=(x, y),
                    callbacks=[keras_tl.ScoreWithOwnStatistics(x, (x, y))])
    bn = model.get_layer("bn")
    np.testing.assert_allclose(bn.moving_mean.numpy(), x.mean(0), rtol=1e-4, atol=1e-4)   # re-estimated on x
    loss, acc = model.evaluate(x, y, verbose=0)
    assert log.history["val_accuracy"][-1] == pytest.approx(acc)
    assert log.history["val_loss"][-1] == pytest.approx(loss, rel=1e-5)
