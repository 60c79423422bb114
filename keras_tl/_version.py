"""The version of keras-tl (read by ``keras_tl.__version__`` and ``python -m keras_tl --version``)."""

__version__ = "0.2.0"
