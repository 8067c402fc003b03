"""Word stemming for keyword search on databases without full-text search (SQLite)."""

import re
from functools import lru_cache

import snowballstemmer

_WORD = re.compile(r"[a-z0-9]+")
_stemmer = snowballstemmer.stemmer("english")


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    return _stemmer.stemWord(word)


def stems(text: str) -> list[str]:
    """The English stems of the words in `text`, in order ("Capturing CO2" -> captur, co2)."""
    return [_stem(w) for w in _WORD.findall(text.lower())]


def search_document(*texts: str) -> str:
    """A space-delimited set of stems, padded with spaces so ' stem ' matches whole stems."""
    words = sorted({s for text in texts for s in stems(text)})
    return f" {' '.join(words)} " if words else ""
