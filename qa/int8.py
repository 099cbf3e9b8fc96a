"""BERT encoder stacks as int8 ONNX Runtime models: the embedder's and the reader's.

Why: embedding and reading are fp32 matrix products, most of a build's time
and most of an answer's. This CPU has AVX-512 VNNI, so ONNX Runtime's dynamic
int8 quantisation of the products runs them several times faster, with
vectors that stay within a cosine of ~0.99 of the exact ones.

The graph holds the encoder layers only (and the reader's span head); the
embedding lookup stays in numpy (qa/embed.py), so a file is the size of its
layers in int8. Files are built once into the cache folder, named by a hash of
what they were built from, and written whole or not at all. Torch is used for
the export only; without onnxruntime everything runs in numpy.
"""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .settings import env_int

_BUILD_LOCK = threading.Lock()


def _module(
    base: Any,
    layers: Sequence[dict[str, Any]],
    head: tuple[np.ndarray, np.ndarray] | None = None,
    capture: int = 0,
):
    """A torch module doing exactly NumpyBert.hidden's layer loop (then the span head, if given).

    ``base`` is the NumpyBert whose shape (heads, width, layer-norm epsilon) the layers have.
    """
    import torch

    heads, eps, dim = base.heads, base.eps, base.dim

    class Encoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.params = torch.nn.ParameterList()
            self.names: list[dict[str, int]] = []
            for layer in layers:
                index = {}
                for key, value in layer.items():
                    parts = value if isinstance(value, tuple) else (value,)
                    for j, part in enumerate(parts):
                        index[f"{key}.{j}" if isinstance(value, tuple) else key] = len(self.params)
                        self.params.append(torch.nn.Parameter(torch.from_numpy(np.array(part)), requires_grad=False))
                self.names.append(index)
            if head is not None:
                self.head = torch.nn.Parameter(torch.from_numpy(np.array(head[0])), requires_grad=False)
                self.head_b = torch.nn.Parameter(torch.from_numpy(np.array(head[1])), requires_grad=False)

        def forward(self, x, mask):
            n, length = x.shape[0], x.shape[1]
            size = dim // heads
            bias = ((1.0 - mask) * -1e9)[:, None, None, :]
            captured = x
            for depth, index in enumerate(self.names, 1):
                p = {k: self.params[i] for k, i in index.items()}
                qkv = (x @ p["qkv"] + p["qkv_b"]).reshape(n, length, 3, heads, size).permute(2, 0, 3, 1, 4)
                scores = torch.softmax(qkv[0] @ qkv[1].transpose(-1, -2) / float(np.sqrt(size)) + bias, dim=-1)
                context = (scores @ qkv[2]).permute(0, 2, 1, 3).reshape(n, length, dim)
                x = torch.nn.functional.layer_norm(
                    context @ p["attn_out"] + p["attn_out_b"] + x, (dim,), p["attn_ln.0"], p["attn_ln.1"], eps
                )
                up = torch.nn.functional.gelu(x @ p["up"] + p["up_b"])
                x = torch.nn.functional.layer_norm(up @ p["down"] + p["down_b"] + x, (dim,), p["out_ln.0"], p["out_ln.1"], eps)
                if depth == capture:
                    captured = x
            if head is not None:
                return x @ self.head + self.head_b
            return (x, captured) if capture else x

    return Encoder().eval()


def outputs(head: bool, capture: int) -> list[str]:
    """The graph's output names: span logits, or the last states (and the captured layer's)."""
    if head:
        return ["logits"]
    return ["hidden", "captured"] if capture else ["hidden"]


def build(
    target: Path,
    base: Any,
    layers: Sequence[dict[str, Any]],
    head: tuple[np.ndarray, np.ndarray] | None = None,
    capture: int = 0,
    per_channel: bool = False,
) -> Path:
    """Export the stack to ONNX and quantise its matrix products to int8 (dynamic activations).

    ``per_channel`` gives each output column of a weight matrix its own scale.
    """
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    dim = base.dim
    module = _module(base, layers, head, capture)
    names = outputs(head is not None, capture)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        fp32 = Path(tmp) / "fp32.onnx"
        example = (torch.zeros(2, 16, dim), torch.ones(2, 16))
        axes = {"x": {0: "n", 1: "length"}, "mask": {0: "n", 1: "length"}} | {o: {0: "n", 1: "length"} for o in names}
        torch.onnx.export(
            module, example, str(fp32), input_names=["x", "mask"], output_names=names,
            dynamic_axes=axes, opset_version=17, dynamo=False,
        )  # fmt: skip
        partial = Path(tmp) / "int8.onnx"
        quantize_dynamic(
            str(fp32), str(partial), weight_type=QuantType.QInt8, op_types_to_quantize=["MatMul"], per_channel=per_channel
        )
        partial.replace(target)  # whole or not at all
    return target


