"""What a model offers its users: the identifiers with their meanings, and the sources it cites.

Both come as JSON documents (``kind = "vocabulary"`` and ``kind = "sources"``, see ``docs/json.md``)
and as plain text for ``toeprob vocabulary`` and ``toeprob sources``.

Examples
--------
>>> from toeprob import load_model
>>> data = vocabulary_dict(load_model())
>>> [f["red_flag_floor"] for f in data["findings"] if f["id"] == "foot_drop"]
['urgent']
"""

from __future__ import annotations

from typing import Any

from toeprob.knowledge.model import Model
from toeprob.knowledge.urgency import Urgency
from toeprob.results.serialize import header

__all__ = ["sources_dict", "sources_text", "vocabulary_dict", "vocabulary_text"]


def vocabulary_dict(model: Model) -> dict[str, Any]:
    """The identifiers of ``model`` with meanings, red-flag floors, care levels and frequencies."""
    return {
        **header("vocabulary", model.name, model.version),
        "urgency_levels": [
            {"level": u.label, "order": int(u), "meaning": u.meaning} for u in sorted(Urgency)
        ],
        "findings": [
            {
                "id": f.id,
                "description": f.description,
                "question": f.question,
                "red_flag_floor": None if f.red_flag_floor is None else f.red_flag_floor.label,
            }
            for f in model.finding_specs.values()
        ],
        "risk_factors": [
            {
                "id": r.id,
                "description": r.description,
                "question": r.question,
                "prevalence": r.prevalence_word,
                "prevalence_probability": r.prevalence,
            }
            for r in model.risk_factor_specs.values()
        ],
        "causes": [
            {
                "id": c.id,
                "label": c.label,
                "description": c.description,
                "frequency": c.frequency,
                "prior": c.prior,
                "care_level": c.care_level.label,
                "sources": list(c.sources),
            }
            for c in model.cause_specs.values()
        ],
    }


def vocabulary_text(model: Model) -> str:
    """The identifiers of ``model`` as plain text, one per line, grouped by kind."""
    lines = ["Findings (give as evidence, e.g. numbness=yes):"]
    for f, spec in model.finding_specs.items():
        flag = f"  [red flag: at least {spec.red_flag_floor}]" if spec.red_flag_floor else ""
        lines.append(f"  {f:<36} {spec.description}{flag}")
    lines += ["", "Risk factors (give as evidence, e.g. diabetes=yes):"]
    for r, rspec in model.risk_factor_specs.items():
        lines.append(f"  {r:<36} {rspec.description}")
    lines += ["", "Causes (what toeprob ranks; not evidence):"]
    for c, cspec in model.cause_specs.items():
        lines.append(f"  {c:<36} {cspec.label}: {cspec.description}")
        lines.append(f"  {'':<36} [{cspec.frequency}; care: {cspec.care_level}]")
    return "\n".join(lines)


def _citations(model: Model) -> dict[str, dict[str, int]]:
    counts = {key: {"causes": 0, "risk_factors": 0, "links": 0} for key in model.sources}
    for cause in model.cause_specs.values():
        for s in cause.sources:
            counts[s]["causes"] += 1
    for rf in model.risk_factor_specs.values():
        for s in rf.sources:
            counts[s]["risk_factors"] += 1
    for link in (*model.risk_links, *model.finding_links):
        for s in link.sources:
            counts[s]["links"] += 1
    return counts


def sources_dict(model: Model) -> dict[str, Any]:
    """The sources ``model`` cites, each with its description and how many entries cite it.

    Examples
    --------
    >>> from toeprob import load_model
    >>> data = sources_dict(load_model())
    >>> data["sources"][0]["cited_by"]["links"] > 0
    True
    """
    counts = _citations(model)
    return {
        **header("sources", model.name, model.version),
        "sources": [
            {"key": key, "title": model.source_titles.get(key), "description": text, "cited_by": counts[key]}
            for key, text in model.sources.items()
        ],
    }


def sources_text(model: Model) -> str:
    """The sources of ``model`` as plain text: key, title (where the model gives one), description."""
    counts = _citations(model)
    width = max(map(len, model.sources), default=0)
    lines = [f"Sources of model {model.name} {model.version}:"]
    for key, text in model.sources.items():
        n = counts[key]
        title = model.source_titles.get(key)
        lines.append(f"  {key:<{width}}  {title or text}")
        if title:
            lines.append(f"  {'':<{width}}  {text}")
        cited = f"cited by {n['causes']} causes, {n['risk_factors']} risk factors, {n['links']} links"
        lines.append(f"  {'':<{width}}  {cited}")
    return "\n".join(lines)
