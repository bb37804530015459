"""The fonts the compositions draw with: shipped inside the package, found in the checkout when run from it."""

from __future__ import annotations

import functools
from pathlib import Path

from ..errors import EnvironmentProblem

REGULAR, BOLD = "DejaVuSans.ttf", "DejaVuSans-Bold.ttf"
# Installed, the fonts sit in the package (pyproject force-include); in a checkout, in assets/fonts.
FONT_DIRS = (Path(__file__).parents[1] / "fonts", Path(__file__).resolve().parents[3] / "assets" / "fonts")


@functools.cache
def font_file(name: str) -> Path:
    """Return the path of a shipped font; EnvironmentProblem if the installation lacks it."""
    for folder in FONT_DIRS:
        if (folder / name).is_file():
            return folder / name
    raise EnvironmentProblem(f"{name}: font not found in {' or '.join(map(str, FONT_DIRS))} "
                             "(reinstall mediapack)")
