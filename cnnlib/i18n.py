"""The language of what cnnlib shows: English (the default) or Korean (한국어).

Call ``cnnlib.set_language("ko")`` once, at the top of a notebook, and from then on cnnlib's
checker feedback, the explorers' labels, captions, legends and "not possible" explanations, the
titles, axis labels and legends of its figures, its printed tables, and the messages of the errors
it raises (:class:`~cnnlib._validate.SettingError`: the exception type and the parameter names
stay as they are) are Korean; figures also get a font with Hangul glyphs (NanumGothic, shipped
in ``cnnlib/_data/``). ``cnnlib.set_language("en")`` goes back to English.

The Korean texts live in one gettext catalog, ``cnnlib/_locale/ko.po`` (read with ``polib``,
like the notebooks' catalogs in ``i18n/ko/``). Each entry's msgid is the English text exactly
as the code passes it to :func:`tr`, with ``{placeholders}`` filled in afterwards::

    tr("{n} weights", n=9)       # "9 weights", or "가중치 9개" after set_language("ko")

Entries with msgctxt ``error`` translate the messages of :class:`~cnnlib._validate.SettingError`
at display time (:func:`explain`, called by ``str(error)``): their msgid is the English message
with its variable parts written as ``{placeholders}`` (each name once). ``tests/test_i18n.py``
fails when a text used in code has no Korean translation.
"""

from __future__ import annotations

import re
import sys
from functools import cache
from importlib import resources

from ._validate import SettingError, SettingTypeError

#: The languages cnnlib speaks, by their ISO 639-1 code.
LANGUAGES = ("en", "ko")
#: The font cnnlib adds to matplotlib for Korean figures (a file in ``cnnlib/_data/``).
KOREAN_FONT_FILE = "NanumGothic.ttf"
KOREAN_FONT = "NanumGothic"

_current = {"language": "en", "font_family": None}
#: (msgctxt, msgid) pairs looked up in Korean and not found since the last clear (tests read it).
missing: set = set()


def set_language(language: str) -> None:
    """Choose the language of cnnlib's messages, labels and figures: ``"en"`` or ``"ko"``.

    Parameters
    ----------
    language : str
        ``"en"`` (English, the default) or ``"ko"`` (Korean). Korean also makes matplotlib use
        a font with Hangul glyphs (NanumGothic, with DejaVu Sans for what it lacks), for every
        figure drawn afterwards, cnnlib's or not; ``"en"`` restores the previous font.

    Raises
    ------
    SettingError
        For any other value, naming the choices.
    """
    if not isinstance(language, str):
        raise SettingTypeError(f"language must be a string, one of {LANGUAGES}, got "
                               f"{language!r} ({type(language).__name__}).")
    if language not in LANGUAGES:
        raise SettingError(f"language={language!r} is not available: use 'en' (English) or "
                           f"'ko' (Korean, 한국어).")
    if language == _current["language"]:
        return
    _current["language"] = language
    if language == "ko":
        _use_korean_font()
    else:
        _restore_font()


def get_language() -> str:
    """The language chosen with :func:`set_language` (``"en"`` until then)."""
    return _current["language"]


@cache
def catalog(language: str = "ko") -> dict:
    """``{(msgctxt, msgid): msgstr}`` of the translated entries of ``_locale/<language>.po``.

    Empty and ``fuzzy`` entries are left out (they count as not translated).
    """
    import polib  # only a Korean session needs it

    text = resources.files("cnnlib").joinpath("_locale", f"{language}.po").read_text("utf-8")
    return {(entry.msgctxt, entry.msgid): entry.msgstr for entry in polib.pofile(text)
            if entry.msgstr and "fuzzy" not in entry.flags and not entry.obsolete}


def tr(message: str, context: str | None = None, **fields) -> str:
    """``message`` in the current language, with its ``{fields}`` filled in.

    ``context`` tells apart two uses of the same English word (gettext's msgctxt). In Korean, a
    message missing from the catalog is shown in English (the tests make sure none is).
    """
    message = words(message, context)
    return message.format(**fields) if fields else message


def words(message: str, context: str | None = None, record: bool = True) -> str:
    """Like :func:`tr` for a text without fields (a label that may contain braces).

    ``record=False``: a text that may legitimately have no translation (a value shown in a
    message) is not counted in :data:`missing`.
    """
    if _current["language"] == "en":
        return message
    translated = catalog(_current["language"]).get((context, message))
    if translated is None:
        if record:
            missing.add((context, message))
        return message
    return translated


def N_(message: str) -> str:
    """Mark a text for translation where it is defined; :func:`tr` translates it where it is
    shown (gettext's convention: a table of exercises is made once, shown in either language)."""
    return message


# --- refused settings, translated at display time ------------------------------------------


@cache
def _error_patterns(language: str) -> list:
    """(compiled regex of an English error template, its translation), longest first."""
    patterns = []
    for (context, english), translated in catalog(language).items():
        if context != "error":
            continue
        parts = re.split(r"\{(\w+)\}", english)
        regex = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>.*?)"
                        for i, p in enumerate(parts))
        patterns.append((re.compile(regex + r"\Z", re.DOTALL), translated))
    return sorted(patterns, key=lambda p: -len(p[0].pattern))


def explain(error: BaseException | str) -> str:
    """The message of a refused setting in the current language, for an explorer to show.

    In Korean, the English message is matched against the catalog's ``error`` templates; a
    part that is itself a message (``"conv1 (input size 5): <message>"``) is translated too.
    A message no template matches is shown as it is.
    """
    message = str(error)
    if _current["language"] == "en":
        return message
    for pattern, translated in _error_patterns(_current["language"]):
        match = pattern.match(message)
        if match:
            fields = {k: _field(v) for k, v in match.groupdict().items()}
            return translated.format(**fields)
    return message


def _field(text: str) -> str:
    """A variable part of an error message: a message itself, a known word, or a value."""
    translated = explain(text)
    return translated if translated != text else words(text, "word", record=False)


# --- Hangul in figures ---------------------------------------------------------------------


def _use_korean_font() -> None:
    """Register NanumGothic with matplotlib and put it behind DejaVu Sans (per-glyph fallback:
    Latin letters and math keep the usual look, Hangul comes from NanumGothic)."""
    import matplotlib
    from matplotlib import font_manager

    font = resources.files("cnnlib").joinpath("_data", KOREAN_FONT_FILE)
    with resources.as_file(font) as path:
        if KOREAN_FONT not in {f.name for f in font_manager.fontManager.ttflist}:
            font_manager.fontManager.addfont(str(path))
    if _current["font_family"] is None:
        _current["font_family"] = list(matplotlib.rcParams["font.family"])
    families = [f for f in _current["font_family"] if f != KOREAN_FONT]
    matplotlib.rcParams["font.family"] = ["DejaVu Sans", KOREAN_FONT] if families == [
        "sans-serif"] else [*families, KOREAN_FONT]


def _restore_font() -> None:
    if _current["font_family"] is not None and "matplotlib" in sys.modules:
        sys.modules["matplotlib"].rcParams["font.family"] = _current["font_family"]
    _current["font_family"] = None
