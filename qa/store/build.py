"""Build or update the index from the corpus folder, incrementally.

Only articles whose bytes changed are re-read, re-chunked and re-embedded;
the vectors of unchanged articles are carried over from the current
generation. A different model or chunking set-up (the manifest's signature)
forces a full rebuild, so vectors from different models are never mixed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from qa import store
from qa.embed.align import TokenStates, quantise, token_encoding
from qa.embed.encoders import get_embedder
from qa.errors import CorpusError, IndexCorruptError, QAError
from qa.ingest.chunk import embed_text, lexical_text, windows
from qa.ingest.load import LoadedArticle, content_key, file_digest, list_article_files, read_article
from qa.ingest.sentences import split_sentences
from qa.settings import Settings, index_location, int8_flavour
from qa.store.lexical import LexicalIndex
from qa.store.vectors import VectorIndex
from qa.text.dictionary import default as dictionaries
from qa.types import Article, BuildSummary, Chunk, Skipped

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]


def index_signature(settings: Settings) -> dict[str, object]:
    """The settings an index depends on; a mismatch forces a rebuild."""
    # Compound splitting and stopwords read the dictionaries: an index built
    # without them is rebuilt once they are set up.
    return {
        "model": settings.model,
        "models": list(settings.models),
        "chunking": asdict(settings.chunking),
        "lexical": 6,
        "metadata": 4,  # datelines and agency credits of many languages (3: where date and outlet are written)
        "align_layer": settings.align_layer,
        "int8": int8_flavour() if settings.int8 else False,  # the fused int8 graph (qa/embed/int8.py build_encoder)
        "dictionaries": dictionaries().available(),
        "token_states": token_encoding(),  # PQ codes of one codebook (qa/embed/align.py)
    }


@contextmanager
def _embedders(ray: str | None, settings: Settings) -> Iterator[Callable[[str], Any]]:
    """What embeds a model's texts: the in-process encoder, or actors on Ray (started only if something is embedded)."""
    if ray is None:
        yield get_embedder
        return
    from qa.embed.ray_pool import RayPool

    pool: RayPool | None = None

    def on_ray(model: str) -> Any:
        nonlocal pool
        if pool is None:
            pool = RayPool(None if ray == "local" else ray)
        return pool.embedder(model, settings.align_layer)

    try:
        yield on_ray
    finally:
        if pool is not None:
            pool.close()


def file_stats(corpus: Path) -> dict[str, dict[str, int]]:
    """Size and mtime of every candidate file: a cheap staleness fingerprint."""
    stats = {}
    for path in list_article_files(corpus):
        try:
            st = path.lstat()  # a symlink's own stat: links are never followed
        except OSError:
            continue  # removed since the folder was listed
        stats[path.relative_to(corpus).as_posix()] = {"size": st.st_size, "mtime_ns": st.st_mtime_ns}
    return stats


def is_stale(corpus: Path, manifest: dict[str, Any]) -> bool:
    """True when files were added, removed or touched since the index was built."""
    try:
        recorded = {name: {k: v[k] for k in ("size", "mtime_ns")} for name, v in manifest.get("files", {}).items()}
    except (KeyError, TypeError, AttributeError):
        return True  # a manifest edited by hand: the build that follows repairs it
    return recorded != file_stats(corpus)


def _segment(
    loaded: LoadedArticle, settings: Settings
) -> tuple[list[tuple[tuple[int, int], tuple]], list[tuple[int, int]]]:
    sentences = split_sentences(loaded.text, loaded.spans, loaded.article.lang)
    return windows(loaded.text, sentences, settings.chunking), sentences


def _open_current(settings: Settings, source: store.Location | None = None) -> tuple[store.IndexData | None, str]:
    """The generation a build starts from: the index's own, or ``source``'s (another index, even another backend)."""
    try:
        current = store.load(settings.index if source is None else source)
    except IndexCorruptError as exc:
        log.warning("rebuilding: %s", exc)
        return None, str(exc)
    if current is None:
        return None, "no index yet" if source is None else f"no index at {store.describe(source)}"
    if current.manifest.get("signature") != index_signature(settings):
        return None, "index was built with another model or chunking settings"
    try:
        _previous(current)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        return None, f"the manifest's file tables are malformed ({type(exc).__name__}: {exc})"
    return current, ""


