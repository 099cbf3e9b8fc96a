"""Bilingual term lookup from Debian's FreeDict dictionaries (one job: word → translations).

Why: a French question about a German article shares almost no surface words
with it, so the lexical ranker only sees names. A bilingual dictionary turns
"frontière" into "Grenze", giving BM25 real content words to match across
languages without an LLM or hand-written word lists.

Where the data comes from: FreeDict ships as Debian packages
(``dict-freedict-fra-deu`` …) holding dictd files: a ``.index`` (headword, base64
offset, base64 length per line) and a ``.dict.dz`` (dictzip, which gzip reads).
``python -m qa.text.dictionary --setup`` fetches them *without root*
(``apt-get download`` + ``dpkg-deb -x`` into a temporary folder), parses each
package once into ``<cache>/dicts/raw/<src>-<tgt>.json.gz`` and then merges,
for every ordered language pair, the direct dictionary with the inverse of the
opposite one into ``<cache>/dicts/<src>-<tgt>.tsv.gz`` (ISO 639-1 names; casefolded
single-word headword → at most :data:`MAX_STORED` cleaned target terms, first
senses first), plus ``stopwords.json.gz``.
Nothing is ever written into the repository.

Lookup (:func:`translations`) loads those small files lazily, once per process
(thread-safe), and pivots through English when a pair has no dictionary.
If setup never ran or failed, every lookup returns ``{}``: the feature is off,
nothing breaks.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from qa.settings import cache_dir

#: Bump when the parser changes: packages are downloaded and parsed again.
RAW_VERSION = 2
#: Bump when the merged pair files or stopwords change: they are rebuilt from the raw files.
FORMAT_VERSION = 4

#: Languages ``--setup`` covers by default: the corpus languages (de, en, nl)
#: and the question languages we expect.
DEFAULT_LANGS = ("en", "de", "nl", "fr", "es", "it", "pl", "ru", "pt", "tr")

#: Translations kept per headword in the cache (first senses first).
MAX_STORED = 8
#: Translations returned per word and target language: more floods BM25 with
#: rare senses of a polysemous word.
MAX_PER_TARGET = 6
#: Words shorter than this are never looked up: they are overwhelmingly
#: function words or abbreviations, and their entries are the noisiest.
MIN_WORD_CHARS = 3
#: Suffix-stripping fallback only for words at least this long.
MIN_FALLBACK_CHARS = 6
#: The fallback keeps a stem of at least this many characters and this share
#: of the word, the headword may add this many characters after the stem, and
#: word and headword together may differ in this many characters — measured on
#: bench/questions.jsonl: looser settings turn names into common words
#: ("Bakoe" → "bakoven" → Backofen, "Aliev" → "alien").
FALLBACK_MIN_STEM = 5
FALLBACK_STEM_PERCENT = 65
FALLBACK_MAX_EXTRA = 3
FALLBACK_MAX_EDIT = 5
#: Translations with more words than this are definitions, not terms.
MAX_ITEM_WORDS = 3
#: First pivot language for pairs without a dictionary entry.
PIVOT = "en"
#: Pivot languages tried at most (each may load two more pair files).
MAX_PIVOTS = 3

#: Closed-class part-of-speech tags (as FreeDict writes them in ``<...>``):
#: a headword whose first entry carries one is a function word.
#: (Interjections are left out: "choroba!", "cholera!" are also nouns.)
_CLOSED_TAGS = frozenset(
    "prep preposition postposition conj conjunction art article det determiner particle ptcl "
    "modal rel pronominaladverb".split()
)
#: Open-class tags: a word carrying one is content, whatever its phrase frequency.
_OPEN_TAGS = frozenset("n v adj vt vi noun verb fem masc neut".split())
#: Share of a language's multi-word dictionary phrases a token must reach to
#: count as a function word ("de" in "pomme de terre": 23 %; "of": 5.7 %) …
STOP_PHRASE_SHARE = 0.015
#: … in at least this fraction of the language's dictionaries, so one
#: dictionary's fondness for "Zatoka X" (gulf names) does not make a stopword.
STOP_PHRASE_SPREAD = 0.75

_PACKAGE_PREFIX = "dict-freedict-"
_DICTD_DIR = "usr/share/dictd"
_B64 = {c: i for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")}

_TAG = re.compile(r"<([^<>\n]*)>")
_BRACKETED = re.compile(r"\[[^\[\]\n]*\]|\([^()\n]*\)|\{[^{}\n]*\}|/[^/\n]*/")
# "1. x", " 2.  x", "I.  <N> 1.  x" (eng-pol) — a numbered sense.
_SENSE = re.compile(r"^\s*(?:[IVX]+\.\s+)?(?:<[^<>\n]*>\s*)*\d+\.\s+(\S.*)$")
_TRAILING_SENSE = re.compile(r"\s+\d+\.\s*$")  # WikDict's "alto 2." rendering
# Leading "II.", "<N>", "3.", "a." markers (eng-pol numbers senses and sub-senses).
_LEADING_MARKS = re.compile(r"^\s*(?:[IVX]+\.\s+)?(?:<[^<>\n]*>\s*)*(?:\d+\.\s+)?(?:[a-h]\.\s+)?")
_WORD = re.compile(r"\w+(?:[-'’]\w+)*")


# --------------------------------------------------------------------------- codes


def iso3(code: str) -> str | None:
    """FreeDict's ISO 639-3 name for an ISO 639-1 code (``"de"`` → ``"deu"``), via pycountry."""
    import pycountry

    lang = pycountry.languages.get(alpha_2=code.lower())
    return lang.alpha_3 if lang is not None else None


