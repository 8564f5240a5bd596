"""Side and spinal levels of a request (step 3 of :mod:`openimr.request.parse`)."""

from __future__ import annotations

import re

from openimr.model.request import Side

_I = re.IGNORECASE


# -- 3. regions, side, levels --------------------------------------------------------------

_LEFT = re.compile(r"\bleft\b|\blt\b\.?", _I)
_RIGHT = re.compile(r"\bright\b|\brt\b\.?", _I)
_BILATERAL = re.compile(r"\bbilateral(?:ly)?\b|\bbilat\b|\bb/l\b|\bboth\b|\bBUE\b|\bBLE\b", _I)
_LEVEL = re.compile(r"\b([CTLS])(\d{1,2})(?:\s*[-–]\s*([CTLS])?(\d{1,2}))?\b")
_LEVEL_MAX = {"C": 7, "T": 12, "L": 5, "S": 5}


def side_of(text: str) -> Side | None:
    if _BILATERAL.search(text):
        return "bilateral"
    left, right = bool(_LEFT.search(text)), bool(_RIGHT.search(text))
    if left and right:
        return "bilateral"
    return "left" if left else "right" if right else None


def _valid_level(letter: str, number: str) -> bool:
    return 1 <= int(number) <= _LEVEL_MAX[letter]


def spinal_levels(text: str) -> tuple[str, ...]:
    """Spinal levels named: "L4-5, L5-S1" -> ("L4-L5", "L5-S1")."""
    out: list[str] = []
    for m in _LEVEL.finditer(text):
        a_l, a_n, b_l, b_n = m.groups()
        if not _valid_level(a_l, a_n):
            continue
        level = f"{a_l}{int(a_n)}"
        if b_n is not None:
            b_l = b_l or a_l
            if _valid_level(b_l, b_n):
                level += f"-{b_l}{int(b_n)}"
        if level not in out:
            out.append(level)
    return tuple(out)
