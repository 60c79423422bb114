"""Diagnosing a transfer: the learning-rate range test, what a classifier gets wrong, Grad-CAM and what each
layer sees. Imports from core, data, models, transfer.

Modules:

* :mod:`keras_tl.diagnose.lr_finder`
* :mod:`keras_tl.diagnose.interpretation`
* :mod:`keras_tl.diagnose.gradcam`
* :mod:`keras_tl.diagnose.layer_views`

Every public name is also ``keras_tl.<name>``.
"""
