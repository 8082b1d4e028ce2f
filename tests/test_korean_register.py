"""The Korean edition keeps one register per kind of text (i18n/ko/STYLE.md).

Checked on every live (not obsolete) msgstr of ``i18n/ko/**/*.po``:

- headings are noun phrases or 한다체, never 합니다체 or 해요체;
- questions put to students (numbered self-check exercises, exercise comments in code,
  homework, and the lecturer's quoted questions) end in ``-까요?`` or are a bare noun phrase;
- speaker notes give stage directions in plain 합니다체 and quote what is said to the class;
- a particle written after a digit agrees with how the digit is read (``3으로``, not ``3로``).

The oracles are the Korean endings themselves, listed here, not the catalogs' own text.
"""

from __future__ import annotations

import re
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parents[1]
CATALOGS = sorted((ROOT / "i18n" / "ko").rglob("*.po"))
NOTES = "*강사용 노트"

# Endings a heading must not have: 해요체 (-요), 해체 (-ㄹ까, -죠), and 합니다체 (-ㅂ니다, -ㅂ니까:
# 니다/니까 after a syllable closed by ㅂ, as in 됩니다, 입니까; 아니다 is 한다체).
HEADING_FORBIDDEN = re.compile(r"(요|까|죠)[?!.]?$")
HAPNIDA = re.compile(r"([가-힣])니(다|까)[?!.]?$")
# A question to students: -ㄹ까요? (합니다체 question of the course), or a bare noun phrase ending
# in a topic particle (출력 너비는?), or the one-word prompt 왜?.
QUESTION_ALLOWED = re.compile(r"(까요|[은는]|왜)\?$")
NOTES_FORBIDDEN = re.compile(r"[가-힣]*(세요|ㅂ시다|봅시다|합시다|겠습니다)[.!)]?(?=\s|$)")
QUOTED = re.compile(r'"[^"\n]*(?:\n[^"\n]*)*?"|“[^”]*”')

# Digits read with a final consonant (일 삼 육 칠 팔 십 백 천: 1 3 6 7 8 0) or not
# (이 사 오 구: 2 4 5 9).
# 로 follows a vowel or ㄹ (1 7 8 and 2 4 5 9); 으로 follows other consonants (0 3 6).
_CONSONANT = {"0": True, "1": True, "2": False, "3": True, "4": False, "5": False, "6": True,
              "7": True, "8": True, "9": False}
_RIEUL = {"1", "7", "8"}
# A number followed directly by a particle (then a word boundary, or 로 then
# 는/서/써/도/만/부터), not
# by a counter (3개, 3층). Decimals and 1,000-style numbers are skipped, and so are names read in
# English (conv3는, fc6로): a number after a letter counts only in a size such as 6x6.
PARTICLE = re.compile(r"(?<![\d.,])(\d+)(으로|로|은|는|이|가|을|를)"
                      r"(?:(?<=로)(?:는|서|써|도|만|부터))?(?=[\s,.)!?:;\"*`]|$)")


def _entries():
    for path in CATALOGS:
        for entry in polib.pofile(str(path)):
            if not entry.obsolete and entry.msgstr and "fuzzy" not in entry.flags:
                yield path.relative_to(ROOT).as_posix(), entry


ENTRIES = list(_entries())


def headings(text: str) -> list[str]:
    """The markdown headings of ``text``, without ``#``, trailing ``(English)`` or code."""
    found = []
    for line in text.splitlines():
        match = re.match(r"#{1,6} (.*)", line)
        if match and match.group(1).strip() not in {"BEGIN SOLUTION", "END SOLUTION"}:
            found.append(re.sub(r"\s*\([^()]*\)\s*$", "", match.group(1).strip()))
    return found


def _hapnida(word: str) -> bool:
    match = HAPNIDA.search(word)
    return match is not None and (ord(match.group(1)) - 0xAC00) % 28 == 17    # final ㅂ