def iso1(code3: str) -> str | None:
    """ISO 639-1 code for a FreeDict ISO 639-3 name (``"deu"`` → ``"de"``); None if it has none."""
    import pycountry

    lang = pycountry.languages.get(alpha_3=code3.lower())
    return getattr(lang, "alpha_2", None) if lang is not None else None


# --------------------------------------------------------------------------- dictd parsing


def b64_number(text: str) -> int:
    """Decode dictd's base64 integers (most significant digit first, no padding)."""
    value = 0
    for ch in text:
        value = value * 64 + _B64[ch]
    return value


def read_dictd(index_path: Path, dict_path: Path) -> Iterator[tuple[str, str]]:
    """Yield ``(headword, entry text)`` in index order from a dictd pair.

    ``.dict.dz`` is dictzip, a gzip variant with random-access chunks; reading
    it whole with :mod:`gzip` is simpler and fast enough at set-up time.
    Metadata entries (``00databaseinfo`` …) and blank headwords are skipped.
    """
    opener = gzip.open if dict_path.suffix == ".dz" else open
    with opener(dict_path, "rb") as fh:
        data = fh.read()
    with open(index_path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 3:
                continue
            head = parts[0].strip()
            if not head or head.startswith(("00database", "00-database")):
                continue
            try:
                start, length = b64_number(parts[1]), b64_number(parts[2])
            except KeyError:
                continue
            yield head, data[start : start + length].decode("utf-8", errors="replace")


def _tags(line: str) -> set[str]:
    return {t for m in _TAG.findall(line) for t in re.split(r"[\s,;]+", m.lower()) if t}


def _is_closed(tags: set[str]) -> bool:
    return any(t in _CLOSED_TAGS or "pron" in t for t in tags)


def _is_open(tags: set[str]) -> bool:
    return not _is_closed(tags) and any(t in _OPEN_TAGS for t in tags)


def clean_items(line: str) -> list[str]:
    """Target terms of one translation line, without tags, notes or numbering.

    ``" [fig.] Grenze <fem> [einschränkende] , Schranke <fem>"`` → ``["Grenze", "Schranke"]``.
    Items longer than :data:`MAX_ITEM_WORDS` words are glosses and are dropped.
    """
    line = _TRAILING_SENSE.sub("", _LEADING_MARKS.sub("", line))
    line = _TAG.sub(" ", line)
    for _ in range(3):  # nested brackets: "([+ dat])"
        stripped = _BRACKETED.sub(" ", line)
        if stripped == line:
            break
        line = stripped
    items = []
    for raw in re.split(r"[,;]", line):
        item = " ".join(raw.split()).strip(" .:!?\"'“”„«»")
        if not item or len(item) > 60 or not any(ch.isalpha() for ch in item):
            continue
        if len(item.split()) > MAX_ITEM_WORDS or "..." in item or "…" in item:
            continue
        items.append(item)
    return items


def parse_entry(text: str) -> tuple[list[str], set[str]]:
    """``(translations, part-of-speech tags)`` of one dictd entry.

    FreeDict renders entries in a few layouts; the rules that cover all of them:
    the first line is the headword (with /pronunciation/ and <tags>); lines
    indented three or more spaces are examples, notes and synonyms (Ding);
    if the first body line starts a numbered sense, every numbered line is a
    sense's translations, otherwise only the first body line is — later lines
    are source-language glosses (WikDict) or numbered glosses (nld-pol).
    """
    lines = text.split("\n")
    tags = _tags(lines[0])
    body = [
        ln
        for ln in lines[1:]
        if ln.strip() and not ln.startswith("   ") and not ln.lstrip().startswith(("see:", "Synonym"))
    ]
    if not body:
        return [], tags
    tags |= _tags(body[0])
    if _SENSE.match(body[0]):
        sense_lines = [m.group(1) for ln in body if (m := _SENSE.match(ln))]
    else:
        sense_lines = [body[0]]
    items: list[str] = []
    for ln in sense_lines:
        for item in clean_items(ln):
            if item not in items:
                items.append(item)
    return items, tags


def key(word: str) -> str:
    """Lookup key of a headword or question word: casefolded, NFKC, trimmed.

    NFKC, not NFC: the Dutch dictionaries spell one word in six with the
    ligature "ĳ" (krĳg, afwĳzing), which articles and questions never use.
    """
    return unicodedata.normalize("NFKC", word).casefold().strip()


def _compat(term: str) -> str:
    """A stored translation in the form articles use (ligatures and full-width letters unfolded)."""
    return unicodedata.normalize("NFKC", term)


def plain(word: str) -> str:
    """``key`` without diacritics, for the inflection fallback ("negociaciones" ~ "negociación")."""
    decomposed = unicodedata.normalize("NFD", key(word))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@dataclass
class ParsedDict:
    """One package's content: single-word headwords → translations, plus phrase statistics."""

    entries: dict[str, list[str]] = field(default_factory=dict)
    #: Headwords whose first entry has a closed-class tag (preposition, pronoun …).
    function_words: set[str] = field(default_factory=set)
    #: Headwords whose first entry has an open-class tag (noun, verb, adjective).
    content_words: set[str] = field(default_factory=set)
    #: Target words → how many closed- / open-class headwords they translate,
    #: which carries part of speech over to languages that are only ever targets
    #: (Russian "в" translates "in", "dans", "w": a function word; "язык" translates nouns).
    tgt_closed: Counter = field(default_factory=Counter)
    tgt_open: Counter = field(default_factory=Counter)
    #: Token → number of multi-word phrases containing it, per side.
    src_phrase_tokens: Counter = field(default_factory=Counter)
    tgt_phrase_tokens: Counter = field(default_factory=Counter)
    src_phrases: int = 0
    tgt_phrases: int = 0

    def to_json(self) -> dict:
        top = 400  # only frequent tokens matter for stopword detection
        src_top = dict(self.src_phrase_tokens.most_common(top))
        tgt_top = dict(self.tgt_phrase_tokens.most_common(top))
        keep = set(self.tgt_closed) | set(tgt_top)
        return {
            "version": RAW_VERSION,
            "entries": self.entries,
            "function_words": sorted(self.function_words),
            "content_words": sorted(self.content_words & set(src_top)),
            "tgt_closed": dict(self.tgt_closed),
            "tgt_open": {w: n for w, n in self.tgt_open.items() if w in keep},
            "src_phrase_tokens": src_top,
            "tgt_phrase_tokens": tgt_top,
            "src_phrases": self.src_phrases,
            "tgt_phrases": self.tgt_phrases,
        }

    @classmethod
    def from_json(cls, obj: dict) -> ParsedDict:
        return cls(
            entries=obj["entries"],
            function_words=set(obj["function_words"]),
            content_words=set(obj["content_words"]),
            tgt_closed=Counter(obj["tgt_closed"]),
            tgt_open=Counter(obj["tgt_open"]),
            src_phrase_tokens=Counter(obj["src_phrase_tokens"]),
            tgt_phrase_tokens=Counter(obj["tgt_phrase_tokens"]),
            src_phrases=obj["src_phrases"],
            tgt_phrases=obj["tgt_phrases"],
        )


def parse_dictd(index_path: Path, dict_path: Path) -> ParsedDict:
    """Parse a dictd pair into a :class:`ParsedDict` (entries of one headword merged in order)."""
    out = ParsedDict()
    seen_heads: set[str] = set()
    seen_items: set[str] = set()
    for head, text in read_dictd(index_path, dict_path):
        k = key(head)
        items, tags = parse_entry(text)
        first_entry = k not in seen_heads
        seen_heads.add(k)
        if " " in k:
            if first_entry:
                out.src_phrases += 1
                out.src_phrase_tokens.update(set(_WORD.findall(k)))
            continue
        if first_entry:
            single = [key(i) for i in items if " " not in i]
            if _is_closed(tags):
                out.function_words.add(k)
                out.tgt_closed.update(single)
            elif _is_open(tags):
                out.content_words.add(k)
                out.tgt_open.update(single)
        if items:
            bucket = out.entries.setdefault(k, [])
            for item in items:
                if len(bucket) >= MAX_STORED:
                    break
                if item not in bucket:
                    bucket.append(item)
        for item in items:
            if " " in item and item not in seen_items:
                seen_items.add(item)
                out.tgt_phrases += 1
                out.tgt_phrase_tokens.update(set(_WORD.findall(key(item))))
    return out


# --------------------------------------------------------------------------- set-up


def dict_root() -> Path:
    """``<cache>/dicts``: converted dictionaries live beside the project's other caches."""
    return cache_dir() / "dicts"


def _save_json(path: Path, obj: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + f".{os.getpid()}.tmp")
    with gzip.open(tmp, "wt", encoding="utf-8", compresslevel=6) as fh:
        json.dump(obj, fh, ensure_ascii=False, separators=(",", ":"))
    os.replace(tmp, path)  # readers never see a half-written file


def _save_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + f".{os.getpid()}.tmp")
    tmp.write_bytes(gzip.compress(data, 6))
    os.replace(tmp, path)


