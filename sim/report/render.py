"""Render report sections as Markdown (figures linked) and self-contained HTML (figures
embedded as base64 PNG). A section is a title and blocks: text, figure or table."""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd


@dataclass(frozen=True)
class Figure:
    """A figure file (relative to the report folder) with its caption."""

    path: str
    caption: str


@dataclass
class Section:
    """A titled part of the report: paragraphs (Markdown-light), figures and tables in order."""

    title: str
    blocks: list[str | Figure | pd.DataFrame] = field(default_factory=list)


def _md_table(frame: pd.DataFrame) -> str:
    """A DataFrame (already formatted as strings) as a Markdown pipe table."""
    head = "| " + " | ".join(str(c) for c in frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = ["| " + " | ".join(str(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([head, rule, *body])


def markdown(title: str, sections: list[Section]) -> str:
    """The report as Markdown; figures are links to files under figures/."""
    out = [f"# {title}", ""]
    for sec in sections:
        out += [f"## {sec.title}", ""]
        for block in sec.blocks:
            if isinstance(block, Figure):
                out += [f"![{block.caption}]({block.path})", "", f"*{block.caption}*", ""]
            elif isinstance(block, pd.DataFrame):
                out += [_md_table(block), ""]
            else:
                out += [block, ""]
    return "\n".join(out).rstrip() + "\n"


def _inline(text: str) -> str:
    """Escape text for HTML, keeping **bold** and `code` from the Markdown-light paragraphs."""
    parts = html.escape(text).split("**")
    text = "".join(f"<b>{p}</b>" if i % 2 else p for i, p in enumerate(parts))
    parts = text.split("`")
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))


def _html_block(block: str | Figure | pd.DataFrame, root: Path, embed: bool = True) -> str:
    """One block as HTML; figures are read from ``root`` and embedded (or linked by path)."""
    if isinstance(block, Figure):
        cap = html.escape(block.caption)
        src = html.escape(block.path)
        if embed:
            data = base64.b64encode((root / block.path).read_bytes()).decode("ascii")
            src = f"data:image/png;base64,{data}"
        return f'<figure><img alt="{cap}" src="{src}"><figcaption>{cap}</figcaption></figure>'

    if isinstance(block, pd.DataFrame):
        head = "".join(f"<th>{html.escape(str(c))}</th>" for c in block.columns)
        rows = "".join(
            "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>"
            for row in block.itertuples(index=False)
        )
        table = f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
        return f'<div class="wide">{table}</div>'  # wide tables scroll, the page does not
    items = [line[2:] for line in block.splitlines() if line.startswith("- ")]
    if items and len(items) == len(block.splitlines()):
        return "<ul>" + "".join(f"<li>{_inline(i)}</li>" for i in items) + "</ul>"
    return f"<p>{_inline(block)}</p>"


STYLE = """
body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;font-size:13px;margin:1em 0}
.wide{overflow-x:auto}
th,td{border:1px solid #ccc;padding:3px 7px;text-align:right}
th:first-child,td:first-child{text-align:left}
thead{background:#f2f2f2} figure{margin:1.5em 0} img{max-width:100%}
figcaption{font-size:13px;color:#555} code{background:#f4f4f4;padding:0 3px}
"""


def html_page(title: str, sections: list[Section], root: Path, *, embed: bool = True) -> str:
    """The report as one HTML page (inline CSS; figures embedded, so the page is
    self-contained, or linked relative to ``root`` when ``embed`` is False)."""
    body = [f"<h1>{html.escape(title)}</h1>"]
    for sec in sections:
        body.append(f"<h2>{html.escape(sec.title)}</h2>")
        body += [_html_block(b, root, embed) for b in sec.blocks]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )
