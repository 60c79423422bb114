"""Speed options (jit_compile, mixed precision), tf.data pipelines, and the helpers under MirroredStrategy.

Timings are never checked here: they live in benchmarks/ and docs/performance.md.
"""

import importlib.util
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import keras
import numpy as np
import pytest

import keras_tl
from keras_tl.transfer.features import train_head_on_features
from keras_tl.transfer.freezing import fine_tune
from keras_tl.transfer.heads import add_head, feature_extractor
from keras_tl.models.source_model import build_source_cnn

ROOT = Path(__file__).resolve().parent.parent

try:
    import tensorflow  # noqa: F401

    HAS_TF = True
except ImportError:
    HAS_TF = False

needs_tf = pytest.mark.skipif(not HAS_TF, reason="tf.data needs TensorFlow installed")
tf_backend = pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="tf.distribute needs the TF backend")


def _frozen_base():
    keras.utils.set_random_seed(0)
    return feature_extractor(build_source_cnn(n_classes=3), "flatten")


def _xy(n=24, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 255, (n, 28, 28)).astype("uint8"), np.arange(n) % 3


# --------------------------------------------------------------------------- speed options
def test_train_head_passes_jit_compile_and_restores_the_dtype_policy():
    x, y = _xy()
    model, _ = train_head_on_features(
        _frozen_base(), x, y, n_classes=3, epochs=1, verbose=0, jit_compile=False, mixed_precision="mixed_bfloat16"
    )
    assert model.jit_compile is False
    assert model.get_layer("head").dtype_policy.name == "mixed_bfloat16"
    assert model.get_layer("head").compute_dtype == "bfloat16"
    assert keras.config.dtype_policy().name == "float32"  # restored
    assert model.predict(x[:2], verbose=0).shape == (2, 3)


def test_fine_tune_passes_jit_compile():
    model = add_head(_frozen_base(), 3)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
    assert fine_tune(model, jit_compile=False).jit_compile is False


@pytest.mark.parametrize("kwargs", [dict(jit_compile="yes"), dict(mixed_precision="float16")])
def test_bad_speed_options_raise(kwargs):
    x, y = _xy(6)
    with pytest.raises(ValueError, match="is not allowed"):
        train_head_on_features(_frozen_base(), x, y, n_classes=3, epochs=1, verbose=0, **kwargs)
    assert keras.config.dtype_policy().name == "float32"


@pytest.mark.skipif(keras.backend.backend() == "jax", reason="bfloat16 convolutions compile slowly on JAX's CPU "
                    "backend (30 s); the pass-through is backend-independent and the TF run covers it")
def test_pretrain_source_model_passes_speed_options(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_TL_CACHE", str(tmp_path))
    x, y = _xy(40)
    task = keras_tl.TransferTask(source=(x, y), source_test=(x[:10], y[:10]), target=(x, y), target_val=(x, y),
                                 source_classes=(0, 1, 2), target_classes=(0, 1, 2))
    with pytest.warns(UserWarning):  # random data: it cannot beat the baseline
        model = keras_tl.pretrain_source_model(task, epochs=1, verbose=0, jit_compile=False,
                                               mixed_precision="mixed_bfloat16")
    assert model.jit_compile is False
    assert model.get_layer("block1_conv").compute_dtype == "bfloat16"
    assert keras.config.dtype_policy().name == "float32"
    with pytest.raises(ValueError, match="mixed_precision"):
        keras_tl.pretrain_source_model(task, epochs=1, verbose=0, mixed_precision="half")


# --------------------------------------------------------------------------- tf.data pipelines
@pytest.mark.backend_free  # tf.data only
@needs_tf
def test_image_dataset_resizes_batches_and_keeps_labels():
    x, y = _xy(10)
    ds = keras_tl.image_dataset(x, y, batch_size=4, image_size=(32, 40))
    batches = list(ds)
    assert [tuple(xb.shape) for xb, _ in batches] == [(4, 32, 40, 3)] * 2 + [(2, 32, 40, 3)]
    assert np.concatenate([yb for _, yb in batches]).tolist() == y.tolist()
    first = np.asarray(batches[0][0])
    np.testing.assert_allclose(first[..., 0], first[..., 2])  # grayscale repeated
    assert 0 <= first.min() and first.max() <= 255  # pixels stay 0..255 without preprocess


@pytest.mark.backend_free  # tf.data only
@needs_tf
def test_image_dataset_shuffles_each_epoch_reproducibly_and_caches(tmp_path):
    x, y = _xy(30)
    x[:, 0, 0] = np.arange(30)  # tag each image with its index

    def epoch(ds):
        batches = [(np.asarray(xb), np.asarray(yb)) for xb, yb in ds]
        return [int(v) for _, yb in batches for v in yb], [int(v) for xb, _ in batches for v in xb[:, 0, 0, 0]]

    ds = keras_tl.image_dataset(x, np.arange(30), batch_size=8, shuffle=True, seed=3, cache=True)
    labels1, tags1 = epoch(ds)
    labels2, _ = epoch(ds)
    assert sorted(labels1) == list(range(30)) and labels1 != list(range(30)) and labels1 != labels2
    assert labels1 == tags1  # images stay with their labels through cache and shuffle
    again = keras_tl.image_dataset(x, np.arange(30), batch_size=8, shuffle=True, seed=3, cache=str(tmp_path / "c"))
    assert epoch(again)[0] == labels1


@needs_tf
def test_image_dataset_feeds_fit_and_predict_with_preprocess():
    x, y = _xy(12)
    model = keras_tl.add_head(_frozen_base(), 3, input_shape=(32, 32, 1), preprocessing=[keras.layers.Resizing(28, 28)])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    pre = keras.layers.Rescaling(1.0, offset=-128.0)
    model.fit(keras_tl.image_dataset(x, y, batch_size=6, image_size=32, channels=1, preprocess=pre), epochs=1, shuffle=False, verbose=0)
    out = model.predict(keras_tl.image_dataset(x, batch_size=6, image_size=32, channels=1, preprocess=pre), verbose=0)
    assert out.shape == (12, 3)


@pytest.mark.backend_free  # argument checks
@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(x=np.zeros((3, 4))), "shape"),
        (dict(x=np.zeros((3, 4, 4)), y=np.zeros(2)), "different lengths"),
        (dict(x=np.zeros((3, 4, 4)), batch_size=0), "batch_size"),
        (dict(x=np.zeros((3, 4, 4)), image_size=0), "image_size"),
        (dict(x=np.zeros((3, 4, 4, 3)), channels=1), "channels"),
        (dict(x=np.zeros((0, 4, 4))), "empty"),
    ],
)
def test_image_dataset_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        keras_tl.image_dataset(**kwargs)


