"""XLM-R in plain PyTorch, carried by every job folder XLM Lab exports, so the job trains where `transformers`
is not installed. Module names follow Hugging Face's modeling_xlm_roberta.py, so `state_dict()` keys are the
checkpoint's tensor names and an HF folder loads with `load_state_dict` (and what this saves loads in
transformers). LoRA is PEFT's formulation: base(x) + (alpha / r) * B(A(dropout(x))).

Also: reading and writing safetensors (8-byte little-endian header length, JSON header, raw data), since the
`safetensors` package may be absent too.
"""
import json
import math
import os
import re
import struct

import torch
from torch import nn

_DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "F64": torch.float64, "I64": torch.int64}
_NAMES = {v: k for k, v in _DTYPES.items()}


def read_safetensors(path):
    """name -> tensor (float weights as float32)."""
    with open(path, "rb") as f:
        (size,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(size))
        data = f.read()
    out = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        start, end = entry["data_offsets"]
        dtype = _DTYPES[entry["dtype"]]
        raw = bytearray(data[start:end])
        t = torch.frombuffer(raw, dtype=dtype).reshape(entry["shape"]) if raw else torch.zeros(entry["shape"], dtype=dtype)
        out[name] = t.float() if t.is_floating_point() else t
    return out


def write_safetensors(path, tensors):
    """Writes {name: tensor} (sorted by name, contiguous, little-endian) with the format=pt metadata."""
    header = {"__metadata__": {"format": "pt"}}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        t = tensors[name].detach().cpu().contiguous()
        raw = t.numpy().tobytes()
        header[name] = {"dtype": _NAMES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    tmp = path + ".partial"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for raw in blobs:
            f.write(raw)
    os.replace(tmp, path)


def _dropout_of(config, key, override):
    return override if override is not None else config.get(key, 0.1)


class Embeddings(nn.Module):
    def __init__(self, c, p):
        super().__init__()
        h = c["hidden_size"]
        self.pad = c["pad_token_id"]
        self.word_embeddings = nn.Embedding(c["vocab_size"], h, padding_idx=self.pad)
        self.position_embeddings = nn.Embedding(c["max_position_embeddings"], h, padding_idx=self.pad)
        self.token_type_embeddings = nn.Embedding(c.get("type_vocab_size", 1), h)
        self.LayerNorm = nn.LayerNorm(h, eps=c.get("layer_norm_eps", 1e-5))
        self.dropout = nn.Dropout(p)

    def forward(self, input_ids):
        # Positions count real tokens from pad + 1 (pads keep position pad), as HF computes them.
        real = input_ids.ne(self.pad).long()
        positions = torch.cumsum(real, dim=1) * real + self.pad
        x = self.word_embeddings(input_ids) + self.token_type_embeddings(torch.zeros_like(input_ids)) + self.position_embeddings(positions)
        return self.dropout(self.LayerNorm(x))


class SelfAttention(nn.Module):
    def __init__(self, c, p):
        super().__init__()
        h = c["hidden_size"]
        self.heads = c["num_attention_heads"]
        self.size = h // self.heads
        self.query, self.key, self.value = nn.Linear(h, h), nn.Linear(h, h), nn.Linear(h, h)
        self.dropout = nn.Dropout(p)

    def forward(self, x, bias):
        b, s, _ = x.shape
        split = lambda t: t.view(b, s, self.heads, self.size).transpose(1, 2)
        scores = split(self.query(x)) @ split(self.key(x)).transpose(-1, -2) / math.sqrt(self.size) + bias
        ctx = self.dropout(torch.softmax(scores, dim=-1)) @ split(self.value(x))
        return ctx.transpose(1, 2).reshape(b, s, -1)


class Output(nn.Module):
    """dense, dropout, residual, LayerNorm (HF's XLMRobertaSelfOutput and XLMRobertaOutput)."""

    def __init__(self, c, inner, p):
        super().__init__()
        self.dense = nn.Linear(inner, c["hidden_size"])
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c.get("layer_norm_eps", 1e-5))
        self.dropout = nn.Dropout(p)

    def forward(self, x, residual):
        return self.LayerNorm(self.dropout(self.dense(x)) + residual)


class Attention(nn.Module):
    def __init__(self, c, hidden_p, attention_p):
        super().__init__()
        self.self = SelfAttention(c, attention_p)
        self.output = Output(c, c["hidden_size"], hidden_p)

    def forward(self, x, bias):
        return self.output(self.self(x, bias), x)


class Intermediate(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["intermediate_size"])

    def forward(self, x):
        return nn.functional.gelu(self.dense(x))


class Layer(nn.Module):
    def __init__(self, c, hidden_p, attention_p):
        super().__init__()
        self.attention = Attention(c, hidden_p, attention_p)
        self.intermediate = Intermediate(c)
        self.output = Output(c, c["intermediate_size"], hidden_p)

    def forward(self, x, bias):
        a = self.attention(x, bias)
        return self.output(self.intermediate(a), a)


class Encoder(nn.Module):
    def __init__(self, c, hidden_p, attention_p):
        super().__init__()
        self.layer = nn.ModuleList([Layer(c, hidden_p, attention_p) for _ in range(c["num_hidden_layers"])])

    def forward(self, x, bias):
        for layer in self.layer:
            x = layer(x, bias)
        return x