def heading_register_error(heading: str) -> str | None:
    """Why ``heading`` is not a noun phrase or 한다체, or None."""
    words = re.sub(r"`[^`]*`", "", heading).split()
    if words and (HEADING_FORBIDDEN.search(words[-1]) or _hapnida(words[-1])):
        return f"ends in {words[-1]!r}: a heading is a noun phrase or 한다체 (-다, -는가)"
    return None


def questions(text: str) -> list[str]:
    """Each Korean question of ``text`` (a sentence whose last word is Hangul and ends in ``?``)."""
    prose = "\n".join(line for line in text.splitlines() if not line.startswith("#")
                      or line.startswith("# "))          # headings are checked as headings
    return [q.strip() for q in re.findall(r"[^.?!\n:]*[가-힣]\?", prose)]


def question_register_error(question: str) -> str | None:
    if QUESTION_ALLOWED.search(question):
        return None
    return (f"{question[-30:]!r}: a question to students ends in -ㄹ까요? (얼마일까요?, 있을까요?) "
            "or is a bare noun phrase (출력 너비는?)")


def is_exercise(path: str, entry: polib.POEntry) -> bool:
    """An entry that asks students something: numbered exercises, code comments, homework."""
    if entry.msgstr.startswith(NOTES):
        return False
    if entry.msgctxt == "comment":
        return True
    if entry.msgctxt != "markdown":
        return False
    return ("/homework/" in path or "00_index" in path
            or re.search(r"\*\*\d+\.(\*\*| )|^\d+\. ", entry.msgstr, re.M) is not None)


def notes_register_errors(text: str) -> list[str]:
    """Where a speaker note leaves its voice (outside the quoted speech)."""
    body = QUOTED.sub('""', text)
    errors = [f"{m.group(0)!r}: notes give directions in plain 합니다체 (물어봅니다, 짚어 줍니다)"
              for m in NOTES_FORBIDDEN.finditer(body)]
    errors += [f"{q[-30:]!r}: a question to the class goes in double quotes"
               for q in questions(body)]
    return errors


def particle_errors(text: str) -> list[str]:
    """Particles after digits that disagree with the digit's sound (3로 for 3으로, 2은 for 2는)."""
    errors = []
    for match in PARTICLE.finditer(text):
        number, particle = match.groups()
        before = text[:match.start()]
        if re.search(r"[A-Za-z_]$", before) and not re.search(r"\d[x×]$", before):
            continue
        last = number[-1]
        # A final 0 of 10, 100, ... is read 십, 백, 천 (ㅂ, ㄱ, ㄴ); a lone 0 is 영 (ㅇ): never ㄹ.
        consonant, rieul = _CONSONANT[last], last in _RIEUL
        right = {"으로": consonant and not rieul, "로": not consonant or rieul,
                 "은": consonant, "는": not consonant, "이": consonant, "가": not consonant,
                 "을": consonant, "를": not consonant}[particle]
        if not right:
            errors.append(f"{match.group(0)!r}: {number} is read with"
                          f"{'' if consonant else 'out'} a final consonant")
    return errors


def _ids(items):
    return [f"{path}:{entry.comment}" for path, entry in items]


@pytest.mark.parametrize("path,entry", ENTRIES, ids=_ids(ENTRIES))
def test_korean_register(path, entry):
    text = entry.msgstr
    problems = []
    if entry.msgctxt == "markdown":
        problems += [f"heading {h!r} {error}" for h in headings(text)
                     if (error := heading_register_error(h))]
    if is_exercise(path, entry):
        problems += [e for q in questions(text) if (e := question_register_error(q))]
    if text.startswith(NOTES):
        problems += notes_register_errors(text)
    problems += particle_errors(text)
    assert not problems, f"{path}, {entry.comment}: " + "; ".join(problems)


# ---- the checks themselves, on known good and bad text -------------------------------------

