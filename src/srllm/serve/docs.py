"""The API docs at ``/docs``: Swagger UI served from the `swagger-ui-bundle` package (no CDN), so the
page works on a machine without internet."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

ASSETS = "/docs-assets"
#: The schema as the viewer reads it: swagger-ui-bundle 1.1.0 (the newest on PyPI) packages Swagger UI 4.15.5,
#: which refuses OpenAPI 3.1 documents ("does not specify a valid version field"), so /docs reads the same
#: schema labelled 3.0.3; /openapi.json itself stays FastAPI's 3.1 document.
VIEWER_SCHEMA = "/docs-assets-openapi.json"


def install(app: FastAPI) -> None:
    """``/docs`` (Swagger UI) and its assets under ``/docs-assets``."""
    try:
        from swagger_ui_bundle import swagger_ui_path
    except ImportError:  # pragma: no cover - the serve extra installs it
        return
    app.mount(ASSETS, StaticFiles(directory=str(swagger_ui_path)), name="docs-assets")

    @app.get(VIEWER_SCHEMA, include_in_schema=False)
    async def viewer_schema() -> JSONResponse:
        return JSONResponse({**app.openapi(), "openapi": "3.0.3"})

    @app.get("/docs", include_in_schema=False)
    async def swagger() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url=VIEWER_SCHEMA, title=f"{app.title} API",
                                   swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
                                   swagger_css_url=f"{ASSETS}/swagger-ui.css",
                                   swagger_favicon_url=f"{ASSETS}/favicon-32x32.png")