def _previous(current: store.IndexData | None) -> tuple[dict, dict, dict]:
    """(files, articles, skipped) of the current manifest, checked for the fields an update reads."""
    if current is None:
        return {}, {}, {}
    m = current.manifest
    files = {str(k): {f: v[f] for f in ("size", "mtime_ns", "sha256")} for k, v in m.get("files", {}).items()}
    articles = {a["source"]: a for a in m.get("articles", [])}
    for a in articles.values():
        if not isinstance(a["content_key"], str):
            raise ValueError(f"content_key of {a['source']} is not a string")
    skipped = {s["source"]: s["reason"] for s in m.get("skipped", [])}
    return files, articles, skipped


def build_index(
    corpus: Path | str | None = None,
    index: Path | str | None = None,
    *,
    settings: Settings | None = None,
    force: bool = False,
    progress: Progress | None = None,
    ray: str | None = None,
    reuse: store.Location | None = None,
) -> BuildSummary:
    """Bring ``index`` in step with ``corpus``; return what changed.

    ``ray`` embeds on a Ray cluster: "local" starts one here, anything else
    is a cluster address (qa/embed/ray_pool.py). Raises CorpusError when the
    folder is missing or holds no usable article (the previous index, if any,
    is left untouched).

    ``reuse`` starts from another index of the same corpus instead of this
    one's: its unchanged articles' vectors and token states are carried over,
    as from this index's own previous generation, and only what changed since
    is embedded. Embedding is nearly all of a build (10^5 chunks: over an hour
    here), so moving an archive from the folder index into PostgreSQL (or
    back) costs a copy, not a re-embedding. The source is only read.
    """
    settings = Settings.from_env(corpus=corpus, index=index) if settings is None else settings
    started = time.perf_counter()
    corpus_dir, index_dir = Path(settings.corpus), settings.index
    if not corpus_dir.is_dir():
        raise CorpusError(f"corpus folder not found: {corpus_dir}")
    with store.lock(index_dir):
        if reuse is not None and _same_location(reuse, index_dir):
            reuse = None  # an index reusing itself is a plain update
        current, reason = (None, "forced rebuild") if force else _open_current(settings, reuse)
        if reuse is not None and current is None:
            # Asked to copy, a silent full re-embedding (an hour per 10^5 chunks) would surprise.
            raise QAError(f"cannot reuse {store.describe(reuse)}: {reason}; build without it to embed from scratch")
        with _embedders(ray, settings) as embed_with:
            summary = _update(corpus_dir, index_dir, settings, current, progress, embed_with, copying=reuse is not None)
        summary.rebuilt = current is None
        summary.reason = reason
    summary.seconds = time.perf_counter() - started
    return summary


def _same_location(a: store.Location, b: store.Location) -> bool:
    a, b = index_location(a), index_location(b)
    if store.is_database(a) or store.is_database(b):
        return a == b
    return Path(a).resolve() == Path(b).resolve()


