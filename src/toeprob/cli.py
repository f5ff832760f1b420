"""The ``toeprob`` command line: ``rank``, ``vocabulary``, ``evaluate``, ``interview``, ``explain``,
``replay``.

Errors print a one-line message to standard error and exit with status 2, without a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from typing import Any

from toeprob import datasets
from toeprob import __version__
from toeprob.api import rank_causes
from toeprob.errors import CaseFileError, EvidenceError, ToeprobError, closest_matches, shorten
from toeprob.evaluate import evaluate
from toeprob.evidence import parse_value
from toeprob.model import Model, load_model
from toeprob.results import DISCLAIMER

__all__ = ["main", "parse_assignments"]


def parse_assignments(items: Sequence[str]) -> dict[str, str]:
    """Turn ``["numbness=yes", "diabetes=no"]`` into a mapping; a bare name means ``yes``.

    An identifier given twice must have the same value both times (as in :func:`toeprob.rank_causes`).

    Examples
    --------
    >>> parse_assignments(["numbness=yes", "cramp"])
    {'numbness': 'yes', 'cramp': 'yes'}
    >>> parse_assignments(["cramp=yes", "cramp=no"])
    Traceback (most recent call last):
    ...
    toeprob.errors.EvidenceError: evidence 'cramp' is given twice with different values ('yes', 'no').
    """
    out: dict[str, str] = {}
    for item in items:
        for part in item.split(","):
            if not part.strip():
                continue
            name, sep, value = part.partition("=")
            if sep and not value.strip():
                raise EvidenceError(f"{shorten(part)}: give a value after '=' (yes or no).")
            key, new = name.strip(), value.strip() if sep else "yes"
            if key in out:
                old = out[key]
                before, after = parse_value(key, old), parse_value(key, new)
                if before is not None and after is not None and before != after:
                    raise EvidenceError(
                        f"evidence {shorten(key)} is given twice with different values ({old!r}, {new!r})."
                    )
                if before is not None:
                    continue  # keep the known value over a later "unknown"
            out[key] = new
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


def _cases(name: str, model: Model) -> Any:
    """A case file path, or the name of a case set shipped with toeprob (``team``, ``blind``)."""
    looks_like_path = any(c in name for c in "./\\") or os.path.lexists(name)
    if looks_like_path:
        return name
    if name in datasets.list_cases():
        return datasets.load_cases(name, model=model)
    hint = closest_matches(name, datasets.list_cases())
    extra = f" Did you mean {', '.join(map(repr, hint))}?" if hint else ""
    raise CaseFileError(
        f"{shorten(name)} is neither a case file nor a case set shipped with toeprob "
        f"({', '.join(datasets.list_cases())}).{extra}"
    )


def _cmd_evaluate(args: argparse.Namespace) -> int:
    model = _model(args)
    report = evaluate(_cases(args.cases, model), model, engine=args.engine)
    if args.json:
        print(json.dumps({**report.summary(), "failing": [c.id for c in report.failures]}, indent=2))
    else:
        print(report.to_text())
    return 0


_YES, _NO = {"y", "yes"}, {"n", "no"}
_DONT_KNOW = {"?", "", "dk", "unknown", "don't know", "dont know"}


def _read_answer(prompt: str) -> bool | str | None:
    """One y/n/? answer from standard input; ``"eof"`` at the end, ``"quit"`` on q."""
    while True:
        print(prompt, end="", flush=True)
        line = sys.stdin.readline()
        if not line:
            print()
            return "eof"
        word = line.strip().lower()
        if not sys.stdin.isatty():
            print(word)
        if word in _YES:
            return True
        if word in _NO:
            return False
        if word in _DONT_KNOW:
            return None
        if word in {"q", "quit"}:
            return "quit"
        print("  please answer y (yes), n (no) or ? (don't know); q stops.")


def _cmd_interview(args: argparse.Namespace) -> int:
    from toeprob.interview import Interview
    from toeprob.questions import InterviewPolicy

    model = _model(args)
    policy = InterviewPolicy(max_questions=args.max_questions)
    iv = Interview(parse_assignments(args.answers or []), model=model, policy=policy)
    print(DISCLAIMER)
    print("Answer y (yes), n (no) or ? (don't know); q stops.\n")
    while (question := iv.next_question()) is not None:
        flag = "  [red flag]" if question.pending_red_flag else ""
        answer = _read_answer(f"Q{len(iv.history) + 1}. {question.text}{flag} [y/n/?] ")
        if answer in ("eof", "quit"):
            print("Stopped before the stop rule: no more answers.")
            break
        iv.answer(question.id, answer)
        d = iv.diagnosis
        tops = ", ".join(f"{rc.cause} {rc.probability:.0%}" for rc in d.ranked[:3])
        print(f"   now: {tops}; urgency {d.urgency.label}")
    if iv.stop_reason is not None:
        print(f"\nStopped: {iv.stop_reason.text}.")
    d = iv.diagnosis
    print()
    print(d.to_text(top=args.top))
    print()
    print(d.explain(d.top.cause).to_text(urgency=False))
    return 0


def _cmd_explain(args: argparse.Namespace) -> int:
    from toeprob.explain import explain

    evidence = parse_assignments(args.evidence)
    e = explain(evidence, args.cause, model=_model(args), n_unconfirmed=args.unconfirmed)
    print(json.dumps(e.to_dict(), indent=2) if args.json else e.to_text())
    return 0


def _cmd_replay(args: argparse.Namespace) -> int:
    from toeprob.interview import replay

    model = _model(args)
    report = replay(_cases(args.cases, model), model=model, start_findings=args.start_findings)
    print(json.dumps(report.to_dict(), indent=2) if args.json else report.to_text())
    return 0


def _cmd_batch(args: argparse.Namespace) -> int:
    from toeprob.tables import score_file

    progress = sys.stderr.isatty() if args.progress is None else args.progress
    results = score_file(args.cases, args.output, model=_model(args), progress=progress)
    print(f"Scored {len(results)} cases into {args.output}. {DISCLAIMER}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``toeprob`` command."""
    parser = argparse.ArgumentParser(
        prog="toeprob",
        description="Probabilistic reasoning about involuntary toe movements. " + DISCLAIMER,
    )
    parser.add_argument("--version", action="version", version=f"toeprob {__version__}")
    parser.add_argument("--model", help="a model file (default: the shipped model)")
    sub = parser.add_subparsers(dest="command", required=True)
    shipped = ", ".join(datasets.list_cases())

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
    ev.add_argument("cases", help=f"a JSON case file, or a shipped case set: {shipped}")
    ev.add_argument("--json", action="store_true", help="print JSON")
    ev.add_argument("--engine", choices=["fast", "pgmpy"], default="fast")
    ev.set_defaults(func=_cmd_evaluate)

    iv = sub.add_parser("interview", help="answer one question at a time (y/n/?) until the stop rule")
    iv.add_argument("--answers", action="append", help="starting answers, e.g. numbness=yes,cramp=no")
    iv.add_argument("--max-questions", type=int, default=10, help="stop after this many (default 10)")
    iv.add_argument("--top", type=int, default=5, help="how many causes to show at the end (default 5)")
    iv.set_defaults(func=_cmd_interview)

    ex = sub.add_parser("explain", help="why a cause has its probability for some evidence")
    ex.add_argument("cause", help="a cause identifier (see `toeprob vocabulary`)")
    ex.add_argument("evidence", nargs="*", help="identifier=yes|no, e.g. numbness=yes")
    ex.add_argument("--unconfirmed", type=int, default=3, help="unasked questions listed per direction")
    ex.add_argument("--json", action="store_true", help="print JSON")
    ex.set_defaults(func=_cmd_explain)

    rp = sub.add_parser("replay", help="replay the interview on a case file (questions needed, safety)")
    rp.add_argument("cases", help=f"a JSON case file, or a shipped case set: {shipped}")
    rp.add_argument("--start-findings", type=int, default=2, help="findings known at the start (default 2)")
    rp.add_argument("--json", action="store_true", help="print JSON")
    rp.set_defaults(func=_cmd_replay)

    bt = sub.add_parser("batch", help="score a case table (.csv, .jsonl, .parquet) into an output table")
    bt.add_argument("cases", help="a case table: one column per identifier, cells yes/no/empty")
    bt.add_argument("-o", "--output", required=True, help="the output table (.csv, .jsonl or .parquet)")
    bt.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        help="progress bar on standard error (default: only when it is a terminal)",
    )
    bt.set_defaults(func=_cmd_batch)

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
    except BrokenPipeError:  # the reader (e.g. `| head`) went away: stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    return status


if __name__ == "__main__":
    sys.exit(main())
