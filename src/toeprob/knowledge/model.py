"""The knowledge base: load, validate and hold a toeprob model file.

A model is data (see ``docs/model-format.md``): risk factors -> causes -> findings, every node binary,
parents combined by leaky noisy-OR, every number given as a word of a documented scale, every cause and
link citing its sources. This module validates a file once, at the edge, and turns it into frozen specs.
It knows nothing of inference; :meth:`Model.to_pgmpy` hands the network to the pgmpy adapter.

Examples
--------
>>> from toeprob import load_model
>>> model = load_model()
>>> "peripheral_neuropathy" in model.causes
True
>>> model.cause_specs["tetanus"].care_level
<Urgency.EMERGENCY: 4>
"""

from __future__ import annotations

import copy
import functools
import importlib.resources
import itertools
import os
import re
import tomllib
import types
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

from toeprob import registry
from toeprob.errors import ModelFileError, ParameterTypeError, shorten
from toeprob.knowledge.textfile import check_depth, check_max_bytes, check_toml_nesting, read_text
from toeprob.knowledge.urgency import Urgency
from toeprob.validation import describe, unknown_identifier_message

T = TypeVar("T")

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from pgmpy.models import DiscreteBayesianNetwork

__all__ = [
    "MAX_MODEL_BYTES",
    "MAX_NESTING",
    "CauseSpec",
    "FindingSpec",
    "Link",
    "Model",
    "PopulationFigure",
    "RiskFactorSpec",
    "Scale",
    "TriageSettings",
    "humanize",
    "load_model",
]

SCHEMA_VERSION = 1
MAX_COMBINATION_SIZE = 3
#: Default limit on the size of a model file, in bytes (``load_model(path, max_bytes=...)``).
MAX_MODEL_BYTES = 8 * 2**20
#: How deeply tables and arrays may nest in a model file (and how many parts a dotted key may have).
MAX_NESTING = 32
_ID = re.compile(r"[a-z][a-z0-9_]*")  # used with fullmatch: "cramp\n" is not an identifier
_SCALES = ("frequency", "strength", "prevalence")


@dataclass(frozen=True)
class Scale:
    """Words mapped to probabilities, defined once in the model file with their source.

    ``ranges`` gives each word the interval ``(low, high)`` of probabilities it stands for (the
    model file's ``ranges``; a scale without them gives each word the zero-width range of its
    value). ``low <= value <= high`` always holds.

    Examples
    --------
    >>> scale = load_model().scales["strength"]
    >>> low, high = scale.range("often")
    >>> low < scale.values["often"] < high
    True
    """

    name: str
    values: Mapping[str, float]
    source: str
    ranges: Mapping[str, tuple[float, float]] | None = None

    def __post_init__(self) -> None:
        if self.ranges is None:
            object.__setattr__(self, "ranges", {w: (v, v) for w, v in self.values.items()})

    def range(self, word: str) -> tuple[float, float]:
        """The interval ``(low, high)`` of ``word`` (a word of this scale)."""
        assert self.ranges is not None  # set in __post_init__
        return self.ranges[word]

    def neighbours(self, word: str) -> tuple[str | None, str | None]:
        """The next word down and the next word up the scale (``None`` at either end)."""
        ordered = sorted(self.values, key=lambda w: self.values[w])
        k = ordered.index(word)
        return (ordered[k - 1] if k > 0 else None, ordered[k + 1] if k + 1 < len(ordered) else None)


@dataclass(frozen=True)
class Link:
    """A noisy-OR link ``parent -> child``: ``probability`` = P(child | only this parent present)."""

    parent: str
    child: str
    strength: str
    probability: float
    sources: tuple[str, ...]


@dataclass(frozen=True)
class RiskFactorSpec:
    """An observed context variable (root node) with its population prevalence."""

    id: str
    description: str
    question: str
    prevalence_word: str
    prevalence: float
    sources: tuple[str, ...]


@dataclass(frozen=True)
class FindingSpec:
    """A symptom or sign (child node); ``leak`` = P(present | no modelled cause present)."""

    id: str
    description: str
    question: str
    leak_word: str
    leak: float
    red_flag_floor: Urgency | None


