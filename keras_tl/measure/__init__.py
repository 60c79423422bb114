"""Measuring a transfer: runs over seeds with intervals and paired comparisons, the benefits (start, slope,
asymptote), dataset similarity and transferability. Imports from core, data, models, transfer.

Modules:

* :mod:`keras_tl.measure.stats`
* :mod:`keras_tl.measure.repeats`
* :mod:`keras_tl.measure.benefits`
* :mod:`keras_tl.measure.distances`
* :mod:`keras_tl.measure.transferability`
* :mod:`keras_tl.measure.similarity`
* :mod:`keras_tl.measure.selection`
* :mod:`keras_tl.measure.candidates`

Every public name is also ``keras_tl.<name>``.
"""
