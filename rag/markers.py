"""The marker vocabulary, defined once: ``[E1]``/``[L2]`` name a shown passage, ``[29]`` an essay footnote.

Composition writes markers, ``verify`` and the synthesis checks resolve them and the evaluation
reads them with these same patterns, so what is measured is what is enforced.
"""

from __future__ import annotations

import re

MARKER = r"[EL]\d+"
"""A passage marker without brackets: E for the essay side, L for the literature side."""
MARKER_RE = re.compile(rf"\[({MARKER})\]")
"""A bracketed marker in running text; group 1 is the marker."""
BARE_MARKER_RE = re.compile(rf"^{MARKER}$")
"""A whole token that is a marker (``E1``)."""
QUOTED_MARKER_RE = re.compile(rf"“([^“”]+)”\s*\[({MARKER})\]")
"""“quoted words” [M]: the quoted words must be verbatim in passage M."""
FOOTNOTE_RE = re.compile(r"\[(\d+)\]")
"""An essay footnote reference (``[29]``); group 1 is its number."""