@dataclass(frozen=True)
class PopulationFigure:
    """How often a cause occurs among all adults, and the prior it gives in the model's population.

    ``adults`` is the share of adults who have the cause at a given time (a prevalence, or a yearly
    incidence times the illness's duration for an acute one); ``toe_symptoms`` the share of them who
    notice involuntary toe movements (a word of ``scales.strength``). The prior is
    ``adults * toe_symptoms / symptomatic_share`` (``[population]`` in the model file).
    ``adults_range`` is the interval the sources allow for ``adults`` (zero width when the file
    gives none).
    """

    figure: str
    adults: float
    toe_symptoms_word: str
    toe_symptoms: float
    reference: str
    sources: tuple[str, ...]
    adults_range: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        if self.adults_range is None:
            object.__setattr__(self, "adults_range", (self.adults, self.adults))


@dataclass(frozen=True)
class CauseSpec:
    """A hidden cause: ``prior`` is its marginal probability, ``leak`` the solved noisy-OR leak.

    ``population`` is set when the prior comes from a population figure rather than the frequency
    word (which is then kept as the source articles' framing).

    ``label`` is a plain name for readers who do not know the identifier ("Tired foot muscles"); a
    model file may leave it out, and then it is made from the identifier (see :func:`humanize`).
    """

    id: str
    description: str
    frequency: str
    prior: float
    leak: float
    care_level: Urgency
    sources: tuple[str, ...]
    population: PopulationFigure | None = None
    label: str = ""

    def __post_init__(self) -> None:
        if not self.label:
            object.__setattr__(self, "label", humanize(self.id))


def humanize(identifier: str) -> str:
    """A readable name made from an identifier, for entries without a ``label``.

    Examples
    --------
    >>> humanize("peripheral_artery_disease")
    'Peripheral artery disease'
    """
    words = identifier.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


@dataclass(frozen=True)
class TriageSettings:
    """Parameters of the urgency policy (see :mod:`toeprob.reasoning.urgency_rule`)."""

    description: str
    thresholds: Mapping[Urgency, float]
    red_flag_combination_size: int
    unknown_when_unreported: tuple[str, ...] = ()


