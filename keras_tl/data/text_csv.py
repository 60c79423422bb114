"""Your own labelled texts: a CSV file read into train/test splits (:func:`text_csv`).
"""


from __future__ import annotations

import os
from pathlib import Path

import numpy as np

__all__ = ["text_csv"]


# --------------------------------------------------------------------------- #
# Text: a CSV of your own
# --------------------------------------------------------------------------- #
def text_csv(
    path: str | os.PathLike,
    text_column: str,
    label_column: str,
    test_size: float | None = None,
    seed: int = 0,
    encoding: str = "utf-8",
) -> tuple:
    """Load texts and labels from a CSV of your own: ``(texts, y, class_names)``, or split into train and test.

    The CSV needs a header row; ``text_column`` and ``label_column`` name the two columns used
    (others are ignored). Labels may be strings (``"pos"``/``"neg"``) or integers; either way they
    are mapped to ``0..k-1`` in sorted order (integers numerically), and ``class_names`` says which
    is which (``class_names[y[i]]`` is row ``i``'s original label, as a string). With
    ``test_size`` (a fraction in (0, 1)) the rows are split, stratified by label and seeded:
    ``(x_train, y_train), (x_test, y_test), class_names``. Texts are lists of ``str``.

    Errors (``ValueError``) name what is wrong: a missing column (listing the columns found), an
    empty text or label (its row number, counting the header as row 1), fewer than 2 labels, or a
    class too small for ``test_size``; a missing file raises ``FileNotFoundError``.

    Example:
        >>> import tempfile
        >>> csv_path = Path(tempfile.mkdtemp()) / "mine.csv"
        >>> _ = csv_path.write_text("sentence,mood\\nGreat fun,happy\\nSo dull,sad\\nLoved it,happy\\n")
        >>> texts, y, class_names = text_csv(csv_path, "sentence", "mood")
        >>> texts[1], y.tolist(), class_names
        ('So dull', [0, 1, 0], ['happy', 'sad'])
    """
    import csv

    found = Path(path).expanduser()
    if not found.is_file():
        raise FileNotFoundError(f"CSV file {str(found)!r} not found (working directory: {os.getcwd()}).")
    if test_size is not None and not (isinstance(test_size, (float, int)) and 0 < test_size < 1):
        raise ValueError(f"test_size={test_size!r} is not allowed: give None or a fraction in (0, 1), e.g. 0.25.")
    texts: list[str] = []
    raw: list[str] = []
    with open(found, newline="", encoding=encoding) as fh:
        reader = csv.DictReader(fh)
        columns = list(reader.fieldnames or [])
        for name, what in ((text_column, "text_column"), (label_column, "label_column")):
            if name not in columns:
                raise ValueError(f"{what}={name!r} is not a column of {found.name}; columns found: {columns}.")
        for row_number, row in enumerate(reader, start=2):
            text, label = row.get(text_column), row.get(label_column)
            if text is None or not text.strip():
                raise ValueError(f"{found.name} row {row_number}: the text ({text_column!r}) is empty; "
                                 "allowed: a non-empty text in every row (remove or fill the row).")
            if label is None or not label.strip():
                raise ValueError(f"{found.name} row {row_number}: the label ({label_column!r}) is empty; "
                                 "allowed: a label in every row.")
            texts.append(text)
            raw.append(label.strip())
    if not texts:
        raise ValueError(f"{found.name} has a header but no rows; allowed: at least 2 rows with 2 different labels.")
    if all(r.lstrip("-").isdigit() for r in raw):
        values = sorted({int(r) for r in raw})
        index = {v: i for i, v in enumerate(values)}
        y = np.asarray([index[int(r)] for r in raw], np.int64)
        class_names = [str(v) for v in values]
    else:
        class_names = sorted(set(raw))
        index = {v: i for i, v in enumerate(class_names)}
        y = np.asarray([index[r] for r in raw], np.int64)
    if len(class_names) < 2:
        raise ValueError(f"{found.name} column {label_column!r} holds one label only ({class_names[0]!r}); "
                         "a classifier needs at least 2 different labels.")
    if test_size is None:
        return texts, y, class_names
    counts = np.bincount(y, minlength=len(class_names))
    small = {class_names[c]: int(n) for c, n in enumerate(counts) if n < 2}
    if small:
        raise ValueError(f"Label(s) {small} (rows per label) have fewer than the 2 rows test_size needs "
                         "(1 to train on, 1 to test); add rows or pass test_size=None.")
    rng = np.random.default_rng(seed)
    test_idx = []
    for c in range(len(class_names)):
        rows = rng.permutation(np.flatnonzero(y == c))
        test_idx += rows[: min(len(rows) - 1, max(1, int(round(test_size * len(rows)))))].tolist()
    is_test = np.zeros(len(y), bool)
    is_test[test_idx] = True
    pick = lambda mask: ([texts[i] for i in np.flatnonzero(mask)], y[mask])  # noqa: E731
    return pick(~is_test), pick(is_test), class_names

# --------------------------------------------------------------------------- #
