"""Shared request dependencies and parameter checks."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from fastapi.responses import JSONResponse

from realtime_api.answer_cache import AnswerCache
from realtime_api.game_directory import GameDirectory
from realtime_api.live_feed import LiveFeed
from realtime_api.store import GoldStore


def get_store(request: Request) -> GoldStore:
    return request.app.state.store


def get_feed(request: Request) -> LiveFeed:
    return request.app.state.feed


def get_games(request: Request) -> GameDirectory:
    return request.app.state.games


def get_answers(request: Request) -> AnswerCache:
    return request.app.state.answers


Store = Annotated[GoldStore, Depends(get_store)]
Feed = Annotated[LiveFeed, Depends(get_feed)]
Games = Annotated[GameDirectory, Depends(get_games)]
Answers = Annotated[AnswerCache, Depends(get_answers)]


def invalid(parameter: str, message: str, where: str = "query") -> HTTPException:
    """A 422 shaped like FastAPI's own validation errors, naming the parameter."""
    return HTTPException(status_code=422, detail=[{"loc": [where, parameter], "msg": message, "type": "value_error"}])


class UnknownGame(Exception):
    """A game path that names no game; answered 404 with the closest games as suggestions."""

    def __init__(self, text: str, suggestions: list[dict[str, Any]]):
        super().__init__(f"no game with key, slug or name {text!r}")
        self.suggestions = suggestions


class UnknownChannel(Exception):
    """A channel path that names no channel of its platform; answered 404 with close matches."""

    def __init__(self, platform: str, text: str, suggestions: list[dict[str, Any]]):
        super().__init__(f"no {platform} channel with id, login or name {text!r}")
        self.suggestions = suggestions


async def not_found_with_suggestions(_: Request, exc: Exception) -> JSONResponse:
    suggestions = exc.suggestions if isinstance(exc, (UnknownGame, UnknownChannel)) else []
    return JSONResponse({"detail": str(exc), "suggestions": suggestions}, status_code=404)


CHANNEL_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {
        "description": "Unknown channel: `detail` says so, `suggestions` lists close matches (channel_id, user_login, "
        "channel_name)",
    }
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {
        "description": "Unknown game: `detail` says so, `suggestions` lists close matches (game_key, slug, name)",
    }
}
