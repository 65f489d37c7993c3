"""The API's request parsers. A module of their own: DRF reads the parser setting while it
imports its views, so the parsers must not import DRF's views themselves (core.api does)."""

from rest_framework import exceptions, parsers


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser; a body nested deeper than Python's decoder can follow is a 400 like
    any other malformed JSON, not a RecursionError."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError(
                "JSON parse error - the body is nested too deeply."
            ) from None
