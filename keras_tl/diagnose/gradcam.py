"""Grad-CAM: where in the image a classifier looks, as a heat map at the input resolution.

Grad-CAM (Selvaraju et al., 2017) weights each channel of a convolutional
feature map ``A`` by the mean gradient of the class score with respect to
that channel, sums the weighted channels and keeps the positive part:
``relu(sum_c mean_ij(d score / d A_ijc) * A_c)``. The map is scaled to
``[0, 1]`` per image and resized to the input.

The classic recipe, ``keras.Model(model.inputs, [model.get_layer(name).output,
model.output])``, fails ("Graph disconnected") on keras_tl's models, where the
pretrained base is a nested ``keras.Model`` called as a layer after
preprocessing layers. :func:`grad_cam` therefore re-runs the forward pass
itself, node by node, descending into the nested model that holds the target
layer, and adds a zero tensor ``delta`` to the target layer's output: the
gradient with respect to ``delta`` is the gradient with respect to the feature
map, on TensorFlow (``tf.GradientTape``) and on JAX (``jax.grad``) alike. A
frozen base still gives gradients: the feature map is a tensor, not a weight.

The class score is the logit: when the model ends in a softmax ``Dense`` (or
an ``Activation("softmax")``), the softmax is left out, so a confident
prediction does not give vanishing gradients.

Example:
    >>> import numpy as np, keras
    >>> model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(2, 3, name="conv"),
    ...                           keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(2, activation="softmax")])
    >>> grad_cam(model, np.ones((1, 8, 8, 1))).shape
    (1, 8, 8)
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import keras
import numpy as np

from keras_tl.core.validation import check_model_input

__all__ = ["feature_layers", "grad_cam", "overlay", "plot_grad_cam"]


# --------------------------------------------------------------------------- the layer graph


def _leaf_layers(model: keras.Layer) -> list[keras.Layer]:
    """Every layer that is not itself a model, in call order, descending into nested models."""
    out = []
    for layer in getattr(model, "layers", []):
        if isinstance(layer, keras.layers.InputLayer):
            continue
        if isinstance(layer, keras.Model):
            out += _leaf_layers(layer)
        else:
            out.append(layer)
    return out


def _output_rank(layer: keras.Layer) -> int | None:
    try:
        return len(layer.output.shape)
    except (AttributeError, ValueError, RuntimeError):
        return None


def feature_layers(model: keras.Model) -> list[str]:
    """The names of the layers with a 4-D output (feature maps), in call order, nested models included.

    These are the layers :func:`grad_cam` and :func:`keras_tl.feature_maps` accept.

    Example:
        >>> from keras_tl import build_source_cnn
        >>> feature_layers(build_source_cnn())[-2:]
        ['block2_relu', 'block2_pool']
    """
    return [layer.name for layer in _leaf_layers(model) if _output_rank(layer) == 4]


def _find(model: keras.Layer, name: str) -> keras.Layer | None:
    for layer in _leaf_layers(model):
        if layer.name == name:
            return layer
    return None


def _contains(model: keras.Layer, target: keras.Layer) -> bool:
    return any(layer is target for layer in _leaf_layers(model))


def resolve_feature_layer(model: keras.Model, layer: str | None) -> keras.Layer:
    """The layer called ``layer`` (default: the last with a 4-D output); ``ValueError`` if it is not a feature map."""
    allowed = feature_layers(model)
    if layer is None:
        if not allowed:
            raise ValueError(f"Model {model.name!r} has no layer with a 4-D output (a convolutional feature map).")
        return _find(model, allowed[-1])
    if not isinstance(layer, str):
        raise ValueError(f"layer={layer!r} is not allowed: give a layer name, e.g. {allowed[-3:]}.")
    found = _find(model, layer)
    if found is None:
        raise ValueError(f"Unknown layer {layer!r} in model {model.name!r}; feature-map layers are e.g. {allowed[-5:]}.")
    if layer not in allowed:
        raise ValueError(
            f"layer={layer!r} is not allowed: its output is not a 4-D feature map; "
            f"feature-map layers are e.g. {allowed[-5:]}."
        )
    return found


def _is_softmax(fn: Any) -> bool:
    return fn is keras.activations.softmax or getattr(fn, "__name__", "") == "softmax"


def _run(model: keras.Layer, x, target: keras.Layer, on_target: Callable, logits: bool):
    """Run ``model`` on ``x`` layer by layer; ``on_target(feature_map)`` replaces the target layer's output.

    Nested models that hold the target are run the same way; the others are called whole.
    With ``logits`` the model's own final softmax is left out.
    """
    last = model.layers[-1] if getattr(model, "layers", None) else None

    def wrap(op):
        if op is target:
            return lambda *a, **k: on_target(op(*a, **k))
        if isinstance(op, keras.Model) and _contains(op, target):
            return lambda *a, **k: _run(op, a[0], target, on_target, logits=False)
        if logits and op is last:
            if isinstance(op, keras.layers.Dense) and _is_softmax(op.activation):
                return lambda x, *a, **k: keras.ops.add(keras.ops.matmul(x, op.kernel), op.bias) if op.use_bias \
                    else keras.ops.matmul(x, op.kernel)
            if isinstance(op, keras.layers.Activation) and _is_softmax(op.activation):
                return lambda x, *a, **k: x
        return op

    if isinstance(model, keras.Sequential):
        for layer in model.layers:
            x = wrap(layer)(x)
        return x
    # A Functional model: its own graph walk, with each layer wrapped as above (keras's call does the same).
    return _unpack(model._run_through_graph([x], operation_fn=wrap))


def _unpack(outputs):
    if isinstance(outputs, (list, tuple)) and len(outputs) == 1:
        return outputs[0]
    return outputs


def _fit_rank(model: keras.Model, x: np.ndarray) -> np.ndarray:
    """(h, w) images for an (h, w, 1) model and the reverse, as keras's own call allows."""
    want = len(model.inputs[0].shape)
    if x.ndim == want - 1:
        return x[..., None]
    if x.ndim == want + 1 and x.shape[-1] == 1:
        return x[..., 0]
    return x


