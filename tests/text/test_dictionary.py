"""Bilingual term lookup (qa/text/dictionary.py).

The dictd parser, the pair merge, the lookup rules and the set-up pipeline
are tested on tiny synthetic dictionaries written here in real dictd format,
so they run everywhere. Tests against the real FreeDict data run only where
``python -m qa.text.dictionary --setup`` has been done (otherwise skipped, with
the reason).
"""

from __future__ import annotations

import gzip
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest

from qa.text import dictionary as qd

_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def b64(n: int) -> str:
    digits = ""
    while True:
        digits = _B64[n % 64] + digits
        n //= 64
        if n == 0:
            return digits


def write_dictd(folder: Path, name: str, entries: list[tuple[str, str]]) -> tuple[Path, Path]:
    """A real dictd pair: ``<name>.index`` (headword, base64 offset, base64 length) and gzip'd ``<name>.dict.dz``."""
    folder.mkdir(parents=True, exist_ok=True)
    body = b""
    index_lines = []
    for head, text in entries:
        raw = text.encode("utf-8")
        index_lines.append(f"{head}\t{b64(len(body))}\t{b64(len(raw))}\n")
        body += raw
    index = folder / f"{name}.index"
    index.write_text("".join(index_lines), encoding="utf-8")
    dz = folder / f"{name}.dict.dz"
    dz.write_bytes(gzip.compress(body))
    return index, dz


# Entries in the layouts FreeDict really uses (copied in shape from Debian's packages).
FRA_DEU = [
    ("00databaseinfo", "français-Deutsch FreeDict+WikDict dictionary\n"),
    ("frontière", "frontière /fʁɔ̃.tjɛʁ/ <n, fem>\n1. Grenze, Schranke\nLimite d’un état\n2. Grenze, Gemerke\nautre\n"),
    ("guerre", "guerre /ɡɛʁ/ <n, fem>\nKrieg\nLutte armée entre États\n"),
    ("négociation", "négociation /ne.ɡɔ.sja.sjɔ̃/ <n, fem>\nVerhandlung\nAction de négocier\n"),
    ("pomme de terre", "pomme de terre /pɔm də tɛʁ/ <n, fem>\nKartoffel\n"),
    ("chemin de fer", "chemin de fer /ʃə.mɛ̃ də fɛʁ/ <n, masc>\nEisenbahn\n"),
    ("de", "de /də/ <prep>\nvon, aus\n"),
]
DING = [
    (
        "grenze",
        "Grenze /ɡɾˈɛntsə/ <fem, n, sg>\n [einschränkende] border <n> [fig.]\n"
        '      "Ärzte ohne Grenzen"  - Doctors Without Borders\n   Synonym: {Schranke}\n\n see: {Grenzen}\n',
    ),
    ("grenze", "Grenze /ɡɾˈɛntsə/ <fem, n, sg>\nboundary <n>, bound <n>, boundary line <n>\n         Note: x\n"),
    ("von", "von /fɔn/\nof ([+ dat]) <prep>\n         Note: Zugehörigkeit\n"),
]
ENG_POL = [
    ("border", "border /ˈbɔ:də/\nI.  <N> 1.  granica, pogranicze\n 2.  obramowanie\nII.  <V> 1.  graniczyć\n"),
    ("war", "war /wɔ:/\nI.  <N>  wojna\nII.  <V> 1.  wojować\n"),
]


def test_b64_numbers_are_dictd_integers() -> None:
    assert [qd.b64_number(s) for s in ("A", "B", "BA", "/", "BAA")] == [0, 1, 64, 63, 4096]
    assert all(qd.b64_number(b64(n)) == n for n in (0, 5, 64, 1000, 123456789))


def test_read_dictd_skips_metadata_and_keeps_index_order(tmp_path: Path) -> None:
    index, dz = write_dictd(tmp_path, "freedict-fra-deu", FRA_DEU)
    heads = [h for h, _ in qd.read_dictd(index, dz)]
    assert heads == ["frontière", "guerre", "négociation", "pomme de terre", "chemin de fer", "de"]


