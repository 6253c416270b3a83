"""API blueprints that document themselves only when the OpenAPI document is asked for.

flask-openapi3 builds each operation's JSON schemas when the route is declared, that is when
app/api is imported: about a third of the cost of starting any process that builds the app
(web workers, the scheduler, chat-stream, every CLI command), for a document that only
/api/openapi.json serves. Here a route is registered with the request models it validates
(exactly what the library does for an undocumented route) and its documentation is collected
later, the first time an app generates its document, in the order the routes were declared,
so the document is the same as if it had been built at import.
"""

from __future__ import annotations

import threading

import flask_openapi3
from flask_openapi3.utils import parse_parameters


class APIBlueprint(flask_openapi3.APIBlueprint):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._undocumented: list[tuple[str, object, dict]] = []
        self._documenting = threading.Lock()

    def _collect_openapi_info(self, rule, func, **kwargs):
        if self.doc_ui is True and kwargs.get("doc_ui", True) is True:
            self._undocumented.append((rule, func, kwargs))
        return parse_parameters(func, doc_ui=False)

    def document(self) -> None:
        """Collect the documentation of every route declared so far (once)."""
        with self._documenting:
            pending, self._undocumented = self._undocumented, []
            for rule, func, kwargs in pending:
                super()._collect_openapi_info(rule, func, **kwargs)


class OpenAPI(flask_openapi3.OpenAPI):
    """The application: its document takes in the blueprints' deferred documentation."""

    def generate_spec_json(self):
        for blueprint in self.blueprints.values():
            if isinstance(blueprint, APIBlueprint):
                blueprint.document()
                self._take_in(blueprint)
        super().generate_spec_json()

    def _take_in(self, blueprint: APIBlueprint) -> None:
        """What register_api does with a blueprint's documentation (no url_prefix option)."""
        for tag in blueprint.tags:
            if tag.name not in self.tag_names:
                self.tags.append(tag)
                self.tag_names.append(tag.name)
        self.paths.update(**blueprint.paths)
        self.components_schemas.update(**blueprint.components_schemas)
