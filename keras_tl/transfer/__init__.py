"""Transfer strategies over plain ``keras.Model`` objects: new heads and architecture-only baselines,
freezing and fine-tuning, feature extraction on cached features, the develop-model and pretrained-model
approaches, schedules (gradual unfreezing, discriminative rates), LoRA, domain adaptation (CORAL, AdaBN),
forgetting (rehearsal, L2-SP), ensembles and fine-tuning on cached activations. Imports from core, data, models.

Modules:

* :mod:`keras_tl.transfer.heads`
* :mod:`keras_tl.transfer.freezing`
* :mod:`keras_tl.transfer.features`
* :mod:`keras_tl.transfer.approaches`
* :mod:`keras_tl.transfer.schedules`
* :mod:`keras_tl.transfer.low_rank`
* :mod:`keras_tl.transfer.adaptation`
* :mod:`keras_tl.transfer.forgetting`
* :mod:`keras_tl.transfer.ensembles`
* :mod:`keras_tl.transfer.cached_fine_tuning`

Every public name is also ``keras_tl.<name>``.
"""