def activations(model: keras.Model, layer: str | None, images, batch_size: int = 64) -> np.ndarray:
    """The output of ``layer`` (possibly inside a nested base) for ``images``, as numpy (no gradients)."""
    target = resolve_feature_layer(model, layer)
    x = _fit_rank(model, np.asarray(check_model_input(model, images), "float32"))
    out = []
    for start in range(0, len(x), batch_size):
        seen = []

        def grab(a):
            seen.append(a)
            return a

        _run(model, keras.ops.convert_to_tensor(x[start:start + batch_size]), target, grab, logits=False)
        out.append(keras.ops.convert_to_numpy(seen[0]))
    return np.concatenate(out)


# --------------------------------------------------------------------------- gradients


def _map_and_grads(model, x, target, classes):
    """Feature maps ``A``, the gradients of the chosen logits w.r.t. ``A``, and the logits."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        seen = {}
        with tf.GradientTape() as tape:

            def watch(a):
                tape.watch(a)
                seen["a"] = a
                return a

            logits = _run(model, tf.convert_to_tensor(x), target, watch, logits=True)
            score = tf.reduce_sum(tf.gather(logits, classes, axis=1, batch_dims=1))
        return seen["a"].numpy(), tape.gradient(score, seen["a"]).numpy(), logits.numpy()
    if backend == "jax":
        import jax
        import jax.numpy as jnp

        xj = jnp.asarray(x)
        shape = (len(x),) + tuple(target.output.shape[1:])

        def score(delta):
            seen = {}

            def add(a):
                seen["a"] = a
                return a + delta

            logits = _run(model, xj, target, add, logits=True)
            return jnp.sum(jnp.take_along_axis(logits, jnp.asarray(classes)[:, None], axis=1)), (seen["a"], logits)

        grads, (a, logits) = jax.grad(score, has_aux=True)(jnp.zeros(shape, "float32"))
        return np.asarray(a), np.asarray(grads), np.asarray(logits)
    raise ValueError(f"keras backend {backend!r} is not supported by grad_cam; allowed: 'tensorflow', 'jax'.")


def _resize(maps: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    if maps.shape[1:] == tuple(size):
        return maps
    up = keras.ops.image.resize(maps[..., None].astype("float32"), size, interpolation="bilinear")
    return np.clip(keras.ops.convert_to_numpy(up)[..., 0], 0.0, 1.0)


def _class_indices(class_index, n: int, n_classes: int) -> np.ndarray | None:
    if class_index is None:
        return None
    idx = np.asarray(class_index)
    if idx.ndim == 0:
        idx = np.full(n, idx)
    if idx.ndim != 1 or len(idx) != n or not np.issubdtype(idx.dtype, np.integer):
        raise ValueError(
            f"class_index={class_index!r} is not allowed: give None (the predicted class), one int, "
            f"or one int per image ({n})."
        )
    bad = idx[(idx < 0) | (idx >= n_classes)]
    if bad.size:
        raise ValueError(f"class_index={int(bad[0])} is not allowed: the model has {n_classes} classes, 0..{n_classes - 1}.")
    return idx.astype("int32")


def grad_cam(
    model: keras.Model,
    images,
    layer: str | None = None,
    class_index: int | Sequence[int] | None = None,
    batch_size: int = 32,
) -> np.ndarray:
    """Grad-CAM heat maps ``(n, H, W)`` in ``[0, 1]``, at the resolution of ``images``.

    Args:
        model: a classifier (softmax or logits output): a Keras Applications
            model, or a keras_tl model whose base is a nested ``keras.Model``
            behind preprocessing layers (``reuse``, ``add_head``).
        images: a batch the model takes (e.g. uint8 ``(n, 224, 224, 3)``);
            preprocessing is the model's own.
        layer: the feature-map layer, found inside a nested base too; default:
            the last layer with a 4-D output (:func:`feature_layers`).
        class_index: the class to explain; ``None`` is each image's predicted
            class; one int, or one per image.
        batch_size: images per forward/backward pass.

    Returns:
        ``float32`` maps, 1 where the evidence for the class is strongest
        (all 0 where no location increases the class score).

    Example:
        >>> from keras_tl import build_source_cnn
        >>> model = build_source_cnn(filters=(4, 8), units=8)
        >>> maps = grad_cam(model, np.random.default_rng(0).integers(0, 255, (2, 28, 28)), layer="block1_relu")
        >>> maps.shape, bool(maps.min() >= 0 and maps.max() <= 1)
        ((2, 28, 28), True)
    """
    target = resolve_feature_layer(model, layer)
    x = np.asarray(check_model_input(model, images), "float32")
    if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size={batch_size!r} is not allowed: give an int >= 1.")
    n_classes = int(model.output_shape[-1])
    classes = _class_indices(class_index, len(x), n_classes)
    size = tuple(x.shape[1:3])
    x = _fit_rank(model, x)
    maps = []
    for start in range(0, len(x), batch_size):
        xb = x[start:start + batch_size]
        cb = classes[start:start + batch_size] if classes is not None else None
        if cb is None:
            cb = np.argmax(keras.ops.convert_to_numpy(model(xb, training=False)), axis=-1).astype("int32")
        a, g, _ = _map_and_grads(model, xb, target, cb)
        weights = g.mean(axis=(1, 2))  # (n, channels): how much each channel raises the class score
        cam = np.maximum(np.einsum("nhwc,nc->nhw", a, weights), 0.0)
        peak = cam.max(axis=(1, 2), keepdims=True)
        maps.append(np.where(peak > 0, cam / np.where(peak > 0, peak, 1.0), 0.0))
    return _resize(np.concatenate(maps).astype("float32"), size).astype("float32")


# --------------------------------------------------------------------------- pictures


def _as_rgb01(images) -> np.ndarray:
    x = np.asarray(images, "float32")
    if x.ndim == 4 and x.shape[-1] == 1:
        x = x[..., 0]
    if x.ndim == 3:
        x = np.repeat(x[..., None], 3, axis=-1)
    if x.ndim != 4 or x.shape[-1] != 3:
        raise ValueError(f"images have shape {x.shape}; allowed: (n, h, w), (n, h, w, 1) or (n, h, w, 3).")
    lo, hi = float(x.min()), float(x.max())
    return x / 255.0 if hi > 1.0 else (x - min(lo, 0.0))


def overlay(images, maps, alpha: float = 0.4) -> np.ndarray:
    """Blend heat ``maps`` (``(n, h, w)`` in [0, 1], e.g. from :func:`grad_cam`) over ``images`` as RGB in [0, 1].

    The map is coloured with matplotlib's ``jet`` colour map; ``alpha`` is its weight.

    Example:
        >>> overlay(np.zeros((2, 4, 4, 3), "uint8"), np.ones((2, 4, 4))).shape
        (2, 4, 4, 3)
    """
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha={alpha!r} is not allowed: give a weight in [0, 1].")
    rgb = _as_rgb01(images)
    m = np.asarray(maps, "float32")
    if m.shape != rgb.shape[:3]:
        raise ValueError(f"maps have shape {m.shape}; allowed: {rgb.shape[:3]}, one map per image at its resolution.")
    from matplotlib import colormaps

    heat = colormaps["jet"](np.clip(m, 0.0, 1.0))[..., :3].astype("float32")
    return np.clip((1 - alpha) * rgb + alpha * heat, 0.0, 1.0)


def plot_grad_cam(images, maps, titles: Sequence[str] | None = None, alpha: float = 0.4):
    """A row per image: the image and its Grad-CAM overlay. Returns the matplotlib figure.

    Example:
        >>> fig = plot_grad_cam(np.zeros((2, 8, 8), "uint8"), np.ones((2, 8, 8)), titles=["a", "b"])
        >>> len(fig.axes)
        4
    """
    import matplotlib.pyplot as plt

    blended = overlay(images, maps, alpha)
    rgb = _as_rgb01(images)
    n = len(blended)
    if titles is not None and len(titles) != n:
        raise ValueError(f"titles has {len(titles)} entries; allowed: one per image ({n}).")
    fig, axes = plt.subplots(2, n, figsize=(2.2 * n, 4.6), squeeze=False)
    for i in range(n):
        axes[0, i].imshow(rgb[i])
        axes[1, i].imshow(blended[i])
        if titles is not None:
            axes[0, i].set_title(str(titles[i]), fontsize=9)
        for ax in axes[:, i]:
            ax.axis("off")
    fig.tight_layout()
    return fig
