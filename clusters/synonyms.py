"""Words that mean the same thing in a keyword search.

A plant engineer searching for "CO2 storage" should find a listing that says "carbon dioxide
storage", and one searching for "carbon capture and storage" should find "CCS". So a search
word or phrase that is in a group below is looked for in any of the group's forms, and a word
spelled the British or the American way ("decarbonisation", "decarbonization"; "electrolyser",
"electrolyzer") in either spelling. Every other word is still needed as typed.

The groups are narrow on purpose: the same thing said another way (an abbreviation and what it
stands for, one word or two), never a wider topic. The matcher's vocabulary
(matching/vocabulary.txt) ties "kiln" to "cement" to suggest partners; a search for "kiln"
must not list every cement works. Abbreviations with two common meanings in the field ("SMR":
steam methane reforming or small modular reactor) are left out, and so are those that are
everyday words too ("AD", anaerobic digestion, is also "ad hoc").

Applied to the search words only, never to what is stored: changing a group needs no
re-indexing. Both databases read the same groups (clusters.models).
"""

import re
from functools import cache

from django.contrib.postgres.search import SearchQuery

from .search import stems, words

# Each line is one group of forms that mean the same thing. Small words ("and", "of", "with")
# inside a form are not needed in the text: "carbon capture and storage" also finds "carbon
# capture storage".
GROUPS: tuple[tuple[str, ...], ...] = (
    ("co2", "carbon dioxide"),
    ("h2", "hydrogen"),
    # CCS and CCUS name the same projects in UK programmes' own documents.
    (
        "ccs",
        "ccus",
        "carbon capture and storage",
        "carbon capture usage and storage",
        "carbon capture utilisation and storage",
        "carbon capture use and storage",
    ),
    ("ccu", "carbon capture and utilisation", "carbon capture and use"),
    ("dac", "direct air capture"),
    ("beccs", "bioenergy with carbon capture and storage"),
    ("ggr", "greenhouse gas removal"),
    ("ghg", "greenhouse gas"),
    ("saf", "sustainable aviation fuel"),
    ("hvo", "hydrotreated vegetable oil"),
    ("efw", "energy from waste"),
    ("chp", "combined heat and power"),
    ("pv", "photovoltaic", "photovoltaics"),
    ("ppa", "power purchase agreement"),
    ("bess", "battery energy storage"),
    ("ev", "electric vehicle"),
    ("hgv", "heavy goods vehicle"),
    ("lng", "liquefied natural gas"),
    ("cng", "compressed natural gas"),
    ("mvr", "mechanical vapour recompression"),
    ("eaf", "electric arc furnace"),
    ("steelworks", "steel works"),
    ("ironworks", "iron works"),
    ("heat pump", "heatpump"),
    # Forms of one word that the English stemmer leaves apart ("recover" -> "recov",
    # "recovery" -> "recoveri"): "recover waste heat" found nothing (newcomer probe, stop 31).
    ("recover", "recovery", "recoveries"),
)

# Words inside a form that the text need not have (PostgreSQL's English configuration drops
# them too).
SMALL_WORDS = frozenset({"and", "of", "the", "with", "for", "from", "a", "an", "to", "in"})
LONGEST_FORM = 6  # words

# -ise/-ize and -yse/-yze endings, for words of 6 letters or more: a spelling that does not
# exist ("sise" for "size") is only a form nothing is found by.
_BRITISH = re.compile(r"^(\w{3,}[iy])s(e|es|ed|er|ers|ing|ation|ations|ational)$")
_AMERICAN = re.compile(r"^(\w{3,}[iy])z(e|es|ed|er|ers|ing|ation|ations|ational)$")

Form = tuple[str, ...]  # the words of one way of saying it, small words left out
Part = tuple[Form, ...]  # the ways of saying one part of the search; any one will do


def _form(text: str) -> Form:
    found = tuple(w for w in words(text) if w not in SMALL_WORDS)
    return found or tuple(words(text))


