"""PostgreSQL with pgvector: the index as tables, searched by the database.

Selected with ``QA_INDEX=postgresql://…``. Each build writes a generation:
three tables (``qa_chunks_<g>``, ``qa_sentences_<g>``, ``qa_terms_<g>``) with their indexes, and
the row in ``qa_current`` that names it, all in **one transaction**. A crash
or a failed write rolls everything back, and the previous generation keeps
serving, as the file backend's ``CURRENT`` swap does. The generation before
the current one is kept, so an engine that loaded it just before a swap
finishes its queries; older ones are dropped.

Searching happens in the database:
- each dense view is a ``vector`` column with an HNSW index (cosine), queried
  with ``ORDER BY v <=> q``; filters are a SQL ``WHERE``, and a filter that
  leaves HNSW short of ``k`` rows is answered by an exact scan;
- the name-key view is a ``tsvector`` of our own keys (spelling-folded words
  and trigrams, so "Alijew" meets "Aliyev"), ranked with ``ts_rank``;
- the stem view is PostgreSQL full-text search with each article's language
  configuration (``to_tsvector('german', text)``, ``'dutch'``, …; PostgreSQL's
  configurations are the same Snowball stemmers the query side uses), plus
  compound parts, which PostgreSQL's stemmers do not split. A language
  PostgreSQL has no configuration for stores our own stems.

Fusion, alignment and answering run in Python as for the file backend; they
fetch only the candidates' vectors and token states (``WHERE id = ANY``), so a
serving process holds chunk metadata but no vector matrix.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from typing import Any

import numpy as np

from qa.embed.align import TokenStates
from qa.errors import IndexCorruptError, IndexWriteError
from qa.ingest.chunk import lexical_text
from qa.store.data import IndexData
from qa.store.filters import Filters, Restriction
from qa.text.terms import doc_tokens, snowball_name, stem_tokens
from qa.types import Article, Chunk

FORMAT = 2  # 2: per-generation lexeme document frequencies (qa_terms_<g>)
EF_SEARCH = 100  # HNSW candidate list per query: recall@10 >= 0.98 against exact search on the scale bench
_EF_SEARCH_MAX = 1000  # pgvector's largest ef_search
# The HNSW graph's build-time candidate list (pgvector's default is 64). At 10^5 e5 vectors
# (a copy of the scale bench's column, 94 questions): recall@10 against exact search 0.604
# at 64, 0.699 at 200, for a graph build of 20 s against 42 s (the embedding takes ~90 minutes).
EF_CONSTRUCTION = 200
KEEP = 2  # generations kept: the current one, and the one an engine may still be reading
MAX_POSITION = 16383  # PostgreSQL's largest tsvector position
MAX_POSITIONS = 255  # positions kept per lexeme (PostgreSQL keeps at most 256)
# A lexeme in more rows than this does not seek candidates (it still scores them):
# ranking every row a common trigram matches made a query 343 ms at 10^4 chunks.
SEEK_MAX_ROWS = 500
SEEK_FALLBACK = 3  # when every query lexeme is common, the rarest few still seek

_SCHEMA = """
CREATE EXTENSION IF NOT EXISTS vector;
CREATE TABLE IF NOT EXISTS qa_generations (
    name text PRIMARY KEY,
    created timestamptz NOT NULL DEFAULT now(),
    manifest jsonb NOT NULL
);
CREATE TABLE IF NOT EXISTS qa_current (
    one boolean PRIMARY KEY DEFAULT true CHECK (one),
    name text NOT NULL REFERENCES qa_generations (name)
);
"""


def _psycopg():
    try:
        import psycopg
    except ImportError as exc:  # pragma: no cover - in requirements.txt
        raise IndexWriteError("QA_INDEX names a PostgreSQL database, but psycopg is not installed") from exc
    return psycopg


def describe(url: str) -> str:
    """The URL without its password, for messages and logs."""
    return re.sub(r"(://[^:/@]*):[^@]*@", r"\1:***@", url)


def _connect(url: str, autocommit: bool = True):
    psycopg = _psycopg()
    try:
        return psycopg.connect(url, autocommit=autocommit)
    except psycopg.Error as exc:
        raise IndexCorruptError(f"cannot connect to {describe(url)}: {exc}") from exc


class Database:
    """One autocommit connection per URL and process, shared by the loaded index's searches.

    psycopg serialises a connection's statements; the lock keeps a query and
    the fetch of its rows together when page threads search at once.
    """

    def __init__(self, url: str):
        self.url = url
        self._lock = threading.Lock()
        self._conn = None
        # The last generation's manifest, by name: a generation's manifest never changes (see _current).
        self.manifest: tuple[str, dict[str, Any]] | None = None

    def _connection(self):
        if self._conn is None or self._conn.closed:
            self._conn = _connect(self.url)
            self._conn.execute(f"SET hnsw.ef_search = {EF_SEARCH}")
        return self._conn

    def rows(
        self, sql: str, params: Sequence[Any] = (), binary: bool = False, settings: dict[str, str] | None = None
    ) -> list[tuple]:
        """The query's rows; ``settings`` hold for this query only (one transaction, ``SET LOCAL``)."""
        with self._lock:
            conn = self._connection()
            try:
                with conn.transaction() if settings else nullcontext(), conn.cursor(binary=binary) as cur:
                    for name, value in (settings or {}).items():
                        cur.execute("SELECT set_config(%s, %s, true)", (name, value))
                    cur.execute(sql, params)
                    return cur.fetchall() if cur.description else []
            except _psycopg().OperationalError:
                self._conn = None  # a dropped connection: the next query reconnects
                raise


