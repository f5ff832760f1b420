"""Case tables on disk: read cases from CSV, Parquet or JSON Lines, write scored results.

A *case table* has one row per case and one column per finding or risk-factor identifier (``toeprob
vocabulary`` lists them). Each cell says whether that finding or risk factor is present:

- present: ``yes``, ``true``, ``1`` (also ``y``, ``present``);
- absent: ``no``, ``false``, ``0`` (also ``n``, ``absent``);
- unknown: an empty cell, ``unknown`` or ``?`` (``null`` in JSON Lines and Parquet).

Cells are read case-insensitively, surrounding spaces ignored; JSON Lines and Parquet cells may also
be booleans or the numbers ``1``/``0``. An identifier left out of the table is unknown for every case.
An optional column ``id`` names the cases; it is copied to the output. Rows are numbered from 1 (row 1
is the first case, the line after a CSV header); every error names the file, the row and the column.

Formats, chosen by the file name's ending:

- ``.csv``: comma-separated with a header line, UTF-8.
- ``.jsonl`` (or ``.ndjson``): one JSON object per line, ``{"cramp": true, "numbness": "no"}``.
- ``.parquet`` (or ``.pq``): needs pyarrow, ``pip install "toeprob[parquet]"``.

The output table (:func:`write_results`) has the columns ``id`` (or ``row``, the case's row number when
the input had no ``id`` column), then one column per cause with its posterior probability, then
``top_cause``, ``top_probability`` and ``urgency`` (``self_care`` ... ``emergency``): the numbers of
:func:`toeprob.rank_batch`, written without rounding. A Parquet output also carries the statement that
toeprob is not a medical device and gives no diagnosis in its metadata (key ``toeprob.disclaimer``).

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> folder = Path(tempfile.mkdtemp())
>>> _ = (folder / "cases.csv").write_text("id,cramp,tight_footwear\\nc1,yes,1\\nc2,no,\\n")
>>> results = score_file(folder / "cases.csv", folder / "out.jsonl")
>>> results.loc["c1", "top_cause"]
'ill_fitting_footwear'
>>> first = json.loads((folder / "out.jsonl").read_text().splitlines()[0])
>>> first["id"], first["top_cause"], first["urgency"]
('c1', 'ill_fitting_footwear', 'self_care')
"""

from __future__ import annotations

import csv
import importlib.metadata
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from toeprob.errors import CaseTableError, EvidenceError, MissingDependencyError
from toeprob.knowledge.evidence import parse_value
from toeprob.reasoning.reasoner import rank_batch
from toeprob.results.diagnosis import DISCLAIMER

if TYPE_CHECKING:
    import pandas as pd

    from toeprob.knowledge.model import Model

__all__ = ["FORMATS", "ID_COLUMN", "read_cases", "score_file", "table_format", "write_results"]

FORMATS = {"csv": "csv", "jsonl": "jsonl", "ndjson": "jsonl", "parquet": "parquet", "pq": "parquet"}
"""File name ending -> table format."""
ID_COLUMN = "id"
"""The optional column that names the cases."""
PARQUET_HINT = 'Parquet tables need pyarrow: pip install "toeprob[parquet]" (or pip install pyarrow).'
ACCEPTED_CELLS = (
    "use yes/no, true/false or 1/0 (also y/n, present/absent), or leave the cell empty for unknown"
)


def table_format(path: str | Path) -> str:
    """Return ``"csv"``, ``"jsonl"`` or ``"parquet"`` for a file name, or raise :class:`CaseTableError`.

    Examples
    --------
    >>> table_format("cases.CSV"), table_format("out.ndjson"), table_format("big.parquet")
    ('csv', 'jsonl', 'parquet')
    """
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise CaseTableError(
            f"{path}: cannot tell the table format from the ending {Path(path).suffix or '(none)'!r}; "
            "use a file ending in .csv, .jsonl or .parquet."
        )
    return FORMATS[suffix]


def _parquet() -> Any:
    """Import ``pyarrow.parquet`` or raise :class:`MissingDependencyError` naming the extra."""
    try:
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise MissingDependencyError(PARQUET_HINT) from exc
    return pq


