"""Texts into a BERT classifier: a sequence length chosen from the data, and shuffled training batches.

Two things a text ``fit`` gets wrong by default:

* **Sequence length.** A BERT preprocessor pads every text to
  ``sequence_length`` tokens, and the encoder's cost grows with it (attention
  more than linearly). The human-rated movie-review snippets have 26 word
  pieces at the median and 54 at the 99th percentile, so the usual 128 pads
  most of every batch. :func:`suggest_sequence_length` reads the length off the
  texts themselves (a percentile of their token counts, [CLS] and [SEP]
  included), rounded up to a multiple of 8.
* **Shuffling.** A KerasHub task (``keras_hub.models.TextClassifier`` and
  :class:`keras_tl.text.BertPoolingClassifier`) turns strings into a
  ``tf.data`` pipeline *in file order* and hands that to ``keras.Model.fit``,
  which then warns ``shuffle=True was passed, but will be ignored``: the
  batches were never shuffled. :func:`shuffled_batches` builds the dataset with
  a shuffle that is redrawn every epoch (seeded by ``keras.utils.set_random_seed``
  or ``seed``); ``BertPoolingClassifier.fit`` uses it, so its ``shuffle=True``
  (the default) does what it says and no warning is printed.

Example:
    >>> class Words:                                  # any callable: text -> token ids
    ...     def __call__(self, texts):
    ...         return [t.split() for t in texts]
    >>> suggest_sequence_length(["a b c", "a b c d e f g h i j"], Words(), percentile=50)
    16
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

__all__ = ["shuffled_batches", "suggest_sequence_length", "token_lengths"]

_SPECIAL_TOKENS = 2  # [CLS] and [SEP]


def _tokenizer_of(tokenizer: Any) -> Any:
    """The tokenizer itself when given a KerasHub preprocessor (which holds one as ``.tokenizer``)."""
    inner = getattr(tokenizer, "tokenizer", None)
    tok = inner if inner is not None else tokenizer
    if not callable(tok):
        raise ValueError(
            f"tokenizer={tokenizer!r:.80} is not allowed: give a KerasHub tokenizer or preprocessor "
            "(e.g. the preprocessor of keras_tl.text.load_minilm()), or any callable from texts to token lists."
        )
    return tok


def _strings(texts: Sequence[str]) -> list[str]:
    if isinstance(texts, (str, bytes)):
        raise ValueError(f"texts={texts!r:.60} is a single string; give a list of strings (e.g. [text]).")
    items = [str(t) if isinstance(t, np.str_) else t for t in texts]
    bad = [i for i, t in enumerate(items) if not isinstance(t, str)]
    if bad:
        raise ValueError(f"texts[{bad[0]}]={items[bad[0]]!r:.60} is a {type(items[bad[0]]).__name__}; every item must be a str.")
    if not items:
        raise ValueError("texts is empty; give at least one string.")
    return items


def token_lengths(texts: Sequence[str], tokenizer: Any) -> np.ndarray:
    """Word pieces per text, [CLS] and [SEP] included (no truncation): the length each text needs.

    ``tokenizer`` is a KerasHub tokenizer or preprocessor (its ``.tokenizer``
    is used), or any callable that turns a list of strings into token lists.

    Example:
        >>> token_lengths(["one two", "three"], lambda texts: [t.split() for t in texts]).tolist()
        [4, 3]
    """
    items = _strings(texts)
    tok = _tokenizer_of(tokenizer)
    out = []
    for start in range(0, len(items), 1024):
        tokens = tok(items[start:start + 1024])
        if hasattr(tokens, "to_list"):  # a tf.RaggedTensor
            tokens = tokens.to_list()
        out.extend(len(np.asarray(t).reshape(-1)) for t in tokens)
    return np.asarray(out, dtype=np.int64) + _SPECIAL_TOKENS


def suggest_sequence_length(
    texts: Sequence[str], tokenizer: Any, percentile: float = 99.0, multiple: int = 8, maximum: int = 512,
) -> int:
    """A ``sequence_length`` read off the texts: the ``percentile`` of their token counts, rounded up.

    The count includes [CLS] and [SEP]; the result is rounded up to a
    ``multiple`` of 8 (friendlier to the matrix kernels) and capped at
    ``maximum`` (512 for BERT). With the default 99th percentile, about 1 text
    in 100 is truncated. Why it matters: the encoder pays for padding as for words. On
    2 busy CPU cores the frozen MiniLM encoded 500 movie-review snippets in
    23 s at 56 tokens (this function's choice for them) and in 86 s at
    KerasHub's default 128, 3.7x (``benchmarks/text_timings.py``).

    Example:
        >>> suggest_sequence_length(["short one", "a much longer text than the other one"],
        ...                         lambda texts: [t.split() for t in texts], percentile=100)
        16
    """
    if isinstance(percentile, bool) or not isinstance(percentile, (int, float)) or not 0 < percentile <= 100:
        raise ValueError(f"percentile={percentile!r} is not allowed: give a number in (0, 100], e.g. 99.")
    for name, value in (("multiple", multiple), ("maximum", maximum)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name}={value!r} is not allowed: give a whole number >= 1.")
    lengths = token_lengths(texts, tokenizer)
    need = int(np.ceil(np.percentile(lengths, percentile)))
    return int(min(maximum, max(multiple, -(-need // multiple) * multiple)))


def shuffled_batches(
    x: Any, y: Any = None, sample_weight: Any = None, batch_size: int | None = None, seed: int | None = None,
):
    """A ``tf.data`` dataset of ``(x, y[, sample_weight])`` batches, reshuffled every epoch.

    Strings (a list or ``object`` array, as :func:`keras_tl.text.check_texts`
    returns) are fed as ``tf.string``. ``seed=None`` draws the order from
    TensorFlow's global seed (``keras.utils.set_random_seed``), so a seeded
    run repeats. The batch size defaults to 32, as in ``fit``.

    Example:
        >>> ds = shuffled_batches(["a", "b", "c", "d"], np.arange(4), batch_size=2, seed=0)
        >>> sorted(int(v) for _, yb in ds for v in yb.numpy())
        [0, 1, 2, 3]
    """
    import tensorflow as tf  # noqa: PLC0415 - text needs the TensorFlow data pipeline only here

    if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1):
        raise ValueError(f"batch_size={batch_size!r} is not allowed: give a whole number >= 1 (or None for 32).")

    def as_slices(value):
        if isinstance(value, (list, tuple)) and value and isinstance(value[0], str):
            return list(value)
        if isinstance(value, np.ndarray) and value.dtype == object:
            return value.astype(str).tolist()
        return value

    parts = tuple(as_slices(v) for v in (x, y, sample_weight) if v is not None)
    n = len(parts[0])
    ds = tf.data.Dataset.from_tensor_slices(parts if len(parts) > 1 else parts[0])
    ds = ds.shuffle(n, seed=seed, reshuffle_each_iteration=True)
    return ds.batch(batch_size or 32)

def _check_sequence_length(sequence_length: int) -> int:
    if not isinstance(sequence_length, (int, np.integer)) or not 3 <= sequence_length <= 512:
        raise ValueError(f"sequence_length={sequence_length!r} is not allowed: give an int in 3..512.")
    return int(sequence_length)