def build_encoder(target: Path, folder: Path, capture: int = 0, per_channel: bool = True) -> Path:
    """The embedder's encoder: the folder's own BERT, fused by ONNX Runtime's transformer optimizer, in int8.

    Why not :func:`build`: its hand-written layer loop exports as plain
    MatMul/Softmax nodes, which ONNX Runtime runs one by one. The reference
    ``transformers`` BERT (eager attention) exports in the shape the optimizer
    recognises, and becomes one fused Attention, BiasGelu and SkipLayerNorm
    node per layer, which the quantiser then turns into int8 attention.
    Measured on 336 seed windows, 2 cores: 49 texts/s with :func:`build`,
    70-80 with this graph (28.9 for sentence-transformers on torch fp32), at
    the same cosine to the exact vectors (0.997).

    The graph's input is the word-embedding rows (``words``, looked up in
    numpy, so the 250 k-word matrix stays out of the file) and the int64
    padding ``mask``; it adds position and type embeddings itself. Outputs:
    ``hidden`` (last layer) and, with ``capture``, ``captured`` (after that layer).
    """
    import onnx
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers import optimizer
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(folder), attn_implementation="eager", local_files_only=True).eval()
    config = model.config

    class Words(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = model

        def forward(self, words, mask):
            out = self.bert(
                inputs_embeds=words, attention_mask=mask, token_type_ids=torch.zeros_like(mask),
                output_hidden_states=bool(capture),
            )  # fmt: skip
            return (out.last_hidden_state, out.hidden_states[capture]) if capture else out.last_hidden_state

    names = outputs(False, capture)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        fp32, fused, partial = (Path(tmp) / f for f in ("fp32.onnx", "fused.onnx", "int8.onnx"))
        example = (torch.zeros(2, 16, config.hidden_size), torch.ones(2, 16, dtype=torch.long))
        axes = {"words": {0: "n", 1: "length"}, "mask": {0: "n", 1: "length"}} | {o: {0: "n", 1: "length"} for o in names}
        with torch.no_grad():
            torch.onnx.export(
                Words(), example, str(fp32), input_names=["words", "mask"], output_names=names,
                dynamic_axes=axes, opset_version=17, dynamo=False,
            )  # fmt: skip
        optimized = optimizer.optimize_model(
            str(fp32), model_type="bert", num_heads=config.num_attention_heads, hidden_size=config.hidden_size
        )
        if not optimized.get_fused_operator_statistics().get("Attention"):
            raise RuntimeError("ONNX Runtime did not fuse the encoder's attention")
        optimized.save_model_to_file(str(fused))
        quantize_dynamic(
            str(fused), str(partial), weight_type=QuantType.QInt8, per_channel=per_channel,
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},  # fused nodes carry no shape inference
        )  # fmt: skip
        partial.replace(target)  # whole or not at all
    return target


class Int8Session:
    """An ONNX Runtime session over one built stack; ``run(x, mask)`` returns its outputs by name."""

    def __init__(self, path: Path, threads: int | None = None, spinning: bool = False):
        """``spinning`` keeps ONNX Runtime's threads busy-waiting between runs, as it does by default.

        That helps back-to-back batches (a build) but not a query: its threads
        kept both cores busy while the numpy steps after them (USE, alignment)
        ran, and search() took 23 ms at p50 with spinning against 13.5 without.
        """
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or max(1, env_int("QA_QUERY_THREADS", 2))
        options.inter_op_num_threads = 1
        if not spinning:
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.path = path
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.names = [o.name for o in self.session.get_outputs()]

    def run(self, x: np.ndarray, mask: np.ndarray) -> dict[str, np.ndarray]:
        """Outputs by name for the embedding-layer output ``x`` and float ``mask`` (graphs of :func:`build`)."""
        return self.feed({"x": x, "mask": mask})

    def feed(self, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Outputs by name for inputs by name (graphs of :func:`build_encoder` take ``words`` and ``mask``)."""
        return dict(zip(self.names, self.session.run(self.names, inputs)))

    def spinning(self) -> Int8Session:
        """A second session over the same file whose threads spin between runs (for bulk embedding)."""
        return Int8Session(self.path, spinning=True)


def open_session(path: Path, export: Callable[[Path], object], build_if_missing: bool = True) -> Int8Session | None:
    """The session of ``path``, exported once with ``export(path)`` when missing (None when not asked to).

    The check is repeated under a lock, so threads asking at once export it once.
    """
    if not path.is_file():
        if not build_if_missing:
            return None
        with _BUILD_LOCK:
            if not path.is_file():
                export(path)
    return Int8Session(path)


def available() -> bool:
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True
