"""Requests no page of ours can answer, refused before any view runs."""

from django.http import Http404


class RefuseNulInPathMiddleware:
    """A NUL character in the path is "Page not found", whichever view the path resembles.

    No reference, slug or token of ours contains one, and PostgreSQL refuses NUL in text:
    looking one up was a 500 on every detail page (found by tests/fuzz).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path:
            raise Http404("No page has this address")
        return self.get_response(request)
