"""Shared request dependencies and parameter checks."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request

from realtime_api.live_feed import LiveFeed
from realtime_api.store import GoldStore


def get_store(request: Request) -> GoldStore:
    return request.app.state.store


def get_feed(request: Request) -> LiveFeed:
    return request.app.state.feed


Store = Annotated[GoldStore, Depends(get_store)]
Feed = Annotated[LiveFeed, Depends(get_feed)]


def invalid(parameter: str, message: str, where: str = "query") -> HTTPException:
    """A 422 shaped like FastAPI's own validation errors, naming the parameter."""
    return HTTPException(status_code=422, detail=[{"loc": [where, parameter], "msg": message, "type": "value_error"}])
