"""Page numbers for the site's paginated lists."""

from django.core.paginator import Page, Paginator


def requested_page(paginator: Paginator, number) -> Page:
    """The page asked for in the URL. Like Django's get_page, a page past the end gives the
    last page and anything that is not a number the first; unlike it, a number below 1
    ("?page=0", "?page=-3") also gives the first page, not the last."""
    try:
        if int(number) < 1:
            number = 1
    except (TypeError, ValueError, OverflowError):
        pass
    return paginator.get_page(number)