class Model:
    """A validated toeprob model. Build it with :func:`load_model` or :meth:`Model.from_dict`.

    Attributes
    ----------
    causes, findings, risk_factors : tuple of str
        Identifiers in file order.
    cause_specs, finding_specs, risk_factor_specs : mapping
        Identifier -> frozen spec.
    risk_links, finding_links : tuple of Link
        ``risk factor -> cause`` and ``cause -> finding`` links.
    red_flags : mapping
        Finding -> its red-flag floor, for the findings that have one.
    """

    def __init__(self, data: Mapping[str, Any], source: str) -> None:
        if not isinstance(data, Mapping):
            raise ModelFileError(f"{source}: a model is a table (mapping), got {type(data).__name__}.")
        check_depth(data, MAX_NESTING, error=ModelFileError, where=source)
        self._data = copy.deepcopy(dict(data))
        self.source = source
        _Validator(self._data, source).fill(self)

    # Filled by _Validator.fill
    name: str
    version: str
    population: str
    description: str
    sources: Mapping[str, str]
    source_titles: Mapping[str, str]
    scales: Mapping[str, Scale]
    triage: TriageSettings
    symptomatic_share: float | None
    symptomatic_share_range: tuple[float, float] | None
    risk_factor_specs: Mapping[str, RiskFactorSpec]
    finding_specs: Mapping[str, FindingSpec]
    cause_specs: Mapping[str, CauseSpec]
    risk_links: tuple[Link, ...]
    finding_links: tuple[Link, ...]

    _CACHED = (
        "causes",
        "findings",
        "risk_factors",
        "red_flags",
        "finding_index",
        "risk_factor_index",
        "_derived",
    )

    def __getstate__(self) -> dict[str, Any]:
        # the cached views are rebuilt on use (read-only mappings cannot be pickled); objects
        # derived from the model (its reasoners) are not copied with it
        return {k: v for k, v in self.__dict__.items() if k not in self._CACHED}

    def derived(self, key: Hashable, build: Callable[[], T]) -> T:
        """An object built from this model once and kept exactly as long as the model lives.

        The store sits on the model itself, so a derived object that refers back to the model
        (a reasoner holds its model) is freed with it; a copy or an unpickled model starts empty.
        Not locked: callers that build concurrently hold their own lock.

        Examples
        --------
        >>> model = Model.from_dict(load_model().to_dict())
        >>> model.derived("answer", lambda: 42), model.derived("answer", lambda: 0)
        (42, 42)
        """
        store: dict[Hashable, Any] = self.__dict__.setdefault("_derived", {})
        if key not in store:
            store[key] = build()
        return cast("T", store[key])

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "<dict>") -> Model:
        """Validate a parsed model (the TOML structure as nested dicts) and build a :class:`Model`.

        Examples
        --------
        >>> base = load_model()
        >>> data = base.to_dict()
        >>> data["causes"]["tetanus"]["frequency"] = "rare"
        >>> Model.from_dict(data, "edited").cause_specs["tetanus"].frequency
        'rare'
        """
        return cls(data, source)

    def to_dict(self) -> dict[str, Any]:
        """Return a deep copy of the model's data, ready to edit and pass to :meth:`from_dict`."""
        return copy.deepcopy(self._data)

    @functools.cached_property
    def causes(self) -> tuple[str, ...]:
        """Cause identifiers in file order."""
        return tuple(self.cause_specs)

    @functools.cached_property
    def findings(self) -> tuple[str, ...]:
        """Finding identifiers in file order."""
        return tuple(self.finding_specs)

    @functools.cached_property
    def risk_factors(self) -> tuple[str, ...]:
        """Risk-factor identifiers in file order."""
        return tuple(self.risk_factor_specs)

    @functools.cached_property
    def red_flags(self) -> Mapping[str, Urgency]:
        """Finding -> red-flag floor, for every finding that has a floor (read-only)."""
        floors = {f: spec.red_flag_floor for f, spec in self.finding_specs.items()}
        return types.MappingProxyType({f: floor for f, floor in floors.items() if floor is not None})

    @functools.cached_property
    def finding_index(self) -> Mapping[str, int]:
        """Finding -> its column in state arrays (file order; read-only)."""
        return types.MappingProxyType({f: i for i, f in enumerate(self.findings)})

    @functools.cached_property
    def risk_factor_index(self) -> Mapping[str, int]:
        """Risk factor -> its column in state arrays (file order; read-only)."""
        return types.MappingProxyType({r: i for i, r in enumerate(self.risk_factors)})

    def links_to(self, child: str) -> tuple[Link, ...]:
        """Every link whose child is ``child`` (a cause or a finding)."""
        return tuple(lk for lk in (*self.risk_links, *self.finding_links) if lk.child == child)

    def links_from(self, parent: str) -> tuple[Link, ...]:
        """Every link whose parent is ``parent`` (a risk factor or a cause)."""
        return tuple(lk for lk in (*self.risk_links, *self.finding_links) if lk.parent == parent)

    def to_pgmpy(self) -> DiscreteBayesianNetwork:
        """Return the model as a ``pgmpy.models.DiscreteBayesianNetwork`` (full CPD tables).

        Every node has the states ``("absent", "present")``; ``check_model()`` passes.
        """
        return registry.call("to_pgmpy", self)

    def to_bif(self, path: str | Path) -> None:
        """Write the model's pgmpy network (:meth:`to_pgmpy`) as a BIF file.

        The network is named after the model; auxiliary OR nodes are named ``or__<node>__<k>``
        and every node has a ``role`` property. See :func:`toeprob.inference.pgmpy_bridge.write_bif`.

        Examples
        --------
        >>> import tempfile
        >>> from pathlib import Path
        >>> path = Path(tempfile.mkdtemp()) / "toeprob.bif"
        >>> load_model().to_bif(path)
        >>> path.read_text().splitlines()[0]
        'network default {'
        """
        registry.call("write_bif", self, path)

    def to_xmlbif(self, path: str | Path) -> None:
        """Write the model's pgmpy network (:meth:`to_pgmpy`) as an XMLBIF file.

        Named like :meth:`to_bif`. See :func:`toeprob.inference.pgmpy_bridge.write_xmlbif`.

        Examples
        --------
        >>> import tempfile
        >>> from pathlib import Path
        >>> path = Path(tempfile.mkdtemp()) / "toeprob.xml"
        >>> load_model().to_xmlbif(path)
        >>> "<NAME>default</NAME>" in path.read_text()
        True
        """
        registry.call("write_xmlbif", self, path)

    def draw(
        self,
        ax: Axes | None = None,
        *,
        nodes: Sequence[str] | None = None,
        depth: int = 1,
        fontsize: float | None = None,
        **kwargs: Any,
    ) -> Axes:
        """Draw the network risk factors -> causes -> findings (needs ``toeprob[plot]``, no Graphviz).

        ``nodes`` limits the drawing to those nodes and their neighbours up to ``depth`` links away.
        See :func:`toeprob.display.network_plot.draw_model`.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> ax = load_model().draw(nodes=["foot_drop"], depth=1)
        """
        drawn = registry.call("draw", self, nodes=nodes, depth=depth, ax=ax, fontsize=fontsize, **kwargs)
        return cast("Axes", drawn)

    def _repr_html_(self) -> str:
        return str(registry.call("html", self))

    def _repr_markdown_(self) -> str:
        return str(registry.call("markdown", self))

    def __repr__(self) -> str:
        return (
            f"<Model {self.name!r} v{self.version}: {len(self.cause_specs)} causes, "
            f"{len(self.finding_specs)} findings, {len(self.risk_factor_specs)} risk factors>"
        )


