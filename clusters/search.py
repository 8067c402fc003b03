"""Word stemming for keyword search on databases without full-text search (SQLite)."""

import re
import unicodedata
from functools import cache, lru_cache

import snowballstemmer

_stemmer = snowballstemmer.stemmer("english")

# The Unicode planes that hold combining marks: the basic and supplementary multilingual
# planes and the supplementary special-purpose plane (variation selectors). Planes 2 and 3
# are for ideographs, 4 to 13 are unassigned and 15 and 16 are for private use
# (tests/clusters/test_search.py checks this against every code point).
MARK_PLANES = (0, 1, 14)


@cache
def _word_pattern() -> re.Pattern:
    """Runs of letters, digits and combining marks, in any script.

    Python's `\\w` has no combining marks, which would cut words of scripts such as
    Devanagari into single letters; PostgreSQL keeps them whole. Built on first use rather
    than at import, from the planes that hold marks (MARK_PLANES): reading all 1.1 million
    code points took 0.3 s, paid by the first search each web worker served.
    """
    marks = [
        c
        for plane in MARK_PLANES
        for c in range(plane << 16, (plane + 1) << 16)
        if unicodedata.category(chr(c))[0] == "M"
    ]
    ranges, start, end = [], marks[0], marks[0]
    for c in marks[1:]:
        if c != end + 1:
            ranges.append((start, end))
            start = c
        end = c
    ranges.append((start, end))
    mark_class = "".join(f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in ranges)
    return re.compile(rf"(?:[^\W_]|[{mark_class}])+")


def words(text: str) -> list[str]:
    """The words of `text` in order: letters and digits of any script, in a standard form.

    Compatibility forms are unified (a decomposed "é" is "é", "²" is "2") and case is
    folded, so that the same word typed differently is found.
    """
    return _word_pattern().findall(unicodedata.normalize("NFKC", text).casefold())


def has_words(text: str) -> bool:
    """Whether a search for `text` has anything to look for ("!" or "😀" have not)."""
    return bool(words(text))


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    return _stemmer.stemWord(word)


def stems(text: str) -> list[str]:
    """The English stems of the words in `text`, in order ("Capturing CO2" -> captur, co2)."""
    return [_stem(w) for w in words(text)]


def search_document(*texts: str) -> str:
    """A space-delimited set of stems, padded with spaces so ' stem ' matches whole stems."""
    found = sorted({s for text in texts for s in stems(text)})
    return f" {' '.join(found)} " if found else ""