@pytest.mark.parametrize("heading,bad", [
    ("1. 흑백 이미지는 행렬이다", False), ("요약", False),
    ("4. 왜 완전 연결 계층이 아닌가?", False),
    ("5. 맞아떨어지지 않는 스트라이드", False), ("10.3 224냐 227이냐 수수께끼", False),
    ("6.1 왜 비선형성이 필요할까요?", True), ("8.4 완전 연결 계층은 합성곱입니다", True),
    ("모든 것이 제자리에 있나요?", True), ("왜 추측 수준에 머물까?", True),
])
def test_heading_check(heading, bad):
    assert (heading_register_error(heading) is not None) == bad


@pytest.mark.parametrize("question,bad", [
    ("출력 크기는 얼마일까요?", False), ("몇 개 있을까요?", False), ("출력 너비는?", False),
    ("출력 모양은 무엇인가요?", True), ("비율은 얼마입니까?", True), ("몇 개인가요?", True),
    ("곱셈-누산 수는요?", True), ("32픽셀 이상이 되려면?", True),
])
def test_question_check(question, bad):
    assert (question_register_error(question) is not None) == bad


def test_notes_check():
    assert notes_register_errors(
        '실행하기 전에 물어봅니다. "출력은 어떻게 될까요?" 답을 듣습니다.') == []
    # 봅시다 and a bare question
    assert notes_register_errors("먼저 예측해 봅시다. 출력은 어떻게 될까요?")
    assert notes_register_errors("로그 스케일이라는 점에 주의하세요.")


@pytest.mark.parametrize("text,bad", [
    ("스트라이드 3으로는", False), ("스트라이드 3로는", True), ("6로 나눈다", True),
    ("6으로 나눈다", False),
    ("2로 놓으면", False), ("2으로", True), ("1로", False), ("7로", False), ("8로", False),
    ("3은 홀수", False), ("2은 짝수", True), ("2는 짝수", False), ("5가 나온다", False),
    ("5이 나온다", True),
    ("3을 더한다", False), ("3를 더한다", True), ("10으로", False), ("10로", True),
    ("100으로", False),
    ("3개로", False), ("0.5로", False), ("conv3는", False), ("6x6로", True),
    ("6x6으로", False), ("3로서", True),
])
def test_particle_check(text, bad):
    assert bool(particle_errors(text)) == bad


# ---- what students see below the cells: library messages fill numbers into Korean templates ---

KOREAN_NOTEBOOKS = sorted((ROOT / "notebooks" / "ko").rglob("*.ipynb"))


@pytest.mark.parametrize("notebook", KOREAN_NOTEBOOKS,
                         ids=[p.relative_to(ROOT).as_posix() for p in KOREAN_NOTEBOOKS])
def test_particles_after_numbers_in_stored_outputs(notebook):
    """A template such as ``스트라이드 {stride}로는`` prints 3로는: write such templates so the
    particle does not follow the number (스트라이드가 {stride}이면, padding을 {n} 이하로)."""
    import nbformat
    from test_korean_outputs import shown_texts

    nb = nbformat.read(notebook, as_version=4)
    problems = [f"cell {cell}: {error}" for cell, text in shown_texts(nb)
                for error in particle_errors(text)]
    assert not problems, f"{notebook.name}: " + "; ".join(sorted(set(problems)))


def notebook_number_errors(english: str, korean: str) -> list[str]:
    """``노트북 N`` in a translation where the English names no N (a slip such as 09 -> 08)."""
    numbers = {int(n) for n in re.findall(r"\d+", english)}
    return [f"노트북 {n}: the English names no {n}"
            for n in sorted({int(n) for n in re.findall(r"노트북 ?(\d+)", korean)} - numbers)]


@pytest.mark.parametrize("path,entry", ENTRIES, ids=_ids(ENTRIES))
def test_notebook_numbers_are_the_english_ones(path, entry):
    problems = notebook_number_errors(entry.msgid, entry.msgstr)
    assert not problems, f"{path}, {entry.comment}: " + "; ".join(problems)


def test_notebook_number_check():
    assert notebook_number_errors("notebook 09 counts what that saves", "노트북 08에서 셉니다")
    assert not notebook_number_errors("notebook 09 counts what that saves", "노트북 09에서 셉니다")
    assert not notebook_number_errors("notebook 9 counts it", "노트북 09에서 셉니다")
