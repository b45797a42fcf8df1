"""The base of every answer: a field the model does not declare is an error, not dropped silently,
so an answer and its documented schema cannot drift apart."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
