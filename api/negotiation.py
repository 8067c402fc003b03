"""How the API picks its answer's format."""

from rest_framework import exceptions
from rest_framework.negotiation import DefaultContentNegotiation


class ContentNegotiation(DefaultContentNegotiation):
    """DRF's, except that an unknown `?format=` says so: DRF raised a bare 404, which the
    API's error handler could only read as "no such record" (found by an outside probe).
    Still a 404, as DRF documents it, and as the schema lists for every operation."""

    def filter_renderers(self, renderers, format):
        found = [renderer for renderer in renderers if renderer.format == format]
        if not found:
            offered = ", ".join(sorted({r.format for r in renderers}))
            raise exceptions.NotFound(
                f"There is no “{format}” format: use ?format= with one of {offered}, or "
                "leave it out for JSON."
            )
        return found
