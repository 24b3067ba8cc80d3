"""The lifetime every wrapper of a library handle shares."""
import threading


class Handle:
    """Owns one handle of the C library: `_open(handle)` takes it, `close()` (or leaving a `with`
    block, or garbage collection) gives it back once through the class's `_close_function`, and
    `_require()` returns it or raises ValueError once closed."""

    _handle = None
    _kind = "handle"

    def _open(self, handle):
        self._handle = handle
        self._lock = threading.Lock()

    @staticmethod
    def _close_function(handle):
        raise NotImplementedError

    def close(self):
        """Gives the handle back; later calls raise ValueError. Only when no other thread is using it."""
        lock = getattr(self, "_lock", None)
        if lock is None:
            return
        with lock:
            if self._handle:
                type(self)._close_function(self._handle)
                self._handle = None

    def _require(self):
        handle = self._handle
        if not handle:
            raise ValueError(f"the {self._kind} is closed")
        return handle

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass
