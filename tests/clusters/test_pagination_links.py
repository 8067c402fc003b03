"""The page links of includes/pagination.html: the same links the template's loop over every
page chose before, now worked out without visiting every page."""

import re

import pytest
from django.core.paginator import Paginator
from django.template.loader import render_to_string

from clusters.templatetags.pagination import page_links


def the_templates_old_choice(current: int, last: int) -> list[int | None]:
    """The template's former loop over every page number, word for word."""
    near_start, near_end, gap_start, gap_end = current - 1, current + 1, current - 2, current + 2
    links = []
    for number in range(1, last + 1):
        if (
            number == 1
            or number == last
            or (near_start <= number <= near_end)
            or (number == 2 and gap_start == 2)
            or (number == last - 1 and gap_end == number)
        ):
            links.append(number)
        elif number in (gap_start, gap_end):
            links.append(None)
    return links


@pytest.mark.parametrize("last", range(1, 15))
def test_the_links_are_those_the_template_chose_before(last):
    for current in range(1, last + 1):
        assert page_links(current, last) == the_templates_old_choice(current, last), current


def test_a_long_list_links_the_ends_and_the_neighbours_only():
    page = Paginator(range(48_000), 20).page(1200)
    html = render_to_string(
        "includes/pagination.html", {"page_obj": page, "query_string_without_page": "q=heat"}
    )
    numbers = re.findall(r'aria-label="Page (\d+)"', html)
    assert numbers == ["1", "1199", "1200", "1201", "2400"]
    assert html.count("govuk-pagination__item--ellipsis") == 2
    assert 'href="?q=heat&amp;page=1201" rel="next"' in html
    assert 'aria-current="page"' in html.split('aria-label="Page 1200"')[1].split(">")[0]