_DATABASES: dict[str, Database] = {}
_DATABASES_LOCK = threading.Lock()


def database(url: str) -> Database:
    with _DATABASES_LOCK:
        db = _DATABASES.get(url)
        if db is None:
            db = _DATABASES[url] = Database(url)
        return db


# -- reading -------------------------------------------------------------------


def _vector_text(v: np.ndarray) -> str:
    """pgvector's text form; float32 -> shortest decimal -> float32 is exact."""
    return "[" + ",".join(map(str, np.asarray(v, dtype=np.float32).tolist())) + "]"


def _vector_from_binary(raw: bytes) -> np.ndarray:
    """pgvector's binary form: int16 dimension, int16 unused, big-endian float32s."""
    return np.frombuffer(raw, dtype=">f4", offset=4).astype(np.float32)


def _order(found: dict[int, Any], rows: np.ndarray, what: str) -> list[Any]:
    try:
        return [found[int(r)] for r in rows]
    except KeyError as exc:
        raise IndexCorruptError(f"the database lost {what} row {exc}") from exc


class Rows:
    """A vector column read like a matrix: ``rows[ids]`` fetches only those rows."""

    ndim = 2

    def __init__(self, db: Database, table: str, column: str, n: int, dim: int):
        self.db, self.table, self.column = db, table, column
        self.shape = (n, dim)

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, rows: Any) -> np.ndarray:
        ids = np.asarray(rows, dtype=np.int64).reshape(-1)
        if len(ids) == 0:
            return np.zeros((0, self.shape[1]), dtype=np.float32)
        found = {
            int(i): _vector_from_binary(v)
            for i, v in self.db.rows(
                f"SELECT id, {self.column} FROM {self.table} WHERE id = ANY(%s)", (ids.tolist(),), binary=True
            )
        }
        return np.stack(_order(found, ids, self.table))


