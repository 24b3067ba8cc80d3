"""The exceptions Quiver raises: one per `qv_status` of the C library (include/quiver.h)."""


class QuiverError(Exception):
    """Any failure reported by the Quiver library; `status` is the C status code."""

    status = 8


class InvalidArgumentError(QuiverError, ValueError):
    """A bad argument: an empty or invalid text, a wrong dimension, k < 1, a filter that does not parse."""

    status = 1


class NotFoundError(QuiverError, LookupError):
    """No such store, space or model file."""

    status = 2


class CorruptError(QuiverError):
    """A model, store or cache file that is corrupt, truncated, or of another format."""

    status = 3


class StoreFullError(QuiverError, OSError):
    """The store's size limit or the disk is full; nothing of the failed write was committed."""

    status = 4


class ReadOnlyError(QuiverError, PermissionError):
    """A write to a store opened read-only."""

    status = 5


class StoreBusyError(QuiverError, OSError):
    """The store is held by another operation (a compacting rewrite), or an I/O failure."""

    status = 6


class CallbackError(QuiverError):
    """An external model (CachedModel's function) failed or returned vectors of the wrong shape."""

    status = 7


class InternalError(QuiverError):
    """A failure the library did not expect: a bug, please report its message."""

    status = 8


BY_STATUS = {cls.status: cls for cls in (InvalidArgumentError, NotFoundError, CorruptError, StoreFullError,
                                         ReadOnlyError, StoreBusyError, CallbackError, InternalError)}
