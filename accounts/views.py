"""Privacy notice, download of a user's data, and deletion of their account."""

import json

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from config.confirmation import confirm_first

from . import services
from .forms import DeleteAccountForm
from .models import PRIVACY_NOTICE_VERSION


def privacy_notice(request):
    return render(request, "accounts/privacy.html", {"version": PRIVACY_NOTICE_VERSION})


# Downloading everything held about someone asks for the password or the app again (unless
# given in the last 5 minutes), as deleting the account does: a session alone, left open or
# stolen, must not be enough to take all of it (outside probe, stop 28). The page asks first,
# so that the download itself then works at once.
@login_required
@confirm_first()
def your_data(request):
    return render(request, "accounts/your_data.html", {"form": DeleteAccountForm()})


# A POST, so that a link or a prefetch never starts a download; never_cache sends
# "Cache-Control: no-store" (with no-cache, must-revalidate, private): the file holds
# personal data that no browser or proxy should keep.
@never_cache
@login_required
@require_POST
@confirm_first("account-your-data")  # more than 5 minutes on the page: confirmed, then back
def download_data(request):
    data = services.export_user_data(request.user)
    response = HttpResponse(
        json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False),
        content_type="application/json; charset=utf-8",
    )
    stamp = timezone.now().strftime("%Y-%m-%d")
    response["Content-Disposition"] = f'attachment; filename="cluster-exchange-data-{stamp}.json"'
    return response


@login_required
# The password or app again, before the page and before the deletion (config.confirmation):
# allauth's reauthentication_required held a POST back and completed it after the password,
# for whoever typed it (the rule of the other lasting actions, outside probe, stop 28).
@confirm_first()
def delete_account(request):
    form = DeleteAccountForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        services.delete_account(request.user)
        logout(request)
        messages.success(request, "Your account has been deleted.")
        return redirect("home")
    return render(
        request,
        "accounts/delete_account.html",
        {"form": form, "removed": services.what_deleting_removes(request.user)},
    )
