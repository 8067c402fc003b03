"""`{% publicfragment "name" %}...{% endpublicfragment %}`: a part of a page that is the same
for everyone, cached even where the whole page cannot be (for people who are signed in).

    {% load public_fragments %}
    {% publicfragment "results" %}... the search results ...{% endpublicfragment %}

The key is the content generation (pagecache.services, so a change retires it at once, as
for whole pages), the name, the host and the full path with its query string. Put nothing
of the viewer's inside: no `user`, no form that posts. As a guard, a part whose HTML holds
a CSRF token or this request's CSP nonce is never stored.
"""

import hashlib

from django import template
from django.conf import settings
from django.core.cache import caches

from .. import services

register = template.Library()


@register.tag("publicfragment")
def publicfragment(parser, token):
    bits = token.split_contents()
    if len(bits) != 2:
        raise template.TemplateSyntaxError("publicfragment takes one argument: its name")
    nodelist = parser.parse(("endpublicfragment",))
    parser.delete_first_token()
    return PublicFragmentNode(nodelist, parser.compile_filter(bits[1]))


class PublicFragmentNode(template.Node):
    def __init__(self, nodelist, name):
        self.nodelist = nodelist
        self.name = name

    def render(self, context):
        request = context.get("request")
        generation = _generation(request) if settings.PAGE_CACHE_ENABLED else None
        if generation is None:
            return self.nodelist.render(context)
        where = f"{self.name.resolve(context)}|{request.get_host()}|{request.get_full_path()}"
        digest = hashlib.sha256(where.encode("utf-8", "surrogateescape")).hexdigest()
        key = f"fragment:{generation}:{digest}"
        store = caches[settings.PAGE_CACHE_ALIAS]
        html = store.get(key)
        if html is None:
            html = self.nodelist.render(context)
            nonce = getattr(request, "_csp_nonce", None)
            if "csrfmiddlewaretoken" not in html and not (nonce and nonce in html):
                store.set(key, html, settings.PAGE_CACHE_SECONDS)
        return html


def _generation(request) -> str | None:
    """The generation, read once per request however many fragments the page has."""
    if request is None:
        return None
    if not hasattr(request, "_pagecache_generation"):
        request._pagecache_generation = services.current()
    return request._pagecache_generation
