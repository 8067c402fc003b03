"""Serializer fields shared by the API's apps."""

from rest_framework import serializers


class ChoiceField(serializers.ChoiceField):
    """DRF's ChoiceField, whose errors say which values it takes.

    DRF's own words were `"['offer']" is not a valid choice.`: right, but no help to the
    person who has to fix the request. A field's own `error_messages` still win.
    """

    default_error_messages = {
        "invalid_choice": '"{input}" is not one of the choices. Use one of: {choices}.',
        "not_text": "Send one of the choices as a string. Use one of: {choices}.",
    }

    def to_internal_value(self, data):
        if data == "" and self.allow_blank:
            return ""
        if isinstance(data, (list, dict)):
            self.fail("not_text", choices=self._names())
        try:
            return self.choice_strings_to_values[str(data)]
        except KeyError:
            self.fail("invalid_choice", input=data, choices=self._names())

    def _names(self) -> str:
        return ", ".join(str(value) for value in self.choices)


# DRF's ModelSerializer whose fields made from a model's choices are ChoiceField above. (No
# docstring: drf-spectacular would give it to every serializer made from this one.)
class ModelSerializer(serializers.ModelSerializer):
    serializer_choice_field = ChoiceField