@cache
def _by_stems() -> dict[tuple[str, ...], Part]:
    """Each form's stems (small words left out) -> all the forms of its group."""
    index: dict[tuple[str, ...], Part] = {}
    for group in GROUPS:
        forms = tuple(dict.fromkeys(_form(text) for text in group))
        for form in forms:
            index[tuple(stems(" ".join(form)))] = forms
    return index


def _spellings(word: str) -> Part:
    for pattern, letter in ((_BRITISH, "z"), (_AMERICAN, "s")):
        found = pattern.match(word)
        if found and len(word) >= 6:
            return ((word,), (f"{found.group(1)}{letter}{found.group(2)}",))
    return ((word,),)


def search_parts(query: str) -> list[Part]:
    """The search's words as parts that must all be found, each in any of its forms.

    "CO2 storage" -> [(("co2",), ("carbon", "dioxide")), (("storage",),)]. The longest form
    that starts at a word wins ("carbon capture and storage" is CCS, not carbon capture).
    """
    typed = words(query)
    stemmed = stems(query)
    index = _by_stems()
    parts: list[Part] = []
    at = 0
    while at < len(typed):
        for length in range(min(LONGEST_FORM * 2, len(typed) - at), 0, -1):
            first, last = typed[at], typed[at + length - 1]
            if first in SMALL_WORDS or last in SMALL_WORDS:
                continue
            window = zip(typed[at : at + length], stemmed[at : at + length], strict=True)
            forms = index.get(tuple(s for w, s in window if w not in SMALL_WORDS))
            if forms:
                parts.append(forms)
                at += length
                break
        else:
            parts.append(_spellings(typed[at]))
            at += 1
    return parts


def widened(parts: list[Part]) -> bool:
    """Whether any part of the search can be found in more than one form."""
    return any(len(part) > 1 for part in parts)


def _quoted(stem: str) -> str:
    return '"{}"'.format(stem.replace('"', '""'))


def fts5_expression(query: str) -> str:
    """The SQLite FTS5 query for `query`: every part needed, each in any of its forms, a form
    of several words as all of their stems (the stored search document is a set of stems,
    not the text in order)."""
    needed = []
    for part in search_parts(query):
        forms = []
        for form in part:
            found = [_quoted(stem) for stem in stems(" ".join(form))]
            forms.append(found[0] if len(found) == 1 else f"({' AND '.join(found)})")
        needed.append(forms[0] if len(forms) == 1 else f"({' OR '.join(forms)})")
    return " AND ".join(needed)


_WEB_SEARCH_SYNTAX = re.compile(r'"|(?:^|\s)-\w|\bor\b', re.IGNORECASE)


def uses_web_search_syntax(query: str) -> bool:
    """A "quoted phrase", a -word left out, or OR: read as written on PostgreSQL, without
    other forms. Widened, `"heat recovery" -steam` needed "steam" (review, stop 31)."""
    return bool(_WEB_SEARCH_SYNTAX.search(query))


def postgres_query(query: str) -> SearchQuery:
    """PostgreSQL's full-text query for `query`, English configuration.

    Without a word that has other forms, or with the web search syntax ("quoted phrase",
    -word, OR), this is the search as typed, in that syntax. Otherwise each part becomes a
    choice of its forms and all parts are needed (as on SQLite, which never reads the syntax).
    """
    parts = search_parts(query)
    if not widened(parts) or uses_web_search_syntax(query):
        return SearchQuery(query, config="english", search_type="websearch")
    # PostgreSQL's stored vectors read the text as written, not folded as words() folds it:
    # a word typed "CO₂" or "Straße" is also looked for as typed (review, stop 28).
    as_typed: dict[str, set[str]] = {}
    for token in re.findall(r"\w+", query):
        folded = words(token)
        if len(folded) == 1 and folded[0] != token.lower():
            as_typed.setdefault(folded[0], set()).add(token.lower())
    needed = None
    for part in parts:
        texts = [" ".join(form) for form in part]
        texts += sorted(
            {typed for form in part if len(form) == 1 for typed in as_typed.get(form[0], ())}
        )
        either = None
        for text in texts:
            one = SearchQuery(text, config="english", search_type="plain")
            either = one if either is None else either | one
        needed = either if needed is None else needed & either
    return needed