def _update(
    corpus: Path,
    index_dir: store.Location,
    settings: Settings,
    current: store.IndexData | None,
    progress: Progress | None,
    embed_with: Callable[[str], Any] = get_embedder,
    copying: bool = False,
) -> BuildSummary:
    """``copying``: ``current`` is another index's generation, so it is written here even when nothing changed."""
    stats = file_stats(corpus)
    old_files, old_articles, old_skipped = _previous(current)

    kept: list[Article] = []  # unchanged, vectors reused
    fresh: list[LoadedArticle] = []
    skipped: list[Skipped] = []
    seen_content: dict[str, str] = {}
    files: dict[str, dict[str, Any]] = {}
    names = sorted(stats)
    for i, name in enumerate(names):
        path = corpus / name
        old = old_files.get(name)
        same_stat = old is not None and all(old.get(k) == stats[name][k] for k in ("size", "mtime_ns"))
        digest = old["sha256"] if same_stat else file_digest(path)
        files[name] = {**stats[name], "sha256": digest}
        if old is not None and old.get("sha256") == digest:
            if name in old_skipped:
                skipped.append(Skipped(name, old_skipped[name]))
                continue
            if name in old_articles:
                key = old_articles[name]["content_key"]
                if key in seen_content:
                    skipped.append(Skipped(name, f"duplicate of {seen_content[key]}"))
                    continue
                seen_content[key] = name
                kept.append(Article.from_dict(old_articles[name]))
                continue
        result = read_article(path, corpus, settings.max_file_bytes)
        if isinstance(result, Skipped):
            skipped.append(result)
            continue
        key = content_key(result)
        if key in seen_content:
            skipped.append(Skipped(name, f"duplicate of {seen_content[key]}"))
            continue
        seen_content[key] = name
        fresh.append(result)
        if progress:
            progress("reading", i + 1, len(names))

    kept_sources = {a.source for a in kept}
    old_sources = set(old_articles)
    summary = BuildSummary(
        articles=len(kept) + len(fresh),
        chunks=0,
        added=sorted(a.article.source for a in fresh if a.article.source not in old_sources),
        updated=sorted(a.article.source for a in fresh if a.article.source in old_sources),
        removed=sorted(old_sources - kept_sources - {a.article.source for a in fresh}),
        skipped=skipped,
    )
    for s in skipped:
        log.warning("skipped %s: %s", s.source, s.reason)
    if not kept and not fresh:
        raise CorpusError(
            f"no usable article in {corpus}"
            + (": " + "; ".join(f"{s.source}: {s.reason}" for s in skipped[:5]) if skipped else " (folder is empty)")
        )
    unchanged = current is not None and not copying and not fresh and not summary.removed and files == old_files
    if unchanged:
        summary.chunks = len(current.chunks)
        return summary

    data = _assemble(current, kept, fresh, settings, progress, summary, store.local_search(index_dir), embed_with)
    key_of = {name: key for key, name in seen_content.items()}
    data.manifest = {
        "signature": index_signature(settings),
        "model": settings.model,
        "models": list(settings.models),
        "dim": int(data.chunk_vectors[0].shape[1]),
        "chunking": asdict(settings.chunking),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "files": files,
        "articles": [{**asdict(a), "content_key": key_of[a.source]} for a in data.articles.values()],
        "skipped": [asdict(s) for s in skipped],
        "index_kind": data.dense[0].kind if data.dense else None,
    }
    store.save(index_dir, data)
    summary.chunks = len(data.chunks)
    return summary


