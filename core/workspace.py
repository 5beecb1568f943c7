"""Reusable float64 buffers for :class:`core.networks.Network` (no module-level state).

A deep network's forward and backward passes write every layer's ``z``, ``a``, ``dL/dz``,
``dL/da`` and weight gradient into a few multi-megabyte blocks. Allocating them afresh on every
call costs first-touch page faults -- for a 20 x 512 MLP on a batch of 1024 about 320 MB per
call, roughly a tenth of the matrix products' time -- so a :class:`Workspace` keeps the blocks
and hands them out again.

Safety rule: a pooled array is handed out again **only when no other Python object refers to
it** -- not a returned :class:`~core.networks.Trace`, not a gradient dict, not a view or a
slice of either (every NumPy view holds a reference to the array that owns the memory). The
check reads the CPython reference count under a lock, so

* results a caller still holds are never overwritten: a second forward pass while the first
  trace is alive gets a second block (or a fresh, unpooled array);
* two threads sharing one network (e.g. a network cached for all Streamlit sessions) never
  receive the same block at the same time;
* nothing is shared between networks unless the caller passes the same workspace explicitly.

Memory: at most ``max_arrays`` arrays are kept (least recently requested shapes are dropped
first), at most :data:`PER_KEY` per (name, shape). ``Workspace(max_arrays=0)`` disables reuse
(every request allocates). Pickling or deep-copying a workspace gives an empty one, so a
network stored by ``st.cache_data`` carries its parameters, not its scratch memory.
"""

from __future__ import annotations

import sys
import threading
from collections import OrderedDict

import numpy as np

__all__ = ["DEFAULT_MAX_ARRAYS", "PER_KEY", "Workspace"]

#: Default cap on the number of arrays one workspace keeps.
DEFAULT_MAX_ARRAYS: int = 16
#: Arrays kept per (name, shape): two, so a loop that still holds the previous step's results
#: while computing the next (``grads = net.backward(...)`` rebinding ``grads``) alternates
#: between two blocks instead of allocating every step.
PER_KEY: int = 2


def _refcount_of_slot(slots: list[np.ndarray], i: int) -> int:
    """Reference count of ``slots[i]`` as seen from here (includes the temporaries of the call)."""
    return sys.getrefcount(slots[i])


#: Reference count of an array held by nothing but a workspace slot, measured through the same
#: call as the check itself (so interpreter details cancel out).
_FREE_REFS: int = _refcount_of_slot([np.empty(0)], 0)


class Workspace:
    """A pool of reusable float64 arrays keyed by (name, shape).

    Parameters
    ----------
    max_arrays : int
        Largest number of arrays kept; 0 disables reuse.

    Notes
    -----
    Contents of a handed-out array are arbitrary (like ``np.empty``). The caller must not keep
    the array in a container of the workspace's own; any other reference marks it as in use.
    """

    def __init__(self, max_arrays: int = DEFAULT_MAX_ARRAYS) -> None:
        if isinstance(max_arrays, bool) or not isinstance(max_arrays, int) or max_arrays < 0:
            raise ValueError(f"max_arrays must be a non-negative int, got {max_arrays!r}")
        self.max_arrays = max_arrays
        self._slots: OrderedDict[tuple[str, tuple[int, ...]], list[np.ndarray]] = OrderedDict()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Workspace(max_arrays={self.max_arrays}, held={self.n_arrays}, {self.nbytes} bytes)"

    # Pickle / deepcopy: parameters only, never scratch memory or the (unpicklable) lock.
    def __getstate__(self) -> dict[str, int]:
        return {"max_arrays": self.max_arrays}

    def __setstate__(self, state: dict[str, int]) -> None:
        self.__init__(state["max_arrays"])  # type: ignore[misc]

    @property
    def n_arrays(self) -> int:
        """Number of arrays currently kept."""
        with self._lock:
            return sum(len(s) for s in self._slots.values())

    @property
    def nbytes(self) -> int:
        """Bytes held by the kept arrays."""
        with self._lock:
            return sum(a.nbytes for s in self._slots.values() for a in s)

    def clear(self) -> None:
        """Drop every kept array (arrays a caller still holds stay valid)."""
        with self._lock:
            self._slots.clear()

    def array(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        """A C-contiguous float64 array of ``shape`` that no one else currently references.

        Parameters
        ----------
        name : str
            Role of the buffer (``"z"``, ``"dz"``, ...): two roles with the same shape never
            share an array.
        shape : tuple of int

        Returns
        -------
        ndarray, shape ``shape``
            A kept array when one of this (name, shape) is free, else a new one (kept if there
            is room). Its contents are arbitrary.
        """
        key = (name, tuple(int(s) for s in shape))
        with self._lock:
            slots = self._slots.get(key)
            if slots is None:
                slots = []
                if self.max_arrays > 0:
                    self._slots[key] = slots
            else:
                self._slots.move_to_end(key)
            for i in range(len(slots)):
                if _refcount_of_slot(slots, i) <= _FREE_REFS:
                    return slots[i]
            arr = np.empty(key[1])
            if self.max_arrays > 0 and len(slots) < PER_KEY:
                slots.append(arr)
                self._evict()
            return arr

    def _evict(self) -> None:
        """Drop least recently requested keys until at most ``max_arrays`` arrays are kept."""
        total = sum(len(s) for s in self._slots.values())
        while total > self.max_arrays and len(self._slots) > 1:
            _, dropped = self._slots.popitem(last=False)
            total -= len(dropped)
        if total > self.max_arrays:  # a single key over the cap (max_arrays < PER_KEY)
            slots = next(iter(self._slots.values()))
            del slots[self.max_arrays :]
