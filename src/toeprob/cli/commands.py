"""The ``toeprob`` command line: ``rank``, ``vocabulary``, ``sources``, ``evaluate``, ``interview``,
``explain``, ``sensitivity``, ``replay``, ``batch``.

Errors print a one-line message to standard error and exit with status 2, without a traceback;
Ctrl-C prints one line and exits with status 130. ``--model`` goes before or after the subcommand.
Every ``--json`` output is a document of ``docs/json.md`` (with ``schema_version``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from toeprob import datasets
from toeprob._version import __version__
from toeprob.errors import CaseFileError, EvidenceError, ToeprobError, shorten
from toeprob.knowledge.evidence import parse_value
from toeprob.knowledge.model import Model, load_model
from toeprob.reasoning.questioning import InterviewPolicy
from toeprob.reasoning.reasoner import evaluate, rank_causes
from toeprob.results.diagnosis import DISCLAIMER
from toeprob.validation import unknown_identifier_message

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


def _print_json(data: object) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False))


def _cmd_rank(args: argparse.Namespace) -> int:
    d = rank_causes(parse_assignments(args.evidence), model=_model(args), engine=args.engine)
    if args.uncertainty:
        u = d.uncertainty(draws=args.draws, seed=args.seed, level=args.level)
        if args.json:  # the uncertainty document carries the point ranking and urgency too
            _print_json(u.to_dict(top=args.top))
        else:
            print(d.to_text(top=args.top, hide_unchanged=args.hide_unchanged).removesuffix(d.disclaimer))
            print(u.to_text(top=args.top))
        return 0
    if args.json:
        _print_json(d.to_dict(top=args.top))
    else:
        print(d.to_text(top=args.top, hide_unchanged=args.hide_unchanged))
    return 0


def _cmd_sensitivity(args: argparse.Namespace) -> int:
    d = rank_causes(parse_assignments(args.evidence), model=_model(args))
    s = d.sensitivity(args.cause)
    if args.json:
        _print_json(s.to_dict(top=args.top))
    else:
        print(s.to_text(top=args.top))
    return 0


def _cmd_vocabulary(args: argparse.Namespace) -> int:
    from toeprob.results.vocabulary import vocabulary_dict, vocabulary_text

    model = _model(args)
    if args.json:
        _print_json(vocabulary_dict(model))
    else:
        print(vocabulary_text(model))
    return 0


def _cmd_sources(args: argparse.Namespace) -> int:
    from toeprob.results.vocabulary import sources_dict, sources_text

    model = _model(args)
    if args.json:
        _print_json(sources_dict(model))
    else:
        print(sources_text(model))
    return 0


def _cases(name: str, model: Model) -> Any:
    """A case file path, or the name of a case set shipped with toeprob (``team``, ``blind``)."""
    looks_like_path = any(c in name for c in "./\\") or os.path.lexists(name)
    if looks_like_path:
        return name
    if name in datasets.list_cases():
        return datasets.load_cases(name, model=model)
    kind = "a case file or a case set shipped with toeprob"
    raise CaseFileError(unknown_identifier_message(name, datasets.list_cases(), kind))


def _cmd_evaluate(args: argparse.Namespace) -> int:
    model = _model(args)
    cases = _cases(args.cases, model)
    if args.sensitivity:
        from toeprob.reasoning.reasoner import Reasoner

        es = Reasoner.for_model(model).evaluation_sensitivity(cases)
        if args.json:
            _print_json(es.to_dict(top=args.top))
        else:
            print(es.to_text(top=args.top))
        return 0
    report = evaluate(cases, model, engine=args.engine)
    if args.json:
        _print_json(report.to_dict())
    else:
        print(report.to_text())
    return 0


_YES, _NO = {"y", "yes"}, {"n", "no"}
_DONT_KNOW = {"?", "", "dk", "unknown", "don't know", "dont know"}


def _read_answer(prompt: str, out: TextIO) -> bool | str | None:
    """One y/n/? answer from standard input; ``"eof"`` at the end, ``"quit"`` on q."""
    while True:
        print(prompt, end="", flush=True, file=out)
        line = sys.stdin.readline()
        if not line:
            print(file=out)
            return "eof"
        word = line.strip().lower()
        if not sys.stdin.isatty():
            print(word, file=out)
        if word in _YES:
            return True
        if word in _NO:
            return False
        if word in _DONT_KNOW:
            return None
        if word in {"q", "quit"}:
            return "quit"
        print("  please answer y (yes), n (no) or ? (don't know); q stops.", file=out)


def _load_transcript(path: str) -> dict[str, object]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise EvidenceError(f"{path}: cannot read the interview transcript: {exc}") from exc
    if not isinstance(data, dict):
        raise EvidenceError(f"{path}: an interview transcript is a JSON object.")
    return data


def _save_transcript(path: Path, data: dict[str, Any]) -> None:
    """Write the transcript (after every step, so that an interrupted interview can be resumed)."""
    try:
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        raise EvidenceError(f"{path}: cannot save the interview transcript: {exc}") from exc


def _cmd_interview(args: argparse.Namespace) -> int:
    from toeprob.reasoning.interview import Interview
    from toeprob.results.formatting import format_probability

    model = _model(args)
    policy = InterviewPolicy(max_questions=args.max_questions)
    if args.resume:
        iv = Interview.resume(_load_transcript(args.resume), model=model, policy=policy)
        for name, value in parse_assignments(args.answers or []).items():
            iv.answer(name, value)
    else:
        iv = Interview(parse_assignments(args.answers or []), model=model, policy=policy)
    # with --json the conversation goes to standard error and only the transcript to standard output
    talk = sys.stderr if args.json else sys.stdout
    print(DISCLAIMER, file=talk)
    print("Answer y (yes), n (no) or ? (don't know); q stops.\n", file=talk)
    save = Path(args.save) if args.save else None
    while (question := iv.next_question()) is not None:
        number = f"Q{iv.steps + 1}."
        if question.is_checklist:
            print(f"{number} {question.text}", file=talk)
            for n, text in enumerate(question.item_texts, start=1):
                print(f"   {n:2d}. {text}", file=talk)
            print(f"   (why: {question.why})", file=talk)
            answer = _read_answer("   Any of these? [y/n/?] ", talk)
            if answer in ("eof", "quit"):
                print("Stopped before the stop rule: no more answers.", file=talk)
                break
            if answer is True:
                items: dict[str, bool | None] = {}
                for identifier, text in zip(question.ids, question.item_texts, strict=True):
                    item = _read_answer(f"   - {text} [y/n/?] ", talk)
                    if item in ("eof", "quit"):
                        break
                    items[identifier] = item if isinstance(item, bool) else None
                if len(items) < len(question.ids):
                    print("Stopped before the stop rule: no more answers.", file=talk)
                    if items:
                        iv.answer_many(items)
                    break
                iv.answer_many(items)
            else:
                iv.answer(question.id, answer)
        else:
            flag = "  [red flag]" if question.pending_red_flag or question.final_check else ""
            answer = _read_answer(f"{number} {question.text}{flag} [y/n/?] ", talk)
            if answer in ("eof", "quit"):
                print("Stopped before the stop rule: no more answers.", file=talk)
                break
            iv.answer(question.id, answer)
        if save is not None:
            _save_transcript(save, iv.to_dict(top=args.top))
        d = iv.diagnosis
        tops = ", ".join(f"{rc.cause} {format_probability(rc.probability)}" for rc in d.ranked[:3])
        print(f"   now: {tops}; urgency {d.urgency.label}", file=talk)
    if save is not None:
        _save_transcript(save, iv.to_dict(top=args.top))
    if iv.stop_reason is not None:
        print(f"\nStopped: {iv.stop_reason.text}.", file=talk)
    if args.json:
        _print_json(iv.to_dict(top=args.top))
        return 0
    d = iv.diagnosis
    print()
    print(d.to_text(top=args.top))
    print()
    print(d.explain(d.top.cause).to_text(urgency=False))
    return 0


def _cmd_explain(args: argparse.Namespace) -> int:
    from toeprob.reasoning.reasoner import explain

    evidence = parse_assignments(args.evidence)
    e = explain(evidence, args.cause, model=_model(args), n_unconfirmed=args.unconfirmed)
    if args.json:
        _print_json(e.to_dict())
    else:
        print(e.to_text())
    return 0


def _cmd_replay(args: argparse.Namespace) -> int:
    from toeprob.reasoning.interview import replay

    progress = args.progress or (args.progress is None and sys.stderr.isatty())
    model = _model(args)
    report = replay(
        _cases(args.cases, model),
        model=model,
        policy=InterviewPolicy(max_questions=args.max_questions),
        start_findings=args.start_findings,
        progress=progress,
    )
    if args.json:
        _print_json(report.to_dict())
    else:
        print(report.to_text())
    return 0


def _cmd_batch(args: argparse.Namespace) -> int:
    from toeprob.reasoning.tables import score_file

    progress = sys.stderr.isatty() if args.progress is None else args.progress
    results = score_file(args.cases, args.output, model=_model(args), progress=progress)
    print(f"Scored {len(results)} cases into {args.output}. {DISCLAIMER}")
    return 0


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``toeprob`` command."""
    default_max = InterviewPolicy().max_questions
    parser = argparse.ArgumentParser(
        prog="toeprob",
        description="Probabilistic reasoning about involuntary toe movements. " + DISCLAIMER,
    )
    parser.add_argument("--version", action="version", version=f"toeprob {__version__}")
    model_help = "a model file (default: the shipped model); before or after the subcommand"
    parser.add_argument("--model", default=None, help=model_help)
    # the same option on every subcommand; SUPPRESS keeps a value given before the subcommand
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--model", default=argparse.SUPPRESS, help=model_help)
    sub = parser.add_subparsers(dest="command", required=True)
    shipped = ", ".join(datasets.list_cases())

    def add(name: str, help: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=help, description=help, parents=[common])

    evidence_help = "identifier=yes|no, e.g. numbness=yes (a bare identifier means yes)"
    json_help = "print a JSON document (see docs/json.md)"

    rank = add("rank", "rank the causes for some evidence")
    rank.add_argument("evidence", nargs="*", help=evidence_help)
    rank.add_argument("--top", type=_positive, default=5, help="how many causes to show (default 5)")
    rank.add_argument(
        "--hide-unchanged",
        action="store_true",
        help="leave out causes the evidence did not move from their prior",
    )
    rank.add_argument("--json", action="store_true", help=json_help)
    rank.add_argument("--engine", choices=["fast", "pgmpy"], default="fast")
    rank.add_argument(
        "--uncertainty",
        action="store_true",
        help="add the intervals over models drawn within the ranges of the model's words "
        "(with --json: the uncertainty document)",
    )
    rank.add_argument("--draws", type=_positive, default=1000, help="models drawn (default 1000)")
    rank.add_argument("--seed", type=int, default=None, help="seed of the draws (default: not seeded)")
    rank.add_argument("--level", type=float, default=0.9, help="mass of each interval (default 0.9)")
    rank.set_defaults(func=_cmd_rank)

    sens = add("sensitivity", "which parameters move a cause's probability most, one word down or up each")
    sens.add_argument("cause", help="a cause identifier (see `toeprob vocabulary`)")
    sens.add_argument("evidence", nargs="*", help=evidence_help)
    sens.add_argument("--top", type=_positive, default=10, help="how many parameters to show (default 10)")
    sens.add_argument("--json", action="store_true", help=json_help)
    sens.set_defaults(func=_cmd_sensitivity)

    vocab = add("vocabulary", "list the identifiers with their meanings")
    vocab.add_argument("--json", action="store_true", help=json_help)
    vocab.set_defaults(func=_cmd_vocabulary)

    src = add("sources", "list the sources the model cites")
    src.add_argument("--json", action="store_true", help=json_help)
    src.set_defaults(func=_cmd_sources)

    ev = add("evaluate", "score the model on a case file or a shipped case set")
    ev.add_argument("cases", help=f"a JSON case file, or a shipped case set: {shipped}")
    ev.add_argument("--json", action="store_true", help=json_help)
    ev.add_argument("--engine", choices=["fast", "pgmpy"], default="fast")
    ev.add_argument(
        "--sensitivity",
        action="store_true",
        help="instead of the report: how top-1, top-3 and log-loss move when each parameter moves one word",
    )
    ev.add_argument("--top", type=_positive, default=15, help="with --sensitivity: moves shown (default 15)")
    ev.set_defaults(func=_cmd_evaluate)

    iv = add("interview", "answer questions and checklists (y/n/?) until the stop rule")
    iv.add_argument(
        "--answers",
        nargs="+",
        action="extend",
        metavar="ID=VALUE",
        help="starting answers, e.g. --answers numbness=yes cramp=no",
    )
    iv.add_argument(
        "--max-questions",
        type=int,
        default=default_max,
        help=f"the question budget (default {default_max}): a checklist counts as one question; the "
        "final red-flag check, which asks every unasked red flag that could raise the urgency, may "
        "go one question beyond it",
    )
    iv.add_argument("--top", type=_positive, default=5, help="how many causes to show at the end (default 5)")
    iv.add_argument(
        "--json",
        action="store_true",
        help="print the transcript as JSON on standard output (questions go to standard error)",
    )
    iv.add_argument("--resume", metavar="FILE", help="continue from a transcript saved with --save or --json")
    iv.add_argument(
        "--save",
        metavar="FILE",
        help="write the transcript (JSON) to FILE after every answer; resume it with --resume FILE",
    )
    iv.set_defaults(func=_cmd_interview)

    ex = add("explain", "why a cause has its probability for some evidence")
    ex.add_argument("cause", help="a cause identifier (see `toeprob vocabulary`)")
    ex.add_argument("evidence", nargs="*", help=evidence_help)
    ex.add_argument("--unconfirmed", type=int, default=3, help="unasked questions listed per direction")
    ex.add_argument("--json", action="store_true", help=json_help)
    ex.set_defaults(func=_cmd_explain)

    rp = add("replay", "replay the interview on a case file (questions needed, safety)")
    rp.add_argument("cases", help=f"a JSON case file, or a shipped case set: {shipped}")
    rp.add_argument("--start-findings", type=int, default=2, help="findings known at the start (default 2)")
    rp.add_argument(
        "--max-questions",
        type=int,
        default=default_max,
        help=f"the interview's question budget (default {default_max}): a checklist counts as one question",
    )
    rp.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="a progress bar on standard error (default: when standard error is a terminal)",
    )
    rp.add_argument("--json", action="store_true", help=json_help)
    rp.set_defaults(func=_cmd_replay)

    bt = add("batch", "score a case table (.csv, .jsonl, .parquet) into an output table")
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
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        status: int = args.func(args)
    except ToeprobError as exc:
        print(f"toeprob: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ntoeprob: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader (e.g. `| head`) went away: stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    return status


if __name__ == "__main__":
    sys.exit(main())