def read_cases(path: str | Path) -> pd.DataFrame:
    """Read a case table (CSV, JSON Lines or Parquet; see the module docstring for the cells).

    Parameters
    ----------
    path : str or Path
        A ``.csv``, ``.jsonl`` or ``.parquet`` file.

    Returns
    -------
    DataFrame
        One column per identifier in the file with ``True``/``False``/``None`` (unknown) values,
        ready for :func:`toeprob.rank_batch`; indexed by the ``id`` column when there is one, otherwise
        by the row number (from 1, index name ``row``). Column names are not checked against a model
        here: :func:`toeprob.rank_batch` does that.

    Raises
    ------
    CaseTableError
        If the file cannot be read, has a duplicated or empty column name, or a cell that is not
        accepted; the message names the file, the row and the column.
    MissingDependencyError
        For a Parquet file when pyarrow is not installed.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> path = Path(tempfile.mkdtemp()) / "cases.jsonl"
    >>> _ = path.write_text('{"cramp": true, "numbness": "no"}\\n{"cramp": 0}\\n')
    >>> read_cases(path)
         cramp numbness
    row
    1     True    False
    2    False     None
    """
    return _decode(_read_raw(Path(path)), Path(path))


def _read_raw(path: Path) -> pd.DataFrame:
    readers = {"csv": _read_csv, "jsonl": _read_jsonl, "parquet": _read_parquet}
    return readers[table_format(path)](path)


def _check_columns(names: list[Any], path: Path) -> None:
    seen: dict[str, int] = {}
    for k, raw in enumerate(names, start=1):
        name = str(raw).strip()
        if not name:
            raise CaseTableError(f"{path}: column {k} has no name; name it after an identifier.")
        if name in seen:
            raise CaseTableError(
                f"{path}: column {name!r} appears twice (columns {seen[name]} and {k}); keep one."
            )
        seen[name] = k


def _read_csv(path: Path) -> pd.DataFrame:
    import pandas as pd

    try:
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.reader(fh)
            header = next(reader, None)
            if header is None:
                raise CaseTableError(f"{path}: the file is empty; its first line must name the columns.")
            _check_columns(header, path)
            rows: list[list[str]] = []
            for row in reader:
                if not row:
                    continue  # a blank line
                if len(row) != len(header):
                    raise CaseTableError(
                        f"{path}: line {reader.line_num} (row {len(rows) + 1}) has {len(row)} cells; "
                        f"the header names {len(header)} columns."
                    )
                rows.append(row)
    except OSError as exc:
        raise CaseTableError(f"{path}: cannot read the case table ({exc.strerror}).") from None
    except UnicodeDecodeError as exc:
        raise CaseTableError(f"{path}: not UTF-8 text ({exc.reason}).") from None
    except csv.Error as exc:
        raise CaseTableError(f"{path}: not a readable CSV table ({exc}).") from None
    return pd.DataFrame(rows, columns=[c.strip() for c in header], dtype=object)


def _read_jsonl(path: Path) -> pd.DataFrame:
    import pandas as pd

    records: list[dict[str, Any]] = []
    try:
        with path.open(encoding="utf-8") as fh:
            for line_number, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                where = f"{path}: line {line_number} (row {len(records) + 1})"
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise CaseTableError(f"{where}: not valid JSON: {exc.msg}.") from None
                if not isinstance(record, dict):
                    raise CaseTableError(
                        f"{where}: each line must be a JSON object such as "
                        f'{{"cramp": true}}, got {type(record).__name__}.'
                    )
                for key, value in record.items():
                    if value is not None and not isinstance(value, str | bool | int | float):
                        raise CaseTableError(
                            f"{where}, column {key!r}: {value!r} is not an accepted value; {ACCEPTED_CELLS}."
                        )
                _check_columns(list(record), path)
                records.append({str(k).strip(): v for k, v in record.items()})
    except OSError as exc:
        raise CaseTableError(f"{path}: cannot read the case table ({exc.strerror}).") from None
    except UnicodeDecodeError as exc:
        raise CaseTableError(f"{path}: not UTF-8 text ({exc.reason}).") from None
    columns = list(dict.fromkeys(k for r in records for k in r))
    return pd.DataFrame.from_records(records, columns=columns) if records else pd.DataFrame()


