"""BERT encoder stacks as int8 ONNX Runtime models: the embedder's and the reader's.

Why: embedding and reading are fp32 matrix products, most of a build's time
and most of an answer's. This CPU has AVX-512 VNNI, so ONNX Runtime's dynamic
int8 quantisation of the products runs them several times faster, with
vectors that stay within a cosine of ~0.99 of the exact ones.

The graph holds the encoder layers only (and the reader's span head); the
embedding lookup stays in numpy (qa/embed/encoders.py), so a file is the size of its
layers in int8. Files are built once into the cache folder, named by a hash of
what they were built from, and written whole or not at all. Torch is used for
the export only; without onnxruntime everything runs in numpy.
"""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np

from qa.settings import query_threads

_BUILD_LOCK = threading.Lock()


def outputs(head: bool, capture: int) -> list[str]:
    """The graph's output names: span logits, or the last states (and the captured layer's)."""
    if head:
        return ["logits"]
    return ["hidden", "captured"] if capture else ["hidden"]


def build_encoder(
    target: Path,
    folder: Path,
    capture: int = 0,
    per_channel: bool = True,
    replace: Mapping[str, np.ndarray] | None = None,
    head: tuple[np.ndarray, np.ndarray] | None = None,
    reduce_range: bool = False,
) -> Path:
    """An encoder: the folder's own BERT, fused by ONNX Runtime's transformer optimizer, in int8.

    Why this graph: a hand-written layer loop exports as plain MatMul/Softmax
    nodes, which ONNX Runtime runs one by one. The reference ``transformers``
    BERT (eager attention) exports in the shape the optimizer recognises, and
    becomes one fused Attention, BiasGelu and SkipLayerNorm node per layer,
    which the quantiser then turns into int8 attention. Measured on 336 seed
    windows, 2 cores: 49 texts/s with the plain loop, 70-80 with this graph
    (28.9 for sentence-transformers on torch fp32), at the same cosine to the
    exact vectors (0.997).

    The graph's input is the word-embedding rows (``words``, looked up in
    numpy, so the 250 k-word matrix stays out of the file) and the int64
    padding ``mask``; it adds position and type embeddings itself. Outputs:
    ``hidden`` (last layer) and, with ``capture``, ``captured`` (after that layer).

    The reader is the same graph with its trained layers in ``replace``
    (tensors by their BertModel names) and its span head ``(in, 2)`` weight and
    bias on top; its one output is then ``logits`` (qa/answer/read_int8.py says why
    the reader is built this way too).
    """
    import onnx
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers import optimizer
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(folder), attn_implementation="eager", local_files_only=True).eval()
    config = model.config
    if replace:
        state = {k: torch.from_numpy(np.asarray(v, dtype=np.float32)) for k, v in replace.items()}
        _, unexpected = model.load_state_dict(state, strict=False)
        if unexpected:
            raise ValueError(f"tensors the base model does not have: {unexpected[:3]}")
    span = None if head is None else (torch.from_numpy(np.array(head[0])), torch.from_numpy(np.array(head[1])))

    class Words(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = model

        def forward(self, words, mask):
            out = self.bert(
                inputs_embeds=words, attention_mask=mask, token_type_ids=torch.zeros_like(mask),
                output_hidden_states=bool(capture),
            )  # fmt: skip
            if span is not None:
                return out.last_hidden_state @ span[0] + span[1]
            return (out.last_hidden_state, out.hidden_states[capture]) if capture else out.last_hidden_state

    names = outputs(span is not None, capture)
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
            str(fused), str(partial), weight_type=QuantType.QInt8, per_channel=per_channel, reduce_range=reduce_range,
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
        options.intra_op_num_threads = threads or query_threads()
        options.inter_op_num_threads = 1
        if not spinning:
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.path = path
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.names = [o.name for o in self.session.get_outputs()]

    def feed(self, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Outputs by name for inputs by name (the graphs take ``words`` and the int64 padding ``mask``)."""
        return dict(zip(self.names, self.session.run(self.names, inputs)))

    def spinning(self) -> Int8Session:
        """A second session over the same file whose threads spin between runs (for bulk embedding)."""
        return Int8Session(self.path, spinning=True)


def open_session(
    path: Path, export: Callable[[Path], object], build_if_missing: bool = True, threads: int | None = None
) -> Int8Session | None:
    """The session of ``path``, exported once with ``export(path)`` when missing (None when not asked to).

    The check is repeated under a lock, so threads asking at once export it once.
    """
    if not path.is_file():
        if not build_if_missing:
            return None
        with _BUILD_LOCK:
            if not path.is_file():
                export(path)
    return Int8Session(path, threads)


def available() -> bool:
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True
