"""toeprob: probabilistic diagnostic reasoning about involuntary toe movements.

toeprob is not a medical device and gives no diagnosis. It ranks possible causes of toe twitches,
jerks, cramps and spasms with an exact Bayesian network built from a documented knowledge base, and
sets an urgency level in which red flags can only raise urgency.

Examples
--------
>>> import toeprob
>>> d = toeprob.rank_causes({"cramp": True, "tight_footwear": True, "while_wearing_shoes": True})
>>> d.top.cause
'ill_fitting_footwear'
"""

import logging
import os as _os
import sys as _sys

try:
    from toeprob import datasets
    from toeprob import display as _display  # noqa: F401  (registers the views and plots of results)
    from toeprob._version import __version__ as __version__
    from toeprob.display.plotting import plot_posteriors
    from toeprob.errors import (
        CaseFileError,
        CaseTableError,
        CostLimitError,
        EvidenceError,
        EvidenceTypeError,
        ImpossibleEvidenceError,
        MissingDependencyError,
        ModelFileError,
        ParameterError,
        ParameterKeyError,
        ParameterTypeError,
        ToeprobError,
        UnknownIdentifierError,
    )
    from toeprob.inference import pgmpy_bridge as _pgmpy_bridge  # noqa: F401  (registers Model.to_pgmpy)
    from toeprob.inference.budget import Budget
    from toeprob.knowledge.casefile import Case
    from toeprob.knowledge.model import Model, load_model
    from toeprob.knowledge.urgency import Urgency
    from toeprob.reasoning.interview import Interview
    from toeprob.reasoning.questioning import InterviewPolicy
    from toeprob.reasoning.reasoner import (
        Reasoner,
        evaluate,
        explain,
        rank_batch,
        rank_causes,
        suggest_questions,
    )
    from toeprob.results.diagnosis import DISCLAIMER, Diagnosis, RankedCause, RedFlag, UrgencyReason
    from toeprob.results.evaluation import EvaluationReport
    from toeprob.results.explanation import Explanation
    from toeprob.results.questions import Question, QuestionRanking, StopReason
    from toeprob.results.uncertainty import Sensitivity, Uncertainty
except KeyboardInterrupt:  # Ctrl-C while the command line is still importing: one line, no traceback
    _argv0 = _sys.argv[0] if _sys.argv else ""
    if _os.path.basename(_argv0) in ("toeprob", "toeprob.exe") or _argv0.endswith(
        _os.path.join("toeprob", "__main__.py")
    ):
        _sys.stderr.write("toeprob: interrupted\n")
        raise SystemExit(130) from None
    raise

logging.getLogger(__name__).addHandler(logging.NullHandler())


__all__ = [
    "DISCLAIMER",
    "Budget",
    "Case",
    "CaseFileError",
    "CaseTableError",
    "CostLimitError",
    "Diagnosis",
    "EvaluationReport",
    "EvidenceError",
    "EvidenceTypeError",
    "Explanation",
    "ImpossibleEvidenceError",
    "Interview",
    "InterviewPolicy",
    "MissingDependencyError",
    "Model",
    "ModelFileError",
    "ParameterError",
    "ParameterKeyError",
    "ParameterTypeError",
    "Question",
    "QuestionRanking",
    "RankedCause",
    "Reasoner",
    "RedFlag",
    "Sensitivity",
    "StopReason",
    "ToeprobError",
    "Uncertainty",
    "UnknownIdentifierError",
    "Urgency",
    "UrgencyReason",
    "datasets",
    "evaluate",
    "explain",
    "load_model",
    "plot_posteriors",
    "rank_batch",
    "rank_causes",
    "suggest_questions",
]
