"""Hide the one-time links already stored in the outbox (before secrets were sealed).

Emails still to be sent keep their links in `sealed`, so they still work when sent;
emails already sent (or given up) lose them for good.
"""

import re

from django.db import migrations

from outbox.services import seal

# The links of this site whose last part acts for the person who was sent it.
SECRET_LINK = re.compile(
    r"/(?:account/confirm-email|account/password/reset/key|invitations"
    r"|email/link|email/answer|email/unsubscribe)/([^/\s<>\"'&]+)"
)


def hide_secrets(apps, schema_editor):
    Email = apps.get_model("outbox", "Email")
    for email in Email.objects.iterator():
        parts = [email.body_text, email.body_html, *map(str, email.headers.values())]
        secrets = {token for part in parts for token in SECRET_LINK.findall(part)}
        if not secrets:
            continue
        text, html, headers, sealed = seal(secrets, email.body_text, email.body_html, email.headers)
        email.body_text, email.body_html, email.headers = text, html, headers
        email.sealed = sealed if email.status in ("pending", "sending") else {}
        email.save(update_fields=["body_text", "body_html", "headers", "sealed"])


class Migration(migrations.Migration):
    dependencies = [("outbox", "0004_email_sealed_secrets")]

    operations = [migrations.RunPython(hide_secrets, migrations.RunPython.noop)]
