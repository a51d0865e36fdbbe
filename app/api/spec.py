"""How a view declares its OpenAPI operation: `@operation(...)` right under the route decorator.

Shapes are typed: `typing_extensions.TypedDict`s (the dicts the views answer, with pydantic's
`Annotated[..., Field(...)]` for limits and descriptions), turned into JSON Schema by pydantic.
Path and method come from Flask's url_map, so they are never written twice; app/api/openapi.py
assembles the document. A shape that depends on the settings (a limit, a default) is given as a
function of the settings that returns the TypedDict. (`typing_extensions.TypedDict`, because
pydantic needs it on Python < 3.12.)

A small layer over pydantic rather than flask-openapi3 or spectree: routes stay plain Flask
routes, views keep answering plain dicts (now typed), and nothing validates requests twice.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from typing_extensions import TypedDict

from app.config import Settings

Shape = Any  # a TypedDict, or any type pydantic can describe (`str`, `dict[str, Any]`)
ShapeOf = Shape | Callable[[Settings], Shape]
View = TypeVar("View", bound=Callable[..., Any])
_ATTRIBUTE = "openapi_operation"


def settings_shape(name: str, fields: dict[str, Any]) -> Shape:
    """A TypedDict whose fields depend on the settings, made when the document is assembled."""
    return TypedDict(name, fields)  # type: ignore[operator]  # mypy knows static TypedDicts only


@dataclass(frozen=True)
class Reply:
    shape: Shape
    description: str
    media_type: str = "application/json"
    retry_after: bool = False  # sends header Retry-After


@dataclass(frozen=True)
class Body:
    shape: ShapeOf
    media_types: tuple[str, ...] = ("multipart/form-data",)
    required: bool = True


@dataclass(frozen=True)
class Operation:
    summary: str
    replies: dict[int, Reply]
    errors: tuple[int, ...] = ()  # statuses answered with the error body (app/api/errors.py)
    operation_id: str | None = None  # default: the view's name
    path: ShapeOf | None = None  # a TypedDict of the URL's variables
    query: ShapeOf | None = None  # a TypedDict of the query parameters
    body: Body | None = None
    public: bool = False  # no X-API-Key needed (and so no 401)


def operation(summary: str, replies: dict[int, Reply], **details: Any) -> Callable[[View], View]:
    """Declare the OpenAPI operation of the view below (see `Operation` for `details`)."""
    declared = Operation(summary, replies, **details)

    def attach(view: View) -> View:
        setattr(view, _ATTRIBUTE, declared)
        return view

    return attach


def declared(view: Callable[..., Any]) -> Operation | None:
    return getattr(view, _ATTRIBUTE, None)


def resolve(shape: ShapeOf, settings: Settings) -> Shape:
    """The shape itself, or what a settings-dependent shape gives for `settings`."""
    return shape(settings) if inspect.isfunction(shape) else shape
