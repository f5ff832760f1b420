"""Question scores from one engine pass equal those of separate passes, bit for bit.

With the exact engine, :mod:`toeprob.reasoning.question_values` takes the answer rows'
posteriors, their log evidence and their urgency (worlds settled within their error bound) from
one engine pass; any other engine gets separate ``posterior_batch``, ``log_evidence_batch`` and
urgency passes, every world recomputed exactly. The rankings must be identical.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from toeprob import InterviewPolicy, datasets, load_model
from toeprob.reasoning.reasoner import Reasoner


class _Separate:
    """The exact engine behind the bare engine protocol (no combined pass)."""

    def __init__(self, engine: Any) -> None:
        self._engine = engine

    def posterior(self, fs: Any, rs: Any) -> Any:
        return self._engine.posterior(fs, rs)

    def posterior_batch(self, fs: Any, rs: Any, *, groups: Any = None) -> Any:
        return self._engine.posterior_batch(fs, rs, groups=groups)

    def log_evidence(self, fs: Any, rs: Any) -> float:
        return float(self._engine.log_evidence(fs, rs))

    def log_evidence_batch(self, fs: Any, rs: Any) -> Any:
        return self._engine.log_evidence_batch(fs, rs)


@pytest.fixture(scope="module")
def reasoners() -> tuple[Reasoner, Reasoner]:
    model = load_model()
    fast = Reasoner(model)
    separate = Reasoner(model)
    separate.engine = _Separate(fast.engine)
    return fast, separate


def _cases() -> list[dict[str, Any]]:
    cases = [dict(c.evidence) for name in ("team", "blind") for c in datasets.load_cases(name)]
    # every twentieth case, and some whose answers' urgency worlds cancel beyond the float64 limit
    return [c for k, c in enumerate(cases) if k % 20 == 0 or k in (40, 46, 47, 52, 55, 91, 92)]


def _table(ranking: Any) -> list[tuple[Any, ...]]:
    return [
        (q.id, q.kind, q.p_yes.hex(), q.gain.hex(), q.value.hex(), q.why, q.pending_red_flag)
        for q in ranking.questions
    ] + [(str(ranking.stop_reason), ranking.best_gain.hex(), ranking.final_check, ranking.pending_red_flags)]


@pytest.mark.parametrize("policy", [InterviewPolicy(), InterviewPolicy(urgency_weight=0.0, lookahead=2)])
def test_one_pass_equals_separate_passes(
    reasoners: tuple[Reasoner, Reasoner], policy: InterviewPolicy, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast, separate = reasoners
    loose = []
    combined = fast.engine.posterior_evidence_batch

    def recording(*args: Any, **kwargs: Any) -> Any:
        post, log_ev, error = combined(*args, **kwargs)
        loose.append(int((error > 0).sum()))
        return post, log_ev, error

    monkeypatch.setattr(fast.engine, "posterior_evidence_batch", recording)
    for evidence in _cases():
        want = separate.suggest_questions(evidence, k=80, policy=policy)
        got = fast.suggest_questions(evidence, k=80, policy=policy)
        assert _table(got) == _table(want), evidence
    assert loose and (sum(loose) > 0 or policy.urgency_weight == 0)  # worlds left in float64


def test_checklist_scores_from_one_pass(reasoners: tuple[Reasoner, Reasoner]) -> None:
    from toeprob.reasoning.question_values import score_checklist

    fast, separate = reasoners
    for evidence in _cases()[:6]:
        ev = fast.parse(evidence)
        d = fast.rank(ev)
        ids = tuple(f for f in fast.model.red_flags if f not in ev.values)
        got = score_checklist(fast, fast.engine, ev, np.asarray(d.posterior), int(d.urgency), ids, 3, 0.25)
        want = score_checklist(
            separate, separate.engine, ev, np.asarray(d.posterior), int(d.urgency), ids, 3, 0.25
        )
        assert all(np.array_equal(a, b) for a, b in zip(got, want, strict=True))
