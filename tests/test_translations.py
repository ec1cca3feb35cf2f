"""The zh_Hans_CN catalog stays complete: every string the sources mark for translation has a Chinese
translation, with the same placeholders as the English, and nothing is left fuzzy.

When a test here fails after you added or changed a string, run (from the project root):

    .venv/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o assist/translations/messages.pot .
    .venv/bin/pybabel update -i assist/translations/messages.pot -d assist/translations --no-fuzzy-matching

then translate the new entries of assist/translations/zh_Hans_CN/LC_MESSAGES/messages.po (see the
terms already used there) and run `.venv/bin/pybabel compile -d assist/translations`.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from babel.messages import extract, frontend
from babel.util import pathmatch
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
ZH = ROOT / "assist/translations/zh_Hans_CN/LC_MESSAGES/messages.po"
EN = ROOT / "assist/translations/en/LC_MESSAGES/messages.po"
# The keywords of the extract command above: babel's defaults (gettext, ngettext, pgettext, ...) + these.
KEYWORDS = {**extract.DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
# %(name)s, %(n)d, %(km).1f ...: a placeholder's name and conversion must survive translation.
PLACEHOLDER = re.compile(r"%\((\w+)\)[-#0 +]*(?:\d+|\*)?(?:\.\d+)?([a-zA-Z])")


def _read(path: Path):
    with path.open("rb") as f:
        return read_po(f)


def _mapping():
    parse = getattr(frontend, "parse_mapping_cfg", None) or frontend.parse_mapping
    with (ROOT / "babel.cfg").open(encoding="utf-8") as f:
        return parse(f, filename=str(ROOT / "babel.cfg"))


@pytest.fixture(scope="module")
def extraction() -> tuple[dict[tuple[str | None, str], list[str]], set[str]]:
    """What `pybabel extract` sees: (context, msgid) → where it occurs, and the files it scanned."""
    method_map, options_map = _mapping()
    found: dict[tuple[str | None, str], list[str]] = {}
    scanned: set[str] = set()
    for filename, lineno, message, _comments, context in extract.extract_from_dir(
            str(ROOT), method_map, options_map, keywords=KEYWORDS,
            callback=lambda filename, method, options: scanned.add(filename)):
        msgid = message[0] if isinstance(message, (list, tuple)) else message
        if msgid:
            found.setdefault((context, msgid), []).append(f"{filename}:{lineno}")
    assert len(found) > 500, "extraction found suspiciously few messages; is babel.cfg still right?"
    return found, scanned


@pytest.fixture(scope="module")
def source_messages(extraction):
    return extraction[0]


def test_no_source_file_is_hidden_from_extraction(extraction):
    """pybabel skips directories whose names start with "_" or "." (e.g. templates/_macros/): the
    strings in them would never reach the catalog, and the pages would show them in English."""
    method_map, _options = _mapping()
    hidden = []
    for root, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d != "__pycache__"]
        for name in files:
            rel = os.path.relpath(os.path.join(root, name), ROOT).replace(os.sep, "/")
            method = next((m for pattern, m in method_map if pathmatch(pattern, rel)), None)
            if method not in (None, "ignore") and rel not in extraction[1]:
                hidden.append(rel)
    assert not hidden, "pybabel extract never scans these files (rename their directory):\n" + "\n".join(hidden)


@pytest.fixture(scope="module")
def zh():
    return _read(ZH)


def _key(message) -> tuple[str | None, str]:
    return message.context, (message.id[0] if message.pluralizable else message.id)


def _forms(message) -> list[str]:
    return list(message.string) if message.pluralizable else [message.string]


def _label(key) -> str:
    context, msgid = key
    return f"{msgid!r}" + (f" (context {context!r})" if context else "")


def test_every_source_string_has_a_chinese_translation(source_messages, zh):
    entries = {_key(m): m for m in zh if m.id}
    missing = []
    for key, where in sorted(source_messages.items(), key=lambda kv: kv[1][0]):
        entry = entries.get(key)
        if entry is None:
            missing.append(f"{_label(key)} at {where[0]}: not in the catalog (run extract and update)")
        elif not all(form.strip() for form in _forms(entry)):
            missing.append(f"{_label(key)} at {where[0]}: no translation")
    assert not missing, f"{len(missing)} strings lack a zh_Hans_CN translation:\n" + "\n".join(missing)


def _placeholders(text: str) -> set[tuple[str, str]]:
    return set(PLACEHOLDER.findall(text))


def test_translations_keep_the_placeholders(zh):
    wrong = []
    for m in zh:
        if not m.id:
            continue
        ids = list(m.id) if m.pluralizable else [m.id]
        expected = set().union(*(_placeholders(i) for i in ids))
        for form in _forms(m):
            if form and _placeholders(form) != expected:
                wrong.append(f"{_label(_key(m))}: {form!r} has {sorted(_placeholders(form))}, "
                             f"expected {sorted(expected)}")
    assert not wrong, "placeholders differ from the English:\n" + "\n".join(wrong)


@pytest.mark.parametrize("path", [ZH, EN], ids=["zh_Hans_CN", "en"])
def test_nothing_is_fuzzy(path):
    catalog = _read(path)
    assert not catalog.fuzzy, f"{path.name} of {path.parent.parent.name}: the header is marked fuzzy"
    fuzzy = [_label(_key(m)) for m in catalog if m.id and m.fuzzy]
    assert not fuzzy, f"fuzzy entries in {path.parent.parent.name} (check and unmark them):\n" + "\n".join(fuzzy)


def test_the_english_catalog_is_updated_too(source_messages):
    """English is the source language: its msgstrs stay empty, but it must list the same messages."""
    entries = {_key(m) for m in _read(EN) if m.id}
    missing = [_label(key) for key in source_messages if key not in entries]
    assert not missing, "not in the en catalog (run extract and update):\n" + "\n".join(missing)
