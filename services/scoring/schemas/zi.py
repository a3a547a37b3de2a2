"""Answer models of the Zona Integritas reads (``POST /zi/results``, ``POST /zi/gap``).

They describe the answers as :mod:`services.scoring.domain.zi` builds them: the engine's exact
decimals are sent as decimal strings (``"37.5"``), never as floats, so every digit arrives.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

#: an exact decimal as text (``"37.5"``, ``"-1.25"``); ``None`` where the engine has no value
DecimalText = str | None


class _Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TemplateVersion(_Answer):
    code: str
    version: int


class AreaResult(_Answer):
    code: str
    weight: DecimalText
    points: DecimalText
    share: DecimalText
    halves: dict[str, DecimalText] = Field(description="half of the area (pemenuhan, reform, ...) → points")


class PredicateCheck(_Answer):
    code: str
    required: DecimalText
    actual: DecimalText
    passed: bool | None = Field(description="null: not evaluable from what the level holds")


class PredicateResult(_Answer):
    predicate: str
    reached: bool
    complete: bool
    failed: list[str] = Field(description="codes of the checks not passed")
    checks: list[PredicateCheck]


class ZiResults(_Answer):
    """Results of one evaluation level: the totals, per area (when answers were given), the predicates."""

    template: TemplateVersion
    pengungkit: DecimalText
    hasil: DecimalText
    total: DecimalText
    total_display: str | None = Field(description="the total as printed: 2 decimals, ROUND_HALF_UP")
    areas: list[AreaResult] | None = Field(description="null when only the pengungkit and hasil totals were given")
    sub_components: dict[str, DecimalText] | None
    predicate: str | None = Field(description="the highest predicate reached (WBK, WBBM), null: none")
    predicates: list[PredicateResult]
    missing: dict[str, dict[str, DecimalText]] = Field(
        description="predicate → area, pengungkit or total → points still missing"
    )


class GapRow(_Answer):
    question: str
    weight: DecimalText
    unit_value: DecimalText
    evaluator_value: DecimalText
    points_at_risk: DecimalText


class ZiGap(_Answer):
    """Per question the unit's answer against the evaluator's and the points at risk."""

    template: TemplateVersion
    items: list[GapRow]