def _read_parquet(path: Path) -> pd.DataFrame:
    import pandas as pd

    pq = _parquet()
    try:
        table = pq.read_table(path)
    except OSError as exc:
        raise CaseTableError(f"{path}: cannot read the Parquet file ({exc}).") from None
    except ValueError as exc:  # pyarrow.ArrowInvalid
        raise CaseTableError(f"{path}: not a readable Parquet file ({exc}).") from None
    _check_columns(list(table.column_names), path)
    frame: pd.DataFrame = table.to_pandas()
    index = frame.index
    if not (isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1):
        # a pandas index stored in the file: an unnamed one names the cases
        if index.name is None and ID_COLUMN not in frame.columns:
            index = index.rename(ID_COLUMN)
        frame = frame.set_axis(index, axis=0).reset_index()
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def _decode(raw: pd.DataFrame, path: Path) -> pd.DataFrame:
    """Turn the raw cells into ``True``/``False``/``None`` columns, naming row and column on error."""
    import pandas as pd

    ids = raw[ID_COLUMN] if ID_COLUMN in raw.columns else None
    blank = None if ids is None else ids.map(lambda v: v is None or _is_blank(v)).to_numpy(dtype=bool)
    if blank is not None and blank.any():
        row = int(np.flatnonzero(blank)[0]) + 1
        raise CaseTableError(f"{path}: row {row}, column {ID_COLUMN!r}: every case needs an id.")

    def where(position: int) -> str:
        label = f" (id {ids.iloc[position]!r})" if ids is not None else ""
        return f"{path}: row {position + 1}{label}"

    columns: dict[str, Any] = {}
    for name in raw.columns:
        if name == ID_COLUMN:
            continue
        columns[name] = _decode_column(raw[name], name, where)
    out = pd.DataFrame(columns, index=raw.index)
    if ids is not None:
        out.index = pd.Index(ids.to_numpy(), name=ID_COLUMN)
    else:
        out.index = pd.RangeIndex(1, len(raw) + 1, name="row")
    return out


def _is_blank(value: Any) -> bool:
    if isinstance(value, str):
        return not value.strip()
    return isinstance(value, float | np.floating) and math.isnan(value)


def _decode_column(values: pd.Series, column: str, where: Callable[[int], str]) -> Any:
    import pandas as pd

    try:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
    except TypeError:  # an unhashable cell, e.g. a list in a Parquet column
        raise CaseTableError(
            f"{where(0)}, column {column!r}: the column holds values that are not cells ({values.dtype}); "
            f"{ACCEPTED_CELLS}."
        ) from None
    states = np.empty(len(uniques) + 1, dtype=np.int8)
    states[-1] = -1  # the NA sentinel (code -1) indexes the last entry
    for k, value in enumerate(uniques):
        decoded = _decode_cell(value, column)
        if isinstance(decoded, str):
            first = int(np.flatnonzero(codes == k)[0])
            raise CaseTableError(f"{where(first)}, column {column!r}: {decoded}")
        states[k] = -1 if decoded is None else int(decoded)
    coded = states[codes]
    if coded.size and coded.min() >= 0:
        return coded.astype(bool)
    return np.array([None, False, True], dtype=object)[coded + 1]


def _decode_cell(value: Any, column: str) -> bool | str | None:
    """``True``/``False``/``None`` for one cell, or the error message as a string."""
    if value is None:
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | float | np.integer | np.floating):
        number = float(value)
        if math.isnan(number):
            return None
        if number in (0.0, 1.0):
            return number == 1.0
        return f"{value!r} is not an accepted value; {ACCEPTED_CELLS}."
    if isinstance(value, str):
        text = value.strip()
        if text in ("0", "1"):
            return text == "1"
        try:
            return parse_value(column, text)
        except EvidenceError:
            pass
    return f"{value!r} is not an accepted value; {ACCEPTED_CELLS}."


