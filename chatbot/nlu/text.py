"""Text normalisation shared by training and prediction."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
_NUMBERS = re.compile(r"\d+")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'"})


def text_normalize(text: str) -> str:
    """Lower case, no accents, digits folded to one token, single spaces.

    Customers write with and without accents; the model should not care.
    """
    text = unicodedata.normalize("NFKD", text.translate(_APOSTROPHES))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = _NUMBERS.sub("0", text)
    return _SPACES.sub(" ", text).strip()
