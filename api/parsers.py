"""The API's body parsers."""

import codecs
import math
import re

from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils import json


def _lone_surrogate(data) -> bool:
    """Whether any text in parsed JSON (keys included) holds a lone surrogate: JSON allows
    the escape "\\ud800" on its own, but it is not a character, and no text holding one can
    be stored or even written back in an error message (outside probe, stop 29: a 500 on a
    choice field that repeated the value)."""
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if not item.isascii() and _SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


_SURROGATE = re.compile("[\ud800-\udfff]")


def _finite(text: str) -> float:
    """A JSON number as a float, refusing one too large for it: 1e400 read as infinity, and a
    title sent as that number was stored as the text "inf" (found by an outside probe)."""
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:30]} is too large")
    return value


class JSONParser(parsers.JSONParser):
    """DRF's JSONParser, which also refuses JSON nested too deeply to read, numbers too
    large for a float, and text that is not characters (a lone surrogate escape).

    Python's json module reads nested arrays and objects by recursion: about 1,000 levels
    (a 2 KB body) raise RecursionError, which DRF does not catch (only ValueError), so the
    caller got a 500. Both are a 400 like any other body that cannot be read.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = parsers.get_encoding(parser_context or {})
        try:
            decoded = codecs.getreader(encoding)(stream)
            parse_constant = json.strict_constant if self.strict else None
            data = json.load(decoded, parse_constant=parse_constant, parse_float=_finite)
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
        except RecursionError:
            raise ParseError(
                "JSON parse error - arrays and objects are nested too deeply to read"
            ) from None
        if _lone_surrogate(data):
            raise ParseError(
                "JSON parse error - the text holds a lone surrogate escape (such as \\ud800), "
                "which is not a character. Send text as UTF-8, or escape each character "
                "outside the Basic Multilingual Plane as a pair (\\ud83d\\ude00)."
            )
        return data
