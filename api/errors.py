"""Clear, Vietnamese error bodies (never a 500 for a client mistake), and an OpenAPI that says so.

Every error the API answers itself has one shape, ``ErrorBody``: ``{"error": "<Vietnamese
sentence>"}``, plus ``detail`` (one entry per problem) for invalid input (422). FastAPI documents
its own ``HTTPValidationError`` for every 422 and Starlette answers ``{"detail": "Not Found"}``;
both are replaced here in one place, so the published schema is what clients really receive.
Routes list their other error statuses with ``error_responses(...)``.

The services' refusals (``core.errors``) are mapped to statuses here, once: not found 404,
conflict 409, forbidden 403, invalid 422 (with ``detail`` when the refusal names its field),
rejected 400. Routes let them through instead of catching them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from pydantic.json_schema import SkipJsonSchema
from starlette.exceptions import HTTPException as StarletteHTTPException

from core.errors import ConflictError, DomainError, ForbiddenError, InvalidError, NotFoundError, RejectedError

_MESSAGES = {
    "missing": "thiếu trường bắt buộc",
    "string_too_short": "không được để trống",
    "string_too_long": "quá dài",
    "string_type": "phải là chuỗi ký tự",
    "string_pattern_mismatch": "có ký tự không hợp lệ",
    "extra_forbidden": "không được phép",
    "json_invalid": "JSON không hợp lệ",
    "model_attributes_type": "phải là một đối tượng JSON",
    "int_parsing": "phải là số nguyên",
    "float_parsing": "phải là số",
    "bool_parsing": "phải là đúng/sai",
    "date_from_datetime_parsing": "phải là ngày dạng YYYY-MM-DD",
    "date_parsing": "phải là ngày dạng YYYY-MM-DD",
    "less_than_equal": "quá lớn",
    "greater_than_equal": "quá nhỏ",
    "enum": "không thuộc các giá trị cho phép",
    "literal_error": "không thuộc các giá trị cho phép",
}

# What a client reads for an HTTPException raised with Starlette's default English phrase
# (unknown path, wrong method, ...); a route's own Vietnamese detail is passed through.
_STATUS_MESSAGES = {
    400: "Yêu cầu không hợp lệ.",
    401: "Cần xác thực để dùng địa chỉ này.",
    403: "Không có quyền dùng địa chỉ này.",
    404: "Không tìm thấy địa chỉ hoặc dữ liệu được yêu cầu.",
    405: "Địa chỉ này không nhận phương thức {method}.",
    406: "Không có định dạng trả lời phù hợp với yêu cầu.",
    413: "Dữ liệu gửi lên quá lớn.",
    415: "Kiểu dữ liệu gửi lên không được hỗ trợ.",
    429: "Gửi quá nhiều yêu cầu; vui lòng chờ một lát rồi thử lại.",
}
_FALLBACK_MESSAGE = "Không xử lý được yêu cầu này."
# FastAPI's 400 for a body it cannot read at all (e.g. not UTF-8). A JSON syntax error is already a
# 422 ``json_invalid``; this is the same client mistake, so it gets the same answer.
_UNREADABLE_BODY = "There was an error parsing the body"

# Checked in this order: a refusal of two kinds (e.g. a decision already made is both rejected and
# a conflict) gets the more specific status.
DOMAIN_STATUSES: tuple[tuple[type[DomainError], int], ...] = (
    (NotFoundError, 404),
    (ConflictError, 409),
    (ForbiddenError, 403),
    (InvalidError, 422),
    (RejectedError, 400),
)

# Default descriptions of the statuses routes document (OpenAPI requires one per response).
_DESCRIPTIONS = {
    400: "Yêu cầu không hợp lệ",
    401: "Chưa xác thực hoặc chữ ký không đúng",
    403: "Không được phép",
    404: "Không tìm thấy",
    413: "Dữ liệu quá lớn",
    422: "Dữ liệu gửi lên không hợp lệ",
    503: "Dịch vụ chưa sẵn sàng",
}


class ErrorDetail(BaseModel):
    field: str = Field(description="Trường bị lỗi, ví dụ `message` hoặc `query.q`")
    message: str = Field(description="Lý do, bằng tiếng Việt")
    type: str = Field(description="Mã lỗi kiểm tra dữ liệu (pydantic), ví dụ `string_too_long`")


class ErrorBody(BaseModel):
    """The body of every error the API answers itself."""

    error: str = Field(description="Câu giải thích bằng tiếng Việt")
    # Only invalid input (422) lists its problems; absent otherwise (never null).
    detail: list[ErrorDetail] | SkipJsonSchema[None] = Field(default=None, description="Từng chỗ sai (chỉ với 422)")


def error_responses(*statuses: int, **descriptions: str) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route that answers ``statuses`` with an ``ErrorBody``.

    ``descriptions`` overrides the default description of a status, keyed ``s404=...``."""
    documented: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        description = descriptions.get(f"s{status}") or _DESCRIPTIONS.get(status) or HTTPStatus(status).phrase
        documented[status] = {"model": ErrorBody, "description": description}
    return documented


