"""A plain-PyTorch XLM-R, the independent reference our ONNX graphs are checked against.

Written from Hugging Face's modeling_xlm_roberta.py semantics (no transformers package here): module
names mirror HF's, so `state_dict()` keys are the checkpoint's tensor names and a checkpoint loads with
`load_state_dict`. Forward only for now; the training checks extend it (backward, AdamW, LoRA by
wrapping the nn.Linear modules by name).

Run with Debian's /usr/bin/python3 (torch 1.13). As a script it reads one JSON request on stdin:
  {"model": DIR, "head": "mlm" | "seq-cls" | "token-cls" | "qa" | "encoder",
   "input_ids": [[...]], "attention_mask": [[...]], "dtype": "float32" | "float64"}
and prints {"shape": [...], "data": [...]} (the head's logits, or the last hidden state for "encoder").
"""
import json
import math
import os
import struct
import sys

import torch
from torch import nn

SAFETENSORS_DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "F64": torch.float64, "I64": torch.int64}


def read_safetensors(path):
    """name -> tensor. The format: 8-byte little-endian header length, a JSON header, raw little-endian data."""
    with open(path, "rb") as f:
        (header_len,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(header_len))
        data = f.read()
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        start, end = entry["data_offsets"]
        raw = bytearray(data[start:end])
        dtype = SAFETENSORS_DTYPES[entry["dtype"]]
        tensors[name] = torch.frombuffer(raw, dtype=dtype).reshape(entry["shape"]) if raw else torch.zeros(entry["shape"], dtype=dtype)
    return tensors


def canonical_names(tensors):
    """A bare XLMRobertaModel saves 'embeddings.…'; task models save 'roberta.embeddings.…'."""
    if any(k.startswith("roberta.") for k in tensors):
        return tensors
    return {("roberta." + k if k.split(".")[0] in ("embeddings", "encoder", "pooler") else k): v for k, v in tensors.items()}


class Embeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.pad = c["pad_token_id"]
        self.word_embeddings = nn.Embedding(c["vocab_size"], c["hidden_size"], padding_idx=self.pad)
        self.position_embeddings = nn.Embedding(c["max_position_embeddings"], c["hidden_size"], padding_idx=self.pad)
        self.token_type_embeddings = nn.Embedding(c.get("type_vocab_size", 2), c["hidden_size"])
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c.get("layer_norm_eps", 1e-12))
        self.dropout = nn.Dropout(c.get("hidden_dropout_prob", 0.1))

    def forward(self, input_ids, token_type_ids=None):
        not_pad = input_ids.ne(self.pad).long()
        position_ids = torch.cumsum(not_pad, dim=1) * not_pad + self.pad
        if token_type_ids is None:
            token_type_ids = torch.zeros_like(input_ids)
        x = self.word_embeddings(input_ids) + self.token_type_embeddings(token_type_ids) + self.position_embeddings(position_ids)
        return self.dropout(self.LayerNorm(x))


class SelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        h = c["hidden_size"]
        self.heads = c["num_attention_heads"]
        self.head_dim = h // self.heads
        self.query, self.key, self.value = nn.Linear(h, h), nn.Linear(h, h), nn.Linear(h, h)
        self.dropout = nn.Dropout(c.get("attention_probs_dropout_prob", 0.1))

    def split(self, x):
        b, s, _ = x.shape
        return x.view(b, s, self.heads, self.head_dim).transpose(1, 2)

    def forward(self, x, additive_mask):
        q, k, v = self.split(self.query(x)), self.split(self.key(x)), self.split(self.value(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_dim) + additive_mask
        probs = self.dropout(torch.softmax(scores, dim=-1))
        ctx = torch.matmul(probs, v).transpose(1, 2)
        return ctx.reshape(ctx.shape[0], ctx.shape[1], -1)


class DenseOutput(nn.Module):
    """XLMRobertaSelfOutput and XLMRobertaOutput: dense, dropout, residual, LayerNorm."""

    def __init__(self, c, inner):
        super().__init__()
        self.dense = nn.Linear(inner, c["hidden_size"])
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c.get("layer_norm_eps", 1e-12))
        self.dropout = nn.Dropout(c.get("hidden_dropout_prob", 0.1))

    def forward(self, x, residual):
        return self.LayerNorm(self.dropout(self.dense(x)) + residual)


class Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.self = SelfAttention(c)
        self.output = DenseOutput(c, c["hidden_size"])

    def forward(self, x, additive_mask):
        return self.output(self.self(x, additive_mask), x)


class Intermediate(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["intermediate_size"])

    def forward(self, x):
        return nn.functional.gelu(self.dense(x))  # exact erf GELU, HF's "gelu"


class Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attention = Attention(c)
        self.intermediate = Intermediate(c)
        self.output = DenseOutput(c, c["intermediate_size"])

    def forward(self, x, additive_mask):
        attended = self.attention(x, additive_mask)
        return self.output(self.intermediate(attended), attended)


class Encoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layer = nn.ModuleList([Layer(c) for _ in range(c["num_hidden_layers"])])

    def forward(self, x, additive_mask):
        for layer in self.layer:
            x = layer(x, additive_mask)
        return x


class Roberta(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embeddings = Embeddings(c)
        self.encoder = Encoder(c)

    def forward(self, input_ids, attention_mask, token_type_ids=None):
        dtype = self.embeddings.word_embeddings.weight.dtype
        additive = (1.0 - attention_mask[:, None, None, :].to(dtype)) * torch.finfo(dtype).min
        return self.encoder(self.embeddings(input_ids, token_type_ids), additive)


class LMHead(nn.Module):
    """dense, GELU, LayerNorm, then the decoder tied to the word embeddings plus lm_head.bias."""

    def __init__(self, c, word_embeddings):
        super().__init__()
        h = c["hidden_size"]
        self.dense = nn.Linear(h, h)
        self.layer_norm = nn.LayerNorm(h, eps=c.get("layer_norm_eps", 1e-12))
        self.bias = nn.Parameter(torch.zeros(c["vocab_size"]))
        self.word_embeddings = [word_embeddings]  # a list, so the tied table is not registered twice

    def forward(self, x):
        x = self.layer_norm(nn.functional.gelu(self.dense(x)))
        return x @ self.word_embeddings[0].weight.t() + self.bias


class ClassificationHead(nn.Module):
    """XLMRobertaClassificationHead: reads position 0 (even when it is a pad)."""

    def __init__(self, c, num_labels):
        super().__init__()
        h = c["hidden_size"]
        p = c.get("classifier_dropout")
        self.dropout = nn.Dropout(c.get("hidden_dropout_prob", 0.1) if p is None else p)
        self.dense = nn.Linear(h, h)
        self.out_proj = nn.Linear(h, num_labels)

    def forward(self, hidden):
        x = self.dropout(hidden[:, 0, :])
        x = self.dropout(torch.tanh(self.dense(x)))
        return self.out_proj(x)


class XlmrReference(nn.Module):
    def __init__(self, config, head):
        super().__init__()
        self.head = head
        self.roberta = Roberta(config)
        num_labels = len(config.get("id2label") or {"0": 0, "1": 1})
        if head == "mlm":
            self.lm_head = LMHead(config, self.roberta.embeddings.word_embeddings)
        elif head == "seq-cls":
            self.classifier = ClassificationHead(config, num_labels)
        elif head == "token-cls":
            p = config.get("classifier_dropout")
            self.dropout = nn.Dropout(config.get("hidden_dropout_prob", 0.1) if p is None else p)
            self.classifier = nn.Linear(config["hidden_size"], num_labels)
        elif head == "qa":
            # XLMRobertaForQuestionAnswering: a linear layer to (start, end) on every token, no dropout.
            self.qa_outputs = nn.Linear(config["hidden_size"], 2)

    def forward(self, input_ids, attention_mask, token_type_ids=None):
        hidden = self.roberta(input_ids, attention_mask, token_type_ids)
        if self.head == "mlm":
            return self.lm_head(hidden)
        if self.head == "seq-cls":
            return self.classifier(hidden)
        if self.head == "token-cls":
            return self.classifier(self.dropout(hidden))
        if self.head == "qa":
            return self.qa_outputs(hidden)
        return hidden


def load_model(model_dir, head, dtype=torch.float32):
    with open(os.path.join(model_dir, "config.json")) as f:
        config = json.load(f)
    model = XlmrReference(config, head)
    tensors = canonical_names(read_safetensors(os.path.join(model_dir, "model.safetensors")))
    if "lm_head.bias" not in tensors and "lm_head.decoder.bias" in tensors:
        tensors["lm_head.bias"] = tensors["lm_head.decoder.bias"]
    wanted = model.state_dict()
    missing = [k for k in wanted if k not in tensors]
    if missing:
        raise KeyError(f"checkpoint lacks {missing[:5]}")
    model.load_state_dict({k: tensors[k].to(torch.float32) for k in wanted})
    return model.to(dtype).eval()


def main():
    request = json.load(sys.stdin)
    dtype = torch.float64 if request.get("dtype") == "float64" else torch.float32
    model = load_model(request["model"], request["head"], dtype)
    ids = torch.tensor(request["input_ids"], dtype=torch.long)
    mask = torch.tensor(request["attention_mask"], dtype=torch.long)
    with torch.no_grad():
        out = model(ids, mask)
    json.dump({"shape": list(out.shape), "data": out.reshape(-1).tolist()}, sys.stdout)


if __name__ == "__main__":
    main()