def write_results(results: pd.DataFrame, path: str | Path) -> None:
    """Write a :func:`toeprob.rank_batch` result as CSV, JSON Lines or Parquet (by the file ending).

    The index becomes the first column (named after the index, ``row`` when it has no name); floats
    are written exactly (shortest round-trip text in CSV and JSON Lines), the urgency as its label.

    Parameters
    ----------
    results : DataFrame
        As returned by :func:`toeprob.rank_batch`.
    path : str or Path
        The output file; an existing file is replaced.

    Raises
    ------
    CaseTableError
        If the file cannot be written or its ending names no known format.
    MissingDependencyError
        For a Parquet file when pyarrow is not installed.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from toeprob import rank_batch
    >>> path = Path(tempfile.mkdtemp()) / "out.csv"
    >>> write_results(rank_batch([{"cramp": True}]), path)
    >>> path.read_text().splitlines()[0].split(",")[:2]
    ['row', 'muscle_fatigue']
    """
    fmt = table_format(path)
    frame = results.reset_index(names=results.index.name or "row")
    try:
        if fmt == "csv":
            frame.to_csv(path, index=False)
        elif fmt == "jsonl":
            _write_jsonl(frame, Path(path))
        else:
            pq = _parquet()
            import pyarrow as pa

            table = pa.Table.from_pandas(frame, preserve_index=False)
            metadata = {
                **(table.schema.metadata or {}),
                b"toeprob.disclaimer": DISCLAIMER.encode(),
                b"toeprob.version": importlib.metadata.version("toeprob").encode(),
            }
            pq.write_table(table.replace_schema_metadata(metadata), path)
    except OSError as exc:
        raise CaseTableError(f"{path}: cannot write the output table ({exc.strerror or exc}).") from None


def _write_jsonl(frame: pd.DataFrame, path: Path) -> None:
    names = [str(c) for c in frame.columns]
    columns = [frame[c].tolist() for c in frame.columns]
    with path.open("w", encoding="utf-8") as fh:
        for row in zip(*columns, strict=True):
            cells = (None if isinstance(v, float) and math.isnan(v) else v for v in row)
            fh.write(json.dumps(dict(zip(names, cells, strict=True)), allow_nan=False) + "\n")


def score_file(
    cases: str | Path,
    output: str | Path,
    *,
    model: Model | None = None,
    progress: bool = False,
) -> pd.DataFrame:
    """Read a case table, score it with :func:`toeprob.rank_batch` and write the results.

    Parameters
    ----------
    cases : str or Path
        The case table (``.csv``, ``.jsonl`` or ``.parquet``).
    output : str or Path
        The output table (``.csv``, ``.jsonl`` or ``.parquet``); must not be ``cases`` itself.
    model : Model, optional
        Defaults to the shipped model.
    progress : bool
        Show a progress bar on standard error.

    Returns
    -------
    DataFrame
        The results as written (indexed by ``id`` or ``row``).

    Raises
    ------
    CaseTableError, MissingDependencyError
        As :func:`read_cases` and :func:`write_results`.
    UnknownIdentifierError, EvidenceError
        For a column that is not a finding or risk factor of the model (the message names the file
        and the column, with the closest identifiers).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "cases.csv").write_text("numbness,burning_pain,diabetes\\nyes,yes,yes\\n")
    >>> score_file(folder / "cases.csv", folder / "out.csv")["top_cause"].tolist()
    ['peripheral_neuropathy']
    """
    import pandas as pd

    in_path, out_path = Path(cases), Path(output)
    table_format(out_path)  # fail on a bad output name before the work
    if out_path.exists() and out_path.resolve() == in_path.resolve():
        raise CaseTableError(f"{out_path}: the output would overwrite the case table; choose another name.")
    if table_format(out_path) == "parquet":
        _parquet()
    raw = _read_raw(in_path)
    # column names first (an unknown identifier is the likelier mistake), with rank_batch's messages
    try:
        rank_batch(pd.DataFrame({c: [None] for c in raw.columns if c != ID_COLUMN}), model=model)
    except EvidenceError as exc:
        raise type(exc)(f"{in_path}: {exc}") from None
    frame = _decode(raw, in_path)
    # about 50 steps for the progress bar; chunking does not change the numbers
    chunk_size = max(1_000, min(20_000, -(-len(frame) // 50))) if progress else 20_000
    try:
        results = rank_batch(frame, model=model, progress=progress, chunk_size=chunk_size)
    except EvidenceError as exc:
        raise type(exc)(f"{in_path}: {exc}") from None
    write_results(results, out_path)
    return results
