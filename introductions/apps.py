"""App config for introductions: double opt-in before contact details are shared."""

from django.apps import AppConfig


class IntroductionsConfig(AppConfig):
    name = "introductions"
    verbose_name = "Introductions"