def _load_json(path: Path) -> dict:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return json.load(fh)


class SetupError(RuntimeError):
    """Dictionaries cannot be fetched here (no apt, offline …); lookups stay off."""


def available_pairs() -> set[tuple[str, str]]:
    """ISO 639-3 ``(src, tgt)`` pairs that apt can download (``apt-cache pkgnames``)."""
    if shutil.which("apt-cache") is None:
        raise SetupError("apt-cache not found (not a Debian/Ubuntu system)")
    proc = subprocess.run(
        ["apt-cache", "pkgnames", _PACKAGE_PREFIX], capture_output=True, text=True, timeout=60, check=False
    )
    pairs = set()
    for name in proc.stdout.split():
        parts = name[len(_PACKAGE_PREFIX) :].split("-")
        if len(parts) == 2 and all(len(p) == 3 for p in parts):
            pairs.add((parts[0], parts[1]))
    if not pairs:
        raise SetupError("apt knows no dict-freedict-* packages (run 'apt-get update' or check sources)")
    return pairs


def _download(packages: list[str], workdir: Path) -> list[Path]:
    """``apt-get download`` (no root needed) of ``packages`` into ``workdir``; the .deb files."""
    if shutil.which("apt-get") is None or shutil.which("dpkg-deb") is None:
        raise SetupError("apt-get/dpkg-deb not found")
    workdir.chmod(0o755)  # lets apt's sandbox user write there when run as root
    proc = subprocess.run(
        ["apt-get", "download", "-q", *packages], cwd=workdir, capture_output=True, text=True, timeout=1800, check=False
    )
    debs = sorted(workdir.glob("*.deb"))
    if proc.returncode != 0 and not debs:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise SetupError("apt-get download failed: " + " | ".join(tail))
    return debs


