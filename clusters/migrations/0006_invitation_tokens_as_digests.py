"""Invitations sent before tokens were stored as digests hold the token itself: store its
SHA-256 instead, so that the emailed link still works and no row holds a usable token."""

import hashlib

from django.db import migrations



def digest_tokens(apps, schema_editor):
    Invitation = apps.get_model("clusters", "Invitation")
    for invitation in Invitation.objects.exclude(token__regex=r"^[0-9a-f]{64}$").only("token"):
        invitation.token = hashlib.sha256(invitation.token.encode()).hexdigest()
        invitation.save(update_fields=["token"])


class Migration(migrations.Migration):
    dependencies = [("clusters", "0005_search_document_words_in_any_script")]

    operations = [migrations.RunPython(digest_tokens, migrations.RunPython.noop)]
