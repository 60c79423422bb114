"""Nothing a student typed with keras-tl 0.1 breaks: every public name still works from ``keras_tl``, and the
old module paths (``keras_tl.datasets``, ``keras_tl.strategies`` ...) import for one release with a
``DeprecationWarning`` that names the new module (``keras_tl/_moved.py``)."""

import importlib
import sys
import warnings

import pytest

import keras_tl
from keras_tl import _moved

#: ``keras_tl.__all__`` of version 0.1, before the package moved into rooms (module names included).
OLD_PUBLIC = (
    "accuracy", "accuracy_of", "accuracy_per_model", "adapt_batchnorm", "adapt_images", "adaptation",
    "add_head", "advise", "advisor", "apply_l2sp", "approaches", "architecture_only", "as_arrays",
    "atomic_write", "available", "available_weights", "average_predictions", "BACKBONES", "backbones",
    "BackboneWeightsUnavailable", "BATCHNORM_MODES", "benefits", "BertPoolingClassifier", "build_source_cnn",
    "builtin_targets", "cached_activations", "cached_fine_tuning", "check_fit", "check_images", "check_labels",
    "check_texts", "check_xy", "checkpoints", "claim", "compare", "compare_curves", "Comparison", "CORAL",
    "coral", "coral_distance", "coral_loss", "curve_summary", "data_input", "datasets",
    "DatasetUnavailableError", "decode_predictions", "DeepCORAL", "describe_weights", "develop_source_model",
    "digits", "discriminative_lr", "DomainBatches", "elpv", "ELPV_CLASSES", "ELPV_FOUR_CLASSES", "elpv_labels",
    "ELPV_PAPER", "elpv_path", "ElpvLabels", "encode_texts", "EncoderUnavailableError", "ensemble_model",
    "ensembles", "EpochSeed", "export_tfhub", "export_tfhub_preprocessor", "extract_features", "faces",
    "FACES_CLASSES", "fashion_mnist", "FASHION_MNIST_CLASSES", "feature_extractor", "feature_layers",
    "feature_maps", "few_shot_faces", "filter_smoothness", "fine_tune", "fit_logistic_regression",
    "fit_resumable", "folders", "forgetting", "ForgettingReport", "format_table", "freeze", "freeze_to",
    "get_spec", "grad_cam", "gradcam", "GradualUnfreezing", "GrayscaleToRGB", "HubEncoder", "image_adapter",
    "image_dataset", "image_folder", "ImageFolder", "imagenet", "imagenet_classes", "imagenet_photos",
    "imagenet_photos_path", "interpret", "interpretation", "Interpretation", "Interval", "interval",
    "jensen_shannon", "keras_hub_classifier", "L2SP", "l2sp_penalty", "layer_filters", "layer_groups",
    "layer_views", "leep", "load_backbone", "load_dataset", "load_lora_weights", "load_minilm", "load_model",
    "load_weights", "logme", "lora", "LORA_KINDS", "lora_summary", "LoraSummary", "low_rank", "lr_find",
    "lr_finder", "LRFinderResult", "majority_baseline", "measure_forgetting", "measure_similarity",
    "member_accuracies", "merge_lora", "minilm_path", "mmd", "orl_faces", "orl_faces_path", "over_seeds",
    "overlay", "pipelines", "plot_filters", "plot_grad_cam", "plot_learning_curves", "plot_top_activating",
    "pooled_encoder", "Preprocess", "pretrain_source_model", "random_weights_like", "rated_snippet_table",
    "rated_snippets", "read_state_dict", "real_texts", "Recommendation", "RehearsalData", "relabel",
    "replace_head", "reuse", "sample_per_class", "save_lora_weights", "save_model", "saving", "schedules",
    "ScoreWithOwnStatistics", "seed_offset", "SeedRuns", "seeds_needed", "select_classes",
    "select_pretrained_model", "select_source_task", "SENTIMENT_CLASSES", "SequencePooling", "set_trainable",
    "set_trainable_top_layers", "shift_domain", "SHIFT_KINDS", "shuffled_batches", "similarity",
    "SimilarityReport", "SMS_CLASSES", "sms_spam", "SNIPPET_SOURCES", "solar_cells", "source_model",
    "SourceReport", "split_backbone", "split_by_class", "split_points", "stack_models", "stats", "strategies",
    "StrategyHistory", "stratified_split", "suggest_sequence_length", "sweep", "SweepResult", "text",
    "text_csv", "text_features", "token_lengths", "top_activating", "top_model", "TopLosses", "torch_weights",
    "train_head_on_features", "train_strategy", "trainable_summary", "transfer_task", "TransferTask", "tune",
    "two_head_model", "unfreeze", "UnsafePickleError", "validation", "Vote", "weight_sources",
    "WeightsFileError", "WeightSourceUnavailable",
)


@pytest.mark.backend_free  # attribute look-ups only
def test_every_public_name_of_0_1_still_works():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # the old module names warn: tested below
        missing = [name for name in OLD_PUBLIC if getattr(keras_tl, name, None) is None]
    assert not missing, f"public names of keras-tl 0.1 that no longer work: {missing}"


def _fresh_import(name: str):
    sys.modules.pop(name, None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        module = importlib.import_module(name)
    return module, [w for w in caught if issubclass(w.category, DeprecationWarning)]


@pytest.mark.backend_free
@pytest.mark.parametrize("old", sorted(_moved.MOVED))
def test_old_module_path_imports_with_a_warning_naming_the_new_one(old):
    module, caught = _fresh_import(f"keras_tl.{old}")
    assert caught, f"importing keras_tl.{old} gave no DeprecationWarning"
    new = _moved.MOVED[old][0]
    assert f"keras_tl.{new}" in str(caught[0].message)
    home = importlib.import_module(f"keras_tl.{new}")
    for name in getattr(home, "__all__", []):
        assert getattr(module, name) is getattr(home, name)


@pytest.mark.backend_free
def test_old_from_import_gives_the_same_objects():
    sys.modules.pop("keras_tl.strategies", None)
    with pytest.warns(DeprecationWarning, match="keras_tl.transfer.heads"):
        from keras_tl.strategies import add_head, fine_tune
    assert add_head is keras_tl.add_head and fine_tune is keras_tl.fine_tune
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        assert keras_tl.datasets.fashion_mnist is keras_tl.fashion_mnist  # the attribute path too


@pytest.mark.backend_free
def test_old_path_names_what_is_missing():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        module = importlib.import_module("keras_tl.similarity")
    with pytest.raises(AttributeError, match="no attribute 'nonexistent'.*moved to keras_tl.measure.similarity"):
        module.nonexistent


@pytest.mark.slow  # a fresh interpreter (TensorFlow's import): make test runs it, make check does not
def test_a_script_sees_the_warning_at_its_own_line(tmp_path):
    """Python shows a DeprecationWarning by default only when it is attributed to ``__main__``: the warning
    must point at the script's import line, not at importlib or keras_tl."""
    import os
    import subprocess

    script = tmp_path / "old_notebook.py"
    script.write_text("import keras_tl\nfrom keras_tl.datasets import digits\nkeras_tl.strategies.fine_tune\n")
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    env.pop("PYTHONWARNINGS", None)
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert f"{script}:2: DeprecationWarning: keras_tl.datasets moved to keras_tl.data.builtin" in result.stderr
    assert f"{script}:3: DeprecationWarning: keras_tl.strategies moved to keras_tl.transfer.heads" in result.stderr
