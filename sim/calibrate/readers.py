"""Reading calibration targets: a retention series CSV or a purchase log (CSV or the CDNOW
whitespace format); every problem is one UserError line naming the file and row."""

from __future__ import annotations

import csv
import itertools
import re
from pathlib import Path

import numpy as np

from sim.calibrate.cohorts import cohort_stats, month_index
from sim.calibrate.targets import UNIT_DAYS, RetentionTarget, Target, TransactionTarget
from sim.errors import UserError

DATA_DIR = Path(__file__).resolve().parents[1] / "data"
#: Targets shipped with churnsim (see sim/data/README.md), usable by name.
BUILTIN = {"cdnow": DATA_DIR / "cdnow.csv", "sbg": DATA_DIR / "sbg_survival.csv"}
ID_NAMES = ("customer_id", "customer", "id")
AMOUNT_NAMES = ("amount", "dollar_value", "value")
FORMAT_HINT = (
    "expected a retention series (first column day, week, month or year; then retained "
    "shares or survivor counts) or a purchase log (customer_id, date, amount)"
)
_DATE_RE = re.compile(r"^(\d{4})-?(\d{2})-?(\d{2})$")


def resolve_target(name_or_path: str) -> Path:
    """A target file by path, or a shipped target by name (cdnow, sbg)."""
    path = Path(name_or_path)
    if path.is_file():
        return path
    if name_or_path in BUILTIN:
        return BUILTIN[name_or_path]
    raise UserError(
        "no such target file", source=name_or_path, hint=f"or a shipped one: {', '.join(BUILTIN)}"
    )


def read_rows(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header and (line number, fields) rows of a comma- or whitespace-separated file."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot read the file ({exc})", source=str(path)) from None
    lines = [(i + 1, ln) for i, ln in enumerate(text.splitlines()) if ln.strip()]
    if not lines:
        raise UserError("the file is empty", source=str(path), hint=FORMAT_HINT)
    texts = [ln for _, ln in lines]
    reader = csv.reader(texts) if "," in texts[0] else (t.split() for t in texts)
    parsed = list(reader)
    header = [h.strip().lower() for h in parsed[0]]
    rows = [(n, fields) for (n, _), fields in zip(lines[1:], parsed[1:], strict=True)]
    if not rows:
        raise UserError("the file has a header but no data rows", source=str(path))
    for n, fields in rows:
        if len(fields) != len(header):
            raise UserError(
                f"{len(fields)} fields where the header has {len(header)}", source=str(path), line=n
            )
    return header, rows


def read_target(
    name_or_path: str, *, column: str | None = None, holdout: str | None = None
) -> Target:
    """Read a target file of either kind; ``holdout`` is the first held-out period (weeks for
    a purchase log), ``none``, or None for the default (the later ~40% of the horizon)."""
    path = resolve_target(name_or_path)
    header, rows = read_rows(path)
    target: Target
    if any(h in ID_NAMES for h in header):
        if column is not None:
            raise UserError(
                f"applies to retention-series targets only; {path} is a purchase log",
                source=f"--column {column}",
                hint="drop --column",
            )
        target = read_transactions(path, header, rows, holdout)
    elif header[0] in UNIT_DAYS:
        target = read_retention(path, header, rows, column, holdout)
    else:
        raise UserError(
            f"unrecognised columns {', '.join(header)}", source=str(path), hint=FORMAT_HINT
        )
    return target


#: Fewest observed values the fit part must hold: one point says nothing about a curve.
MIN_FIT_VALUES = 2


def check_fittable(target: Target) -> None:
    """Refuse a target with nothing to fit up front (a fit window with fewer than two
    values, a log of one customer), instead of optimising a NaN RMSE into a meaningless
    fitted.yaml."""
    if isinstance(target, TransactionTarget) and target.stats.customers < MIN_FIT_VALUES:
        raise UserError(
            f"{target.stats.customers} customer(s) buy in the first three months; "
            f"at least {MIN_FIT_VALUES} are needed to fit",
            source=target.source,
            path="customer_id",
            hint="a calibration needs a log of many customers",
        )
    n = int(np.count_nonzero(target.fit))
    if n >= MIN_FIT_VALUES:
        return
    if isinstance(target, RetentionTarget):
        where, cut = target.name, target.holdout_from
        what = (
            f"{n} period(s) before the holdout ({target.unit} {cut})" if cut else f"{n} period(s)"
        )
    else:
        where, cut = "date", target.holdout_week
        what = f"{n} fully observed cohort-month(s)" + (f" before week {cut}" if cut else "")
    longer = "a longer log" if isinstance(target, TransactionTarget) else "a longer series"
    fix = "a later --holdout, or --holdout none" if cut and target.fit.size >= 2 else longer
    raise UserError(
        f"nothing to fit: the fit window holds {what}; at least {MIN_FIT_VALUES} are needed",
        source=target.source,
        path=where,
        hint=f"give {fix}",
    )


def parse_holdout(holdout: str | None, default: int, last: int, source: str) -> int | None:
    """First held-out period from --holdout (a whole number in 2..last, or none)."""
    if holdout is None:
        return default
    if holdout.strip().lower() == "none":
        return None
    if not holdout.strip().isdigit() or not 2 <= int(holdout) <= last:
        raise UserError(
            f"--holdout must be a whole number from 2 to {last} or 'none', not {holdout!r}",
            source=source,
            hint="the first period (week for a purchase log) left out of the fit",
        )
    return int(holdout)


