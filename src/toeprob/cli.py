"""The ``toeprob`` command line: ``rank``, ``vocabulary``, ``evaluate``.

Errors print a one-line message to standard error and exit with status 2, without a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from toeprob.api import rank_causes
from toeprob.errors import EvidenceError, ToeprobError
from toeprob.evaluate import evaluate
from toeprob.model import Model, load_model
from toeprob.results import DISCLAIMER

__all__ = ["main", "parse_assignments"]


def parse_assignments(items: Sequence[str]) -> dict[str, str]:
    """Turn ``["numbness=yes", "diabetes=no"]`` into a mapping; a bare name means ``yes``.

    Examples
    --------
    >>> parse_assignments(["numbness=yes", "cramp"])
    {'numbness': 'yes', 'cramp': 'yes'}
    """
    out: dict[str, str] = {}
    for item in items:
        for part in item.split(","):
            if not part.strip():
                continue
            name, sep, value = part.partition("=")
            if sep and not value.strip():
                raise EvidenceError(f"{part!r}: give a value after '=' (yes or no).")
            out[name.strip()] = value.strip() if sep else "yes"
    return out


def _model(args: argparse.Namespace) -> Model:
    return load_model(args.model)


def _cmd_rank(args: argparse.Namespace) -> int:
    d = rank_causes(parse_assignments(args.evidence), model=_model(args), engine=args.engine)
    if args.json:
        data = d.to_dict()
        data["ranked"] = data["ranked"][: args.top]
        print(json.dumps(data, indent=2))
    else:
        print(d.to_text(top=args.top))
    return 0


def _cmd_vocabulary(args: argparse.Namespace) -> int:
    model = _model(args)
    if args.json:
        print(
            json.dumps(
                {
                    "causes": {c: s.description for c, s in model.cause_specs.items()},
                    "findings": {f: s.description for f, s in model.finding_specs.items()},
                    "risk_factors": {r: s.description for r, s in model.risk_factor_specs.items()},
                },
                indent=2,
            )
        )
        return 0
    print("Findings (give as evidence, e.g. numbness=yes):")
    for f, spec in model.finding_specs.items():
        flag = f"  [red flag: at least {spec.red_flag_floor}]" if spec.red_flag_floor else ""
        print(f"  {f:<36} {spec.description}{flag}")
    print("\nRisk factors (give as evidence, e.g. diabetes=yes):")
    for r, rspec in model.risk_factor_specs.items():
        print(f"  {r:<36} {rspec.description}")
    print("\nCauses (what toeprob ranks; not evidence):")
    for c, cspec in model.cause_specs.items():
        print(f"  {c:<36} {cspec.description}  [{cspec.frequency}; care: {cspec.care_level}]")
    return 0


def _cmd_evaluate(args: argparse.Namespace) -> int:
    report = evaluate(args.cases, _model(args), engine=args.engine)
    if args.json:
        print(json.dumps({**report.summary(), "failing": [c.id for c in report.failures]}, indent=2))
    else:
        print(report.to_text())
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``toeprob`` command."""
    parser = argparse.ArgumentParser(
        prog="toeprob",
        description="Probabilistic reasoning about involuntary toe movements. " + DISCLAIMER,
    )
    parser.add_argument("--model", help="a model file (default: the shipped model)")
    sub = parser.add_subparsers(dest="command", required=True)

    rank = sub.add_parser("rank", help="rank the causes for some evidence")
    rank.add_argument("evidence", nargs="*", help="identifier=yes|no, e.g. numbness=yes")
    rank.add_argument("--top", type=int, default=5, help="how many causes to show (default 5)")
    rank.add_argument("--json", action="store_true", help="print JSON")
    rank.add_argument("--engine", choices=["fast", "pgmpy"], default="fast")
    rank.set_defaults(func=_cmd_rank)

    vocab = sub.add_parser("vocabulary", help="list the identifiers with their meanings")
    vocab.add_argument("--json", action="store_true", help="print JSON")
    vocab.set_defaults(func=_cmd_vocabulary)

    ev = sub.add_parser("evaluate", help="score the model on a case file")
    ev.add_argument("cases", help="a JSON case file")
    ev.add_argument("--json", action="store_true", help="print JSON")
    ev.add_argument("--engine", choices=["fast", "pgmpy"], default="fast")
    ev.set_defaults(func=_cmd_evaluate)

    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "top", 1) < 1:
        parser.error("--top must be at least 1")
    try:
        status: int = args.func(args)
    except ToeprobError as exc:
        print(f"toeprob: error: {exc}", file=sys.stderr)
        return 2
    return status


if __name__ == "__main__":
    sys.exit(main())