def _validation_body(errors: Sequence[Any]) -> dict[str, Any]:
    problems = []
    for error in errors:
        field = ".".join(str(part) for part in error.get("loc", ()) if part != "body") or "body"
        reason = _MESSAGES.get(error.get("type", ""), error.get("msg", "không hợp lệ"))
        if error.get("type") == "value_error":
            reason = str(error.get("ctx", {}).get("error", reason))
        problems.append({"field": field, "message": reason, "type": str(error.get("type", "value_error"))})
    summary = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
    return {"error": f"Dữ liệu gửi lên không hợp lệ — {summary}", "detail": problems}


def _http_error_message(request: Request, exc: StarletteHTTPException) -> str:
    detail = exc.detail
    try:
        default = HTTPStatus(exc.status_code).phrase
    except ValueError:
        default = ""
    if isinstance(detail, str) and detail and detail != default:
        return detail  # a route's own sentence
    template = _STATUS_MESSAGES.get(exc.status_code, _FALLBACK_MESSAGE)
    return template.format(method=request.method)


def domain_status(error: DomainError) -> int:
    return next((status for kind, status in DOMAIN_STATUSES if isinstance(error, kind)), 400)


def domain_error_response(error: DomainError) -> JSONResponse:
    """The answer to a service's refusal: its status and ``{"error": message}``."""
    status = domain_status(error)
    if isinstance(error, InvalidError) and error.field:
        problem = {"loc": (error.field,), "type": "value_error", "ctx": {"error": error.message}}
        return JSONResponse(status_code=status, content=_validation_body([problem]))
    return JSONResponse(status_code=status, content={"error": error.message})


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain_error(_request: Request, error: DomainError) -> JSONResponse:
        return domain_error_response(error)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(status_code=422, content=_validation_body(exc.errors()))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        headers = getattr(exc, "headers", None)
        if exc.status_code in (204, 304) or exc.status_code < 200:
            return Response(status_code=exc.status_code, headers=headers)  # no body allowed
        if exc.status_code == 400 and exc.detail == _UNREADABLE_BODY:
            unreadable = {"type": "json_invalid", "loc": ("body",), "msg": "JSON decode error"}
            return JSONResponse(status_code=422, content=_validation_body([unreadable]))
        return JSONResponse(
            status_code=exc.status_code, content={"error": _http_error_message(request, exc)}, headers=headers
        )

    app.openapi = _openapi_with_error_bodies(app)  # type: ignore[method-assign]


# --- OpenAPI -------------------------------------------------------------------------------------

_SCHEMAS_REPLACED = ("HTTPValidationError", "ValidationError")


def _openapi_with_error_bodies(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """``app.openapi`` with FastAPI's automatic 422 documented as the ``ErrorBody`` we send."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = generate()
        _document_error_bodies(schema)
        app.openapi_schema = schema
        return schema

    return openapi


def _document_error_bodies(schema: dict[str, Any]) -> None:
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for name, definition in _component_schemas().items():
        components.setdefault(name, definition)
    ref = {"$ref": "#/components/schemas/ErrorBody"}
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            response = operation.get("responses", {}).get("422")
            if response is None:
                continue
            response["description"] = _DESCRIPTIONS[422]
            response["content"] = {"application/json": {"schema": dict(ref)}}
    for name in _SCHEMAS_REPLACED:
        components.pop(name, None)


def _component_schemas() -> dict[str, Any]:
    definition = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
    nested = definition.pop("$defs", {})
    return {"ErrorBody": definition, **nested}
