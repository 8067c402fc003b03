from django.apps import AppConfig


class ApiConfig(AppConfig):
    """The API's plumbing: personal tokens, errors, paging, sync and throttles.

    It imports no domain app: each domain's API views live in that app's `api.py` and are
    wired together in `config/api.py`.
    """

    default_auto_field = "django.db.models.BigAutoField"
    name = "api"
    verbose_name = "API"

    def ready(self):
        from . import receivers, schema  # noqa: F401  (signal receivers; the token in drf-spectacular)
