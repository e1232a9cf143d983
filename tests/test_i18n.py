"""Every user-facing string is in the catalog and translated into Chinese."""
from __future__ import annotations

from pathlib import Path

from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "translations" / "zh" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")


def _read_po(path: Path, **kwargs):
    with path.open("rb") as handle:
        return read_po(handle, **kwargs)


def _ids(catalog) -> set:
    return {message.id for message in catalog if message.id}


def test_every_string_in_the_code_is_in_the_chinese_catalog(tmp_path):
    pot = tmp_path / "messages.pot"
    CommandLineInterface().run(
        ["pybabel", "-q", "extract", "-F", str(ROOT / "babel.cfg"), "-k", "_l", "-k", "lazy_gettext",
         "--no-location", "--ignore-dirs", ".* ._ tests bench scripts migrations instance artifacts",
         "-o", str(pot), str(ROOT)]
    )
    in_code = _ids(_read_po(pot))
    in_catalog = _ids(_read_po(PO))
    assert in_code - in_catalog == set(), "run `make translations` and translate the new strings"


def test_every_chinese_translation_is_filled_in_and_well_formed():
    catalog = _read_po(PO, locale="zh")
    untranslated = [m.id for m in catalog if m.id and (not m.string or m.fuzzy)]
    assert untranslated == []
    problems = [(message.id, errors) for message, errors in catalog.check()]
    assert problems == []


def test_the_compiled_catalog_matches_the_source():
    source = {m.id: m.string for m in _read_po(PO, locale="zh") if m.id}
    with MO.open("rb") as handle:
        compiled = {m.id: m.string for m in read_mo(handle) if m.id}
    assert compiled == source, "run `make translations` to compile the catalog"
