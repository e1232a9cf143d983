"""The dashboard's charts, drawn on the server as SVG with pygal and embedded inline.

pygal's interactive tooltips need a script it would load from the web; the charts are
rendered without it (``js=[]``) and every ``<script>`` is taken out of the SVG, so a page
with charts loads nothing from anywhere but the site. The numbers are in a table under
each chart anyway. The chart's own ``<style>`` carries the page's CSP nonce (the policy
allows no other inline style), and the hidden tooltip — a ``style`` attribute the policy
would refuse, and of no use without the script — is taken out too.
"""
from __future__ import annotations

import pygal
from flask_babel import format_date
from flask_babel import gettext as _
from markupsafe import Markup
from pygal.style import Style

from security import csp_nonce
from services.dashboard import ProgramFigures


def _style(*colors: str) -> Style:
    return Style(
        background="#ffffff",
        plot_background="#ffffff",
        foreground="#1f1f1f",
        foreground_strong="#1f1f1f",
        foreground_subtle="#8a8a8a",
        opacity="1",
        opacity_hover="1",
        colors=colors,
        font_family='system-ui, "PingFang SC", "Noto Sans CJK SC", "Microsoft YaHei", sans-serif',
        label_font_size=17,
        major_label_font_size=17,
        legend_font_size=17,
        title_font_size=19,
        value_font_size=15,
        tooltip_font_size=15,
    )


def _without_scripts(root):
    """pygal xml filter: drop every <script> element (its inline config included), the
    comments (links to pygal's site) and elements styled inline (the hidden tooltip);
    let the <style> elements through the Content-Security-Policy with its nonce."""
    nonce = csp_nonce()
    for parent in list(root.iter()):
        for child in list(parent):
            if not isinstance(child.tag, str) or child.tag.endswith("script") or child.get("style"):
                parent.remove(child)
            elif child.tag.endswith("style"):
                child.set("nonce", nonce)
    return root


def _config(colors: tuple[str, ...], **options) -> dict:
    return dict(
        style=_style(*colors), js=[], disable_xml_declaration=True,
        width=420, height=340, legend_at_bottom=True, legend_at_bottom_columns=2,
        truncate_legend=-1, margin=12, spacing=10, show_y_guides=True,
        no_data_text=_("No events yet"), **options,
    )


def _months(figures: ProgramFigures) -> list[str]:
    return [format_date(m.month, "MMM") for m in figures.months]


def _render(chart) -> Markup:
    chart.add_xml_filter(_without_scripts)
    return Markup(chart.render(is_unicode=True))


def bookings_chart(figures: ProgramFigures) -> Markup:
    """Seats offered, bookings and people who came, per month, as bars."""
    chart = pygal.Bar(**_config(("#c9b8a3", "#2e6f95", "#a61b1b", "#8a5a00"), title=_("Seats, bookings and attendance"), min_scale=4, print_values=False))
    chart.x_labels = _months(figures)
    chart.add(_("Seats offered"), [m.seats_offered for m in figures.months])
    chart.add(_("Bookings"), [m.bookings for m in figures.months])
    chart.add(_("Came (booked)"), [m.attended for m in figures.months])
    chart.add(_("Walk-ins"), [m.walk_ins for m in figures.months])
    return _render(chart)


def rates_chart(figures: ProgramFigures) -> Markup:
    """Attendance and no-show rates per month, in per cent, as lines."""
    chart = pygal.Line(**_config(
        ("#2e6f95", "#a61b1b"), title=_("Attendance and no-show rates (%)"), range=(0, 100), include_x_axis=True,
        dots_size=4, stroke_style={"width": 3},
    ))
    chart.x_labels = _months(figures)

    def percent(value):
        return None if value is None else round(value * 100)

    chart.add(_("Attendance rate"), [percent(m.attendance_rate) for m in figures.months])
    chart.add(_("No-show rate"), [percent(m.no_show_rate) for m in figures.months])
    return _render(chart)


def reach_chart(labels: list[str], shares: list[float | None], title: str) -> Markup:
    """The share of households that took part, per grid or building, as horizontal bars."""
    height = max(220, 60 + 34 * len(labels))
    chart = pygal.HorizontalBar(**{**_config(("#a61b1b",), title=title, range=(0, 100), print_values=True,
                                             show_legend=False, print_values_position="top"),
                                   "height": height})
    chart.x_labels = labels
    chart.add(_("Share of households (%)"), [None if s is None else round(s * 100) for s in shares])
    return _render(chart)
