"""The API's body parsers."""

from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    """DRF's JSONParser, which also refuses JSON nested too deeply to read.

    Python's json module reads nested arrays and objects by recursion: about 1,000 levels
    (a 2 KB body) raise RecursionError, which DRF does not catch (only ValueError), so the
    caller got a 500. It is a 400 like any other body that cannot be read.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(
                "JSON parse error - arrays and objects are nested too deeply to read"
            ) from None
