"""Reading a py-spy profile (``--format raw``: one collapsed stack and its count per line)."""

from __future__ import annotations

import collections
from pathlib import Path


def top_functions(path: Path, count: int = 25) -> tuple[int, list[tuple[str, int]]]:
    """Samples in all, and the functions found in the most samples (inclusive, once a stack)."""
    total = 0
    inclusive: collections.Counter[str] = collections.Counter()
    for line in path.read_text(errors="replace").splitlines():
        stack, _, number = line.rstrip().rpartition(" ")
        if not number.isdigit():
            continue
        samples = int(number)
        total += samples
        for frame in {frame.split(" (")[0] + _where(frame) for frame in stack.split(";")}:
            inclusive[frame] += samples
    return total, inclusive.most_common(count)


def _where(frame: str) -> str:
    """`` (module.py)`` from py-spy's ``function (path/module.py:line)``."""
    inside = frame.partition(" (")[2].rstrip(")")
    return f" ({Path(inside.rsplit(':', 1)[0]).name})" if inside else ""


def print_profile(path: Path, count: int = 25) -> None:
    if not path.exists():
        print(f"  no profile at {path} (is py-spy installed? pip install py-spy)")
        return
    total, functions = top_functions(path, count)
    print(f"  where Ragtime held the GIL ({total} samples at 200/s), inclusive:")
    for name, samples in functions:
        print(f"    {samples / total:6.1%}  {name}")