def test_parse_entry_layouts() -> None:
    # WikDict: numbered senses, each followed by a source-language gloss that must not leak.
    items, tags = qd.parse_entry(FRA_DEU[1][1])
    assert items == ["Grenze", "Schranke", "Gemerke"] and "n" in tags
    # WikDict, one sense: translation line then gloss.
    assert qd.parse_entry(FRA_DEU[2][1])[0] == ["Krieg"]
    # Ding: tags, bracketed notes, examples, synonyms and "see" lines are dropped.
    assert qd.parse_entry(DING[0][1])[0] == ["border"]
    assert qd.parse_entry(DING[1][1])[0] == ["boundary", "bound", "boundary line"]
    items, tags = qd.parse_entry(DING[2][1])
    assert items == ["of"] and "prep" in tags
    # eng-pol: roman numerals, <N>/<V> tags, indented sense numbers.
    assert qd.parse_entry(ENG_POL[0][1])[0] == ["granica", "pogranicze", "obramowanie", "graniczyć"]
    assert qd.parse_entry(ENG_POL[1][1])[0] == ["wojna"]
    # nld-pol: first line is the translation, the numbered line is a gloss.
    assert qd.parse_entry("zout //zɑu̯t// <adj>\nsłony\n1. zout bevattend of zout smakend\n")[0] == ["słony"]
    # WikDict's broken "alto 2." rendering.
    assert qd.parse_entry("wysoki /vɨˈsɔci/ <adj>\nalto 2.\nmający duży wymiar\n 3.\nx\n")[0] == ["alto"]


def test_clean_items_drops_glosses_and_notes() -> None:
    assert qd.clean_items(" [fig.] Grenze <fem> [einschränkende] , Schranke <fem> [übtr.]") == ["Grenze", "Schranke"]
    assert qd.clean_items("se (pronome)") == ["se"]
    assert qd.clean_items("a very long definition of the word, term") == ["term"]


def test_parse_dictd_single_words_function_words_and_phrase_stats(tmp_path: Path) -> None:
    index, dz = write_dictd(tmp_path, "freedict-fra-deu", FRA_DEU)
    parsed = qd.parse_dictd(index, dz)
    assert parsed.entries["frontière"] == ["Grenze", "Schranke", "Gemerke"]
    assert "pomme de terre" not in parsed.entries  # only single-word headwords are looked up
    assert parsed.function_words == {"de"}
    assert parsed.src_phrases == 2 and parsed.src_phrase_tokens["de"] == 2
    ding_index, ding_dz = write_dictd(tmp_path, "freedict-deu-eng", DING)
    ding = qd.parse_dictd(ding_index, ding_dz)
    assert ding.entries["grenze"] == ["border", "boundary", "bound", "boundary line"]  # entries merged in order
    assert ding.function_words == {"von"}


def test_merge_pair_puts_direct_first_then_inverse_by_sense_rank() -> None:
    direct = qd.ParsedDict(entries={"grens": ["Grenze"]})
    inverse = qd.ParsedDict(entries={"schranke": ["slagboom", "grens"], "grenze": ["grens", "limiet"]})
    merged = qd._merge_pair(direct, inverse)
    assert merged["grens"] == ["Grenze", "schranke"]  # "grenze" already there (case-insensitively)
    assert merged["limiet"] == ["grenze"] and merged["slagboom"] == ["schranke"]


def test_ligatures_are_unfolded() -> None:
    """Dutch FreeDict writes "ĳ" as one letter; articles and questions write "ij"."""
    assert qd.key("Krĳg") == "krijg"
    merged = qd._merge_pair(qd.ParsedDict(entries={"oorlog": ["krĳg"], "krĳg": ["war"]}), None)
    assert merged["oorlog"] == ["krijg"] and merged["krijg"] == ["war"]


def _write_pairs(root: Path, pairs: dict[str, dict[str, list[str]]], stop: dict[str, list[str]]) -> None:
    for name, entries in pairs.items():
        qd._save_bytes(root / f"{name}.tsv.gz", qd._encode_pair(entries))
    qd._save_json(root / "stopwords.json.gz", {"version": qd.FORMAT_VERSION, "langs": list(stop), "stopwords": stop})


@pytest.fixture()
def tiny(tmp_path: Path) -> qd.Dictionaries:
    _write_pairs(
        tmp_path,
        {
            "fr-de": {"frontière": ["Grenze", "Schranke"], "négociation": ["Verhandlung"], "pour": ["für"]},
            "ru-en": {"граница": ["border", "frontier", "boundary"], "война": ["war"]},
            "en-de": {
                "border": ["Grenze", "Rand"],
                "frontier": ["Grenze", "Grenzgebiet"],
                "boundary": ["Begrenzung"],
                "war": ["Krieg"],
            },
            "es-de": {"talk": [f"t{i}" for i in range(10)]},
        },
        {"fr": ["pour"]},
    )
    return qd.Dictionaries(tmp_path)


def test_lookup_direct_pivot_fallback_stopwords_and_fanout(tiny: qd.Dictionaries) -> None:
    out = tiny.translations(["Frontière", "pour", "de", "négociations", "Paris"], "fr", {"de", "fr"})
    assert out == {"Frontière": ["Grenze", "Schranke"], "négociations": ["Verhandlung"]}
    # Russian → German has no dictionary: pivot through English, interleaving senses.
    assert tiny.lookup("границы", "ru", "de") == ["Grenze", "Begrenzung", "Rand", "Grenzgebiet"]
    assert tiny.lookup("война", "ru", "nl") == []  # no ru-en-nl path: nothing, no error
    assert len(tiny.lookup("talk", "es", "de")) == qd.MAX_PER_TARGET
    assert tiny.lookup("negociation", "fr", "de") == ["Verhandlung"]  # diacritics-blind fallback


