"""Every public name of keras_tl, imported eagerly: ``import keras_tl`` runs this (see ``__init__``).

``python -m keras_tl`` skips it, so that ``--help`` and ``--version`` start without TensorFlow;
the names are then imported on first use (``keras_tl.__getattr__``).
"""

# ruff: noqa: F401
from keras_tl import adaptation, advisor, approaches, backbones, benefits, datasets, ensembles, similarity, source_model, strategies
from keras_tl import checkpoints, folders, forgetting, interpretation, lr_finder, saving, imagenet, pipelines, schedules, torch_weights, validation, weight_sources
from keras_tl.adaptation import CORAL, DeepCORAL, DomainBatches, ScoreWithOwnStatistics, adapt_batchnorm, coral, coral_loss
from keras_tl.advisor import Recommendation, StrategyHistory, SweepResult, advise, builtin_targets, sweep, train_strategy
from keras_tl.approaches import SourceReport, develop_source_model, reuse, select_pretrained_model, select_source_task, tune
from keras_tl.checkpoints import EpochSeed, WeightsFileError, atomic_write, fit_resumable, load_weights
from keras_tl.backbones import BACKBONES, BackboneWeightsUnavailable, Preprocess, available, get_spec, load_backbone
from keras_tl.imagenet import decode_predictions, imagenet_classes
from keras_tl.torch_weights import UnsafePickleError, read_state_dict
from keras_tl.weight_sources import WeightSourceUnavailable, available_weights, describe_weights
from keras_tl.ensembles import Vote, accuracy, average_predictions, ensemble_model, member_accuracies
from keras_tl.benefits import compare_curves, curve_summary, format_table, plot_learning_curves
from keras_tl import stats
from keras_tl.repeats import RepeatResult, repeat, repeat_heads
from keras_tl.stats import Comparison, Interval, SeedRuns, accuracy_per_model, claim, compare, interval, over_seeds, seed_offset, seeds_needed, stack_models
from keras_tl.datasets import (
    FACES_CLASSES,
    FASHION_MNIST_CLASSES,
    SHIFT_KINDS,
    DatasetUnavailableError,
    GrayscaleToRGB,
    TransferTask,
    adapt_images,
    digits,
    faces,
    fashion_mnist,
    image_adapter,
    imagenet_photos,
    imagenet_photos_path,
    load_dataset,
    relabel,
    sample_per_class,
    select_classes,
    shift_domain,
    split_by_class,
    stratified_split,
    text_csv,
    transfer_task,
)
from keras_tl import few_shot_faces, real_texts, solar_cells
from keras_tl.solar_cells import ELPV_CLASSES, ELPV_FOUR_CLASSES, ELPV_PAPER, ElpvLabels, elpv, elpv_labels, elpv_path
from keras_tl.real_texts import SENTIMENT_CLASSES, SMS_CLASSES, SNIPPET_SOURCES, rated_snippet_table, rated_snippets, sms_spam
from keras_tl.few_shot_faces import orl_faces, orl_faces_path
from keras_tl.pipelines import image_dataset
from keras_tl.folders import ImageFolder, image_folder
from keras_tl.saving import load_model, save_model
from keras_tl import gradcam, layer_views, low_rank
from keras_tl import cached_fine_tuning
from keras_tl.cached_fine_tuning import BATCHNORM_MODES, cached_activations, split_backbone, split_points, top_model
from keras_tl.gradcam import feature_layers, grad_cam, overlay, plot_grad_cam
from keras_tl.layer_views import feature_maps, filter_smoothness, layer_filters, plot_filters, plot_top_activating, top_activating
from keras_tl.interpretation import Interpretation, TopLosses, interpret
from keras_tl.lr_finder import LRFinderResult, lr_find
from keras_tl.low_rank import LORA_KINDS, LoraSummary, load_lora_weights, lora, lora_summary, merge_lora, save_lora_weights
from keras_tl.forgetting import (
    L2SP, ForgettingReport, RehearsalData, accuracy_of, apply_l2sp, l2sp_penalty, measure_forgetting, two_head_model,
)
from keras_tl.schedules import GradualUnfreezing, discriminative_lr, layer_groups
from keras_tl.similarity import SimilarityReport, coral_distance, jensen_shannon, leep, logme, mmd
from keras_tl.similarity import similarity as measure_similarity
from keras_tl.validation import check_fit, check_images, check_labels, check_xy
from keras_tl import data_input
from keras_tl.data_input import as_arrays
from keras_tl.source_model import build_source_cnn, majority_baseline, pretrain_source_model
from keras_tl.strategies import (
    add_head,
    architecture_only,
    extract_features,
    feature_extractor,
    fine_tune,
    fit_logistic_regression,
    freeze,
    freeze_to,
    replace_head,
    set_trainable,
    train_head_on_features,
    trainable_summary,
    unfreeze,
)

