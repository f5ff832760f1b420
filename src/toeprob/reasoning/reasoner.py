"""The :class:`Reasoner`: one model, compiled once, with every operation users need.

A reasoner owns the model, its compiled exact engine, the urgency policy compiled to arrays and the
index maps from identifiers to columns. Every query parses its evidence once and runs the engine once
per batch of rows: the ranking row and the urgency rule's rows go through the engine together, and
the :class:`~toeprob.Diagnosis` keeps the parsed evidence, the posterior row and the reasoner, so that
explanations and questions asked of it neither parse nor infer that row again.

The module-level functions of the package (:func:`toeprob.rank_causes`, :func:`toeprob.explain`,
:func:`toeprob.suggest_questions`, :func:`toeprob.rank_batch`, :func:`toeprob.evaluate`) delegate to
the reasoner of their model, :meth:`Reasoner.for_model`, built on first use and kept while the model
lives.

Examples
--------
>>> from toeprob import Reasoner
>>> reasoner = Reasoner.for_model()
>>> d = reasoner.rank({"cramp": "yes", "low_fluid_intake": "yes"})
>>> d.top.cause
'dehydration'
>>> d.explain("dehydration").posterior == d.probability("dehydration")
True
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, cast, overload

import numpy as np
from numpy.typing import NDArray

from toeprob import registry
from toeprob.errors import ImpossibleEvidenceError
from toeprob.inference.budget import Budget
from toeprob.inference.engines import EngineName, PosteriorEngine, create_engine
from toeprob.inference.exact import ExactEngine
from toeprob.knowledge.casefile import Case, as_cases
from toeprob.knowledge.evidence import Evidence, parse_evidence
from toeprob.knowledge.model import Model, resolve_model
from toeprob.knowledge.parameters import ModelParameters
from toeprob.reasoning import batch as _batch
from toeprob.reasoning import explaining as _explaining
from toeprob.reasoning import questioning as _questioning
from toeprob.reasoning import scoring as _scoring
from toeprob.reasoning import uncertainty as _uncertainty
from toeprob.reasoning.batch_dask import is_dask_frame, rank_dask_frame
from toeprob.reasoning.questioning import InterviewPolicy
from toeprob.reasoning.urgency_rule import (
    EvidencePass,
    UrgencyAssessment,
    UrgencyPolicy,
    posterior_and_urgency,
)
from toeprob.results.diagnosis import Diagnosis, RankedCause, RedFlag
from toeprob.results.evaluation import EvaluationReport
from toeprob.results.explanation import Explanation
from toeprob.results.questions import QuestionRanking
from toeprob.results.uncertainty import EvaluationSensitivity, Sensitivity, Uncertainty
from toeprob.validation import check_engine, check_type

if TYPE_CHECKING:
    import dask.dataframe as dd
    import pandas as pd

    from toeprob.reasoning.interview import Interview

__all__ = ["Reasoner", "evaluate", "explain", "rank_batch", "rank_causes", "suggest_questions"]


class Reasoner:
    """Exact reasoning with one model: ranking, urgency, explanations, questions, batches, evaluation.

    Parameters
    ----------
    model : Model, optional
        Defaults to the shipped model.
    budget : Budget, optional
        Memory and work allowed for the exact engine (default
        :data:`~toeprob.inference.budget.DEFAULT_BUDGET`); a model beyond it raises
        :class:`~toeprob.errors.CostLimitError` here, before anything large is allocated.

    Attributes
    ----------
    model : Model
    budget : Budget or None
    engine : PosteriorEngine
        The compiled exact engine (:class:`~toeprob.inference.exact.ExactEngine`).
    urgency_policy : UrgencyPolicy
        The urgency rule compiled to arrays.
    cause_index, finding_index, risk_factor_index : dict of str to int
        Column of each identifier in the engine's arrays.

    Notes
    -----
    Building a reasoner compiles the model (a few milliseconds for the shipped one); prefer
    :meth:`for_model`, which keeps one per model and budget.

    Examples
    --------
    >>> from toeprob import Reasoner, load_model
    >>> reasoner = Reasoner(load_model())
    >>> reasoner.rank({"numbness": "yes", "burning_pain": "yes", "diabetes": True}).top.cause
    'peripheral_neuropathy'
    """

    def __init__(self, model: Model | None = None, *, budget: Budget | None = None) -> None:
        self.model = resolve_model(model, "Reasoner")
        check_type(budget, "budget", "Reasoner", (Budget, type(None)), "a toeprob.Budget or None")
        self.budget = budget
        self.engine: PosteriorEngine = create_engine(self.model, "fast", budget=budget)
        self.urgency_policy = UrgencyPolicy(self.model)
        self.cause_index = {c: i for i, c in enumerate(self.model.causes)}
        self.finding_index = self.model.finding_index
        self.risk_factor_index = self.model.risk_factor_index
        specs = [self.model.cause_specs[c] for c in self.model.causes]
        self._priors = tuple(s.prior for s in specs)
        self._care = tuple(s.care_level for s in specs)
        self._descriptions = tuple(s.description for s in specs)
        self._labels = tuple(s.label for s in specs)
        # each cause's RankedCause fields after its probability: prior, care level, description, label
        self._static = tuple(zip(self._priors, self._care, self._descriptions, self._labels, strict=True))
        # causes in identifier order: ties (equal to 9 decimals) are broken by identifier
        self._by_name = np.argsort(np.array(self.model.causes))
        self._other_engines: dict[str, PosteriorEngine] = {}

    # one reasoner per (model, budget), kept on the model (Model.derived) and freed with it
    _lock: ClassVar[threading.Lock] = threading.Lock()

    @classmethod
    def for_model(cls, model: Model | None = None, *, budget: Budget | None = None) -> Reasoner:
        """The shared reasoner of ``model`` (the shipped model by default) and ``budget``.

        Built (and the model compiled) on first use, then kept as long as the model lives: the
        reasoner is stored on the model, so both are freed together.

        Examples
        --------
        >>> from toeprob import Reasoner
        >>> Reasoner.for_model() is Reasoner.for_model()
        True
        """
        model = resolve_model(model, "Reasoner.for_model")
        check_type(budget, "budget", "Reasoner.for_model", (Budget, type(None)), "a toeprob.Budget or None")
        with cls._lock:  # one thread compiles; the others wait for it
            return model.derived((cls, budget), lambda: cls(model, budget=budget))

    def engine_named(self, engine: EngineName | str) -> PosteriorEngine:
        """The engine ``"fast"`` (the reasoner's own) or ``"pgmpy"`` (the slow reference, built once)."""
        check_engine(engine, "Reasoner")
        if engine == "fast":
            return self.engine
        if engine not in self._other_engines:
            self._other_engines[engine] = create_engine(self.model, engine)
        return self._other_engines[engine]

    def parse(self, evidence: Mapping[str, Any] | Evidence | None) -> Evidence:
        """Validate ``evidence`` against the model (see :func:`toeprob.rank_causes`)."""
        if isinstance(evidence, Evidence):
            return evidence
        return parse_evidence(evidence, self.model)

    def rank(
        self, evidence: Mapping[str, Any] | Evidence | None = None, *, engine: EngineName = "fast"
    ) -> Diagnosis:
        """Rank every cause and set the urgency: what :func:`toeprob.rank_causes` returns.

        Examples
        --------
        >>> from toeprob import Reasoner
        >>> Reasoner.for_model().rank({"cramp": "yes", "tight_footwear": "yes"}).top.cause
        'ill_fitting_footwear'
        """
        check_engine(engine, "rank_causes")
        ev = self.parse(evidence)
        posterior, assessment = posterior_and_urgency(
            ev, self.urgency_policy, self.engine.posterior_batch, self._evidence_pass()
        )
        if engine != "fast":
            posterior = np.asarray(
                self.engine_named(engine).posterior(ev.finding_state, ev.rf_state), dtype=float
            )
        return self.diagnosis(ev, posterior, assessment, engine=engine)

    def _evidence_pass(self) -> EvidencePass | None:
        """The exact engine's combined pass (urgency worlds settled within their error bound)."""
        engine = self.engine
        return engine.posterior_evidence_batch if isinstance(engine, ExactEngine) else None

    def diagnosis(
        self,
        evidence: Evidence,
        posterior: NDArray[np.float64],
        assessment: UrgencyAssessment,
        *,
        engine: str = "fast",
    ) -> Diagnosis:
        """The :class:`~toeprob.Diagnosis` of parsed evidence from its posterior row and urgency."""
        if not np.all(np.isfinite(posterior)):
            raise ImpossibleEvidenceError("the model gives this evidence probability zero.")
        causes = self.model.causes
        # probabilities equal to 9 decimals are ties (the engines agree to 1e-9; rounding noise must not
        # reorder symmetric causes), broken by identifier: the same order whatever the engine
        rounded = np.round(posterior, 9)
        order = self._by_name[np.argsort(-rounded[self._by_name], kind="stable")]
        values = posterior.tolist()
        static = self._static
        ranked = tuple([RankedCause(causes[i], values[i], *static[i]) for i in order.tolist()])
        red_flags = tuple(
            RedFlag(f, floor)
            for f, floor in sorted(assessment.red_flags.items(), key=lambda kv: (-int(kv[1]), kv[0]))
        )
        frozen = np.array(posterior, dtype=float)
        frozen.flags.writeable = False
        return Diagnosis(
            ranked=ranked,
            urgency=assessment.urgency,
            red_flags=red_flags,
            urgency_reasons=assessment.reasons,
            evidence=evidence.values,
            model_name=self.model.name,
            model_version=self.model.version,
            model=self.model,
            assumed_absent=assessment.assumed_absent,
            parsed=evidence,
            posterior=frozen,
            engine=engine,
            reasoner=self,
        )

    def explain(
        self,
        evidence: Mapping[str, Any] | Diagnosis | None,
        cause: str,
        *,
        n_unconfirmed: int = 3,
        engine: EngineName = "fast",
    ) -> Explanation:
        """Why ``cause`` has its posterior under ``evidence`` or in a diagnosis (:func:`toeprob.explain`)."""
        check_engine(engine, "explain")
        diagnosis = evidence if isinstance(evidence, Diagnosis) else self.rank(evidence, engine=engine)
        return _explaining.explain_diagnosis(
            self, diagnosis, cause, n_unconfirmed=n_unconfirmed, engine=engine
        )

    def suggest_questions(
        self,
        evidence: Mapping[str, Any] | None = None,
        *,
        k: int = 5,
        policy: InterviewPolicy | None = None,
        exclude: Iterable[str] = (),
        questions_asked: int = 0,
        engine: EngineName = "fast",
        checklists_asked: Iterable[str] = (),
    ) -> QuestionRanking:
        """The next questions to ask: see :func:`toeprob.suggest_questions`."""
        return _questioning.suggest(
            self,
            evidence,
            k=k,
            policy=policy,
            exclude=exclude,
            questions_asked=questions_asked,
            engine=engine,
            checklists_asked=checklists_asked,
        )

    @overload
    def rank_batch(
        self, cases: dd.DataFrame, *, chunk_size: int = 20_000, progress: bool = False
    ) -> dd.DataFrame: ...

    @overload
    def rank_batch(
        self,
        cases: pd.DataFrame | Iterable[Mapping[str, Any]],
        *,
        chunk_size: int = 20_000,
        progress: bool = False,
    ) -> pd.DataFrame: ...

    def rank_batch(
        self,
        cases: pd.DataFrame | dd.DataFrame | Iterable[Mapping[str, Any]],
        *,
        chunk_size: int = 20_000,
        progress: bool = False,
    ) -> pd.DataFrame | dd.DataFrame:
        """Score many cases at once: see :func:`toeprob.rank_batch`."""
        _batch.check_options(chunk_size, progress)
        if is_dask_frame(cases):
            _batch.check_dask_options(progress)
            return rank_dask_frame(cases, rank_batch, model=self.model, chunk_size=chunk_size)
        return _batch.rank_rows(self, cases, chunk_size=chunk_size, progress=progress)

    def evaluate(
        self, cases: str | Path | Iterable[Mapping[str, Any] | Case], *, engine: EngineName = "fast"
    ) -> EvaluationReport:
        """Score the model on case files: see :func:`toeprob.evaluate`."""
        check_engine(engine, "evaluate")
        return _scoring.evaluate_cases(self, cases, engine=engine)

    def interview(
        self,
        evidence: Mapping[str, Any] | None = None,
        *,
        policy: InterviewPolicy | None = None,
        engine: EngineName = "fast",
    ) -> Interview:
        """Start an :class:`~toeprob.Interview` on this reasoner (``Interview(..., reasoner=self)``).

        The interview module comes after this one in the reasoning layer, so it registers the
        constructor as the ``"interview"`` hook of :mod:`toeprob.registry` rather than being imported.

        Examples
        --------
        >>> from toeprob import Reasoner
        >>> iv = Reasoner.for_model().interview({"cramp": "yes"})
        >>> iv.reasoner is Reasoner.for_model()
        True
        """
        return cast("Interview", registry.call("interview", self, evidence, policy=policy, engine=engine))

    @functools.cached_property
    def parameters(self) -> ModelParameters:
        """Every number of the model with its range (see :mod:`toeprob.knowledge.parameters`)."""
        return ModelParameters(self.model)

    def uncertainty(
        self,
        evidence: Mapping[str, Any] | Diagnosis | None,
        *,
        draws: int = 1000,
        seed: int | None = None,
        level: float = 0.9,
    ) -> Uncertainty:
        """How sure the ranking is over models drawn within the words' ranges (``Diagnosis.uncertainty``)."""
        diagnosis = evidence if isinstance(evidence, Diagnosis) else self.rank(evidence)
        return _uncertainty.uncertainty(self, diagnosis, draws=draws, seed=seed, level=level)

    def sensitivity(self, evidence: Mapping[str, Any] | Diagnosis | None, cause: str) -> Sensitivity:
        """Which parameters move ``cause``'s posterior most, one word each (:meth:`Diagnosis.sensitivity`)."""
        diagnosis = evidence if isinstance(evidence, Diagnosis) else self.rank(evidence)
        return _uncertainty.sensitivity(self, diagnosis, cause)

    def evaluation_sensitivity(
        self, cases: str | Path | Iterable[Mapping[str, Any] | Case]
    ) -> EvaluationSensitivity:
        """Which parameters the ranking metrics over ``cases`` are most sensitive to, one word each.

        ``toeprob evaluate CASES --sensitivity``; see :mod:`toeprob.reasoning.uncertainty`.
        """
        return _uncertainty.evaluation_sensitivity(
            self, as_cases(cases, self.model, "evaluation_sensitivity")
        )

    def __repr__(self) -> str:
        return f"<Reasoner for {self.model!r}>"


def rank_causes(
    evidence: Mapping[str, Any] | None = None,
    *,
    model: Model | None = None,
    engine: EngineName = "fast",
    budget: Budget | None = None,
) -> Diagnosis:
    """Rank every cause by its exact posterior probability and set the urgency.

    Parameters
    ----------
    evidence : mapping
        Finding or risk-factor identifier -> ``True``/``False`` (or ``"yes"``/``"no"``,
        ``"present"``/``"absent"``); anything not given is unknown.
    model : Model, optional
        Defaults to the shipped model (:func:`toeprob.load_model`).
    engine : {"fast", "pgmpy"}
        ``"fast"``: toeprob's exact engine. ``"pgmpy"``: pgmpy's variable elimination, the slow
        reference, used for the ranking; urgency is always computed with the fast engine, which
        agrees with pgmpy to 1e-9.
    budget : Budget, optional
        Memory and work allowed for the fast engine (default
        :data:`~toeprob.inference.budget.DEFAULT_BUDGET`: 8 GiB, 5e9 operations).

    Returns
    -------
    Diagnosis

    Raises
    ------
    UnknownIdentifierError
        For an identifier that is not in the model (a ``ValueError`` and ``KeyError``).
    EvidenceError, EvidenceTypeError
        For a cause given as evidence, an empty name or a value that is not accepted.
    ImpossibleEvidenceError
        If the model gives the evidence probability zero.
    ParameterError, ParameterTypeError
        For a ``model`` that is not a :class:`~toeprob.Model` or an unknown ``engine``.
    CostLimitError
        If exact inference for this model or evidence would exceed ``budget`` (a
        ``RuntimeError``); raised before anything large is allocated.

    Examples
    --------
    >>> from toeprob import rank_causes
    >>> d = rank_causes({"numbness": "yes", "burning_pain": "yes", "diabetes": True})
    >>> d.top.cause
    'peripheral_neuropathy'
    >>> d.urgency >= d.red_flags[0].floor
    True
    """
    model = resolve_model(model, "rank_causes")
    check_engine(engine, "rank_causes")
    check_type(budget, "budget", "rank_causes", (Budget, type(None)), "a toeprob.Budget or None")
    return Reasoner.for_model(model, budget=budget).rank(evidence, engine=engine)


def explain(
    evidence: Mapping[str, Any] | None,
    cause: str,
    *,
    model: Model | None = None,
    n_unconfirmed: int = 3,
    engine: EngineName = "fast",
) -> Explanation:
    """Explain the posterior of ``cause`` under ``evidence`` (exact leave-one-out effects).

    Parameters
    ----------
    evidence : mapping
        As for :func:`toeprob.rank_causes`.
    cause : str
        A cause identifier.
    model : Model, optional
        Defaults to the shipped model.
    n_unconfirmed : int
        How many unasked questions to list in each direction (raise, lower).
    engine : {"fast", "pgmpy"}

    Returns
    -------
    Explanation

    Raises
    ------
    UnknownIdentifierError
        For an evidence identifier the model does not know (with the closest ones).
    EvidenceError
        For a bad evidence value.
    ParameterKeyError
        For a ``cause`` that is not a cause of the model (a finding, a misspelling; with the closest
        causes).
    ParameterError
        For a bad ``n_unconfirmed`` or a ``model`` that is not a :class:`~toeprob.Model`.

    Examples
    --------
    >>> from toeprob import explain
    >>> e = explain({"cramp": "yes", "low_fluid_intake": "yes"}, "dehydration")
    >>> [x.identifier for x in e.supporting][:1]
    ['low_fluid_intake']
    """
    model = resolve_model(model, "explain")
    return Reasoner.for_model(model).explain(evidence, cause, n_unconfirmed=n_unconfirmed, engine=engine)


def suggest_questions(
    evidence: Mapping[str, Any] | None = None,
    *,
    model: Model | None = None,
    k: int = 5,
    policy: InterviewPolicy | None = None,
    exclude: Iterable[str] = (),
    questions_asked: int = 0,
    engine: EngineName = "fast",
    checklists_asked: Iterable[str] = (),
) -> QuestionRanking:
    """Rank the next questions: the due checklist first, then single questions by value.

    Parameters
    ----------
    evidence : mapping, optional
        As for :func:`toeprob.rank_causes`; the answered questions are not candidates.
    model : Model, optional
        Defaults to the shipped model.
    k : int
        How many questions to return.
    policy : InterviewPolicy, optional
        The red-flag-first and stop-rule parameters.
    exclude : iterable of str
        Identifiers already asked without an answer ("don't know"); they are not asked again.
    questions_asked : int
        How many steps the interview has taken so far, a checklist counting once (for
        ``policy.max_questions``).
    engine : {"fast", "pgmpy"}
        The inference engine.
    checklists_asked : iterable of str
        The checklists already asked (``"red_flag_checklist"``, ``"background_checklist"``); each is
        asked once (see :mod:`toeprob.reasoning.questioning`).

    Returns
    -------
    QuestionRanking

    Raises
    ------
    UnknownIdentifierError
        For an identifier in ``evidence`` that the model does not know.
    EvidenceError
        For a bad evidence value.
    ParameterKeyError
        For an identifier in ``exclude`` that is not a finding or risk factor of the model.
    ParameterError
        For a ``k`` that is not a positive integer, a negative ``questions_asked``, or a ``model`` or
        ``policy`` of the wrong type.

    Examples
    --------
    >>> from toeprob import suggest_questions
    >>> r = suggest_questions({"numbness": "yes", "burning_pain": "yes"}, k=2)
    >>> r.questions[0].id in r.diagnosis.evidence
    False
    >>> r.to_frame().columns.tolist()[:4]
    ['rank', 'question', 'kind', 'text']
    """
    model = resolve_model(model, "suggest_questions")
    return Reasoner.for_model(model).suggest_questions(
        evidence,
        k=k,
        policy=policy,
        exclude=exclude,
        questions_asked=questions_asked,
        engine=engine,
        checklists_asked=checklists_asked,
    )


def evaluate(
    cases: str | Path | Iterable[Mapping[str, Any] | Case],
    model: Model | None = None,
    *,
    engine: EngineName = "fast",
) -> EvaluationReport:
    """Score ``model`` on ``cases`` (a path to a case file, or the parsed cases).

    The cases are validated by :mod:`toeprob.knowledge.casefile` (format: ``docs/case-format.md``); example
    case files ship with the package (:func:`toeprob.datasets.load_cases`).

    Raises
    ------
    CaseFileError
        For a case file or case that does not follow the schema (the message names case and key).

    Examples
    --------
    >>> case = {"id": "x", "evidence": {"cramp": True, "tight_footwear": True,
    ...         "while_wearing_shoes": True}, "gold_cause": "ill_fitting_footwear",
    ...         "urgency_min": "self_care", "urgency_max": "routine"}
    >>> evaluate([case]).top1
    1.0
    """
    model = resolve_model(model, "evaluate")
    return Reasoner.for_model(model).evaluate(cases, engine=engine)


@overload
def rank_batch(
    cases: dd.DataFrame, *, model: Model | None = None, chunk_size: int = 20_000, progress: bool = False
) -> dd.DataFrame: ...


@overload
def rank_batch(
    cases: pd.DataFrame | Iterable[Mapping[str, Any]],
    *,
    model: Model | None = None,
    chunk_size: int = 20_000,
    progress: bool = False,
) -> pd.DataFrame: ...


def rank_batch(
    cases: pd.DataFrame | dd.DataFrame | Iterable[Mapping[str, Any]],
    *,
    model: Model | None = None,
    chunk_size: int = 20_000,
    progress: bool = False,
) -> pd.DataFrame | dd.DataFrame:
    """Score many cases: one row per case with every cause's posterior, the top cause and the urgency.

    Parameters
    ----------
    cases : DataFrame, dask DataFrame or iterable of mappings
        Columns (or keys) are finding and risk-factor identifiers; values ``True``/``False`` (or the
        strings accepted by :func:`toeprob.rank_causes`), missing values (``None``/``NaN``/``pd.NA``,
        also in nullable ``boolean`` and ``string`` columns) unknown.
        A ``dask.dataframe.DataFrame`` (``toeprob[dask]``) is scored lazily, partition by partition,
        and a dask DataFrame is returned (see :mod:`toeprob.reasoning.batch_dask`).
    model : Model, optional
        Defaults to the shipped model.
    chunk_size : int
        Cases processed at a time; memory use is bounded by it (plus the output).
    progress : bool
        Show a progress bar (tqdm) over chunks. Not for a dask DataFrame: use Dask's own
        (``dask.diagnostics.ProgressBar``, ``distributed.progress`` or the dashboard).

    Returns
    -------
    DataFrame
        Indexed like ``cases`` (a DataFrame) or ``0..n-1``; one float column per cause, then
        ``top_cause``, ``top_probability`` and ``urgency`` (an ordered categorical). The values are
        exactly those of :func:`toeprob.rank_causes` on each case.

    Raises
    ------
    UnknownIdentifierError, EvidenceError, EvidenceTypeError
        As :func:`toeprob.rank_causes`; the message names the row and the column. A frame is
        refused exactly when one of its rows, given to :func:`toeprob.rank_causes`, would be; also
        for duplicate column names.
    ParameterError, ParameterTypeError
        For ``cases`` of another type, a bad ``chunk_size`` or a ``model`` that is not a Model.
    """
    model = resolve_model(model, "rank_batch")
    return Reasoner.for_model(model).rank_batch(cases, chunk_size=chunk_size, progress=progress)
