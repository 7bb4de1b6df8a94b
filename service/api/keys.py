from __future__ import annotations

from typing import Annotated

import anyio.to_thread
from litestar import Controller, Response, delete, get, post, route
from litestar.di import NamedDependency
from litestar.enums import HttpMethod
from litestar.params import JSONBody
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT
from pydantic import BaseModel, ConfigDict, Field

from service.access import Scope
from service.api.access import ADMIN, PUBLIC
from service.api.errors import error_responses
from service.api.params import PathId
from service.store.read_models import ApiKeyCreated, ApiKeyRead
from service.store.repository import Store

KeyName = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f]+$")]


class ApiKeyIn(BaseModel):
    """A key to create: who it is for, and the most it may do."""

    model_config = ConfigDict(extra="forbid")

    name: KeyName = Field(description="Who or what uses the key")
    scope: Scope = Field(description="read, write or admin (admin implies write implies read)")


class ApiKeyController(Controller):
    """API keys, managed by admin keys (or the CLI: python -m service keys ...)."""

    path = "/keys"
    tags = ["keys"]
    opt = ADMIN
    request_max_body_size = 4096

    @route("/", http_method=HttpMethod.OPTIONS, include_in_schema=False, opt=PUBLIC)
    async def allow(self) -> Response[None]:
        # As ArticleController.allow (litestar#4169): Litestar 2's own OPTIONS handler lists
        # only the method of the path's first handler.
        return Response(
            None, status_code=HTTP_204_NO_CONTENT, headers={"Allow": "GET, OPTIONS, POST"}
        )

    @post(
        "/",
        operation_id="createApiKey",
        summary="Create an API key; its token is in this answer only",
        status_code=HTTP_201_CREATED,
        responses=error_responses(400, 401, 403, 408, 413, 415, 429, 503),
    )
    async def create(
        self, store: NamedDependency[Store], data: JSONBody[ApiKeyIn]
    ) -> ApiKeyCreated:
        return await anyio.to_thread.run_sync(store.create_key, data.name, data.scope.value)

    @get(
        "/",
        operation_id="listApiKeys",
        summary="Every API key (name, scope, when created, last used, revoked); no tokens",
        sync_to_thread=True,
        responses=error_responses(401, 403, 503),
    )
    def list_keys(self, store: NamedDependency[Store]) -> list[ApiKeyRead]:
        return store.list_keys()

    @delete(
        "/{key_id:int}",
        operation_id="revokeApiKey",
        summary="Revoke an API key (kept, with revoked_at, for the record)",
        status_code=200,
        sync_to_thread=True,
        responses=error_responses(400, 401, 403, 404, 429, 503),
    )
    def revoke(self, store: NamedDependency[Store], key_id: PathId) -> ApiKeyRead:
        return store.revoke_key(key_id)