def _convert_deb(deb: Path, workdir: Path) -> dict[tuple[str, str], ParsedDict]:
    """Extract one .deb with ``dpkg-deb -x`` and parse every dictd pair inside it."""
    target = workdir / (deb.stem + ".x")
    subprocess.run(["dpkg-deb", "-x", str(deb), str(target)], check=True, capture_output=True, timeout=600)
    out = {}
    for index in sorted((target / _DICTD_DIR).glob("freedict-*.index")):
        pair = index.name[len("freedict-") : -len(".index")].split("-")
        dz = index.with_name(index.name[: -len(".index")] + ".dict.dz")
        plain_dict = index.with_name(index.name[: -len(".index")] + ".dict")
        dict_path = dz if dz.exists() else plain_dict
        if len(pair) == 2 and dict_path.exists():
            out[(pair[0], pair[1])] = parse_dictd(index, dict_path)
    shutil.rmtree(target, ignore_errors=True)
    return out


def _raw_path(src3: str, tgt3: str) -> Path:
    return dict_root() / "raw" / f"{src3}-{tgt3}.json.gz"


def _pair_path(src: str, tgt: str) -> Path:
    return dict_root() / f"{src}-{tgt}.tsv.gz"


def _raw_ok(path: Path) -> bool:
    if not path.exists():
        return False
    try:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            head = fh.read(40)
    except OSError:
        return False
    return f'"version":{RAW_VERSION},' in head


def _merge_pair(direct: ParsedDict | None, inverse: ParsedDict | None) -> dict[str, list[str]]:
    """src → tgt lookup: the direct dictionary first, then the inverted opposite one.

    Inverting tgt→src gives, for a src word, every tgt headword that lists it;
    those are ranked by the sense position at which the src word appeared
    (first sense first), so common readings come before rare ones.
    """
    merged: dict[str, list[str]] = {}
    if direct is not None:
        for head, items in direct.entries.items():
            bucket = merged.setdefault(key(head), [])  # "krĳg" and "krijg" are one headword
            bucket.extend(t for t in map(_compat, items) if t not in bucket)
            del bucket[MAX_STORED:]
    if inverse is not None:
        ranked: dict[str, list[tuple[int, str]]] = {}
        for tgt_head, items in inverse.entries.items():
            for pos, item in enumerate(items):
                k = key(item)
                if " " in k:
                    continue
                ranked.setdefault(k, []).append((pos, tgt_head))
        for src_word, cands in ranked.items():
            bucket = merged.setdefault(src_word, [])
            if len(bucket) >= MAX_STORED:
                continue
            have = {key(b) for b in bucket}
            for _, tgt_head in sorted(cands, key=lambda c: c[0]):
                if len(bucket) >= MAX_STORED:
                    break
                tgt_head = _compat(tgt_head)
                if tgt_head not in have:
                    have.add(tgt_head)
                    bucket.append(tgt_head)
    return merged


