"""Huge pages: numpy asks for them, and on a fragmented machine that costs more than it saves.

NumPy marks every array of 4 MiB or more with madvise(MADV_HUGEPAGE). Where transparent huge
pages are "always" or "madvise" and defrag is "madvise" (the kernel's default), each first
touch of such an array may make the kernel compact memory before it can hand out a 2 MiB page,
on the thread that touched it. The fit and the ranking allocate hundreds of MiB per rebuild:
measured at 20,000 listings on a 2-core virtual machine, fit + suggest took about 1.6 times as
long with the hint on, most of the difference spent in the kernel (docs/benchmarks.md, "Huge
pages"; benchmarks/huge_pages.py).

So the engine turns numpy's hint off when it is imported, unless the operator chose for
themselves with numpy's own environment variable NUMPY_MADVISE_HUGEPAGE (0 or 1), which numpy
reads when it is imported (and refuses, failing the import, unless it is an integer). The hint
is process-wide: it changes nothing but speed, for every numpy array of the process.
"""

from __future__ import annotations

import os

ENVIRONMENT = "NUMPY_MADVISE_HUGEPAGE"


def _switch():
    """numpy's private switch for the hint (its location moved in numpy 2), or None."""
    try:
        from numpy._core import multiarray
    except ImportError:  # numpy 1
        from numpy.core import multiarray
    return getattr(multiarray, "_set_madvise_hugepage", None)


def no_huge_pages() -> bool | None:
    """Turn numpy's huge-page hint off unless NUMPY_MADVISE_HUGEPAGE is set.

    Returns the hint's value before (None when the operator's setting stands or this numpy has
    no switch)."""
    if ENVIRONMENT in os.environ:  # numpy read it at import (and refuses an empty one)
        return None
    switch = _switch()
    if switch is None:
        return None
    return bool(switch(False))