class Tokens:
    """The sentences' token states, fetched per candidate sentence (see :class:`qa.embed.align.TokenStates`)."""

    def __init__(self, db: Database, table: str, n: int, dim: int):
        self.db, self.table, self.n, self.dim = db, table, n, dim

    def __len__(self) -> int:
        return self.n

    def _local(self, rows: Any) -> TokenStates:
        ids = np.asarray(rows, dtype=np.int64).reshape(-1)
        found = {
            int(i): (self._values(v, len(s) // 4), np.frombuffer(s, dtype="<f4"))
            for i, v, s in self.db.rows(
                f"SELECT id, tokens, scales FROM {self.table} WHERE id = ANY(%s)", (ids.tolist(),), binary=True
            )
        }
        parts = _order(found, ids, self.table)
        lengths = [len(v) for v, _ in parts]
        stored = [v for v, _ in parts if len(v)]  # (a sentence without tokens has no width to match)
        values = np.concatenate(stored) if stored else np.zeros((0, self.dim), np.int8)
        scales = np.concatenate([s for _, s in parts]) if parts else np.zeros(0, np.float32)
        return TokenStates(values, scales, np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64))

    def _values(self, raw: bytes, tokens: int) -> np.ndarray:
        """A sentence's stored rows: int8 values ``dim`` bytes a token, else PQ codes (qa/embed/align.py)."""
        width = len(raw) // tokens if tokens else self.dim
        return np.frombuffer(raw, dtype=np.int8 if width == self.dim else np.uint8).reshape(-1, width)

    def rows(self, rows: Any) -> list[np.ndarray]:
        return self._local(rows).rows(np.arange(len(np.asarray(rows).reshape(-1))))

    def quantised_rows(self, rows: Any) -> list[tuple[np.ndarray, np.ndarray]]:
        return self._local(rows).quantised_rows(np.arange(len(np.asarray(rows).reshape(-1))))

    def alignment(self, query: np.ndarray, rows: Any) -> np.ndarray:
        ids = np.asarray(rows, dtype=np.int64).reshape(-1)
        return self._local(ids).alignment(query, np.arange(len(ids)))


def _where(filters: Filters | None, table: str = "") -> tuple[str, list[Any]]:
    """The filters as a SQL condition on the chunk table (the same meaning as :func:`qa.store.filters.matches`)."""
    r = Restriction.of(filters)
    t = f"{table}." if table else ""
    sql, params = ["TRUE"], []
    if r.langs:
        sql.append(f"{t}lang = ANY(%s)")
        params.append(sorted(r.langs))
    if r.sources:
        sql.append(f"({t}source = ANY(%s) OR {t}outlet = ANY(%s))")
        params += [sorted(r.sources), sorted(r.sources)]
    if r.dated:
        sql.append(f"{t}date IS NOT NULL")
    if r.date_from:
        sql.append(f"{t}date >= %s")
        params.append(r.date_from)
    if r.date_to:
        sql.append(f"{t}date <= %s")
        params.append(r.date_to)
    return " AND ".join(sql), params


def _hits(rows: list[tuple]) -> tuple[np.ndarray, np.ndarray]:
    if not rows:
        return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
    return np.asarray([r[1] for r in rows], dtype=np.float32), np.asarray([r[0] for r in rows], dtype=np.int64)


class Dense:
    """One dense view: HNSW on a vector column, filters in SQL."""

    kind = "hnsw"

    def __init__(self, db: Database, table: str, column: str, n: int):
        self.db, self.table, self.column, self.n = db, table, column, n

    def __len__(self) -> int:
        return self.n

    def search(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None = None, filters: Filters | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` (cosine, id); a filter HNSW cannot fill is answered by an exact scan of the allowed rows."""
        if k <= 0 or (allowed is not None and len(allowed) == 0):
            return _hits([])
        where, params = _where(filters)
        q = _vector_text(query)
        # Ordered by the distance alone: with a tie-breaking second key ("…, id") the planner
        # cannot take the order from the HNSW index, and scanned and sorted every row
        # instead (90 ms at 10^4 chunks, against 8). Ties are broken here.
        sql = (
            f"SELECT id, 1 - ({self.column} <=> %s::vector) FROM {self.table} WHERE {where} "
            f"ORDER BY {self.column} <=> %s::vector LIMIT %s"
        )
        # HNSW returns at most ef_search rows.
        deeper = {"hnsw.ef_search": str(min(k, _EF_SEARCH_MAX))} if k > EF_SEARCH else None
        rows = self.db.rows(sql, [q, *params, q, k], settings=deeper)
        wanted = min(k, self.n if allowed is None else len(allowed))
        if len(rows) < wanted and filters:
            rows = self.db.rows(sql, [q, *params, q, k], settings={"enable_indexscan": "off"})
        rows.sort(key=lambda r: (-r[1], r[0]))
        return _hits(rows)


def _tsquery(lexemes: Sequence[str]) -> str:
    """Lexemes ORed, each quoted verbatim (no parsing, no stemming: they are stems or keys already)."""
    quoted = ("'" + w.replace("\\", "\\\\").replace("'", "''") + "'" for w in dict.fromkeys(lexemes) if w)
    return " | ".join(quoted)


class Scores:
    """One query's full-text scores: ``top`` and ``at`` each ask the database.

    ``top`` seeks with the query's rarer lexemes only (``seek``), so the rows it
    ranks stay few at any size; ``at`` scores candidates with every lexeme.
    """

    def __init__(
        self, db: Database, table: str, column: str, queries: dict[str | None, str], seek: dict[str | None, str]
    ):
        # language (None: every row) -> tsquery text
        self.db, self.table, self.column = db, table, column
        self.queries = {lang: q for lang, q in queries.items() if q}
        self.seek = {lang: q for lang, q in seek.items() if q}
        # Rows already ranked: ``top`` ranks what it found, then the engine asks ``at`` for
        # its candidates, most of them the same rows (ts_rank is most of a lexical query).
        self._ranked: dict[int, float] = {}

    def _from(self, queries: dict[str | None, str]) -> tuple[str, list[Any]]:
        langs = list(queries)
        if langs == [None]:
            return f"{self.table} c CROSS JOIN (SELECT %s::tsquery AS q) q", [queries[None]]
        sql = f"{self.table} c JOIN unnest(%s::text[], %s::tsquery[]) AS q(lang, q) ON c.lang = q.lang"
        return sql, [langs, list(queries.values())]

    def top(
        self, k: int, allowed: np.ndarray | None = None, filters: Filters | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        if not self.seek or k <= 0:
            return _hits([])
        source, params = self._from(self.seek)
        where, more = _where(filters, "c")
        rows = self.db.rows(f"SELECT c.id FROM {source} WHERE c.{self.column} @@ q.q AND {where}", [*params, *more])
        ids = np.asarray(sorted({r[0] for r in rows}), dtype=np.int64)
        scores = self.at(ids)
        order = np.argsort(-scores, kind="stable")[:k]
        order = order[scores[order] > 0]
        return scores[order], ids[order]

    def at(self, rows: np.ndarray) -> np.ndarray:
        ids = np.asarray(rows, dtype=np.int64).reshape(-1)
        if not self.queries or len(ids) == 0:
            return np.zeros(len(ids), dtype=np.float32)
        ranked = self._ranked
        missing = sorted({int(i) for i in ids} - ranked.keys())
        if missing:
            source, params = self._from(self.queries)
            found = dict.fromkeys(missing, 0.0)
            for i, r in self.db.rows(
                f"SELECT c.id, ts_rank(c.{self.column}, q.q, 1) FROM {source} WHERE c.id = ANY(%s)",
                [*params, missing],
            ):
                found[int(i)] = max(found[int(i)], float(r))
            ranked.update(found)
        return np.asarray([ranked[int(i)] for i in ids], dtype=np.float32)


class Lexical:
    """The name-key and stem views as full-text search columns."""

    has_stems = True

    def __init__(self, db: Database, table: str, terms: str):
        self.db, self.table, self.terms = db, table, terms

    def _seeking(self, view: str, lexemes: list[str]) -> list[str]:
        """The lexemes in at most ``SEEK_MAX_ROWS`` rows; else the ``SEEK_FALLBACK`` rarest."""
        if not lexemes:
            return []
        counts = dict(
            self.db.rows(f"SELECT word, ndoc FROM {self.terms} WHERE view = %s AND word = ANY(%s)", [view, lexemes])
        )
        known = [w for w in dict.fromkeys(lexemes) if w in counts]  # a lexeme no row has finds nothing
        rare = [w for w in known if counts[w] <= SEEK_MAX_ROWS]
        return rare or sorted(known, key=lambda w: counts[w])[:SEEK_FALLBACK]

    def keys(self, tokens: list[str]) -> Scores:
        return Scores(
            self.db, self.table, "keys", {None: _tsquery(tokens)}, {None: _tsquery(self._seeking("keys", tokens))}
        )

    def stems(self, tokens: list[str]) -> Scores:
        """``lang:stem`` tokens, each matched only against articles of its language."""
        by_lang: dict[str | None, list[str]] = {}
        for t in tokens:
            lang, _, stem = t.partition(":")
            if stem:
                by_lang.setdefault(lang, []).append(stem)
        every = {lang: _tsquery(s) for lang, s in by_lang.items()}
        seek = {lang: _tsquery(self._seeking("stems", s)) for lang, s in by_lang.items()}
        return Scores(self.db, self.table, "stems", every, seek)

    def vocabulary(self) -> set[str]:
        rows = self.db.rows(f"SELECT word FROM {self.terms} WHERE view = 'keys' AND word LIKE 'w:%%'")
        return {w[2:] for (w,) in rows}


def _tables(name: str) -> tuple[str, str, str]:
    """A generation's tables: chunks, sentences, and lexeme document frequencies."""
    if not re.fullmatch(r"g[0-9a-f]{12}", name):
        raise IndexCorruptError(f"qa_current names {name!r}, which is not a generation")
    return f"qa_chunks_{name}", f"qa_sentences_{name}", f"qa_terms_{name}"


def _read(db: Database, sql: str, params: Sequence[Any] = ()) -> list[tuple] | None:
    """Rows of a query on the schema; None before the first build created it."""
    try:
        return db.rows(sql, params)
    except _psycopg().errors.UndefinedTable:
        return None
    except _psycopg().Error as exc:
        raise IndexCorruptError(f"cannot read the index in {describe(db.url)}: {exc}") from exc


def _current(db: Database) -> tuple[str, dict[str, Any]] | None:
    """The current generation and its manifest, which is read once per generation.

    A generation's manifest never changes, and at 10^5 chunks (10^4 articles and
    their files) it is megabytes of JSON: read at every staleness check, it took
    80 ms, twice a check (the name and the manifest were asked for apart).
    """
    name = current_generation(db.url)
    if name is None:
        return None
    known = db.manifest
    if known is None or known[0] != name:
        rows = _read(db, "SELECT manifest FROM qa_generations WHERE name = %s", (name,))
        if not rows:
            return None
        raw = rows[0][0]
        known = db.manifest = (name, raw if isinstance(raw, dict) else json.loads(raw))
    return name, dict(known[1])  # a copy: callers may set keys of their own


def read_manifest(url: str) -> dict[str, Any] | None:
    found = _current(database(url))
    return None if found is None else found[1]


def current_generation(url: str) -> str | None:
    rows = _read(database(url), "SELECT name FROM qa_current")
    return rows[0][0] if rows else None


def load(url: str) -> IndexData | None:
    """The current generation: metadata in memory, vectors and token states left in the database."""
    db = database(url)
    found = _current(db)
    if found is None:
        return None
    name, manifest = found
    chunk_table, sentence_table, terms_table = _tables(name)
    if manifest.get("format") != FORMAT:
        raise IndexCorruptError(f"index format {manifest.get('format')} != {FORMAT} in {describe(url)}")
    try:
        chunks = [
            Chunk(i, source, start, end, text, tuple(tuple(s) for s in spans))
            for i, source, start, end, text, spans in db.rows(
                f"SELECT id, source, start_char, end_char, text, sentences FROM {chunk_table} ORDER BY id"
            )
        ]
        sentence_rows = db.rows(f"SELECT id, source, start_char, end_char FROM {sentence_table} ORDER BY id")
    except _psycopg().Error as exc:
        raise IndexCorruptError(f"the index in {describe(url)} is damaged ({exc})") from exc
    n, n_sent = len(chunks), len(sentence_rows)
    if n != manifest.get("n_chunks") or any(c.id != i for i, c in enumerate(chunks)):
        raise IndexCorruptError(f"the index in {describe(url)} is inconsistent: {n} chunks")
    if n_sent != manifest.get("n_sentences") or any(r[0] != i for i, r in enumerate(sentence_rows)):
        raise IndexCorruptError(f"the index in {describe(url)} has inconsistent sentence tables")
    articles = {a["source"]: Article.from_dict(a) for a in manifest["articles"]}
    dims = manifest["dims"]
    views = range(len(manifest["models"]))
    return IndexData(
        manifest=manifest,
        articles=articles,
        chunks=chunks,
        chunk_vectors=[Rows(db, chunk_table, f"v{v}", n, dims[v]) for v in views],
        sentences=np.asarray([(r[2], r[3]) for r in sentence_rows], dtype=np.int64).reshape(-1, 2),
        sentence_sources=[r[1] for r in sentence_rows],
        sentence_vectors=[Rows(db, sentence_table, "v0", n_sent, dims[0])],  # the primary view only
        dense=[Dense(db, chunk_table, f"v{v}", n) for v in views],
        lexical=Lexical(db, chunk_table, terms_table),
        path=name,
        tokens=Tokens(db, sentence_table, n_sent, dims[0]) if manifest.get("token_states") else None,
    )


# -- writing -------------------------------------------------------------------


def _keys_vector(text: str) -> str:
    """Our name keys as a tsvector literal (with positions, so ``ts_rank`` sees how often each occurs)."""
    positions: dict[str, list[int]] = {}
    for i, token in enumerate(doc_tokens(text)):
        found = positions.setdefault(token, [])
        if len(found) < MAX_POSITIONS:
            found.append(min(i + 1, MAX_POSITION))
    return " ".join(f"{_tsquery([t])}:{','.join(map(str, sorted(set(p))))}" for t, p in positions.items())


def _configs(cur) -> set[str]:
    cur.execute("SELECT cfgname FROM pg_ts_config")
    return {r[0] for r in cur.fetchall()}


def _stem_columns(text: str, lang: str, configs: set[str]) -> tuple[str | None, list[str]]:
    """(PostgreSQL configuration, extra lexemes): the language's own, plus compound parts; or our stems alone."""
    config = snowball_name(lang)
    if config in configs:
        extra = stem_tokens(text, lang, whole=False)
    else:
        config, extra = None, stem_tokens(text, lang)
    return config, sorted({t.partition(":")[2] for t in extra} - {""})


_GRAPH_BYTES = 600  # an HNSW element's neighbour lists and header (pgvector, m = 16), besides its vector
_GRAPH_MB_MAX = 2048  # the most a build asks the server for


def save(url: str, data: IndexData) -> str:
    """Write ``data`` as a new generation and make it current, in one transaction."""
    name = "g" + uuid.uuid4().hex[:12]
    chunk_table, sentence_table, terms_table = _tables(name)
    dims = [int(m.shape[1]) for m in data.chunk_vectors]
    views = range(len(dims))
    psycopg = _psycopg()
    try:
        with _connect(url, autocommit=False) as conn, conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (_lock_key("schema"),))
            cur.execute(_SCHEMA)
            configs = _configs(cur)
            vec_cols = ", ".join(f"v{v} vector({d}) NOT NULL" for v, d in zip(views, dims))
            cur.execute(
                f"""CREATE TABLE {chunk_table} (
                    id integer PRIMARY KEY, source text NOT NULL, start_char integer NOT NULL,
                    end_char integer NOT NULL, text text NOT NULL, sentences jsonb NOT NULL,
                    lang text NOT NULL, outlet text, date text, config regconfig, extra text[] NOT NULL,
                    keys tsvector NOT NULL,
                    stems tsvector GENERATED ALWAYS AS (CASE WHEN config IS NULL THEN array_to_tsvector(extra)
                        ELSE to_tsvector(config, text) || array_to_tsvector(extra) END) STORED,
                    {vec_cols})"""
            )
            names = ", ".join(f"v{v}" for v in views)
            with cur.copy(
                f"COPY {chunk_table} (id, source, start_char, end_char, text, sentences, lang, outlet, date, "
                f"config, extra, keys, {names}) FROM STDIN"
            ) as copy:
                for c in data.chunks:
                    article = data.articles[c.source]
                    body = lexical_text(c)
                    config, extra = _stem_columns(body, article.lang, configs)
                    vectors = [_vector_text(data.chunk_vectors[v][c.id]) for v in views]
                    copy.write_row(
                        (c.id, c.source, c.start, c.end, c.text, json.dumps([list(s) for s in c.sentences]),
                         article.lang, article.outlet, article.date, config, extra, _keys_vector(body), *vectors)
                    )  # fmt: skip
            cur.execute(
                f"""CREATE TABLE {sentence_table} (
                    id integer PRIMARY KEY, source text NOT NULL, start_char integer NOT NULL,
                    end_char integer NOT NULL, tokens bytea, scales bytea, v0 vector({dims[0]}) NOT NULL)"""
            )
            with cur.copy(
                f"COPY {sentence_table} (id, source, start_char, end_char, tokens, scales, v0) FROM STDIN"
            ) as copy:
                for i, (source, (s, e)) in enumerate(zip(data.sentence_sources, data.sentences)):
                    tokens = scales = None
                    if data.tokens is not None:
                        lo, hi = int(data.tokens.offsets[i]), int(data.tokens.offsets[i + 1])
                        tokens = np.ascontiguousarray(data.tokens.values[lo:hi]).tobytes()  # codes or int8
                        scales = np.ascontiguousarray(data.tokens.scales[lo:hi], dtype="<f4").tobytes()
                    copy.write_row((i, source, int(s), int(e), tokens, scales, _vector_text(data.sentence_vectors[0][i])))
            # pgvector builds an HNSW graph several times faster while it fits in
            # maintenance_work_mem (64 MB by default: about 30,000 e5 vectors); past that it
            # warns and goes on from disk. Sized to the largest view, for this transaction only.
            graph_mb = max(len(data.chunks) * (4 * d + _GRAPH_BYTES) for d in dims) * 3 // 2 // 2**20
            cur.execute("SELECT set_config('maintenance_work_mem', %s, true)", (f"{min(max(64, graph_mb), _GRAPH_MB_MAX)}MB",))
            for v in views:
                cur.execute(f"CREATE INDEX ON {chunk_table} USING hnsw (v{v} vector_cosine_ops) WITH (ef_construction = {EF_CONSTRUCTION})")
            cur.execute(f"CREATE INDEX ON {chunk_table} USING gin (keys)")
            cur.execute(f"CREATE INDEX ON {chunk_table} USING gin (stems)")
            cur.execute(
                f"""CREATE TABLE {terms_table} AS
                    SELECT 'keys'::text AS view, word, ndoc FROM ts_stat('SELECT keys FROM {chunk_table}')
                    UNION ALL SELECT 'stems', word, ndoc FROM ts_stat('SELECT stems FROM {chunk_table}')"""
            )
            cur.execute(f"ALTER TABLE {terms_table} ADD PRIMARY KEY (view, word)")
            cur.execute(f"CREATE INDEX ON {chunk_table} (lang)")
            cur.execute(f"CREATE INDEX ON {chunk_table} (source)")
            manifest = {
                **data.manifest,
                "format": FORMAT,
                "n_chunks": len(data.chunks),
                "n_sentences": len(data.sentence_sources),
                "dims": dims,
                "token_states": data.tokens is not None,
                "index_kind": "hnsw",
            }
            manifest.pop("sentence_sources", None)
            cur.execute(
                "INSERT INTO qa_generations (name, manifest) VALUES (%s, %s)",
                (name, json.dumps(manifest, ensure_ascii=False)),
            )
            cur.execute(
                "INSERT INTO qa_current (one, name) VALUES (true, %s) ON CONFLICT (one) DO UPDATE SET name = excluded.name",
                (name,),
            )
            conn.commit()
    except psycopg.Error as exc:
        # The transaction rolled back: qa_current still names the previous generation.
        raise IndexWriteError(write_error_message(url, exc)) from exc
    _collect_garbage(url, keep=name)
    data.path = name
    data.manifest = manifest
    return name


def _collect_garbage(url: str, keep: str) -> None:
    """Drop generations older than the last ``KEEP`` (each drop in its own transaction)."""
    psycopg = _psycopg()
    try:
        with _connect(url) as conn:
            old = [
                r[0]
                for r in conn.execute(
                    "SELECT name FROM qa_generations WHERE name <> %s ORDER BY created DESC, name OFFSET %s",
                    (keep, KEEP - 1),
                ).fetchall()
            ]
            for name in old:
                with conn.transaction():
                    conn.execute(f"DROP TABLE IF EXISTS {', '.join(_tables(name))}")
                    conn.execute("DELETE FROM qa_generations WHERE name = %s", (name,))
    except psycopg.Error:
        pass  # a later build retries; the current generation is whole either way


def _lock_key(what: str) -> int:
    return zlib.crc32(f"qa-news:{what}".encode()) - 2**31


@contextmanager
def lock(url: str) -> Iterator[None]:
    """One builder per database at a time, across processes and machines (a session advisory lock)."""
    with _connect(url) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (_lock_key("build"),))
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (_lock_key("build"),))


def write_error_message(url: str, exc: Exception) -> str:
    return (
        f"could not write the index in {describe(url)}: {exc}. The previous index, if any, is unchanged and still used."
    )


def drop_all(url: str) -> None:
    """Remove every generation and the bookkeeping tables (tests start from an empty database with it)."""
    with _connect(url) as conn:
        if conn.execute("SELECT to_regclass('qa_generations')").fetchone()[0] is not None:
            for (name,) in conn.execute("SELECT name FROM qa_generations").fetchall():
                conn.execute(f"DROP TABLE IF EXISTS {', '.join(_tables(name))}")
        conn.execute("DROP TABLE IF EXISTS qa_current, qa_generations")
