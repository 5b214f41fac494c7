"""The printable page around every report (``report.html`` of a run, a siting, a designation
or a comparison): A4 pages numbered by the page itself, a contents list, numbered sections,
the assumptions as a numbered list on a page of their own, the data sources and appendices.

Printing is CSS paged media, not the browser's header and footer: ``@page`` sets A4 and
its margins, and its margin boxes (``@top-left``, ``@top-right``, ``@bottom-center``;
Chromium draws them since version 131) carry the report's title, its date and "第 N 页，
共 M 页" on every page, so a PDF printed by any Chromium (``geo run --pdf``, or a planner's
Ctrl+P with "headers and footers" off) has them. Sections start on a new page where the
caller says so; table rows never split and headers repeat; table cells never break a word
(``word-break: keep-all``: Chinese breaks only at punctuation and spaces, so "未达标" stays
whole). Footnotes and captions print at 8 pt or more.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

from geo.numbers import SHARE_NOTE
from geo.outputs import i18n

__all__ = ["ASSUMPTIONS_REF", "CSS", "Section", "css_string", "document"]

#: a caller's marker for "see section N, Assumptions" (filled in by :func:`document`)
ASSUMPTIONS_REF = "<!--@assumptions@-->"

_FONT = '"Noto Sans CJK SC","Microsoft YaHei","PingFang SC",sans-serif'
CSS = f"""
body{{font-family:{_FONT};margin:2em;color:#222;max-width:62em;line-height:1.45}}
h1{{font-size:1.5em;margin:.2em 0 .4em}}
h2{{font-size:1.2em;border-bottom:1px solid #999;margin-top:1.6em}}
h3{{font-size:1.05em;margin:.9em 0 .3em}}
h2,h3{{break-after:avoid}}
table{{border-collapse:collapse;margin:.5em 0;font-size:.9em}}
table.data{{width:100%}}
thead{{display:table-header-group}}tr{{break-inside:avoid}}
th,td{{border:1px solid #bbb;padding:2px 5px;text-align:right;word-break:keep-all;
 overflow-wrap:normal;hyphens:none;vertical-align:top}}
th{{background:#dde6f0;font-weight:bold}}td.t,th.t{{text-align:left}}
tr.fail td{{background:#f4cccc}}tr.total td{{font-weight:bold;border-top:2px solid #666}}
td.n,td.s{{white-space:nowrap}}
.figs{{display:flex;gap:3mm;align-items:flex-start;break-inside:avoid}}
.figs img{{display:block;min-width:0;margin:.3em 0}}.figs img.map{{width:54%}}
.figs img.chart{{width:46%}}.figs img.wide{{width:100%}}
p.cap,.src,.note{{font-size:8.5pt;color:#444}}
ul.toc{{list-style:none;padding-left:.5em}}ul.toc li{{margin:.15em 0}}
ol.assume li{{margin:.25em 0}}
section.page{{break-before:page}}section.keep{{break-inside:avoid}}
a{{color:#1f4e8c}}
@media print{{body{{margin:0;max-width:none;font-size:10pt}}a{{color:inherit;
 text-decoration:none}}h2{{margin-top:.2em}}table{{font-size:8.5pt}}}}
"""


def css_string(text: str) -> str:
    """``text`` as a CSS string literal (for ``content:``)."""
    out = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")
    return f'"{out}"'


def _page_css(title: str, day: str, lang: str) -> str:
    page = (css_string("第 ") + " counter(page) " + css_string(" 页，共 ") + " counter(pages) "
            + css_string(" 页")) if lang == "zh" else (
        css_string("Page ") + " counter(page) " + css_string(" of ") + " counter(pages)")
    box = f"font-family:{_FONT};font-size:8pt;color:#555"
    return (
        "@page{size:A4;margin:16mm 13mm 15mm 13mm;"
        f"@top-left{{content:{css_string(title)};{box}}}"
        f"@top-right{{content:{css_string(day)};{box}}}"
        f"@bottom-center{{content:{page};{box}}}}}"
    )


@dataclass(frozen=True)
class Section:
    """One numbered section of a report: ``key`` is its anchor, ``body`` its HTML."""

    key: str
    title: str
    body: str
    new_page: bool = True
    #: kept on one page when it fits (a heading and its one table)
    keep: bool = False


def _section(number: str, s: Section) -> str:
    classes = " ".join(c for c, on in (("page", s.new_page), ("keep", s.keep)) if on)
    cls = f' class="{classes}"' if classes else ""
    return (f'<section id="{html.escape(s.key)}"{cls}><h2>{html.escape(number)} '
            f"{html.escape(s.title)}</h2>\n{s.body}</section>")


def document(*, title: str, created: str, lang: str, intro: str, sections: Sequence[Section],
             assumptions: Sequence[str], sources: Sequence[tuple[str, str]],
             appendices: Sequence[Section] = (), notes: Sequence[str] = ()) -> str:
    """The whole report page: ``intro`` (HTML, on the first page under the contents), the
    numbered ``sections``, the assumptions (numbered, a page of their own, with ``notes``
    on how the numbers are shown), the data sources and the ``appendices`` (A, B, ...)."""
    t = i18n.text
    n_assume = len(sections) + 1
    shown = [*assumptions, SHARE_NOTE, *notes]
    items = "".join(f"<li>{html.escape(i18n.note(a, lang))}</li>" for a in shown)
    rows = "".join(f'<tr><td class="t">{html.escape(i18n.source_label(k, lang))}</td>'
                   f'<td class="t">{html.escape(v)}</td></tr>' for k, v in sources)
    tail = [
        Section("assumptions", t("assumptions", lang),
                f'<p class="note">{html.escape(t("assumptions_lead", lang))}</p>'
                f'<ol class="assume">{items}</ol>'),
        Section("sources", t("sources", lang),
                f'<table class="src">{rows}</table>'
                '<p class="src">© OpenStreetMap contributors (ODbL 1.0)</p>', new_page=False),
    ]
    numbered = [(str(i), s) for i, s in enumerate([*sections, *tail], start=1)]
    numbered += [(f"{t('appendix', lang)} {chr(65 + i)}", s) for i, s in enumerate(appendices)]
    toc = "".join(f'<li><a href="#{html.escape(s.key)}">{html.escape(n)} '
                  f"{html.escape(s.title)}</a></li>" for n, s in numbered)
    ref = t("see_assumptions", lang, n=n_assume)
    body = "\n".join(_section(n, s) for n, s in numbered).replace(
        ASSUMPTIONS_REF, f'<a href="#assumptions">{html.escape(ref)}</a>')
    head = (f'<!DOCTYPE html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head>'
            f'<meta charset="utf-8"><title>{html.escape(title)}</title>'
            f"<style>{CSS}{_page_css(title, created, lang)}</style></head><body>")
    return "\n".join([
        head, f"<h1>{html.escape(title)}</h1>",
        f'<p>{t("date", lang)}: {html.escape(created)}</p>',
        f'<nav><b>{t("contents", lang)}</b><ul class="toc">{toc}</ul></nav>',
        intro.replace(ASSUMPTIONS_REF, f'<a href="#assumptions">{html.escape(ref)}</a>'),
        body, "</body></html>",
    ])
