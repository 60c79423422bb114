"""keras_tl.transfer.ensembles: soft and hard voting, the class check, one API for image and text models."""

import keras
import numpy as np
import pytest

from keras_tl.transfer.ensembles import Vote, accuracy, average_predictions, ensemble_model, member_accuracies

A = np.array([[0.9, 0.1, 0.0], [0.2, 0.5, 0.3], [0.1, 0.1, 0.8]])
B = np.array([[0.5, 0.4, 0.1], [0.1, 0.2, 0.7], [0.3, 0.3, 0.4]])
C = np.array([[0.2, 0.7, 0.1], [0.0, 0.6, 0.4], [0.6, 0.3, 0.1]])


def test_soft_and_hard_voting_on_arrays():
    np.testing.assert_allclose(average_predictions([A, B, C]), (A + B + C) / 3)
    hard = average_predictions([A, B, C], voting="hard")
    assert hard.argmax(1).tolist() == [0, 1, 2]          # majorities: 0 (A, B), 1 (A, C), 2 (A, B)
    np.testing.assert_allclose(hard.sum(1), 1.0, atol=2e-3)   # vote shares plus the tie-break term
    np.testing.assert_allclose(average_predictions([A, B], weights=[3, 1]), 0.75 * A + 0.25 * B)
    # A tie (one vote each) goes to the class with the higher average probability.
    tie = average_predictions([np.array([[0.55, 0.45]]), np.array([[0.1, 0.9]])], voting="hard")
    assert tie.argmax(1).tolist() == [1]


def test_member_accuracies_and_accuracy():
    y = np.array([0, 1, 2])
    assert member_accuracies([A, B, C], None, y) == [1.0, 2 / 3, 1 / 3]
    assert accuracy(average_predictions([A, B, C]), y) == 2 / 3      # soft: row 1 goes to class 2 (0.47 > 0.43)
    assert accuracy(average_predictions([A, B, C], voting="hard"), y) == 1.0
    with pytest.raises(ValueError, match="do not match 2 labels"):
        accuracy(A, y[:2])


def test_bad_members_and_arguments():
    with pytest.raises(ValueError, match=r"members\[0\] 3, members\[1\] 2"):
        average_predictions([A, np.ones((3, 2)) / 2])
    with pytest.raises(ValueError, match="different numbers of samples"):
        average_predictions([A, B[:2]])
    with pytest.raises(ValueError, match=r"members\[1\] gives predictions of shape \(3,\)"):
        average_predictions([A, np.array([0, 1, 2])])
    with pytest.raises(ValueError, match="voting='mean'"):
        average_predictions([A, B], voting="mean")
    with pytest.raises(ValueError, match="weights"):
        average_predictions([A, B], weights=[1, -1])
    with pytest.raises(ValueError, match="non-empty list"):
        average_predictions([])
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(3, activation="softmax")])
    with pytest.raises(ValueError, match=r"members\[1\] is a model, so x"):
        average_predictions([A, model])


def _cnn(seed, n_classes=10):
    keras.utils.set_random_seed(seed)
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        keras.layers.Rescaling(1 / 255),
        keras.layers.Conv2D(4, 3, activation="relu"),
        keras.layers.GlobalAveragePooling2D(),
        keras.layers.Dense(n_classes, activation="softmax"),
    ], name=f"cnn_{seed}")


@pytest.mark.parametrize("voting", ["soft", "hard"])
def test_ensemble_model_of_image_models(digits_data, voting, tmp_path):
    (x, y), _ = digits_data
    x = x[:64, ..., None].astype("float32")
    members = [_cnn(0), _cnn(1), _cnn(2)]
    trainable_before = [[lyr.trainable for lyr in m.layers] for m in members]
    ens = ensemble_model(members, voting=voting)
    assert isinstance(ens, keras.Model) and ens.output_shape == (None, 10)
    expected = average_predictions(members, x, voting=voting)
    got = ens.predict(x, verbose=0)
    np.testing.assert_array_equal(got.argmax(1), expected.argmax(1))
    if voting == "soft":
        np.testing.assert_allclose(got, expected, atol=1e-5)
    assert [[lyr.trainable for lyr in m.layers] for m in members] == trainable_before   # members untouched
    ens.save(tmp_path / "ens.keras")
    np.testing.assert_allclose(keras.models.load_model(tmp_path / "ens.keras").predict(x, verbose=0), got, atol=1e-6)


def test_ensemble_model_checks_members():
    with pytest.raises(ValueError, match=r"models\[1\] \('cnn_1'\) predicts 5 classes but models\[0\] predicts 10"):
        ensemble_model([_cnn(0), _cnn(1, n_classes=5)])
    other = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Flatten(), keras.layers.Dense(10)], name="small")
    with pytest.raises(ValueError, match=r"models\[1\] \('small'\) takes input"):
        ensemble_model([_cnn(0), other])
    with pytest.raises(ValueError, match="non-empty list of keras.Model"):
        ensemble_model([A])
    with pytest.raises(ValueError, match="voting='majority'"):
        ensemble_model([_cnn(0)], voting="majority")
    with pytest.raises(ValueError, match="voting='x'"):
        Vote("x")


def test_same_api_for_text_models(tiny_hub):
    pytest.importorskip("keras_hub", reason="the text extra (keras-hub) is not installed")
    from keras_tl.text.hub import HubEncoder, check_texts

    def text_model(seed):
        keras.utils.set_random_seed(seed)
        inputs = keras.Input(shape=(), dtype="string")
        features = HubEncoder(tiny_hub[0], preprocessor=tiny_hub[1], output="mean")(inputs)
        return keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(features), name=f"text_{seed}")

    x = check_texts(["good kettle", "bad kettle", "great shoe"])
    members = [text_model(0), text_model(1)]
    # A plain list of str works too (converted for Keras, which rejects numpy "<U" arrays).
    np.testing.assert_allclose(average_predictions(members, list(x)), average_predictions(members, x), atol=1e-6)
    ens = ensemble_model(members)
    np.testing.assert_allclose(ens.predict(x, verbose=0), average_predictions(members, x), atol=1e-6)
    # Models and precomputed probabilities mix.
    p0 = members[0].predict(x, verbose=0)
    np.testing.assert_allclose(average_predictions([p0, members[1]], x), average_predictions(members, x), atol=1e-6)
