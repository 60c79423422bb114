"""A domain-shift generator with one documented knob (:func:`shift_domain`).
"""


from __future__ import annotations

import numpy as np

from keras_tl.core.validation import check_images

__all__ = ["SHIFT_KINDS", "shift_domain"]

# --------------------------------------------------------------------------- #
# Domain shift
# --------------------------------------------------------------------------- #
#: The kinds of shift :func:`shift_domain` knows, with what ``amount`` (0..1) means.
SHIFT_KINDS = {
    "rotate": "rotate every image by amount * 180 degrees (0: none, 1: upside down)",
    "invert": "blend towards the negative image: (1 - amount) * x + amount * (255 - x)",
    "noise": "add Gaussian noise with standard deviation amount * 255, then clip",
    "contrast": "shrink contrast towards mid-grey: 128 + (1 - amount) * (x - 128)",
    "mix": "overlay images of another dataset: (1 - amount) * x + amount * other",
}


def shift_domain(
    x: np.ndarray,
    kind: str,
    amount: float,
    seed: int = 0,
    other: np.ndarray | None = None,
) -> np.ndarray:
    """Make a target domain at a controlled distance from ``x``.

    ``amount`` in ``[0, 1]`` is the knob: 0 returns the images unchanged and
    larger values move them further from the source domain. ``kind`` is one
    of :data:`SHIFT_KINDS`; ``"mix"`` needs ``other``, images of another
    dataset (same height and width) overlaid at random. Labels are not
    touched: use the shifted images with the original labels.

    Example:
        >>> from keras_tl import digits
        >>> (x, y), _ = digits()
        >>> far = shift_domain(x, "invert", 1.0)
        >>> int(far[0].max()) == 255 - int(x[0].min())
        True
    """
    x = np.asarray(x)
    if kind not in SHIFT_KINDS:
        raise ValueError(f"Unknown shift kind {kind!r}; allowed: {sorted(SHIFT_KINDS)}.")
    if not isinstance(amount, (int, float, np.floating, np.integer)) or not 0.0 <= float(amount) <= 1.0:
        raise ValueError(f"amount={amount!r} is not allowed: give a number in [0, 1].")
    if x.ndim not in (3, 4) or len(x) == 0:
        raise ValueError(f"x must be a non-empty batch of images (n, h, w) or (n, h, w, c), got shape {x.shape}.")
    x = check_images(x)
    amount = float(amount)
    xf = x.astype(np.float32)
    rng = np.random.default_rng(seed)
    if kind == "rotate":
        from scipy import ndimage

        out = ndimage.rotate(xf, angle=amount * 180.0, axes=(2, 1), reshape=False, order=1, mode="constant")
    elif kind == "invert":
        out = (1.0 - amount) * xf + amount * (255.0 - xf)
    elif kind == "noise":
        out = xf + rng.normal(0.0, amount * 255.0, size=xf.shape)
    elif kind == "contrast":
        out = 128.0 + (1.0 - amount) * (xf - 128.0)
    else:  # mix
        if other is None:
            raise ValueError("kind='mix' needs `other`: images of another dataset to overlay.")
        other = np.asarray(other)
        if other.shape[1:] != x.shape[1:] or len(other) == 0:
            raise ValueError(
                f"`other` must be a non-empty batch with the same image shape {x.shape[1:]}, got {other.shape}."
            )
        picks = other[rng.integers(0, len(other), size=len(x))].astype(np.float32)
        out = (1.0 - amount) * xf + amount * picks
    out = np.clip(np.rint(out), 0, 255)
    return out.astype(x.dtype) if x.dtype == np.uint8 else out.astype(np.float32)
