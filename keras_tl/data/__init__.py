"""Data: offline datasets (Fashion-MNIST and digits, real photos and faces, solar cells, rated texts and SMS
spam, ORL faces), your own image folders and CSV files, class splits and per-class samples, domain shifts,
adapters for ImageNet backbones and ``tf.data`` pipelines. Imports only from :mod:`keras_tl.core`.

Modules:

* :mod:`keras_tl.data.builtin`
* :mod:`keras_tl.data.splits`
* :mod:`keras_tl.data.tasks`
* :mod:`keras_tl.data.shifts`
* :mod:`keras_tl.data.adapters`
* :mod:`keras_tl.data.photos`
* :mod:`keras_tl.data.solar_cells`
* :mod:`keras_tl.data.real_texts`
* :mod:`keras_tl.data.few_shot_faces`
* :mod:`keras_tl.data.folders`
* :mod:`keras_tl.data.text_csv`
* :mod:`keras_tl.data.pipelines`

Every public name is also ``keras_tl.<name>``.
"""