def _stopwords(lang3: str, raws: dict[tuple[str, str], ParsedDict]) -> list[str]:
    """A language's function words, learned from its dictionaries (no word lists).

    Three signals: headwords tagged with a closed part of speech; words that
    mostly translate closed-class headwords of other languages (for languages
    that are only ever targets, like Russian here); and tokens found in more
    than :data:`STOP_PHRASE_SHARE` of the language's multi-word phrases in
    most of its dictionaries ("de", "à", "of", "się"), unless clearly a
    content word: the translation of three or more nouns/verbs and of at most
    half as many function words (Russian "язык" is in every "X язык" language
    name; Spanish "del" is tagged as a noun only twice).
    """
    stop: set[str] = set()
    content: set[str] = set()
    closed: Counter = Counter()
    opened: Counter = Counter()
    counts: Counter = Counter()
    strong: Counter = Counter()  # in how many dictionaries a token passes the share
    phrases = dicts = 0
    for (s, t), parsed in raws.items():
        sides = []
        if s == lang3:
            stop |= parsed.function_words
            content |= parsed.content_words
            sides.append((parsed.src_phrase_tokens, parsed.src_phrases))
        if t == lang3:
            closed.update(parsed.tgt_closed)
            opened.update(parsed.tgt_open)
            sides.append((parsed.tgt_phrase_tokens, parsed.tgt_phrases))
        for tokens, n in sides:
            counts.update(tokens)
            phrases += n
            if n >= 100:
                dicts += 1
                strong.update(w for w, c in tokens.items() if c / n >= STOP_PHRASE_SHARE)
    stop |= {w for w, c in closed.items() if c >= 2 and c >= opened[w]}
    opened.update(content)  # a source-side noun/verb tag counts as one more vote
    content = {w for w, c in opened.items() if c >= 3 and c > 2 * closed[w]}
    if phrases and dicts:
        stop |= {
            w
            for w, c in counts.items()
            if c / phrases >= STOP_PHRASE_SHARE and strong[w] >= STOP_PHRASE_SPREAD * dicts and w not in content
        }
    return sorted(stop)


@dataclass
class SetupReport:
    """What ``setup`` did, for the command line and for tests."""

    downloaded: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    pairs: list[str] = field(default_factory=list)
    seconds: float = 0.0


def setup(langs: Iterable[str] = DEFAULT_LANGS, *, log=print) -> SetupReport:
    """Fetch and convert every FreeDict package between two of ``langs`` (ISO 639-1).

    Idempotent: packages already parsed under ``<cache>/dicts/raw`` are not
    downloaded again, so a second run only rebuilds the merged pair files
    (a few seconds) — and skips even that when they are newer than the raw files.
    Raises :class:`SetupError` when apt is unusable.
    """
    t0 = time.perf_counter()
    report = SetupReport()
    codes = {c: iso3(c) for c in dict.fromkeys(c.strip().lower() for c in langs if c.strip())}
    unknown = [c for c, c3 in codes.items() if c3 is None]
    if unknown:
        log(f"dictionary: unknown language codes ignored: {', '.join(unknown)}")
    by3 = {c3: c for c, c3 in codes.items() if c3}
    wanted = sorted(p for p in available_pairs() if p[0] in by3 and p[1] in by3)
    missing = [p for p in wanted if not _raw_ok(_raw_path(*p))]
    report.reused = [f"{s}-{t}" for s, t in wanted if (s, t) not in missing]
    if missing:
        log(f"dictionary: downloading {len(missing)} FreeDict packages ({', '.join(f'{s}-{t}' for s, t in missing)})")
        with tempfile.TemporaryDirectory(prefix="qa-freedict-") as tmp:
            work = Path(tmp)
            debs = _download([f"{_PACKAGE_PREFIX}{s}-{t}" for s, t in missing], work)
            for deb in debs:
                try:
                    for pair, parsed in _convert_deb(deb, work).items():
                        _save_json(_raw_path(*pair), parsed.to_json())
                        report.downloaded.append("-".join(pair))
                        log(f"dictionary:   {'-'.join(pair)}: {len(parsed.entries)} headwords")
                except (subprocess.SubprocessError, OSError, ValueError) as exc:
                    report.failed.append(f"{deb.name}: {exc}")
                deb.unlink(missing_ok=True)
    report.failed += [f"{s}-{t}: not downloaded" for s, t in wanted if not _raw_ok(_raw_path(s, t))]
    _build_pairs(report, log)
    report.seconds = time.perf_counter() - t0
    return report


