"""What every room uses: the input checks every public function runs (``docs/errors.md``), ``tf.data`` batches
wherever arrays are taken, resumable ``fit`` and atomic writes, restarting a compiled model without a new trace (:func:`keras_tl.snapshot`), the one cache folder, and the speed options
of the training helpers. Imports nothing from the other rooms.

Modules:

* :mod:`keras_tl.core.validation`
* :mod:`keras_tl.core.data_input`
* :mod:`keras_tl.core.checkpoints`
* :mod:`keras_tl.core.cache`
* :mod:`keras_tl.core.training`
* :mod:`keras_tl.core.restarts`

Every public name is also ``keras_tl.<name>``.
"""
