"""Every public name of keras_tl, imported eagerly: ``import keras_tl`` runs this (see ``__init__``).

The names come from the rooms of the package (``CONTRIBUTING.md`` has the map), lowest first:
``core`` (input checks, batches, checkpoints, the cache), ``data``, ``models``, ``transfer``, ``measure``,
``diagnose``, ``advisor``; ``text`` is imported on first use (it needs the ``text`` extra).
``python -m keras_tl`` skips this module, so that ``--help`` and ``--version`` start without TensorFlow;
the names are then imported on first use (``keras_tl.__getattr__``).
"""

# ruff: noqa: F401
from keras_tl import advisor, core, data, diagnose, measure, models, saving, transfer
from keras_tl.core.checkpoints import atomic_write, EpochSeed, fit_resumable, load_weights, WeightsFileError
from keras_tl.core.data_input import as_arrays
from keras_tl.core.restarts import Snapshot, snapshot
from keras_tl.core.validation import check_fit, check_images, check_labels, check_xy
from keras_tl.data.adapters import adapt_images, GrayscaleToRGB, image_adapter
from keras_tl.data.builtin import DatasetUnavailableError, digits, fashion_mnist, FASHION_MNIST_CLASSES, load_dataset
from keras_tl.data.few_shot_faces import orl_faces, orl_faces_path
from keras_tl.data.folders import image_folder, ImageFolder
from keras_tl.data.photos import faces, FACES_CLASSES, imagenet_photos, imagenet_photos_path
from keras_tl.data.pipelines import image_dataset
from keras_tl.data.real_texts import (
    rated_snippet_table,
    rated_snippets,
    SENTIMENT_CLASSES,
    SMS_CLASSES,
    sms_spam,
    SNIPPET_SOURCES,
)
from keras_tl.data.shifts import shift_domain, SHIFT_KINDS
from keras_tl.data.solar_cells import (
    elpv,
    ELPV_CLASSES,
    ELPV_FOUR_CLASSES,
    elpv_labels,
    ELPV_PAPER,
    elpv_path,
    ElpvLabels,
)
from keras_tl.data.splits import relabel, sample_per_class, select_classes, split_by_class, stratified_split
from keras_tl.data.tasks import transfer_task, TransferTask
from keras_tl.data.text_csv import text_csv
from keras_tl.models.backbones import load_backbone, Preprocess
from keras_tl.models.imagenet import decode_predictions, imagenet_classes
from keras_tl.models.registry import available, BACKBONES, BackboneWeightsUnavailable, get_spec
from keras_tl.models.source_model import build_source_cnn, majority_baseline, pretrain_source_model
from keras_tl.models.torch_weights import read_state_dict, UnsafePickleError
from keras_tl.models.weight_sources import available_weights, describe_weights, WeightSourceUnavailable
from keras_tl.transfer.adaptation import (
    adapt_batchnorm,
    CORAL,
    coral,
    coral_loss,
    DeepCORAL,
    DomainBatches,
    ScoreWithOwnStatistics,
)
from keras_tl.transfer.approaches import (
    develop_source_model,
    reuse,
    select_pretrained_model,
    select_source_task,
    SourceReport,
    tune,
)
from keras_tl.transfer.cached_fine_tuning import (
    BATCHNORM_MODES,
    cached_activations,
    split_backbone,
    split_points,
    top_model,
)
from keras_tl.transfer.ensembles import accuracy, average_predictions, ensemble_model, member_accuracies, Vote
from keras_tl.transfer.features import extract_features, fit_logistic_regression, train_head_on_features
from keras_tl.transfer.forgetting import (
    accuracy_of,
    apply_l2sp,
    ForgettingReport,
    L2SP,
    l2sp_penalty,
    measure_forgetting,
    RehearsalData,
    two_head_model,
)
from keras_tl.transfer.freezing import fine_tune, freeze, freeze_to, trainable_summary, unfreeze
from keras_tl.transfer.heads import add_head, architecture_only, feature_extractor, replace_head, set_trainable
from keras_tl.transfer.low_rank import (
    load_lora_weights,
    lora,
    LORA_KINDS,
    lora_summary,
    LoraSummary,
    merge_lora,
    save_lora_weights,
)
from keras_tl.transfer.schedules import discriminative_lr, GradualUnfreezing, layer_groups
from keras_tl.measure.benefits import compare_curves, curve_summary, format_table, plot_learning_curves
from keras_tl.measure.distances import coral_distance, jensen_shannon, mmd
from keras_tl.measure.repeats import repeat, repeat_heads, RepeatResult
from keras_tl.measure.similarity import similarity as measure_similarity, SimilarityReport
from keras_tl.measure.stats import (
    accuracy_per_model,
    claim,
    compare,
    Comparison,
    Interval,
    interval,
    over_seeds,
    seed_offset,
    SeedRuns,
    seeds_needed,
    stack_models,
)
from keras_tl.measure.transferability import leep, logme
from keras_tl.measure.candidates import offline_candidates, OFFLINE_CANDIDATES
from keras_tl.measure.selection import (
    BackboneRanking,
    CandidateScore,
    rank_correlation,
    RankCorrelation,
    score_backbones,
)
from keras_tl.diagnose.gradcam import feature_layers, grad_cam, overlay, plot_grad_cam
from keras_tl.diagnose.interpretation import interpret, Interpretation, TopLosses
from keras_tl.diagnose.layer_views import (
    feature_maps,
    filter_smoothness,
    layer_filters,
    plot_filters,
    plot_top_activating,
    top_activating,
)
from keras_tl.diagnose.lr_finder import lr_find, LRFinderResult
from keras_tl.advisor.recipes import StrategyHistory, train_strategy
from keras_tl.advisor.scenarios import advise, Recommendation
from keras_tl.advisor.sweep import builtin_targets, sweep, SweepResult
from keras_tl.saving import load_model, save_model