# --------------------------------------------------------------------------- distribution
_MIRRORED = textwrap.dedent(
    """
    import os
    os.environ["KERAS_BACKEND"] = "tensorflow"
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import keras, numpy as np
    import keras_tl

    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    assert strategy.num_replicas_in_sync == 2
    rng = np.random.default_rng(0)
    x, y = rng.integers(0, 255, (64, 28, 28)).astype("uint8"), np.arange(64) % 3
    with strategy.scope():
        keras.utils.set_random_seed(0)
        base = keras_tl.feature_extractor(keras_tl.build_source_cnn(n_classes=3), "flatten")
        model, hist = keras_tl.train_head_on_features(base, x, y, n_classes=3, epochs=1, batch_size=16, verbose=0)
        head_kernel = model.get_layer("head").kernel
        assert "Mirrored" in type(head_kernel.value).__name__, type(head_kernel.value)
        model = keras_tl.fine_tune(model, layers="block2")
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    assert np.isfinite(hist.history["loss"]).all()
    assert model.evaluate(x, y, verbose=0)[1] >= 0
    print("MIRRORED-OK", strategy.num_replicas_in_sync)
    """
)


@pytest.mark.slow  # a fresh interpreter importing TensorFlow: over 10 s on 2 cores
@pytest.mark.tf_only
@tf_backend
def test_helpers_train_under_mirrored_strategy_on_two_logical_cpus():
    # Logical devices must be configured before TF initialises its devices: a fresh interpreter.
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
               TF_CPP_MIN_LOG_LEVEL="2")
    run = subprocess.run([sys.executable, "-c", _MIRRORED], capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-4000:]
    assert "MIRRORED-OK 2" in run.stdout


_DATA_PARALLEL = textwrap.dedent(
    """
    import os
    os.environ["KERAS_BACKEND"] = "jax"
    os.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=2"
    import keras, numpy as np
    import keras_tl

    devices = keras.distribution.list_devices("cpu")
    assert len(devices) == 2, devices
    keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devices))
    rng = np.random.default_rng(0)
    x, y = rng.integers(0, 255, (64, 28, 28)).astype("uint8"), np.arange(64) % 3
    keras.utils.set_random_seed(0)
    base = keras_tl.feature_extractor(keras_tl.build_source_cnn(n_classes=3), "flatten")
    model, hist = keras_tl.train_head_on_features(base, x, y, n_classes=3, epochs=1, batch_size=16, verbose=0)
    model = keras_tl.fine_tune(model, layers="block2")
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    kernel = model.get_layer("head").kernel.value
    assert len(kernel.sharding.device_set) == 2, kernel.sharding  # replicated on both devices
    assert np.isfinite(hist.history["loss"]).all()
    print("DATA-PARALLEL-OK", len(devices))
    """
)


@pytest.mark.slow  # a fresh interpreter importing JAX and keras_tl: over 10 s on 2 cores
@pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="needs jax (pip install 'jax[cpu]')")
@pytest.mark.skipif(keras.backend.backend() == "jax", reason="runs in its own JAX process: the TF-backend run covers it")
def test_helpers_train_under_jax_data_parallel_on_two_cpu_devices():
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    run = subprocess.run([sys.executable, "-c", _DATA_PARALLEL], capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-4000:]
    assert "DATA-PARALLEL-OK 2" in run.stdout


def test_image_dataset_without_tensorflow_says_what_to_do(monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorflow", None)  # `import tensorflow` now raises ImportError
    with pytest.raises(ImportError, match="image_adapter"):
        keras_tl.image_dataset(np.zeros((2, 4, 4)), batch_size=1)