def _build_pairs(report: SetupReport, log) -> None:
    """Write ``<src>-<tgt>.tsv.gz`` for every ordered pair with a direct or opposite dictionary.

    Built from *all* parsed packages in the cache (not only this run's
    languages), so a later ``--setup --langs fr de`` never drops pairs or
    stopwords an earlier, wider set-up produced.
    """
    raw_files = {}
    for f in sorted((dict_root() / "raw").glob("*-*.json.gz")):
        pair = tuple(f.name.split(".")[0].split("-"))
        if len(pair) == 2 and all(iso1(c) for c in pair) and _raw_ok(f):
            raw_files[pair] = f
    by3 = {c: iso1(c) for p in raw_files for c in p}
    newest_raw = max((f.stat().st_mtime for f in raw_files.values()), default=0.0)
    langs3 = sorted({c for p in raw_files for c in p})
    todo = []
    for s in langs3:
        for t in langs3:
            if s != t and ((s, t) in raw_files or (t, s) in raw_files):
                todo.append((s, t))
    stop_path = dict_root() / "stopwords.json.gz"
    outputs = [_pair_path(by3[s], by3[t]) for s, t in todo] + [stop_path]
    if outputs and all(o.exists() and o.stat().st_mtime >= newest_raw for o in outputs):
        current = _load_json(stop_path)
        if current.get("version") == FORMAT_VERSION and set(current.get("langs", [])) >= {by3[c] for c in langs3}:
            report.pairs = [f"{by3[s]}-{by3[t]}" for s, t in todo]
            log(f"dictionary: up to date ({len(todo)} language pairs in {dict_root()})")
            return
    for stale in dict_root().glob("??-??.json.gz"):  # format 1 pair files
        stale.unlink(missing_ok=True)
    raws = {p: ParsedDict.from_json(_load_json(f)) for p, f in raw_files.items()}
    for s, t in todo:
        _save_bytes(_pair_path(by3[s], by3[t]), _encode_pair(_merge_pair(raws.get((s, t)), raws.get((t, s)))))
        report.pairs.append(f"{by3[s]}-{by3[t]}")
    stop = {by3[c]: _stopwords(c, raws) for c in langs3}
    _save_json(stop_path, {"version": FORMAT_VERSION, "langs": sorted(stop), "stopwords": stop})
    log(f"dictionary: wrote {len(todo)} language pairs to {dict_root()}")


# --------------------------------------------------------------------------- lookup


