"""The event timeline of a test case: the device's evidence events in order, as text or HTML.

Event text is the device's (untrusted) text: the HTML form escapes every value.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from hil.evidence import Event
from hil.evidence.vocab import Ev

COLUMNS = ("#", "seq", "src", "event", "fields")


def _fields(ev: Event) -> str:
    return " ".join(f"{k}={v}" for k, v in ev.fields)


def _printable(text: str) -> str:
    return "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in text)


def timeline_text(events: Sequence[Event]) -> str:
    """One line per event, columns aligned: index, seq, src, name, fields."""
    rows = [
        (str(i), str(ev.seq), _printable(ev.src), _printable(ev.name), _printable(_fields(ev)))
        for i, ev in enumerate(events)
    ]
    widths = [max([len(c)] + [len(r[n]) for r in rows]) for n, c in enumerate(COLUMNS[:-1])]
    lines = []
    for row in [COLUMNS, *rows]:
        head = "  ".join(cell.ljust(w) for cell, w in zip(row[:-1], widths, strict=True))
        lines.append(f"{head}  {row[-1]}".rstrip())
    return "\n".join(lines) + "\n"


def timeline_html(events: Sequence[Event], title: str | None = None) -> str:
    """An HTML ``<table class="timeline">`` fragment (no external assets), text escaped.

    A ``REBOOT_REASON`` row starts a new boot (its seq restarts), and is marked ``class="boot"``.
    """
    e = html.escape
    out = []
    if title is not None:
        out.append(f"<h3>{e(title)}</h3>")
    out.append('<table class="timeline"><thead><tr>')
    out += [f"<th>{e(c)}</th>" for c in COLUMNS]
    out.append("</tr></thead><tbody>")
    for i, ev in enumerate(events):
        cls = ' class="boot"' if ev.name == Ev.REBOOT_REASON else ""
        fields = "".join(
            f'<span class="f"><b>{e(k)}</b>={e(v)}</span> ' for k, v in ev.fields
        ).rstrip()
        out.append(
            f"<tr{cls}><td>{i}</td><td>{ev.seq}</td><td>{e(ev.src)}</td>"
            f"<td>{e(ev.name)}</td><td>{fields}</td></tr>"
        )
    out.append("</tbody></table>")
    return "\n".join(out) + "\n"


def timeline_page(events: Sequence[Event], title: str = "Event timeline") -> str:
    """A self-contained HTML page around ``timeline_html``."""
    style = (
        "body{font-family:sans-serif}table{border-collapse:collapse}"
        "td,th{border:1px solid #999;padding:1px 5px;font-family:monospace}"
        "tr.boot td{border-top:3px solid #333}"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{style}</style></head><body>\n"
        + timeline_html(events, title)
        + "</body></html>\n"
    )
