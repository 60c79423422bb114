"""Similarity and transferability metrics: known answers, orderings, and bad input."""

import numpy as np
import pytest

from keras_tl.measure.distances import coral_distance, jensen_shannon, mmd
from keras_tl.measure.similarity import similarity
from keras_tl.measure.transferability import _log_evidence, leep, logme


@pytest.fixture(scope="module")
def gauss():
    return np.random.default_rng(0).normal(size=(400, 6))


# --------------------------------------------------------------------------- #
# Known answers
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("metric", [jensen_shannon, mmd, coral_distance])
def test_identical_samples_have_zero_distance(metric, gauss):
    assert metric(gauss, gauss) == 0.0


def test_js_grows_with_the_shift_and_stays_in_unit_interval(gauss):
    values = [jensen_shannon(gauss, gauss + shift) for shift in (0.0, 0.2, 0.5, 1.0, 2.0, 5.0)]
    assert values[0] == 0.0
    assert all(a < b for a, b in zip(values, values[1:])), values
    assert 0.0 <= min(values) and max(values) <= 1.0


def test_js_of_disjoint_samples_is_close_to_one(gauss):
    assert jensen_shannon(gauss, gauss + 100.0) > 0.95


def test_js_of_two_samples_of_one_distribution_is_small(gauss):
    other = np.random.default_rng(1).normal(size=gauss.shape)
    assert jensen_shannon(gauss, other) < 0.1 < jensen_shannon(gauss, other + 1.0)


def test_mmd_grows_with_the_shift(gauss):
    values = [mmd(gauss, gauss + shift) for shift in (0.0, 0.3, 1.0, 3.0)]
    assert values[0] == 0.0 and all(a < b for a, b in zip(values, values[1:])), values


def test_coral_distance_has_the_closed_form_value():
    x = np.random.default_rng(0).normal(size=(1000, 1))
    var = np.var(x, ddof=1)
    # Cov(2x) = 4 var, so ||C_s - C_t||^2 / (4 d^2) = (3 var)^2 / 4 for d = 1.
    assert coral_distance(x, 2 * x) == pytest.approx(9 * var**2 / 4)


def test_coral_ignores_a_mean_shift_that_js_sees(gauss):
    assert coral_distance(gauss, gauss + 3.0) == pytest.approx(0.0, abs=1e-12)
    assert jensen_shannon(gauss, gauss + 3.0) > 0.5


def test_logme_prefers_informative_features():
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(3), 100)
    good = rng.normal(size=(300, 8)) + 2.0 * np.eye(3, 8)[y]
    assert logme(good, y) > logme(rng.normal(size=(300, 8)), y)
    assert logme(good, y) > logme(good, rng.permutation(y))
    assert logme(good, y) == logme(good, y)  # deterministic


def test_logme_handles_more_features_than_samples():
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], 15)
    f = rng.normal(size=(30, 200)) + 3.0 * y[:, None]
    assert np.isfinite(logme(f, y))


@pytest.mark.parametrize("shape", [(300, 40), (40, 300)])
def test_logme_equals_the_plain_svd_formulation(shape):
    rng = np.random.default_rng(0)
    f, y = rng.normal(size=shape), np.arange(shape[0]) % 3
    u, s, _ = np.linalg.svd(f, full_matrices=False)
    reference = []
    for c in range(3):
        t = (y == c).astype(float)
        z = u.T @ t
        reference.append(_log_evidence(s, z, max(t @ t - z @ z, 0.0), *shape))
    assert logme(f, y) == pytest.approx(np.mean(reference), rel=1e-9)


def test_leep_is_zero_for_a_perfect_one_to_one_source_and_log_prior_for_a_flat_one():
    y = np.array([0, 1, 1, 0, 1, 1])
    assert leep(np.eye(2)[y], y) == pytest.approx(0.0, abs=1e-9)
    flat = np.full((6, 3), 1 / 3)
    prior = np.bincount(y) / len(y)
    assert leep(flat, y) == pytest.approx(np.mean(np.log(prior[y])))


# --------------------------------------------------------------------------- #
# The report, on real data through the source CNN
# --------------------------------------------------------------------------- #
def test_similarity_report_on_features(gauss):
    report = similarity(gauss, gauss + 0.05)
    assert report.score == pytest.approx(1 - report.js)
    assert report.logme is None and report.transferability_gain is None
    assert "Jensen-Shannon" in str(report) and "| measure |" in report._repr_markdown_()


def test_similarity_through_a_backbone_ranks_same_domain_above_other_domain(fashion, digits_data):
    from keras_tl import build_source_cnn, feature_extractor

    (x, y), _ = fashion
    (xd, yd), _ = digits_data
    base = feature_extractor(build_source_cnn(), "block1_pool")
    same = similarity(x[:300], x[300:600], backbone=base, max_samples=300)
    other = similarity(x[:300], xd[:300], backbone=base, target_labels=yd[:300], max_samples=300)
    assert same.score > other.score
    assert same.dim == 32 and other.n_target == 300
    assert other.logme is not None and other.logme_random is not None


# --------------------------------------------------------------------------- #
# Bad input
# --------------------------------------------------------------------------- #
def test_different_widths_are_rejected(gauss):
    with pytest.raises(ValueError, match="different widths: 6 and 5"):
        jensen_shannon(gauss, gauss[:, :5])


def test_too_few_samples_are_rejected(gauss):
    with pytest.raises(ValueError, match="too few to measure; allowed: at least 20"):
        mmd(gauss[:5], gauss)


@pytest.mark.parametrize(
    "source, match",
    [
        (np.zeros(100), "2-D array of features"),
        (np.full((50, 6), np.nan), "NaN or infinite"),
    ],
)
def test_bad_feature_arrays_are_rejected(source, match, gauss):
    with pytest.raises(ValueError, match=match):
        coral_distance(source, gauss)


def test_bad_labels_are_rejected(gauss):
    with pytest.raises(ValueError, match="one label per sample"):
        logme(gauss, np.zeros(10))
    with pytest.raises(ValueError, match="fewer than 2 classes"):
        logme(gauss, np.zeros(len(gauss)))
    with pytest.raises(ValueError, match="probabilities"):
        leep(gauss[:, :2], np.arange(len(gauss)) % 2)


def test_images_without_a_backbone_are_rejected():
    images = np.zeros((30, 28, 28))
    with pytest.raises(ValueError, match="Pass images together with a backbone"):
        similarity(images, images)
