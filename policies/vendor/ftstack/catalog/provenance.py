"""Where a fact in a data file comes from: the `sources:` entries every data file cites."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from pydantic import BaseModel, ConfigDict


class SourceSpec(BaseModel):
    """One entry of a data file's `sources:` map: what the document is, where, and when it was recorded."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    title: str
    document: str
    recorded: date | str


@dataclass(frozen=True)
class Provenance:
    """Where a fact comes from: a source id, its title and the date it was recorded."""

    source: str
    title: str
    recorded: str


def provenance(sources: dict[str, SourceSpec], source_id: str) -> Provenance:
    """The provenance of `source_id` in a data file's sources."""
    src = sources[source_id]
    return Provenance(source_id, src.title, str(src.recorded))
