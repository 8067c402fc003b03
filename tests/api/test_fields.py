"""The API's choice fields say which values they take (api.fields.ChoiceField)."""

import importlib

import pytest
from django.apps import apps
from django.conf import settings
from rest_framework import serializers

from api.fields import ChoiceField


def errors_of(field, value):
    with pytest.raises(serializers.ValidationError) as caught:
        field.run_validation(value)
    return [str(e) for e in caught.value.detail]


def test_a_wrong_value_is_named_with_the_values_to_use():
    field = ChoiceField(choices=[("offer", "Offer"), ("need", "Need")])
    assert errors_of(field, "gift") == [
        '"gift" is not one of the choices. Use one of: offer, need.'
    ]
    assert errors_of(field, ["offer"]) == [
        "Send one of the choices as a string. Use one of: offer, need."
    ]
    assert errors_of(field, {"kind": "offer"})[0].startswith("Send one of the choices")
    assert field.run_validation("need") == "need"


def test_a_fields_own_message_still_wins():
    field = ChoiceField(choices=["a", "b"], error_messages={"invalid_choice": "Choose a or b."})
    assert errors_of(field, "c") == ["Choose a or b."]


def test_blank_is_kept_where_allowed():
    field = ChoiceField(choices=["a"], allow_blank=True)
    assert field.run_validation("") == ""
    assert errors_of(ChoiceField(choices=["a"]), "") == [
        '"" is not one of the choices. Use one of: a.'
    ]


def _serializer_classes():
    for config in apps.get_app_configs():
        if not config.path.startswith(str(settings.BASE_DIR)) or ".venv" in config.path:
            continue
        try:
            module = importlib.import_module(f"{config.name}.serializers")
        except ModuleNotFoundError:
            continue
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, serializers.Serializer)
                and value.__module__ == module.__name__
            ):
                yield value


def _writable_choice_fields(serializer, prefix=""):
    for name, field in serializer.fields.items():
        if field.read_only:
            continue
        if isinstance(field, serializers.ListField):
            field = field.child
        if isinstance(field, serializers.Serializer):
            yield from _writable_choice_fields(field, f"{prefix}{name}.")
        elif isinstance(field, serializers.ChoiceField):
            yield f"{prefix}{name}", field


def test_every_writable_choice_field_of_the_api_says_its_values():
    seen, plain = 0, []
    for cls in _serializer_classes():
        try:
            serializer = cls()
        except (TypeError, AssertionError):  # needs arguments, or a base without Meta
            continue
        for name, field in _writable_choice_fields(serializer):
            seen += 1
            if not isinstance(field, ChoiceField):
                plain.append(f"{cls.__module__}.{cls.__name__}.{name}")
    assert seen >= 8, "the walk found the API's choice fields"
    assert plain == [], f"use api.fields.ChoiceField for {plain}"