def load_model(path: str | Path | None = None, *, max_bytes: int = MAX_MODEL_BYTES) -> Model:
    """Load and validate a model file; ``None`` loads the default model shipped with toeprob.

    Parameters
    ----------
    path : str or Path, optional
        A TOML model file (format: ``docs/model-format.md``). Only a regular file is read: a
        directory, a FIFO or a device is refused at once.
    max_bytes : int
        A larger file is refused before it is read (default :data:`MAX_MODEL_BYTES`, 8 MiB).

    Returns
    -------
    Model

    Raises
    ------
    ModelFileError
        If the file cannot be read, is not a regular file, is too large, is not UTF-8, is not valid
        TOML, nests more than :data:`MAX_NESTING` levels or does not validate; the message names the
        file, entry and key.
    ParameterError
        If ``path`` is not a path or ``max_bytes`` not a positive int.

    Examples
    --------
    >>> model = load_model()
    >>> len(model.causes) >= 27
    True
    """
    check_max_bytes(max_bytes, "load_model")
    if path is not None and not isinstance(path, str | os.PathLike):
        raise ParameterTypeError(
            f"The 'path' parameter of load_model must be a str or path-like (or None for the shipped "
            f"model). Got {describe(path)} instead."
        )
    if path is None:
        if _DEFAULT_CACHE:
            return _DEFAULT_CACHE[0]
        resource = importlib.resources.files("toeprob").joinpath("models", "default.toml")
        model = _parse(resource.read_text(encoding="utf-8"), "toeprob/models/default.toml")
        _DEFAULT_CACHE.append(model)
        return model
    text = read_text(path, max_bytes=max_bytes, error=ModelFileError, what="model file")
    return _parse(text, os.fspath(path))


_DEFAULT_CACHE: list[Model] = []


def _parse(text: str, source: str) -> Model:
    check_toml_nesting(text, MAX_NESTING, error=ModelFileError, where=source)
    try:
        data = tomllib.loads(text)
    except (ValueError, RecursionError) as exc:  # TOMLDecodeError, too many digits, deep nesting
        message = str(exc) if len(str(exc)) <= 300 else str(exc)[:299] + "…"
        raise ModelFileError(f"{source}: not valid TOML: {message}") from exc
    return Model(data, source)


