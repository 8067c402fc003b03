"""Names and titles people type, as one clean line."""

import unicodedata

# Invisible formatting characters are removed, except the zero-width (non-)joiners that
# some scripts (Persian, the Indic ones) and emoji sequences need.
KEPT_FORMAT = {"\u200c", "\u200d"}


def one_line(value: str) -> str:
    """`value` on one line, spaces collapsed, with invisible formatting characters (zero-width
    spaces, right-to-left overrides, byte-order marks) removed: a name made of them looked
    empty, and "Bobco Ltd" with one on the end passed for a different name from "Bobco Ltd"
    (found by an outside probe)."""
    kept = "".join(c for c in value or "" if unicodedata.category(c) != "Cf" or c in KEPT_FORMAT)
    return " ".join(kept.split())


def has_words(value: str) -> bool:
    """Whether `value` holds at least one letter or digit (not only marks and joiners)."""
    return any(c.isalnum() for c in value)