def test_fallback_does_not_reach_unrelated_words(tiny: qd.Dictionaries) -> None:
    # "front" shares only a 5-letter stem with "frontière": too far to count as an inflection.
    assert tiny.lookup("front", "fr", "de") == []
    assert tiny.lookup("frontières", "fr", "de") == ["Grenze", "Schranke"]


def test_missing_dictionaries_turn_the_feature_off(tmp_path: Path) -> None:
    empty = qd.Dictionaries(tmp_path / "nothing")
    assert not empty.available()
    assert empty.translations(["frontière"], "fr", {"de"}) == {}


def test_concurrent_first_use_loads_once(tiny: qd.Dictionaries) -> None:
    results: list[dict[str, list[str]]] = []

    def work() -> None:
        results.append(tiny.translations(["frontière", "границы"], "fr", {"de"}))

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r == {"frontière": ["Grenze", "Schranke"]} for r in results)


@pytest.mark.skipif(shutil.which("dpkg-deb") is None, reason="dpkg-deb not installed (needs a Debian system)")
def test_setup_pipeline_from_a_real_deb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """download → dpkg-deb -x → parse → merge → stopwords, with a .deb built here instead of apt."""
    pkg = tmp_path / "pkg"
    write_dictd(pkg / "usr/share/dictd", "freedict-fra-deu", FRA_DEU)
    (pkg / "DEBIAN").mkdir()
    (pkg / "DEBIAN/control").write_text(
        "Package: dict-freedict-fra-deu\nVersion: 1.0\nArchitecture: all\nMaintainer: t <t@t>\nDescription: test\n"
    )
    deb = tmp_path / "dict-freedict-fra-deu_1.0_all.deb"
    subprocess.run(["dpkg-deb", "--build", "--root-owner-group", str(pkg), str(deb)], check=True, capture_output=True)

    def fake_download(packages: list[str], workdir: Path) -> list[Path]:
        assert packages == ["dict-freedict-fra-deu"]
        return [Path(shutil.copy(deb, workdir))]

    monkeypatch.setenv("QA_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(qd, "available_pairs", lambda: {("fra", "deu"), ("eng", "rus")})
    monkeypatch.setattr(qd, "_download", fake_download)
    report = qd.setup(["fr", "de"], log=lambda *_: None)
    assert report.downloaded == ["fra-deu"] and not report.failed
    assert sorted(report.pairs) == ["de-fr", "fr-de"]
    d = qd.Dictionaries(tmp_path / "cache" / "dicts")
    assert d.lookup("frontière", "fr", "de") == ["Grenze", "Schranke", "Gemerke"]
    assert d.lookup("Krieg", "de", "fr") == ["guerre"]  # inverse of fra-deu
    assert "de" in d.stopwords("fr")
    again = qd.setup(["fr", "de"], log=lambda *_: None)  # idempotent: nothing downloaded twice
    assert again.downloaded == [] and again.reused == ["fra-deu"]


# --------------------------------------------------------------------------- real FreeDict data

REAL = qd.default()
needs_real = pytest.mark.skipif(
    not REAL.available(), reason="FreeDict dictionaries not set up here (run: python -m qa.text.dictionary --setup)"
)


@needs_real
@pytest.mark.parametrize(
    ("word", "src", "tgt", "expected"),
    [
        ("frontière", "fr", "de", "Grenze"),
        ("negociaciones", "es", "de", "Verhandlung"),
        ("граница", "ru", "en", "border"),
        ("granica", "pl", "en", "border"),
        ("grens", "nl", "de", "Grenze"),
        ("guerra", "it", "de", "Krieg"),
        ("границы", "ru", "de", "Grenze"),
    ],
)
def test_real_dictionaries(word: str, src: str, tgt: str, expected: str) -> None:
    got = qd.translations([word], src, {tgt})
    assert expected.casefold() in {t.casefold() for t in got.get(word, [])}, got


@needs_real
def test_real_function_words_are_skipped_and_lookup_is_fast() -> None:
    words = "Quelle est la frontière entre les deux pays après les négociations de paix".split()
    qd.translations(words, "fr", {"de", "en", "nl"})  # load
    t0 = time.perf_counter()
    out = qd.translations(words, "fr", {"de", "en", "nl"})
    assert time.perf_counter() - t0 < 0.05
    assert "frontière" in out and "la" not in out and "les" not in out and "de" not in out
    assert all(len(v) <= 3 * qd.MAX_PER_TARGET for v in out.values())
