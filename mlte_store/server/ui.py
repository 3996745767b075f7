"""MLTE's web UI, served from the installed `mlte` package and pointed at this server's API.

The UI is MLTE's built Nuxt app (`mlte serve`'s static files). Its API base is
fixed at build time: every HTML page holds `apiPath:"http://localhost:8080/api"`.
`UiFiles` serves the package's files unchanged except that base, rewritten in
memory to this origin's `/api` (so no CORS is needed); the installed files are
never touched. Requests under `/api` go to the API as before.
"""

from __future__ import annotations

import os
from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from mlte_store.errors import ErrorStore

#: The API base MLTE 2.7.0's UI was built with, and what it becomes here.
BUILT_API_BASE = 'apiPath:"http://localhost:8080/api"'
SERVED_API_BASE = 'apiPath:"/api"'

#: Headers of every page: no sniffing, no framing by other sites.
PAGE_HEADERS = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY"}


def rewritten_pages(folder: Path) -> dict[str, bytes]:
    """Every HTML page of the UI (by real path) with its API base pointed at `/api`.

    ErrorStore if no page holds the base this code knows (another UI build).
    """
    pages: dict[str, bytes] = {}
    for path in sorted(folder.rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        pages[os.path.realpath(path)] = text.replace(BUILT_API_BASE, SERVED_API_BASE).encode()
    if not any(SERVED_API_BASE.encode() in page for page in pages.values()):
        raise ErrorStore(
            f"MLTE's UI in {folder} holds no {BUILT_API_BASE} to point at this server "
            "(built for mlte 2.7.0; install 'mlte_store[ui]')"
        )
    return pages


class UiFiles(StaticFiles):
    """The UI's files (directories answer with their index.html, a missing path 404.html)."""

    def __init__(self, folder: Path) -> None:
        super().__init__(directory=folder, html=True)
        self.pages = rewritten_pages(folder)

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if isinstance(response, FileResponse):
            page = self.pages.get(os.path.realpath(response.path))
            if page is not None:
                return HTMLResponse(page, response.status_code, headers=PAGE_HEADERS)
        return response


class UiFrontend:
    """ASGI middleware: paths outside `api_prefix` are the UI's; the rest go to the app."""

    def __init__(self, app: ASGIApp, folder: Path, api_prefix: str) -> None:
        self.app, self.files, self.api_prefix = app, UiFiles(folder), api_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if (
            scope["type"] != "http"
            or path == self.api_prefix
            or path.startswith(f"{self.api_prefix}/")
        ):
            await self.app(scope, receive, send)
            return
        try:
            await self.files(scope, receive, send)
        except HTTPException as exc:  # 405 for a write, 404 for an unreadable path
            answer = JSONResponse({"detail": exc.detail}, exc.status_code, headers=exc.headers)
            await answer(scope, receive, send)
