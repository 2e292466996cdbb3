"""Clear, Vietnamese error bodies for bad input (never a 500 for a client mistake)."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

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


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for error in exc.errors():
            field = ".".join(str(part) for part in error.get("loc", ()) if part != "body") or "body"
            reason = _MESSAGES.get(error.get("type", ""), error.get("msg", "không hợp lệ"))
            if error.get("type") == "value_error":
                reason = str(error.get("ctx", {}).get("error", reason))
            problems.append({"field": field, "message": reason, "type": error.get("type")})
        summary = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
        return JSONResponse(status_code=422, content={"error": f"Dữ liệu gửi lên không hợp lệ — {summary}", "detail": problems})