class _Validator:
    """Checks a parsed model and fills a :class:`Model`; every error names file, entry and key."""

    def __init__(self, data: Mapping[str, Any], source: str) -> None:
        self.data = data
        self.source = source

    def fail(self, where: str, message: str) -> ModelFileError:
        if len(where) > 120:  # an entry named by a huge identifier
            where = where[:118] + "…" + where[-1]
        return ModelFileError(f"{self.source}: {where}: {message}")

    def table(self, parent: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
        if key not in parent:
            raise self.fail(where, f"missing required key {key!r}.")
        value = parent[key]
        if not isinstance(value, Mapping):
            raise self.fail(where, f"key {key!r} must be a table, got {type(value).__name__}.")
        return value

    def text(self, parent: Mapping[str, Any], key: str, where: str) -> str:
        if key not in parent:
            raise self.fail(where, f"missing required key {key!r}.")
        value = parent[key]
        if not isinstance(value, str) or not value.strip():
            raise self.fail(
                where, f"key {key!r} must be a non-empty string, got {describe(value, syntax='toml')}."
            )
        return value

    def optional_text(self, parent: Mapping[str, Any], key: str, where: str, default: str) -> str:
        """A string that may be absent (then ``default``) or empty."""
        value = parent.get(key, default)
        if not isinstance(value, str):
            raise self.fail(where, f"key {key!r} must be a string, got {describe(value, syntax='toml')}.")
        return value

    def keys(self, entry: Mapping[str, Any], allowed: Sequence[str], where: str) -> None:
        for key in entry:
            if key not in allowed:
                raise self.fail(where, unknown_identifier_message(key, allowed, "a known key"))

    def word(self, entry: Mapping[str, Any], key: str, scale: Scale, where: str) -> float:
        word = self.text(entry, key, where)
        if word not in scale.values:
            message = unknown_identifier_message(word, scale.values, f"a word of scales.{scale.name}")
            raise self.fail(where, f"key {key!r}: {message}")
        return scale.values[word]

    def urgency(self, entry: Mapping[str, Any], key: str, where: str) -> Urgency:
        value = self.text(entry, key, where)
        try:
            return Urgency.parse(value)
        except ValueError as exc:
            raise self.fail(where, f"key {key!r}: {exc}") from None

    def probability(self, value: Any, where: str, key: str) -> float:
        # a float strictly between 0 and 1 (an int never is; comparing first avoids float(huge int))
        if not isinstance(value, float) or not 0.0 < value < 1.0:
            number = isinstance(value, int | float) and not isinstance(value, bool)
            got = shorten(value) if number else describe(value, syntax="toml")
            raise self.fail(where, f"key {shorten(key)}: {got} is not a probability in (0, 1).")
        return value

    def interval(self, value: Any, point: float, where: str, key: str, point_key: str) -> tuple[float, float]:
        """A range ``[low, high]``: two probabilities in (0, 1) with ``low <= point <= high``."""
        if not isinstance(value, list) or len(value) != 2:
            raise self.fail(
                where,
                f"key {shorten(key)}: a range is a list [low, high] of two numbers, "
                f"got {describe(value, syntax='toml')}.",
            )
        low = self.probability(value[0], where, f"{key}[0] (low)")
        high = self.probability(value[1], where, f"{key}[1] (high)")
        if not low <= point <= high:
            raise self.fail(
                where,
                f"key {shorten(key)}: the range [{low!r}, {high!r}] must contain {point_key} = {point!r} "
                "(low <= value <= high).",
            )
        return low, high

    def cite(self, entry: Mapping[str, Any], where: str) -> tuple[str, ...]:
        if "sources" not in entry:
            raise self.fail(where, "missing citation: add sources = [...] (keys of [sources]).")
        cited = entry["sources"]
        if not isinstance(cited, list) or not cited or not all(isinstance(s, str) for s in cited):
            raise self.fail(
                where, f"sources must be a non-empty list of strings, got {describe(cited, syntax='toml')}."
            )
        for s in cited:
            if s not in self.known_sources:
                raise self.fail(
                    where,
                    unknown_identifier_message(s, self.known_sources, "a key of [sources]"),
                )
        return tuple(cited)

    def identifier(self, ident: str, kind: str, seen: dict[str, str]) -> None:
        if not isinstance(ident, str) or not _ID.fullmatch(ident):
            raise self.fail(
                f"[{kind}]",
                f"{shorten(ident)} is not an identifier: identifiers are lower_snake_case ASCII "
                "(a letter a-z, then a-z, 0-9 or _).",
            )
        if ident in seen:
            raise self.fail(
                f"{kind}.{ident}",
                f"duplicate identifier: already used in [{seen[ident]}] (an identifier names one "
                "node; reusing it across layers would also create a cycle).",
            )
        seen[ident] = kind

    def fill(self, model: Model) -> None:
        d = self.data
        self.keys(
            d,
            [
                "schema_version",
                "model",
                "sources",
                "source_titles",
                "scales",
                "population",
                "triage",
                "risk_factors",
                "findings",
                "causes",
            ],
            "top level",
        )
        version = d.get("schema_version")
        if type(version) is not int or version != SCHEMA_VERSION:  # not true, not 1.0
            raise self.fail(
                "top level",
                f"schema_version must be {SCHEMA_VERSION} (an integer), "
                f"got {describe(version, syntax='toml')}.",
            )
        meta = self.table(d, "model", "top level")
        self.keys(meta, ["name", "version", "population", "description"], "[model]")
        model.name = self.text(meta, "name", "[model]")
        model.version = self.text(meta, "version", "[model]") if "version" in meta else "0"
        model.population = self.text(meta, "population", "[model]")
        model.description = self.optional_text(meta, "description", "[model]", "")

        sources = self.table(d, "sources", "top level")
        for key in sources:
            self.text(sources, key, "[sources]")
            if not key.strip():
                raise self.fail("[sources]", "a source needs a non-empty key.")
        self.known_sources = tuple(sources)
        model.sources = dict(sources)
        model.source_titles = {}
        if "source_titles" in d:
            titles = self.table(d, "source_titles", "top level")
            for key in titles:
                if key not in sources:
                    raise self.fail(
                        "[source_titles]",
                        unknown_identifier_message(key, self.known_sources, "a key of [sources]"),
                    )
                model.source_titles[key] = self.text(titles, key, "[source_titles]")

        scales_table = self.table(d, "scales", "top level")
        self.keys(scales_table, _SCALES, "[scales]")
        scales: dict[str, Scale] = {}
        for name in _SCALES:
            where = f"[scales.{name}]"
            entry = self.table(scales_table, name, "[scales]")
            self.keys(entry, ["source", "values", "ranges"], where)
            values = self.table(entry, "values", where)
            if not values:
                raise self.fail(where, "values must define at least one word.")
            nums = {w: self.probability(v, where, f"values.{w}") for w, v in values.items()}
            ranges = None
            if "ranges" in entry:
                given = self.table(entry, "ranges", where)
                self.keys(given, list(nums), f"{where} ranges")
                ranges = {}
                for w, point in nums.items():
                    if w not in given:
                        raise self.fail(where, f"ranges: missing the range of {w!r} (every word needs one).")
                    ranges[w] = self.interval(given[w], point, where, f"ranges.{w}", f"values.{w}")
            scales[name] = Scale(name, nums, self.text(entry, "source", where), ranges)
        model.scales = scales

        model.symptomatic_share = None
        model.symptomatic_share_range = None
        if "population" in d:
            pop = self.table(d, "population", "top level")
            self.keys(pop, ["symptomatic_share", "symptomatic_share_range", "source"], "[population]")
            self.text(pop, "source", "[population]")
            if "symptomatic_share" not in pop:
                raise self.fail("[population]", "missing required key 'symptomatic_share'.")
            share = self.probability(pop["symptomatic_share"], "[population]", "symptomatic_share")
            model.symptomatic_share = share
            model.symptomatic_share_range = (share, share)
            if "symptomatic_share_range" in pop:
                model.symptomatic_share_range = self.interval(
                    pop["symptomatic_share_range"],
                    share,
                    "[population]",
                    "symptomatic_share_range",
                    "symptomatic_share",
                )
        model.triage = self.triage(self.table(d, "triage", "top level"))
        seen: dict[str, str] = {}
        model.risk_factor_specs = self.risk_factors(self.table(d, "risk_factors", "top level"), scales, seen)
        model.finding_specs = self.findings(self.table(d, "findings", "top level"), scales, seen)
        self.course_flags(model)
        causes_table = self.table(d, "causes", "top level")
        for cid in causes_table:
            self.identifier(cid, "causes", seen)
        risk_links, finding_links = self.links(causes_table, model, scales)
        model.risk_links, model.finding_links = risk_links, finding_links
        model.cause_specs = self.causes(causes_table, model, scales)
        self.connected(model)

    def triage(self, t: Mapping[str, Any]) -> TriageSettings:
        where = "[triage]"
        self.keys(
            t, ["description", "thresholds", "red_flag_combination_size", "unknown_when_unreported"], where
        )
        size = t.get("red_flag_combination_size", 2)
        if not isinstance(size, int) or isinstance(size, bool) or not 0 <= size <= MAX_COMBINATION_SIZE:
            raise self.fail(
                where,
                f"red_flag_combination_size must be an integer 0..{MAX_COMBINATION_SIZE} (it bounds the "
                f"cost of the urgency rule), got {size!r}.",
            )
        course = t.get("unknown_when_unreported", [])
        if not isinstance(course, list) or not all(isinstance(c, str) for c in course):
            raise self.fail(
                where,
                "unknown_when_unreported must be a list of finding identifiers, "
                f"got {describe(course, syntax='toml')}.",
            )
        raw = self.table(t, "thresholds", where)
        levels = [u.label for u in Urgency if u is not Urgency.SELF_CARE]
        self.keys(raw, levels, "[triage.thresholds]")
        thresholds: dict[Urgency, float] = {}
        for label in levels:
            if label not in raw:
                raise self.fail("[triage.thresholds]", f"missing required key {label!r}.")
            value = raw[label]
            if not isinstance(value, int | float) or isinstance(value, bool) or not 0 < value <= 1:
                raise self.fail(
                    "[triage.thresholds]",
                    f"key {label!r}: {describe(value, syntax='toml')} is not a number in (0, 1].",
                )
            thresholds[Urgency.parse(label)] = float(value)
        for lower, higher in itertools.pairwise(levels):
            if not thresholds[Urgency.parse(higher)] < thresholds[Urgency.parse(lower)]:
                raise self.fail(
                    "[triage.thresholds]",
                    f"thresholds must fall as the level rises, but {higher} = "
                    f"{thresholds[Urgency.parse(higher)]:g} is not below {lower} = "
                    f"{thresholds[Urgency.parse(lower)]:g}.",
                )
        description = self.optional_text(t, "description", where, "")
        return TriageSettings(description, thresholds, size, tuple(course))

    def course_flags(self, model: Model) -> None:
        for fid in model.triage.unknown_when_unreported:
            spec = model.finding_specs.get(fid)
            if spec is None or spec.red_flag_floor is None:
                red = [f for f, s in model.finding_specs.items() if s.red_flag_floor is not None]
                raise self.fail(
                    "[triage] unknown_when_unreported",
                    unknown_identifier_message(fid, red, "a finding with a red_flag_floor", model=model.name),
                )

    def risk_factors(
        self, table: Mapping[str, Any], scales: Mapping[str, Scale], seen: dict[str, str]
    ) -> dict[str, RiskFactorSpec]:
        out: dict[str, RiskFactorSpec] = {}
        for rid, entry in table.items():
            where = f"[risk_factors.{rid}]"
            self.identifier(rid, "risk_factors", seen)
            if not isinstance(entry, Mapping):
                raise self.fail(where, "must be a table.")
            self.keys(entry, ["description", "question", "prevalence", "sources"], where)
            out[rid] = RiskFactorSpec(
                rid,
                self.text(entry, "description", where),
                self.text(entry, "question", where),
                self.text(entry, "prevalence", where),
                self.word(entry, "prevalence", scales["prevalence"], where),
                self.cite(entry, where),
            )
        return out

    def findings(
        self, table: Mapping[str, Any], scales: Mapping[str, Scale], seen: dict[str, str]
    ) -> dict[str, FindingSpec]:
        out: dict[str, FindingSpec] = {}
        for fid, entry in table.items():
            where = f"[findings.{fid}]"
            self.identifier(fid, "findings", seen)
            if not isinstance(entry, Mapping):
                raise self.fail(where, "must be a table.")
            self.keys(entry, ["description", "question", "leak", "red_flag_floor"], where)
            floor = self.urgency(entry, "red_flag_floor", where) if "red_flag_floor" in entry else None
            if floor is Urgency.SELF_CARE:
                raise self.fail(
                    where,
                    "key 'red_flag_floor': 'self_care' is no floor (every urgency is at least "
                    "self_care); use routine, soon, urgent or emergency, or drop the key.",
                )
            out[fid] = FindingSpec(
                fid,
                self.text(entry, "description", where),
                self.text(entry, "question", where),
                self.text(entry, "leak", where),
                self.word(entry, "leak", scales["prevalence"], where),
                floor,
            )
        return out

    def links(
        self, causes: Mapping[str, Any], model: Model, scales: Mapping[str, Scale]
    ) -> tuple[tuple[Link, ...], tuple[Link, ...]]:
        risk: list[Link] = []
        finding: list[Link] = []
        for cid, entry in causes.items():
            if not isinstance(entry, Mapping):
                raise self.fail(f"[causes.{cid}]", "must be a table.")
            for key, targets, out, incoming in (
                ("risk_factors", model.risk_factor_specs, risk, True),
                ("findings", model.finding_specs, finding, False),
            ):
                where = f"[causes.{cid}.{key}]"
                links = self.table(entry, key, f"[causes.{cid}]") if key in entry else {}
                for target, link in links.items():
                    lw = f"{where} {target}"
                    if target not in targets:
                        kind = "a risk factor" if key == "risk_factors" else "a finding"
                        raise self.fail(
                            lw, unknown_identifier_message(target, targets, kind, model=model.name)
                        )
                    if not isinstance(link, Mapping):
                        raise self.fail(lw, "a link must be a table {strength = ..., sources = [...]}.")
                    self.keys(link, ["strength", "sources"], lw)
                    p = self.word(link, "strength", scales["strength"], lw)
                    parent, child = (target, cid) if incoming else (cid, target)
                    out.append(Link(parent, child, str(link["strength"]), p, self.cite(link, lw)))
        return tuple(risk), tuple(finding)

    def causes(
        self, table: Mapping[str, Any], model: Model, scales: Mapping[str, Scale]
    ) -> dict[str, CauseSpec]:
        out: dict[str, CauseSpec] = {}
        for cid, entry in table.items():
            where = f"[causes.{cid}]"
            self.keys(
                entry,
                [
                    "label",
                    "description",
                    "frequency",
                    "care_level",
                    "sources",
                    "population",
                    "risk_factors",
                    "findings",
                ],
                where,
            )
            if not any(lk.parent == cid for lk in model.finding_links):
                raise self.fail(where, "a cause must produce at least one finding ([findings] links).")
            prior = self.word(entry, "frequency", scales["frequency"], where)
            population = None
            if "population" in entry:
                population = self.population(self.table(entry, "population", where), model, scales, cid)
                prior = population.adults * population.toe_symptoms / (model.symptomatic_share or 1.0)
                if not 0.0 < prior < 1.0:
                    raise self.fail(
                        f"[causes.{cid}.population]",
                        f"adults * toe_symptoms / symptomatic_share = {prior:.4g} is not a probability.",
                    )
            explained = 1.0
            for lk in model.risk_links:
                if lk.child == cid:
                    explained *= 1.0 - model.risk_factor_specs[lk.parent].prevalence * lk.probability
            leak = 1.0 - (1.0 - prior) / explained
            if not 0.0 < leak < 1.0:
                basis = "from its population figure" if population else repr(entry.get("frequency"))
                raise self.fail(
                    where,
                    f"its risk factors alone give P(present) = {1 - explained:.4g}, more than its "
                    f"prior {prior:.4g} ({basis}). A link of strength w raises the "
                    "cause's probability from its leak to about leak + w, so a rare cause needs "
                    "weak words (scales.strength may define smaller ones) or rarer risk factors.",
                )
            out[cid] = CauseSpec(
                cid,
                self.text(entry, "description", where),
                self.text(entry, "frequency", where),
                prior,
                leak,
                self.urgency(entry, "care_level", where),
                self.cite(entry, where),
                population,
                self.text(entry, "label", where) if "label" in entry else "",
            )
        if not out:
            raise self.fail("[causes]", "a model needs at least one cause.")
        return out

    def population(
        self, entry: Mapping[str, Any], model: Model, scales: Mapping[str, Scale], cid: str
    ) -> PopulationFigure:
        where = f"[causes.{cid}.population]"
        self.keys(entry, ["figure", "adults", "adults_range", "toe_symptoms", "reference", "sources"], where)
        if model.symptomatic_share is None:
            raise self.fail(
                where, "a population figure needs [population] symptomatic_share at the top level."
            )
        if "adults" not in entry:
            raise self.fail(where, "missing required key 'adults'.")
        adults = self.probability(entry["adults"], where, "adults")
        given = entry.get("adults_range")
        return PopulationFigure(
            self.text(entry, "figure", where),
            adults,
            self.text(entry, "toe_symptoms", where),
            self.word(entry, "toe_symptoms", scales["strength"], where),
            self.text(entry, "reference", where),
            self.cite(entry, where),
            None if given is None else self.interval(given, adults, where, "adults_range", "adults"),
        )

    def connected(self, model: Model) -> None:
        for fid in model.finding_specs:
            if not any(lk.child == fid for lk in model.finding_links):
                raise self.fail(f"[findings.{fid}]", "no cause links to this finding.")
        for rid in model.risk_factor_specs:
            if not any(lk.parent == rid for lk in model.risk_links):
                raise self.fail(f"[risk_factors.{rid}]", "this risk factor links to no cause.")


def resolve_model(model: Any, owner: str) -> Model:
    """``model`` if it is a :class:`~toeprob.Model`, the shipped model for ``None``, else raise."""
    if model is None:
        return load_model()
    if isinstance(model, Model):
        return model
    hint = " (load a file with toeprob.load_model(path))" if isinstance(model, str | os.PathLike) else ""
    raise ParameterTypeError(
        f"The 'model' parameter of {owner} must be a toeprob.Model or None{hint}. "
        f"Got {describe(model)} instead."
    )
