"""Template filters for emails: text that people chose, made safe to stand in a subject."""

import unicodedata

from django import template

register = template.Library()

# Longest user-chosen text (an organisation's or a person's name, a listing's title) that
# stands in a subject or a line of an email; longer text is cut with an ellipsis.
QUOTED_MAX = 60
QUOTES = str.maketrans(dict.fromkeys('"“”„‟«»', "'"))


@register.filter
def quoted(value, limit: int = QUOTED_MAX) -> str:
    """User-chosen text between curly quotes (“Acme Ltd”), on one line, at most `limit`
    characters: so that it reads as a name, not as words of ours.

    Line breaks and other control or invisible formatting characters (such as
    right-to-left overrides) are removed, and double quotes inside become single ones,
    so that the text cannot close the quotes around it.
    """
    text = "".join(
        " " if unicodedata.category(c) in {"Cc", "Zl", "Zp"} else c
        for c in str(value)
        if unicodedata.category(c) != "Cf"
    )
    text = " ".join(text.split()).translate(QUOTES)
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return f"“{text}”"