def _assemble(
    current: store.IndexData | None,
    kept: list[Article],
    fresh: list[LoadedArticle],
    settings: Settings,
    progress: Progress | None,
    summary: BuildSummary,
    local_search: bool = True,
    embed_with: Callable[[str], Any] = get_embedder,
) -> store.IndexData:
    """Carry over kept articles' rows, embed the fresh ones, and index them all.

    ``local_search`` fits the in-process searches (FAISS, bm25s); a database
    backend indexes the rows itself and skips them.
    """
    views = len(settings.models)
    chunks: list[Chunk] = []
    sent_spans: list[tuple[int, int]] = []
    sent_sources: list[str] = []
    kept_chunk_rows: list[int] = []
    kept_sent_rows: list[int] = []
    kept_sources = {a.source for a in kept}
    if current is not None and kept_sources:
        for row, c in enumerate(current.chunks):
            if c.source in kept_sources:
                chunks.append(Chunk(len(chunks), c.source, c.start, c.end, c.text, c.sentences))
                kept_chunk_rows.append(row)
        for row, (src, span) in enumerate(zip(current.sentence_sources, current.sentences)):
            if src in kept_sources:
                sent_sources.append(src)
                sent_spans.append((int(span[0]), int(span[1])))
                kept_sent_rows.append(row)

    new_chunk_texts: list[str] = []
    new_sent_texts: list[str] = []
    for loaded in fresh:
        wins, sentences = _segment(loaded, settings)
        for (s, e), spans in wins:
            chunks.append(Chunk(len(chunks), loaded.article.source, s, e, loaded.text[s:e], spans))
            title = loaded.article.title if settings.chunking.title_context else ""
            new_chunk_texts.append(embed_text(loaded.text, spans, title))
        for s, e in sentences:
            sent_sources.append(loaded.article.source)
            sent_spans.append((s, e))
            new_sent_texts.append(" ".join(loaded.text[s:e].split()))

    chunk_vectors, sentence_vectors = [], []
    total = views * len(new_chunk_texts) + len(new_sent_texts)
    done = 0
    token_states: list[tuple[np.ndarray, np.ndarray]] | None = None  # quantised as embedded (qa/embed/align.py)
    for v, model in enumerate(settings.models):
        embedder = embed_with(model) if (new_chunk_texts or new_sent_texts) else None
        # The primary model's sentence pass also yields the token states qa/embed/align.py matches.
        kept_tokens = current.tokens if current is not None else None
        align = (
            v == 0
            and settings.align_layer > 0
            and (not kept_sent_rows or kept_tokens is not None)  # kept rows need their stored states
            and (embedder is None or embedder.has_layer(settings.align_layer))
            and (embedder is not None or kept_tokens is not None)
        )
        if align:
            token_states = kept_tokens.quantised_rows(kept_sent_rows) if kept_tokens is not None else []
        parts_c, parts_s = [], []
        if current is not None and kept_chunk_rows:
            parts_c.append(current.chunk_vectors[v][kept_chunk_rows])
            if v == 0:
                parts_s.append(current.sentence_vectors[0][kept_sent_rows])
        if embedder is not None:
            # Sentences are embedded by the primary model only: the composer reads no other view's.
            for texts, parts in [(new_chunk_texts, parts_c)] + ([(new_sent_texts, parts_s)] if v == 0 else []):
                base = done

                def report(d: int, _t: int, base: int = base) -> None:
                    if progress:  # counted in chunks, whatever the passes, so the rate reads as chunks/s
                        chunks_done = len(new_chunk_texts) * (base + d) // max(1, total)
                        progress("embedding", chunks_done, len(new_chunk_texts))

                with_tokens = align and parts is parts_s
                vecs, states = _embed_by_length(embedder, texts, settings, with_tokens, report)
                parts.append(vecs)
                if with_tokens:
                    token_states.extend(states)
                done += len(texts)
        chunk_vectors.append(store.at_stored_precision(np.vstack(parts_c)))
        if v == 0:
            sentence_vectors.append(store.at_stored_precision(np.vstack(parts_s)))
    summary.embedded_chunks = len(new_chunk_texts)
    articles = {a.source: a for a in kept} | {f.article.source: f.article for f in fresh}
    articles = dict(sorted(articles.items()))
    texts_for_lexical = [lexical_text(c) for c in chunks] if local_search else []
    return store.IndexData(
        manifest={},
        articles=articles,
        chunks=chunks,
        chunk_vectors=chunk_vectors,
        sentences=np.asarray(sent_spans, dtype=np.int64).reshape(-1, 2),
        sentence_sources=sent_sources,
        sentence_vectors=sentence_vectors,
        dense=[VectorIndex.fit(m) for m in chunk_vectors] if local_search else [],
        lexical=LexicalIndex.fit(texts_for_lexical, [articles[c.source].lang for c in chunks])
        if local_search
        else None,
        tokens=None if token_states is None else TokenStates.from_parts(token_states, chunk_vectors[0].shape[1]),
    )


def _embed_by_length(
    embedder: Any, texts: list[str], settings: Settings, with_tokens: bool, report: Callable[[int, int], None]
) -> tuple[np.ndarray, list[tuple[np.ndarray, np.ndarray]]]:
    """Vectors of ``texts`` (and their quantised token states), embedded in batches of similar length.

    Sorting the whole pass by length, not each batch, is what keeps padding
    out of the encoder: batches of neighbours in article order padded a window
    of 20 tokens to one of 120 (the e5 pass ran at 62 windows/s that way, 95
    sorted). The order is fixed here, before any embedder sees the texts, so
    a Ray build forms the very same batches. Token states are taken in slices
    of whole batches, each quantised at once: float states of every sentence
    held together took 4.6 GB of RAM at 10^4 chunks.
    """
    if not texts:
        return embedder.passages([], settings.batch_size), []
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    ordered = [texts[i] for i in order]
    states: list[tuple[np.ndarray, np.ndarray]] = []
    if not with_tokens:
        found = embedder.passages(ordered, settings.batch_size, report)
    else:
        parts = []
        step = settings.batch_size * 64
        for i in range(0, len(ordered), step):

            def sliced(d: int, _t: int, i: int = i) -> None:
                report(i + d, 0)

            vecs, slice_states = embedder.passages_with_tokens(
                ordered[i : i + step], settings.align_layer, settings.batch_size, sliced
            )
            parts.append(vecs)
            states.extend(quantise(s) for s in slice_states)
        found = np.vstack(parts)
    vectors = np.zeros((len(texts), found.shape[1]), np.float32)
    vectors[order] = found
    position = np.argsort(order)  # where each text landed in the sorted pass
    return vectors, [states[j] for j in position] if with_tokens else []
