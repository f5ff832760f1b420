"""Every number of a model as a parameter with its range, and model variants built from them.

A model's numbers are words read onto scales (see ``docs/model-format.md``); each word stands for a
range of probabilities. :class:`ModelParameters` lists every free number of a model once:

* ``prior:<cause>``: a cause's prior from its frequency word (causes without a population figure);
* ``adults:<cause>``, ``toe_symptoms:<cause>``: the two parts of a prior from a population figure,
  and ``symptomatic_share``, the denominator they share;
* ``prevalence:<risk factor>``, ``leak:<finding>``;
* ``link:<risk factor>-><cause>`` and ``link:<cause>-><finding>``: link strengths.

A cause's leak is not a parameter: as in the loader, it is solved from the cause's prior and its
risk-factor links, ``leak = 1 - (1 - prior) / prod_r (1 - prevalence_r * w_r)``. A variant whose risk
factors alone give more than its prior (possible when the prior is drawn low and the links high)
takes leak 0: the cause then occurs only through its risk factors, and its prior in that variant is
what they give.

:meth:`ModelParameters.sample` draws variants within the ranges; :meth:`ModelParameters.arrays` turns
parameter values into the network's arrays, with a leading variant axis. With every parameter at
its value, the arrays are bitwise those of the loaded model.

Examples
--------
>>> from toeprob import load_model
>>> params = ModelParameters(load_model())
>>> params.names[params.index("link:diabetes->peripheral_neuropathy")]
'link:diabetes->peripheral_neuropathy'
>>> bool((params.low <= params.value).all() and (params.value <= params.high).all())
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from toeprob.errors import ParameterError, ParameterKeyError
from toeprob.knowledge.model import Model
from toeprob.validation import unknown_identifier_message

__all__ = ["KINDS", "ModelParameters", "ParameterArrays", "ParameterLinks", "Shift"]

FloatArray = NDArray[np.float64]

KINDS = (
    "prior",
    "adults",
    "toe_symptoms",
    "symptomatic_share",
    "prevalence",
    "leak",
    "risk_link",
    "finding_link",
)
"""Kinds of parameter, in the order :class:`ModelParameters` lists them."""


@dataclass(frozen=True)
class ParameterArrays:
    """A model's parameters as network arrays, each with a leading variant axis ``K``.

    ``prior`` (K, C), ``cause_leak`` (K, C), ``rf_prevalence`` (K, R), ``rf_weight`` (K, R, C),
    ``finding_leak`` (K, F), ``finding_weight`` (K, F, C), in model order (as
    :func:`toeprob.inference.compiled.compile_model`).
    """

    prior: FloatArray
    cause_leak: FloatArray
    rf_prevalence: FloatArray
    rf_weight: FloatArray
    finding_leak: FloatArray
    finding_weight: FloatArray

    @property
    def variants(self) -> int:
        """Number of variants ``K``."""
        return int(self.prior.shape[0])


@dataclass(frozen=True)
class ParameterLinks:
    """A model's parameters as the network's numbers, the link strengths one column per link.

    ``prior`` (K, C), ``cause_leak`` (K, C), ``rf_prevalence`` (K, R) and ``finding_leak`` (K, F)
    as in :class:`ParameterArrays`; ``risk_link`` (K, L) holds the strength of every risk-factor
    link, link ``j`` from risk factor ``risk_link_index[0, j]`` to cause ``risk_link_index[1, j]``,
    and ``finding_link`` (K, M) that of every finding link, from cause ``finding_link_index[1, j]``
    to finding ``finding_link_index[0, j]``; both ordered by (risk factor or finding, cause), the
    order of the compiled model's flat indices. The compact form of
    :class:`ParameterArrays`, whose weight arrays are zero off the links (:meth:`dense`).
    """

    prior: FloatArray
    cause_leak: FloatArray
    rf_prevalence: FloatArray
    finding_leak: FloatArray
    risk_link: FloatArray
    risk_link_index: NDArray[np.intp]
    finding_link: FloatArray
    finding_link_index: NDArray[np.intp]

    @property
    def variants(self) -> int:
        """Number of variants ``K``."""
        return int(self.prior.shape[0])

    def dense(self) -> ParameterArrays:
        """The same numbers as :class:`ParameterArrays` (weights zero off the links)."""
        n_k, n_c = self.prior.shape
        w = np.zeros((n_k, self.rf_prevalence.shape[1], n_c))
        w[:, self.risk_link_index[0], self.risk_link_index[1]] = self.risk_link
        p = np.zeros((n_k, self.finding_leak.shape[1], n_c))
        p[:, self.finding_link_index[0], self.finding_link_index[1]] = self.finding_link
        return ParameterArrays(self.prior, self.cause_leak, self.rf_prevalence, w, self.finding_leak, p)


@dataclass(frozen=True)
class Shift:
    """One parameter moved to another value: one word up or down its scale, or to a range edge.

    ``direction`` is ``"down"`` or ``"up"``; ``label`` says what it became (a word, or a number for
    a population figure).
    """

    parameter: str
    direction: str
    value: float
    label: str


class ModelParameters:
    """The parameters of a model, with their values and ranges (see the module docstring).

    Attributes
    ----------
    names : tuple of str
        ``kind:identifier`` of every parameter.
    kinds, words, scales : tuple of str
        Each parameter's kind (one of :data:`KINDS`), its word and the scale of its word (``""`` for
        the numbers of population figures).
    value, low, high : ndarray, shape (P,)
        Point value and range.
    finding_of : ndarray of int, shape (P,)
        For a finding's leak and the links into a finding, that finding's index (model order); -1
        for the other parameters. Such a parameter has no effect on any posterior when its finding
        is not observed (an unobserved finding sums out to one whatever its numbers).
    """

    def __init__(self, model: Model) -> None:
        self.model = model
        rows: list[tuple[str, str, str, str, float, float, float]] = []

        def word(name: str, kind: str, scale: str, w: str, value: float) -> None:
            low, high = model.scales[scale].range(w)
            rows.append((name, kind, scale, w, value, low, high))

        for cid, spec in model.cause_specs.items():
            if spec.population is None:
                word(f"prior:{cid}", "prior", "frequency", spec.frequency, spec.prior)
        for cid, spec in model.cause_specs.items():
            fig = spec.population
            if fig is not None:
                low, high = fig.adults_range or (fig.adults, fig.adults)
                rows.append((f"adults:{cid}", "adults", "", "", fig.adults, low, high))
                word(
                    f"toe_symptoms:{cid}", "toe_symptoms", "strength", fig.toe_symptoms_word, fig.toe_symptoms
                )
        if model.symptomatic_share is not None and any(s.population for s in model.cause_specs.values()):
            share = model.symptomatic_share
            low, high = model.symptomatic_share_range or (share, share)
            rows.append(("symptomatic_share", "symptomatic_share", "", "", share, low, high))
        for rid, rf in model.risk_factor_specs.items():
            word(f"prevalence:{rid}", "prevalence", "prevalence", rf.prevalence_word, rf.prevalence)
        for fid, fd in model.finding_specs.items():
            word(f"leak:{fid}", "leak", "prevalence", fd.leak_word, fd.leak)
        for lk in model.risk_links:
            word(f"link:{lk.parent}->{lk.child}", "risk_link", "strength", lk.strength, lk.probability)
        for lk in model.finding_links:
            word(f"link:{lk.parent}->{lk.child}", "finding_link", "strength", lk.strength, lk.probability)

        self.names: tuple[str, ...] = tuple(r[0] for r in rows)
        self.kinds: tuple[str, ...] = tuple(r[1] for r in rows)
        self.scales: tuple[str, ...] = tuple(r[2] for r in rows)
        self.words: tuple[str, ...] = tuple(r[3] for r in rows)
        self.value = np.array([r[4] for r in rows], dtype=np.float64)
        self.low = np.array([r[5] for r in rows], dtype=np.float64)
        self.high = np.array([r[6] for r in rows], dtype=np.float64)
        for arr in (self.value, self.low, self.high):
            arr.setflags(write=False)
        self._logit_low, self._logit_high = _logit(self.low), _logit(self.high)
        self._fixed = np.flatnonzero(self.low == self.high)
        self._index = {n: k for k, n in enumerate(self.names)}
        self._layout()
        finding_of = np.full(len(self.names), -1, dtype=np.intp)
        finding_of[self._leak] = np.arange(len(self._leak))
        for f, _, k in self._finding_links:
            finding_of[k] = f
        finding_of.setflags(write=False)
        self.finding_of = finding_of

    def __len__(self) -> int:
        return len(self.names)

    def __repr__(self) -> str:
        wide = int(np.count_nonzero(self.low < self.high))
        return f"<ModelParameters of {self.model.name!r}: {len(self)} parameters, {wide} with a range>"

    def index(self, name: str) -> int:
        """Position of the parameter ``name``; raises :class:`ParameterKeyError` with close matches."""
        if name not in self._index:
            raise ParameterKeyError(
                unknown_identifier_message(name, self.names, "a parameter", model=self.model.name)
                + " Names are kind:identifier, e.g. 'prior:muscle_fatigue' or "
                "'link:diabetes->peripheral_neuropathy'."
            )
        return self._index[name]

    # -- sampling ---------------------------------------------------------------------------

    def relevant(self, observed: ArrayLike) -> NDArray[np.bool_]:
        """Which parameters can move the posterior of rows that observe only the findings ``observed``.

        ``observed`` is a mask over the model's findings. The leak of a finding and the links into
        it cannot move a posterior when the finding is unknown (it sums out to one whatever its
        numbers, see :attr:`finding_of`); every other parameter can (a cause's leak is solved from
        its prior and every risk-factor link, and an unknown shared risk factor couples causes).

        Examples
        --------
        >>> from toeprob import load_model
        >>> params = ModelParameters(load_model())
        >>> keep = params.relevant(np.zeros(len(params.model.findings), dtype=bool))
        >>> bool(keep[params.index("link:diabetes->peripheral_neuropathy")]), int(keep.sum()) < len(params)
        (True, True)
        """
        obs = np.asarray(observed, dtype=bool)
        if obs.shape != (len(self.model.findings),):
            raise ParameterError(
                f"The 'observed' parameter must be a mask of shape ({len(self.model.findings)},); "
                f"got {obs.shape}."
            )
        return np.asarray((self.finding_of < 0) | obs[np.maximum(self.finding_of, 0)])

    def sample(
        self, draws: int, rng: np.random.Generator, relevant: NDArray[np.bool_] | None = None
    ) -> FloatArray:
        """Draw ``draws`` complete parameter sets, shape ``(draws, P)``.

        Every parameter is drawn independently, uniformly on the log-odds scale between its range's
        edges (a parameter with a zero-width range keeps its value exactly). Independent: each
        word in the model file is a separate judgement rounded to the nearest word, and the
        rounding of one judgement says nothing about another's. Log-odds: the scales' words are
        evenly spaced on it, so a draw is as likely in each part of a word's band as the words'
        spacing suggests, and a small probability is as likely to halve as to double.

        With a mask ``relevant`` (:meth:`relevant`), the same uniform numbers are drawn from ``rng``
        (the stream is the same), but only the masked parameters are turned into values; the
        others keep their point value. The masked columns are bitwise those drawn without a mask.

        Examples
        --------
        >>> from toeprob import load_model
        >>> params = ModelParameters(load_model())
        >>> draws = params.sample(100, np.random.default_rng(1))
        >>> bool(((params.low <= draws) & (draws <= params.high)).all())
        True
        """
        x = rng.random((draws, len(self)))
        if relevant is not None:
            keep = np.flatnonzero(relevant)
            x_keep = self._expit_range(np.take(x, keep, axis=1), keep)
            skip = np.flatnonzero(~np.asarray(relevant, dtype=bool))
            # the drawn columns and the point values side by side, then in parameter order (two
            # contiguous passes rather than two scatters into ``x``)
            both = np.concatenate([x_keep, np.broadcast_to(self.value[skip], (draws, len(skip)))], axis=1)
            order = np.empty(len(self), dtype=np.intp)
            order[np.concatenate([keep, skip])] = np.arange(len(self))
            return np.asarray(np.take(both, order, axis=1))
        return self._expit_range(x, np.arange(len(self)))

    def _expit_range(self, x: FloatArray, keep: NDArray[np.intp]) -> FloatArray:
        """Uniform numbers ``x`` of the parameters ``keep`` (columns) to values in their ranges, in place."""
        low, high = self._logit_low[keep], self._logit_high[keep]
        # in place, ``expit(low + u * (high - low))`` as ``1 / (1 + exp(u * (low - high) - low))``:
        # the same numbers bit for bit (negation is exact), one pass fewer
        x *= low - high
        x -= low
        np.exp(x, out=x)
        x += 1.0
        np.divide(1.0, x, out=x)
        np.maximum(x, self.low[keep], out=x)  # clip to the range (rounding at its edges)
        np.minimum(x, self.high[keep], out=x)
        fixed = np.flatnonzero(self.low[keep] == self.high[keep])
        x[:, fixed] = self.value[keep[fixed]]
        return x

    def shifts(self, names: Sequence[str] | None = None) -> list[Shift]:
        """Every parameter one word down and one word up its scale (population figures: to the edges
        of their range); a parameter at the end of its scale has one shift only.

        Examples
        --------
        >>> from toeprob import load_model
        >>> params = ModelParameters(load_model())
        >>> [(s.direction, s.label) for s in params.shifts(["link:diabetes->peripheral_neuropathy"])]
        [('down', 'rarely'), ('up', 'often')]
        """
        out: list[Shift] = []
        for name in self.names if names is None else names:
            k = self.index(name)
            scale = self.scales[k]
            if scale:
                sc = self.model.scales[scale]
                down, up = sc.neighbours(self.words[k])
                for direction, w in (("down", down), ("up", up)):
                    if w is not None:
                        out.append(Shift(name, direction, sc.values[w], w))
            else:
                for direction, edge in (("down", self.low[k]), ("up", self.high[k])):
                    if edge != self.value[k]:
                        out.append(Shift(name, direction, float(edge), f"{edge:.3g}"))
        return out

    def shifted(self, shifts: Sequence[Shift]) -> FloatArray:
        """One parameter set per shift, the others at their values: shape ``(len(shifts), P)``."""
        values = np.tile(self.value, (len(shifts), 1))
        for k, shift in enumerate(shifts):
            values[k, self.index(shift.parameter)] = shift.value
        return values

    # -- arrays -----------------------------------------------------------------------------

    def _layout(self) -> None:
        model = self.model
        causes, findings, rfs = model.causes, model.findings, model.risk_factors
        ci = {c: i for i, c in enumerate(causes)}
        fi = {f: i for i, f in enumerate(findings)}
        ri = {r: i for i, r in enumerate(rfs)}
        idx = self._index
        self._prior_word = [(ci[n.split(":", 1)[1]], k) for n, k in idx.items() if n.startswith("prior:")]
        self._population = [
            (ci[c], idx[f"adults:{c}"], idx[f"toe_symptoms:{c}"])
            for c, spec in model.cause_specs.items()
            if spec.population is not None
        ]
        self._share = idx.get("symptomatic_share", -1)
        self._prevalence = np.array([idx[f"prevalence:{r}"] for r in rfs], dtype=np.intp)
        self._leak = np.array([idx[f"leak:{f}"] for f in findings], dtype=np.intp)
        # links in file order: the leak is solved with the loader's order of multiplication
        self._risk_links = [
            (ri[lk.parent], ci[lk.child], idx[f"link:{lk.parent}->{lk.child}"]) for lk in model.risk_links
        ]
        self._finding_links = [
            (fi[lk.child], ci[lk.parent], idx[f"link:{lk.parent}->{lk.child}"]) for lk in model.finding_links
        ]
        # the same as index arrays, for :meth:`arrays`; risk links in rounds: round ``j`` holds
        # every cause's ``j``-th link (file order), so that each cause's product keeps its order
        self._risk_index = np.array(self._risk_links, dtype=np.intp).reshape(-1, 3).T
        self._finding_index = np.array(self._finding_links, dtype=np.intp).reshape(-1, 3).T
        # :meth:`links` lists the links by (risk factor or finding, cause), the compiled order
        n_c = len(causes)
        self._risk_sorted = self._risk_index[:, np.argsort(self._risk_index[0] * n_c + self._risk_index[1])]
        self._finding_sorted = self._finding_index[
            :, np.argsort(self._finding_index[0] * n_c + self._finding_index[1])
        ]
        self._prior_index = np.array(self._prior_word, dtype=np.intp).reshape(-1, 2).T
        self._population_index = np.array(self._population, dtype=np.intp).reshape(-1, 3).T
        seen: dict[int, int] = {}
        rounds: list[list[int]] = []
        for k, (_, c, _) in enumerate(self._risk_links):
            j = seen[c] = seen.get(c, -1) + 1
            if j == len(rounds):
                rounds.append([])
            rounds[j].append(k)
        self._risk_rounds = [np.array(r, dtype=np.intp) for r in rounds]

    def arrays(self, values: FloatArray, relevant: NDArray[np.bool_] | None = None) -> ParameterArrays:
        """The network's arrays for parameter sets ``values`` of shape ``(K, P)``.

        With a mask ``relevant`` (:meth:`relevant`), the finding links outside it are taken at their
        point values (whatever ``values`` holds for them), as :meth:`sample` with that mask draws them.
        The dense form of :meth:`links`.

        Examples
        --------
        >>> from toeprob import load_model
        >>> from toeprob.inference.compiled import compile_model
        >>> model = load_model()
        >>> params = ModelParameters(model)
        >>> arrays = params.arrays(params.value[None, :])
        >>> bool((arrays.cause_leak[0] == compile_model(model).cause_leak).all())
        True
        """
        return self.links(values, relevant).dense()

    def links(self, values: FloatArray, relevant: NDArray[np.bool_] | None = None) -> ParameterLinks:
        """The network's numbers for parameter sets ``values`` of shape ``(K, P)``, one column per link.

        As :meth:`arrays` (the same numbers, bitwise), without the zero weights off the links.

        Examples
        --------
        >>> from toeprob import load_model
        >>> params = ModelParameters(load_model())
        >>> links = params.links(params.value[None, :])
        >>> links.risk_link.shape == (1, len(params.model.risk_links))
        True
        """
        values = np.asarray(values, dtype=np.float64)
        if values.ndim != 2 or values.shape[1] != len(self):
            raise ParameterError(
                f"The 'values' parameter of ModelParameters.arrays must have shape (K, {len(self)}); "
                f"got {values.shape}."
            )
        n_k = values.shape[0]
        n_c = len(self.model.causes)
        prior = np.empty((n_k, n_c))
        c_word, k_word = self._prior_index
        prior[:, c_word] = np.take(values, k_word, axis=1)
        share = values[:, self._share] if self._share >= 0 else np.ones(n_k)
        c_pop, a_pop, t_pop = self._population_index
        prior[:, c_pop] = np.take(values, a_pop, axis=1) * np.take(values, t_pop, axis=1) / share[:, None]
        prev = np.take(values, self._prevalence, axis=1)
        r_link, c_link, k_link = self._risk_index
        risk_link = np.take(values, k_link, axis=1)
        factor = 1.0 - np.take(prev, r_link, axis=1) * risk_link
        explained = np.ones((n_k, n_c))
        for links in self._risk_rounds:  # each cause's links multiplied in file order
            explained[:, c_link[links]] *= factor[:, links]
        leak = np.maximum(1.0 - (1.0 - prior) / explained, 0.0)
        k_flink = self._finding_sorted[2]
        finding_link = np.take(values, k_flink, axis=1)
        if relevant is not None:  # the other links at their point values
            other = np.flatnonzero(~np.asarray(relevant, dtype=bool)[k_flink])
            finding_link[:, other] = self.value[k_flink[other]]
        return ParameterLinks(
            prior,
            leak,
            prev,
            np.take(values, self._leak, axis=1),
            np.take(values, self._risk_sorted[2], axis=1),
            self._risk_sorted[:2],
            finding_link,
            self._finding_sorted[:2],
        )


def _logit(p: FloatArray) -> FloatArray:
    return np.asarray(np.log(p) - np.log1p(-p))


def _expit(x: FloatArray) -> FloatArray:
    return np.asarray(1.0 / (1.0 + np.exp(-x)))
