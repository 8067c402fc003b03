"""Names and titles people type, as one clean line."""

import unicodedata

# Characters that show nothing but are not formatting characters (category Cf): the Hangul
# fillers (which count as letters), the braille blank, the combining grapheme joiner, Khmer
# inherent vowels, Mongolian and other variation selectors.
INVISIBLE = {
    "\u115f",
    "\u1160",
    "\u3164",
    "\uffa0",
    "\u2800",
    "\u034f",
    "\u17b4",
    "\u17b5",
    *map(chr, range(0x180B, 0x1810)),
    *map(chr, range(0xFE00, 0xFE10)),
    *map(chr, range(0xE0100, 0xE01F0)),
}
# The zero-width (non-)joiners, which Persian, the Indic scripts and emoji need, are kept
# between two letters of those (non-Latin) scripts, and removed anywhere else.
JOINERS = {"\u200c", "\u200d"}


def _kept(text: str, i: int) -> bool:
    c = text[i]
    if c in JOINERS:
        before, after = text[i - 1 : i], text[i + 1 : i + 2]
        return all(
            x and not x.isascii() and unicodedata.category(x)[0] in "LMS" for x in (before, after)
        )
    return unicodedata.category(c) != "Cf" and c not in INVISIBLE


def one_line(value: str) -> str:
    """`value` on one line, spaces collapsed, with invisible characters (zero-width spaces,
    right-to-left overrides, byte-order marks, fillers) removed: a name made of them looked
    empty, and "Bobco Ltd" with one in it passed for a different name from "Bobco Ltd"
    (found by an outside probe)."""
    text = value or ""
    kept = "".join(c for i, c in enumerate(text) if _kept(text, i))
    return " ".join(kept.split())


def has_words(value: str) -> bool:
    """Whether `value` holds at least one letter or digit (not only marks and joiners)."""
    return any(c.isalnum() and c not in INVISIBLE for c in value)