class _Pair:
    """One src→tgt lookup held as sorted ``plain\thead\tterm\tterm…`` lines in one bytes object.

    Why not a dict: the German→English file has 275k headwords, and building
    a Python dict (or JSON-decoding one) of that size takes most of a second;
    binary search over the decompressed bytes needs no per-entry objects, so
    loading costs one gunzip (tens of ms) and a lookup ~20 probes. Lines are
    sorted by the diacritic-free key, so the exact, accent-blind and
    prefix (inflection) lookups are all one search.
    """

    def __init__(self, data: bytes):
        self.data = data

    def _lower_bound(self, target: bytes) -> int:
        """Byte offset of the first line whose first field is ``>= target``."""
        data = self.data
        lo, hi = 0, len(data)
        while lo < hi:
            mid = (lo + hi) // 2
            start = data.rfind(b"\n", 0, mid) + 1
            end = data.find(b"\n", start)
            if end < 0:
                end = len(data)
            tab = data.find(b"\t", start, end)
            field_ = data[start : tab if tab >= 0 else end]
            if field_ < target:
                lo = end + 1
            else:
                hi = start
        return lo

    def _lines(self, prefix: str, limit: int = 400) -> Iterator[list[str]]:
        """Lines whose plain key starts with ``prefix``, as ``[plain, head, term, ...]``."""
        data, pre = self.data, prefix.encode("utf-8")
        pos = self._lower_bound(pre)
        for _ in range(limit):
            if pos >= len(data) or not data.startswith(pre, pos):
                return
            end = data.find(b"\n", pos)
            if end < 0:
                end = len(data)
            yield data[pos:end].decode("utf-8").split("\t")
            pos = end + 1

    def get(self, word: str, fallback: bool = True) -> list[str]:
        """Terms for ``word`` (a :func:`key`); an inflected form falls back to its nearest headword.

        Exact headword first, then the same letters without diacritics. The
        fallback (words of :data:`MIN_FALLBACK_CHARS`+ characters) shortens the
        word one character at a time down to a stem of :data:`FALLBACK_MIN_STEM`
        characters and :data:`FALLBACK_STEM_PERCENT` % of it, and takes the
        headword with the shortest ending after that stem within the
        ``FALLBACK_MAX_*`` limits ("negociaciones" → "negociación",
        "границы" → "граница"); a single headword, so a miss never floods.
        """
        p = plain(word)
        if not p:
            return []
        same = [ln for ln in self._lines(p) if ln[0] == p]
        for ln in same:
            if ln[1] == word:
                return ln[2:]
        if same:
            return same[0][2:]
        if not fallback or len(p) < MIN_FALLBACK_CHARS:
            return []
        min_stem = max(FALLBACK_MIN_STEM, -(-len(p) * FALLBACK_STEM_PERCENT // 100))
        data = self.data
        for n in range(len(p) - 1, min_stem - 1, -1):
            stem = p[:n].encode("utf-8")
            pos = self._lower_bound(stem)
            best_pos, best_len = -1, 0
            for _ in range(200):  # lines sharing the stem; a common stem is cut short
                if pos >= len(data) or not data.startswith(stem, pos):
                    break
                tab = data.find(b"\t", pos)
                extra = len(data[pos:tab].decode("utf-8")) - n
                if extra <= FALLBACK_MAX_EXTRA and len(p) - n + extra <= FALLBACK_MAX_EDIT and (
                    best_pos < 0 or extra < best_len
                ):
                    best_pos, best_len = pos, extra
                pos = data.find(b"\n", pos) + 1 or len(data)
            if best_pos >= 0:
                end = data.find(b"\n", best_pos)
                return data[best_pos : end if end >= 0 else len(data)].decode("utf-8").split("\t")[2:]
        return []


def _encode_pair(entries: dict[str, list[str]]) -> bytes:
    """The sorted-lines form :class:`_Pair` searches (tabs and newlines cannot occur in terms)."""
    rows = []
    for head, items in entries.items():
        terms = [" ".join(t.split()) for t in items[:MAX_STORED] if t.strip()]
        if terms and "\t" not in head and "\n" not in head:
            rows.append("\t".join([plain(head), head, *terms]))
    rows.sort(key=lambda r: r.encode("utf-8"))
    return ("\n".join(rows) + "\n").encode("utf-8")


class Dictionaries:
    """Lazily loaded pair files and stopwords under one folder; safe to share between threads."""

    def __init__(self, root: Path | None = None):
        self.root = root or dict_root()
        self._pairs: dict[tuple[str, str], _Pair | None] = {}
        self._stop: dict[str, frozenset[str]] | None = None
        self._files: dict[tuple[str, str], int] | None = None
        self._pivot_cache: dict[tuple[str, str], list[str]] = {}
        self._lock = threading.Lock()

    def pair(self, src: str, tgt: str) -> _Pair | None:
        """The src→tgt lookup, or None when no dictionary covers the pair (or set-up never ran)."""
        k = (src, tgt)
        if k in self._pairs:
            return self._pairs[k]
        if k not in self._sizes():
            return None
        with self._lock:
            if k not in self._pairs:
                loaded = None
                try:
                    with gzip.open(self.root / f"{src}-{tgt}.tsv.gz", "rb") as fh:
                        loaded = _Pair(fh.read())
                except (OSError, EOFError):
                    loaded = None
                self._pairs[k] = loaded
        return self._pairs[k]

    def _sizes(self) -> dict[tuple[str, str], int]:
        """Pair files present (listed once: set-up runs in another process, before us)."""
        if self._files is None:
            with self._lock:
                if self._files is None:
                    files = {}
                    for f in self.root.glob("*-*.tsv.gz"):
                        pair = f.name.split(".")[0].split("-")
                        if len(pair) == 2:
                            files[(pair[0], pair[1])] = f.stat().st_size
                    self._files = files
        return self._files

    def languages(self) -> set[str]:
        """ISO 639-1 codes that have at least one pair file here."""
        return {c for pair in self._sizes() for c in pair}

    def stopwords(self, lang: str) -> frozenset[str]:
        """Function words of ``lang`` learned at set-up (see :func:`_stopwords`); empty if unknown."""
        if self._stop is None:
            with self._lock:
                if self._stop is None:
                    stop: dict[str, frozenset[str]] = {}
                    try:
                        obj = _load_json(self.root / "stopwords.json.gz")
                        if obj.get("version") == FORMAT_VERSION:
                            stop = {lang: frozenset(ws) for lang, ws in obj["stopwords"].items()}
                    except (OSError, ValueError, EOFError):
                        pass
                    self._stop = stop
        return self._stop.get(lang, frozenset())

    def available(self) -> bool:
        """True when set-up has produced at least one pair file here."""
        return bool(self._sizes())

    def _pivots(self, src: str, tgt: str) -> list[str]:
        """Languages to go through when src→tgt has no entry: English first, then the
        others with the largest src→X files (larger dictionaries know more words)."""
        k = (src, tgt)
        if k not in self._pivot_cache:
            sizes = self._sizes()
            cands = sorted(
                (lang != PIVOT, -sizes[(src, lang)], lang)
                for lang in self.languages() - {src, tgt}
                if (src, lang) in sizes and (lang, tgt) in sizes
            )
            self._pivot_cache[k] = [lang for *_, lang in cands][:MAX_PIVOTS]
        return self._pivot_cache[k]

    def lookup(self, word: str, src: str, tgt: str) -> list[str]:
        """Up to :data:`MAX_PER_TARGET` ``tgt`` terms for one ``src`` word (no stopword filtering).

        The direct (or inverted) dictionary first; when it has no entry, go
        through a pivot language (English first; a second language covers
        pairs like ru→en whose only direct dictionary is tiny), interleaving
        the pivot words' translations so each sense contributes before any
        contributes twice.
        """
        k = key(word)
        if src == tgt or not k:
            return []
        direct = self.pair(src, tgt)
        if direct is not None:
            found = direct.get(k)
            if found:
                return _dedupe(found, MAX_PER_TARGET)
        for pivot in self._pivots(src, tgt):
            first, second = self.pair(src, pivot), self.pair(pivot, tgt)
            if first is None or second is None:
                continue
            columns = [second.get(key(e), fallback=False) for e in first.get(k)[:MAX_PER_TARGET]]
            interleaved = [col[i] for i in range(MAX_STORED) for col in columns if i < len(col)]
            if interleaved:
                return _dedupe(interleaved, MAX_PER_TARGET)
        return []

    def translations(self, words: list[str], src: str, targets: Iterable[str]) -> dict[str, list[str]]:
        """See the module-level :func:`translations`."""
        src = src.lower()
        tgts = sorted({t.lower() for t in targets} - {src})
        stop = self.stopwords(src)
        out: dict[str, list[str]] = {}
        for word in words:
            k = key(word)
            if word in out or len(k) < MIN_WORD_CHARS or k in stop or not any(ch.isalpha() for ch in k):
                continue
            found: list[str] = []
            for tgt in tgts:
                for item in self.lookup(k, src, tgt):
                    if item not in found:
                        found.append(item)
            if found:
                out[word] = found
        return out


def _dedupe(items: list[str], limit: int) -> list[str]:
    out: list[str] = []
    seen: set[str] = set()
    for item in items:
        k = key(item)
        if k not in seen:
            seen.add(k)
            out.append(item)
            if len(out) >= limit:
                break
    return out


_DEFAULT: Dictionaries | None = None
_DEFAULT_LOCK = threading.Lock()


def default() -> Dictionaries:
    """The process-wide :class:`Dictionaries` over ``<cache>/dicts`` (created on first use)."""
    global _DEFAULT
    if _DEFAULT is None:
        with _DEFAULT_LOCK:
            if _DEFAULT is None:
                _DEFAULT = Dictionaries()
    return _DEFAULT


def translations(words: list[str], src: str, targets: set[str]) -> dict[str, list[str]]:
    """Dictionary translations of question words into the corpus languages.

    ``words``: question words as written; ``src``: their ISO 639-1 language;
    ``targets``: ISO 639-1 languages wanted (``src`` itself is ignored).
    Returns ``{word: [term, ...]}`` keyed by the *original* word, only for words
    that got at least one translation; each list is deduplicated, first senses
    first, at most :data:`MAX_PER_TARGET` terms per target language, target
    languages in sorted order. Terms keep the dictionary's spelling (German
    nouns capitalised) and may be short phrases of up to
    :data:`MAX_ITEM_WORDS` words ("state border") — tokenise them as you
    tokenise documents. Words shorter than :data:`MIN_WORD_CHARS` characters
    and the language's function words are skipped. Returns ``{}`` when the
    dictionaries are not set up (``python -m qa.text.dictionary --setup``).
    """
    return default().translations(words, src, targets)


# --------------------------------------------------------------------------- command line


def main(argv: list[str] | None = None) -> int:
    """``python -m qa.text.dictionary --setup [--langs en de ...]`` or ``WORD... --src fr --to de en``."""
    parser = argparse.ArgumentParser(prog="python -m qa.text.dictionary", description=__doc__.split("\n")[0])
    parser.add_argument("--setup", action="store_true", help="fetch and convert FreeDict dictionaries")
    parser.add_argument("--langs", nargs="+", default=list(DEFAULT_LANGS), help="ISO 639-1 codes for --setup")
    parser.add_argument("--src", default="en", help="language of WORDs")
    parser.add_argument("--to", nargs="+", default=["de", "en", "nl"], help="target languages")
    parser.add_argument("words", nargs="*", help="words to translate")
    args = parser.parse_args(argv)
    if args.setup:
        try:
            report = setup(args.langs)
        except (SetupError, OSError, subprocess.SubprocessError) as exc:
            print(f"dictionary: set-up skipped, cross-language term lookup stays off: {exc}", file=sys.stderr)
            return 1
        for failure in report.failed:
            print(f"dictionary: FAILED {failure}", file=sys.stderr)
        print(
            f"dictionary: {len(report.downloaded)} packages converted, {len(report.reused)} reused, "
            f"{len(report.pairs)} language pairs ready in {report.seconds:.1f} s"
        )
        return 0 if not report.failed else 1
    if not args.words:
        parser.print_help()
        return 2
    result = translations(args.words, args.src, set(args.to))
    for word in args.words:
        print(f"{word}: {', '.join(result.get(word, [])) or '-'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
