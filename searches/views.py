"""Save a search from its list page; see, rename and delete saved searches."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from . import services
from .forms import RenameSearchForm, SaveSearchForm
from .models import SavedSearch
from .pages import PAGES

# The longest query kept in the link back to the list page. Django refuses to redirect to a
# far longer address (a bare 400), and sign-in drops a `next` over 2,048 characters.
BACK_QUERY_MAX = 2000


def _crumbs(*trail):
    return [("Home", reverse("home")), *trail]


@require_POST
def save(request):
    page = PAGES.get(request.POST.get("page", ""))
    if page is None:
        raise Http404
    query = QueryDict(request.POST.get("query", ""), mutable=True)
    query.pop("page", None)
    encoded = query.urlencode()
    back = reverse(page.url_name)
    # Nor with a NUL, which the list page refuses (400) before it could show the message.
    if encoded and len(encoded) <= BACK_QUERY_MAX and "%00" not in encoded:
        back += f"?{encoded}"
    if not request.user.is_authenticated:
        return redirect_to_login(back)
    form = SaveSearchForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors["name"]))
        return redirect(back)
    try:
        search = services.save_search(request.user, page.name, query, form.cleaned_data["name"])
    except services.SearchNotSaved as exc:
        same, name = exc.existing, form.cleaned_data["name"]
        if same is None:
            messages.error(request, str(exc))
            return redirect(back)
        if name and " ".join(name.split()) != same.name:  # saved again under a new name
            old = same.name
            services.rename_search(same, name)
            messages.success(
                request,
                f"You had already saved this search as “{old}”. It is now called “{same.name}”.",
            )
            return redirect(same.get_absolute_url())
        messages.info(request, f"{exc} It is listed below, where you can rename or delete it.")
        return redirect("searches:list")
    messages.success(
        request,
        f"Search saved as “{search.name}”. We will email you new results with your match emails.",
    )
    return redirect(search.get_absolute_url())


@login_required
def saved_searches(request):
    searches = list(SavedSearch.objects.of_user(request.user).filter(page__in=list(PAGES)))
    names = services.slug_names() if searches else None
    for search in searches:
        search.described = services.describe(search.page, search.query, names)
    return render(
        request,
        "searches/saved_searches.html",
        {
            "searches": searches,
            "max_saved": services.MAX_SAVED,
            "nav_section": "account",
            "crumbs": _crumbs(("Your saved searches", None)),
        },
    )


def _my_search(request, ref):
    return get_object_or_404(SavedSearch.objects.of_user(request.user), ref=ref)


@login_required
def rename(request, ref):
    search = _my_search(request, ref)
    form = RenameSearchForm(request.POST or None, initial={"name": search.name})
    if request.method == "POST" and form.is_valid():
        services.rename_search(search, form.cleaned_data["name"])
        messages.success(request, f"Search renamed to “{search.name}”.")
        return redirect("searches:list")
    return render(
        request,
        "searches/rename.html",
        {
            "search": search,
            "form": form,
            "nav_section": "account",
            "crumbs": _crumbs(
                ("Your saved searches", reverse("searches:list")), (f"Rename {search.name}", None)
            ),
        },
    )


@login_required
@require_POST
def delete(request, ref):
    search = _my_search(request, ref)
    services.delete_search(search)
    messages.success(
        request, f"Saved search “{search.name}” deleted. We will not email you about it."
    )
    return redirect("searches:list")
