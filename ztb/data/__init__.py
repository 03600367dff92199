"""Data shipped with the package: Microsoft's published lists and the baseline's manual checks.

:func:`read_text` is the one reader. It reads beside this module rather than through
``importlib.resources``, whose import (tempfile, zipfile and friends) costs every `ztb` process
about 5 ms for nothing: the package is installed as files, never zipped.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType


def read_text(name: str, package: ModuleType | None = None) -> str:
    """The text of data file ``name`` of ``package`` (default: this one, ``ztb/data/``)."""
    here = Path(package.__file__ if package is not None else __file__).parent
    return (here / name).read_text(encoding="utf-8")