def _number(text: str, path: Path, line: int, what: str) -> float:
    """Parse one finite number or fail naming the file, line and column."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not np.isfinite(value):
        raise UserError(f"{what}: not a number: {text.strip()!r}", source=str(path), line=line)
    return value


def _numbers(rows: list[tuple[int, list[str]]], col: int, path: Path, what: str) -> None:
    """Check that column ``col`` holds finite numbers (vectorised; a loop names the bad row)."""
    try:
        ok = bool(np.isfinite(np.array([f[col] for _, f in rows], dtype=np.float64)).all())
    except ValueError:
        ok = False
    if not ok:
        for n, f in rows:
            _number(f[col], path, n, what)


def _pick_column(header: list[str], column: str | None, path: Path) -> int:
    """Index of the retention column: --column, or the only value column."""
    values = header[1:]
    if column is None:
        if len(values) == 1:
            return 1
        raise UserError(
            f"several retention columns: {', '.join(values)}",
            source=str(path),
            hint="choose one with --column",
        )
    if column.lower() not in values:
        raise UserError(
            f"--column {column!r} is not a column", source=str(path), hint=", ".join(values)
        )
    return 1 + values.index(column.lower())


def read_retention(
    path: Path,
    header: list[str],
    rows: list[tuple[int, list[str]]],
    column: str | None,
    holdout: str | None,
) -> RetentionTarget:
    """A retention series: periods (whole, increasing) and retained shares, or survivor
    counts divided by the count at period 0."""
    col = _pick_column(header, column, path)
    periods = [_number(f[0], path, n, header[0]) for n, f in rows]
    values = [_number(f[col], path, n, header[col]) for n, f in rows]
    for (n, _), p, v in zip(rows, periods, values, strict=True):
        if p < 0 or p != int(p):
            raise UserError(
                f"{header[0]} must be a whole number >= 0, not {p:g}", source=str(path), line=n
            )
        if v < 0:
            raise UserError(f"{header[col]}: negative retention {v:g}", source=str(path), line=n)
    if any(b <= a for a, b in itertools.pairwise(periods)):
        raise UserError(f"{header[0]} must increase from row to row", source=str(path))
    scale = values[0] if periods[0] == 0 else 1.0
    if scale <= 0:
        raise UserError(f"{header[col]}: the period-0 count must be positive", source=str(path))
    shares = np.array(values) / scale
    for (n, _), s in zip(rows, shares, strict=True):
        if s > 1 + 1e-9:
            raise UserError(
                f"{header[col]}: retained share {s:g} is above 1",
                source=str(path),
                line=n,
                hint="give shares (0-1), or counts with a period-0 row holding the initial count",
            )
    keep = np.array(periods) > 0
    if not keep.any():
        raise UserError("no period after 0 to fit", source=str(path))
    per = np.array(periods, np.int64)[keep]
    last = int(per.max())
    cut = parse_holdout(holdout, round(0.6 * last) + 1, last, str(path))
    name = header[col]
    return RetentionTarget(name, str(path), header[0], per, shares[keep], cut)


def parse_date(text: str, path: Path, line: int) -> np.datetime64:
    """A date written YYYY-MM-DD or YYYYMMDD."""
    match = _DATE_RE.match(text.strip())
    try:
        if match is None:
            raise ValueError(text)
        return np.datetime64("-".join(match.groups()), "D")
    except ValueError:
        raise UserError(
            f"date: cannot read {text.strip()!r}",
            source=str(path),
            line=line,
            hint="use YYYY-MM-DD or YYYYMMDD",
        ) from None


def parse_dates(rows: list[tuple[int, list[str]]], col: int, path: Path) -> np.ndarray:
    """Dates of column ``col``, each distinct text parsed once."""
    texts, first, inverse = np.unique(
        np.array([f[col] for _, f in rows]), return_index=True, return_inverse=True
    )
    days = [parse_date(t, path, rows[i][0]) for t, i in zip(texts, first, strict=True)]
    return np.array(days, "datetime64[D]")[inverse]


def _find(header: list[str], names: tuple[str, ...], path: Path) -> int:
    """Index of the first column named one of ``names``, or a UserError."""
    for name in names:
        if name in header:
            return header.index(name)
    raise UserError(f"missing column {names[0]!r}", source=str(path), hint=FORMAT_HINT)


def read_transactions(
    path: Path, header: list[str], rows: list[tuple[int, list[str]]], holdout: str | None
) -> TransactionTarget:
    """A purchase log: day numbers from its first date; three monthly cohorts of first
    purchase (as CDNOW's first quarter), followed to the last date."""
    i_id, i_date, i_amount = (
        _find(header, ID_NAMES, path),
        _find(header, ("date",), path),
        _find(header, AMOUNT_NAMES, path),
    )
    _, cid = np.unique(np.array([f[i_id].strip() for _, f in rows]), return_inverse=True)
    dates = parse_dates(rows, i_date, path)
    _numbers(rows, i_amount, path, header[i_amount])
    origin = dates.min()
    day = (dates - origin).astype(np.int64)
    horizon = int(day.max()) + 1
    weeks = horizon // 7
    if weeks < 2:
        raise UserError("the log spans less than two weeks", source=str(path))
    months = int(month_index(np.array([horizon - 1]), origin)[0])
    stats = cohort_stats(cid, day, origin, cohort_months=3, months=max(months, 1), weeks=weeks)
    cut = parse_holdout(holdout, weeks // 2 + 1, weeks, str(path))
    return TransactionTarget(path.stem, str(path), stats, horizon, cut)