class Roberta(nn.Module):
    def __init__(self, c, hidden_p, attention_p):
        super().__init__()
        self.embeddings = Embeddings(c, hidden_p)
        self.encoder = Encoder(c, hidden_p, attention_p)

    def forward(self, input_ids, attention_mask):
        # Padded keys get the dtype's most negative value, as HF's extended attention mask.
        bias = (1.0 - attention_mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
        return self.encoder(self.embeddings(input_ids), bias)


class ClassificationHead(nn.Module):
    """Reads position 0 (<s>): dropout, dense, tanh, dropout, out_proj."""

    def __init__(self, c, num_labels, p):
        super().__init__()
        self.dropout = nn.Dropout(p)
        self.dense = nn.Linear(c["hidden_size"], c["hidden_size"])
        self.out_proj = nn.Linear(c["hidden_size"], num_labels)

    def forward(self, hidden):
        x = self.dropout(torch.tanh(self.dense(self.dropout(hidden[:, 0, :]))))
        return self.out_proj(x)


class XlmrForTask(nn.Module):
    """XLMRobertaForSequenceClassification ('seq-cls') or XLMRobertaForTokenClassification ('token-cls')."""

    def __init__(self, config, task, num_labels, dropout=None):
        super().__init__()
        self.task = task
        hidden_p = _dropout_of(config, "hidden_dropout_prob", dropout)
        attention_p = _dropout_of(config, "attention_probs_dropout_prob", dropout)
        head_p = dropout if dropout is not None else (config.get("classifier_dropout") if config.get("classifier_dropout") is not None else hidden_p)
        self.roberta = Roberta(config, hidden_p, attention_p)
        if task == "seq-cls":
            self.classifier = ClassificationHead(config, num_labels, head_p)
        elif task == "token-cls":
            self.dropout = nn.Dropout(head_p)
            self.classifier = nn.Linear(config["hidden_size"], num_labels)
        else:
            raise ValueError(f"task {task!r}: this job trains seq-cls or token-cls")

    def forward(self, input_ids, attention_mask):
        hidden = self.roberta(input_ids, attention_mask)
        if self.task == "seq-cls":
            return self.classifier(hidden)
        return self.classifier(self.dropout(hidden))


class LoraLinear(nn.Module):
    """PEFT's LoRA around an nn.Linear; lora_A / lora_B keep PEFT's key names (MODULE.lora_A.weight)."""

    def __init__(self, base, r, alpha, p):
        super().__init__()
        self.base = base
        self.lora_dropout = nn.Dropout(p)
        self.lora_A = nn.Linear(base.in_features, r, bias=False)
        self.lora_B = nn.Linear(r, base.out_features, bias=False)
        self.scale = alpha / r

    def forward(self, x):
        return self.base(x) + self.lora_B(self.lora_A(self.lora_dropout(x))) * self.scale

    def merged_weight(self):
        return self.base.weight + (self.lora_B.weight @ self.lora_A.weight) * self.scale


def is_lora_target(module, targets):
    """XLM Lab's target names: a suffix at a dot boundary, except that 'output.dense' is the feed-forward output only."""
    for t in targets:
        if t == "output.dense":
            if re.search(r"(^|\.)layer\.\d+\.output\.dense$", module):
                return True
        elif module == t or module.endswith("." + t):
            return True
    return False


def add_lora(model, lora):
    """Wraps every targeted nn.Linear; returns {module name: LoraLinear}."""
    wrapped = {}
    for name, module in list(model.named_modules()):
        if isinstance(module, nn.Linear) and name.startswith("roberta.") and is_lora_target(name, lora["targets"]):
            parent, _, child = name.rpartition(".")
            layer = LoraLinear(module, lora["r"], lora["alpha"], lora["dropout"])
            setattr(model.get_submodule(parent), child, layer)
            wrapped[name] = layer
    return wrapped


def canonical(name):
    """A parameter's checkpoint name: a LoRA-wrapped Linear's weight is MODULE.weight, not MODULE.base.weight."""
    return name.replace(".base.", ".")


def load_folder(model_dir, task, num_labels, dropout=None):
    """The job's model folder (config.json, model.safetensors under HF names) as an XlmrForTask."""
    with open(os.path.join(model_dir, "config.json")) as f:
        config = json.load(f)
    model = XlmrForTask(config, task, num_labels, dropout)
    tensors = read_safetensors(os.path.join(model_dir, "model.safetensors"))
    wanted = model.state_dict()
    missing = [k for k in wanted if k not in tensors]
    if missing:
        raise KeyError(f"{model_dir}/model.safetensors lacks {missing[:5]}")
    model.load_state_dict({k: tensors[k] for k in wanted})
    return model, config


def hf_state_dict(model):
    """Every weight under its HF name, LoRA branches merged into their base weights."""
    out = {}
    merged = {name: m for name, m in model.named_modules() if isinstance(m, LoraLinear)}
    for name, p in model.state_dict().items():
        if ".lora_A." in name or ".lora_B." in name:
            continue
        module = name.rsplit(".", 2)[0]
        if name.endswith(".base.weight") and module in merged:
            p = merged[module].merged_weight()
        out[canonical(name)] = p.detach().float()
    return out
