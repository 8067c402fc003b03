"""Content negotiation: a format nobody serves is a 406 that names the ones on offer."""

from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation


class ContentNegotiation(DefaultContentNegotiation):
    """DRF's, except that `?format=` naming no renderer of the view answers 406 Not
    Acceptable, saying which formats there are, where DRF answers 404 (which reads as "no
    such record")."""

    def filter_renderers(self, renderers, format):
        found = [renderer for renderer in renderers if renderer.format == format]
        if not found:
            offered = ", ".join(sorted({r.format for r in renderers if r.format}))
            raise NotAcceptable(
                f"That format is not available here: leave out format, or ask for one of "
                f"these: {offered}."
            )
        return found
