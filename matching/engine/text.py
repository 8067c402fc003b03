"""Text analysis: tokens, stop words and a light English stemmer."""

from __future__ import annotations

import re
import unicodedata

# Function words only: words such as "fire", "system" or "bill" carry meaning here.
STOP_WORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "aren",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "cannot",
        "could",
        "couldn",
        "did",
        "didn",
        "do",
        "does",
        "doesn",
        "doing",
        "don",
        "down",
        "during",
        "each",
        "either",
        "etc",
        "even",
        "ever",
        "every",
        "few",
        "for",
        "from",
        "further",
        "get",
        "gets",
        "getting",
        "got",
        "had",
        "hadn",
        "has",
        "hasn",
        "have",
        "haven",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "however",
        "i",
        "if",
        "in",
        "into",
        "is",
        "isn",
        "it",
        "its",
        "itself",
        "let",
        "ll",
        "may",
        "me",
        "might",
        "more",
        "most",
        "much",
        "must",
        "mustn",
        "my",
        "myself",
        "neither",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "often",
        "on",
        "once",
        "one",
        "only",
        "or",
        "other",
        "others",
        "otherwise",
        "ought",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "per",
        "please",
        "quite",
        "rather",
        "re",
        "really",
        "same",
        "shall",
        "shan",
        "she",
        "should",
        "shouldn",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "though",
        "through",
        "thus",
        "to",
        "too",
        "under",
        "until",
        "up",
        "upon",
        "us",
        "ve",
        "very",
        "via",
        "was",
        "wasn",
        "we",
        "were",
        "weren",
        "what",
        "when",
        "where",
        "whether",
        "which",
        "while",
        "who",
        "whom",
        "whose",
        "why",
        "will",
        "with",
        "within",
        "without",
        "won",
        "would",
        "wouldn",
        "yet",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
    ]
)

# Words, numbers, "O&M", and a single letter joined by a hyphen ("e-fuel", read as "efuel").
_TOKEN_RE = re.compile(r"\b[A-Za-z]-[A-Za-z0-9]+|[A-Za-z0-9]+(?:&[A-Za-z0-9]+)*")
_VOWELS = frozenset("aeiou")


def _is_consonant(word: str, i: int) -> bool:
    ch = word[i]
    if ch in _VOWELS:
        return False
    if ch == "y":
        return i == 0 or not _is_consonant(word, i - 1)
    return True


def _measure(stem: str) -> int:
    """Porter's m: the number of vowel-consonant sequences in the stem."""
    m, i, n = 0, 0, len(stem)
    while i < n and _is_consonant(stem, i):
        i += 1
    while i < n:
        while i < n and not _is_consonant(stem, i):
            i += 1
        if i >= n:
            break
        m += 1
        while i < n and _is_consonant(stem, i):
            i += 1
    return m


def _has_vowel(stem: str) -> bool:
    return any(not _is_consonant(stem, i) for i in range(len(stem)))


def _ends_cvc(word: str) -> bool:
    n = len(word)
    return (
        n >= 3
        and _is_consonant(word, n - 3)
        and not _is_consonant(word, n - 2)
        and _is_consonant(word, n - 1)
        and word[-1] not in "wxy"
    )


def stem(word: str) -> str:
    """A light English stemmer: Porter's steps 1 and 5 (plurals, -ed, -ing, final -e), -ize = -ise.

    Light on purpose: "capturing" and "captured" meet "capture", while "electric" and
    "electricity" stay apart (the vocabulary file brings related words together instead).
    """
    if len(word) <= 3 or not word.isalpha():
        return word
    for us, uk in (("ization", "isation"), ("izing", "ising"), ("ized", "ised"), ("izer", "iser")):
        if us in word:
            word = word.replace(us, uk)
            break
    else:
        if word.endswith(("ize", "izes")):
            word = word.replace("ize", "ise")
    # Step 1a: plurals.
    if word.endswith("sses") or word.endswith("ies"):
        word = word[:-2]
    elif word.endswith(("ss", "us", "is", "gas")):
        pass
    elif word.endswith("s"):
        word = word[:-1]
    # Step 1b: -eed, -ed, -ing.
    suffix_removed = False
    if word.endswith("eed"):
        if _measure(word[:-3]) > 0:
            word = word[:-1]
    elif word.endswith("ed") and _has_vowel(word[:-2]):
        word, suffix_removed = word[:-2], True
    elif word.endswith("ing") and _has_vowel(word[:-3]):
        word, suffix_removed = word[:-3], True
    if suffix_removed:
        if word.endswith(("at", "bl", "iz", "is")):
            word += "e"
        elif len(word) >= 2 and word[-1] == word[-2] and word[-1] not in "lsz":
            if _is_consonant(word, len(word) - 1):
                word = word[:-1]
        elif _measure(word) == 1 and _ends_cvc(word):
            word += "e"
    # Step 1c: y -> i after a vowel-bearing stem (battery, batteries -> batteri).
    if word.endswith("y") and _has_vowel(word[:-1]):
        word = word[:-1] + "i"
    # Step 5: a final -e goes (capture, capturing -> captur), -ll becomes -l.
    if word.endswith("e"):
        m = _measure(word[:-1])
        if m > 1 or (m == 1 and not _ends_cvc(word[:-1])):
            word = word[:-1]
    if word.endswith("ll") and _measure(word) > 1:
        word = word[:-1]
    return word


# Raw token -> analysed form, with the stemmer on and off.
_STEM_CACHES: dict[bool, dict[str, str | None]] = {True: {}, False: {}}


def _word_key(token: str, stemming: bool = True) -> str | None:
    """The analysed form of one raw token, or None for stop words, numbers and single letters."""
    cache = _STEM_CACHES[stemming]
    key = cache.get(token)
    if key is not None or token in cache:
        return key
    lower = token.lower().replace("-", "")
    if len(lower) < 2 or lower[0].isdigit() or lower in STOP_WORDS:
        key = None
    else:
        key = stem(lower) if stemming else lower
    if len(cache) < 2_000_000:
        cache[token] = key
    return key


def _normalise(text: str) -> str:
    """Unicode compatibility forms folded ("CO₂" is "CO2"); plain ASCII needs nothing."""
    return text if text.isascii() else unicodedata.normalize("NFKC", text)


def _raw_tokens(text: str) -> list[str]:
    return _TOKEN_RE.findall(_normalise(text))


def _analyse_words(text: str, stemming: bool = True) -> list[str]:
    keys = (_word_key(t, stemming) for t in _raw_tokens(text))
    return [k for k in keys if k is not None]
