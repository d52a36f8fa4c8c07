"""Hugging Face's MarianMTModel, M2M100ForConditionalGeneration (NLLB's class too) and
MBartForConditionalGeneration in plain PyTorch, with HF's module names, so that state_dict() spells every
tensor as transformers saves it. The reference our seq2seq graphs (src/engine/seq2seq/) are checked against.

Written from transformers' modeling_marian.py / modeling_m2m_100.py / modeling_mbart.py (no transformers
package here), the facts that matter:
- Marian: post-LayerNorm layers (BART's order), no embedding LayerNorm, no final LayerNorm; sinusoidal positions
  with sines in the first half and cosines in the second, position = 0, 1, ... whatever the padding;
  `final_logits_bias` (a buffer); lm_head tied to the shared embeddings unless tie_word_embeddings is false;
  decoding starts with the pad token.
- M2M100 / NLLB: pre-LayerNorm layers and a final `layer_norm` in encoder and decoder; fairseq's sinusoidal
  table (sin | cos halves, frequencies exp(-k log(10000) / (half - 1)), the pad row zero) read at positions
  cumsum(ids != pad) * (ids != pad) + pad, i.e. real tokens from pad + 1; no final_logits_bias.
- MBart: as M2M100 but learned positions (offset 2: row position + 2) and a `layernorm_embedding`, and a
  final_logits_bias.
- every word embedding is scaled by sqrt(d_model) when scale_embedding; nn.Embedding(padding_idx=pad), so the
  pad row gets no gradient from the lookups; attention adds float32's minimum on padded source keys and is
  causal in the decoder; queries are scaled by head_dim ** -0.5.
- the loss is transformers' Trainer's: cross-entropy over labels (-100 ignored) with label smoothing
  (LabelSmoother: (1 - eps) * nll + eps * mean over the vocabulary of -log p, both over kept tokens).

Reads one JSON request on stdin:
  {"command": "build", "dir", "config", "seed", "std"}: random weights into DIR/model.safetensors (tied copies
      left out, as save_pretrained does) and DIR/config.json.
  {"command": "logits", "dir", "input_ids", "attention_mask", "decoder_input_ids"}: {"logits": [...]}.
  {"command": "grads" | "train", "dir", "init", "lora", "batches", "label_smoothing", "hp"}: as reference_train.py.
  {"command": "greedy", "dir", "input_ids", "attention_mask", "max_length", "forced_bos_token_id"}: greedy tokens.
  {"command": "bench", "dir", "batch", "threads", "steps", "warmup"}: full fine-tuning steps (AdamW, label smoothing
      0.1, clipping) on the batch, timed; prints {"examples_per_s", "peak_rss_mb"} (bench/train-translation.ts).
"""
import json
import math
import os
import struct
import sys

import torch
import torch.nn.functional as F
from torch import nn

from reference_xlmr import read_safetensors
from reference_train import add_lora, trainable_named
from torch_optim import train

ACT = {"relu": F.relu, "swish": F.silu, "silu": F.silu, "gelu": F.gelu}
FAMILIES = {"marian": "marian", "m2m_100": "m2m_100", "mbart": "mbart"}


def marian_table(n_pos, dim):
    pos = torch.arange(n_pos, dtype=torch.float64)[:, None]
    j = torch.arange(dim, dtype=torch.float64)[None, :]
    angles = pos / torch.pow(10000.0, 2 * torch.div(j, 2, rounding_mode="floor") / dim)
    out = torch.zeros(n_pos, dim, dtype=torch.float64)
    sentinel = dim // 2 if dim % 2 == 0 else dim // 2 + 1
    out[:, :sentinel] = torch.sin(angles[:, 0::2])
    out[:, sentinel:] = torch.cos(angles[:, 1::2])
    return out.float()


def fairseq_table(num, dim, pad):
    half = dim // 2
    step = math.log(10000) / (half - 1)
    freqs = torch.exp(torch.arange(half, dtype=torch.float) * -step)
    angles = torch.arange(num, dtype=torch.float)[:, None] * freqs[None, :]
    out = torch.cat([torch.sin(angles), torch.cos(angles)], dim=1)
    if dim % 2 == 1:
        out = torch.cat([out, torch.zeros(num, 1)], dim=1)
    out[pad, :] = 0
    return out


class Attention(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads, self.head_dim = heads, d // heads
        self.k_proj, self.v_proj, self.q_proj, self.out_proj = nn.Linear(d, d), nn.Linear(d, d), nn.Linear(d, d), nn.Linear(d, d)

    def split(self, x):
        b, s, _ = x.shape
        return x.view(b, s, self.heads, self.head_dim).transpose(1, 2)

    def forward(self, x, kv, mask):
        q = self.split(self.q_proj(x))
        k, v = self.split(self.k_proj(kv)), self.split(self.v_proj(kv))
        w = torch.matmul(q, k.transpose(2, 3)) * self.head_dim ** -0.5 + mask
        out = torch.matmul(torch.softmax(w, dim=-1), v).transpose(1, 2)
        return self.out_proj(out.reshape(out.shape[0], out.shape[1], -1))


class EncoderLayer(nn.Module):
    def __init__(self, c, pre):
        super().__init__()
        d = c["d_model"]
        self.pre, self.act = pre, ACT[c["activation_function"]]
        self.self_attn = Attention(d, c["encoder_attention_heads"])
        self.self_attn_layer_norm = nn.LayerNorm(d)
        self.fc1, self.fc2 = nn.Linear(d, c["encoder_ffn_dim"]), nn.Linear(c["encoder_ffn_dim"], d)
        self.final_layer_norm = nn.LayerNorm(d)

    def forward(self, h, mask):
        x = self.self_attn_layer_norm(h) if self.pre else h
        h = h + self.self_attn(x, x, mask)
        if not self.pre:
            h = self.self_attn_layer_norm(h)
        x = self.final_layer_norm(h) if self.pre else h
        h = h + self.fc2(self.act(self.fc1(x)))
        return h if self.pre else self.final_layer_norm(h)


class DecoderLayer(nn.Module):
    def __init__(self, c, pre):
        super().__init__()
        d = c["d_model"]
        self.pre, self.act = pre, ACT[c["activation_function"]]
        self.self_attn = Attention(d, c["decoder_attention_heads"])
        self.self_attn_layer_norm = nn.LayerNorm(d)
        self.encoder_attn = Attention(d, c["decoder_attention_heads"])
        self.encoder_attn_layer_norm = nn.LayerNorm(d)
        self.fc1, self.fc2 = nn.Linear(d, c["decoder_ffn_dim"]), nn.Linear(c["decoder_ffn_dim"], d)
        self.final_layer_norm = nn.LayerNorm(d)

    def forward(self, h, self_mask, enc, cross_mask):
        x = self.self_attn_layer_norm(h) if self.pre else h
        h = h + self.self_attn(x, x, self_mask)
        if not self.pre:
            h = self.self_attn_layer_norm(h)
        x = self.encoder_attn_layer_norm(h) if self.pre else h
        h = h + self.encoder_attn(x, enc, cross_mask)
        if not self.pre:
            h = self.encoder_attn_layer_norm(h)
        x = self.final_layer_norm(h) if self.pre else h
        h = h + self.fc2(self.act(self.fc1(x)))
        return h if self.pre else self.final_layer_norm(h)


class Stack(nn.Module):
    """MarianEncoder / M2M100Decoder / ...: embeddings, positions, layers, the family's LayerNorms."""

    def __init__(self, c, family, embed_tokens, layer, count):
        super().__init__()
        d = c["d_model"]
        self.family, self.pad = family, c["pad_token_id"]
        self.embed_scale = math.sqrt(d) if c.get("scale_embedding", False) else 1.0
        self.embed_tokens = embed_tokens
        if family == "mbart":
            self.embed_positions = nn.Embedding(c["max_position_embeddings"] + 2, d)
            self.layernorm_embedding = nn.LayerNorm(d)
        elif family == "marian":
            self.register_buffer("marian_positions", marian_table(c["max_position_embeddings"], d), persistent=False)
        else:
            self.register_buffer("fairseq_positions", fairseq_table(c["max_position_embeddings"] + 4, d, self.pad), persistent=False)
        self.layers = nn.ModuleList([layer(c, family != "marian") for _ in range(count)])
        if family != "marian":
            self.layer_norm = nn.LayerNorm(d)

    def embed(self, ids):
        h = self.embed_tokens(ids) * self.embed_scale
        seq = ids.shape[1]
        if self.family == "mbart":
            h = h + self.embed_positions(torch.arange(seq) + 2)
            return self.layernorm_embedding(h)
        if self.family == "marian":
            return h + self.marian_positions[torch.arange(seq)]
        keep = ids.ne(self.pad).long()
        return h + self.fairseq_positions[torch.cumsum(keep, dim=1) * keep + self.pad]

    def finish(self, h):
        return self.layer_norm(h) if self.family != "marian" else h


class Encoder(Stack):
    def __init__(self, c, family, embed_tokens):
        super().__init__(c, family, embed_tokens, EncoderLayer, c["encoder_layers"])

    def forward(self, ids, mask):
        h = self.embed(ids)
        additive = (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
        for layer in self.layers:
            h = layer(h, additive)
        return self.finish(h)


class Decoder(Stack):
    def __init__(self, c, family, embed_tokens):
        super().__init__(c, family, embed_tokens, DecoderLayer, c["decoder_layers"])

    def forward(self, ids, enc, enc_mask):
        h = self.embed(ids)
        t = ids.shape[1]
        causal = torch.triu(torch.full((t, t), torch.finfo(torch.float32).min), diagonal=1)[None, None]
        cross = (1.0 - enc_mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
        for layer in self.layers:
            h = layer(h, causal, enc, cross)
        return self.finish(h)


class Model(nn.Module):
    def __init__(self, c, family):
        super().__init__()
        d, pad = c["d_model"], c["pad_token_id"]
        shared_embeddings = family != "marian" or c.get("share_encoder_decoder_embeddings", True)
        if shared_embeddings:
            self.shared = nn.Embedding(c["vocab_size"], d, pad)
            enc_embed = dec_embed = self.shared
        else:
            enc_embed = nn.Embedding(c["vocab_size"], d, pad)
            dec_embed = nn.Embedding(c.get("decoder_vocab_size") or c["vocab_size"], d, pad)
        self.encoder = Encoder(c, family, enc_embed)
        self.decoder = Decoder(c, family, dec_embed)


class ForConditionalGeneration(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.family = FAMILIES[c["model_type"]]
        self.c = c
        self.model = Model(c, self.family)
        out_vocab = self.model.decoder.embed_tokens.num_embeddings
        self.lm_head = nn.Linear(c["d_model"], out_vocab, bias=False)
        if c.get("tie_word_embeddings", True):
            self.lm_head.weight = self.model.decoder.embed_tokens.weight
        if self.family != "m2m_100":
            self.register_buffer("final_logits_bias", torch.zeros(1, out_vocab))

    def forward(self, ids, mask, dec_ids):
        enc = self.model.encoder(ids, mask)
        h = self.model.decoder(dec_ids, enc, mask)
        logits = self.lm_head(h)
        return logits + self.final_logits_bias if self.family != "m2m_100" else logits


def write_safetensors(path, tensors):
    header, offset, blobs = {}, 0, []
    for name, t in tensors.items():
        raw = t.detach().contiguous().float().numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
        blobs.append(raw)
    head = json.dumps(header).encode()
    head += b" " * ((8 - len(head) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(head)))
        f.write(head)
        for b in blobs:
            f.write(b)


def saved_state(model):
    """state_dict() without the tied copies, as save_pretrained leaves them out (the first name of a tensor stays)."""
    seen, out = set(), {}
    for name, t in model.state_dict().items():
        if t.data_ptr() in seen:
            continue
        seen.add(t.data_ptr())
        out[name] = t
    return out


def build(req):
    c = req["config"]
    torch.manual_seed(req["seed"])
    model = ForConditionalGeneration(c)
    std = req.get("std", 0.3)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("layer_norm.weight") or name.endswith("layernorm_embedding.weight"):
                p.copy_(1 + 0.1 * torch.randn_like(p))
            else:
                p.copy_(std * torch.randn_like(p))
        if hasattr(model, "final_logits_bias"):
            model.final_logits_bias.copy_(std * torch.randn_like(model.final_logits_bias))
    os.makedirs(req["dir"], exist_ok=True)
    write_safetensors(os.path.join(req["dir"], "model.safetensors"), saved_state(model))
    with open(os.path.join(req["dir"], "config.json"), "w") as f:
        json.dump(c, f, indent=2)
    return {"names": list(saved_state(model).keys())}


def load(dir_):
    with open(os.path.join(dir_, "config.json")) as f:
        c = json.load(f)
    model = ForConditionalGeneration(c)
    stored = read_safetensors(os.path.join(dir_, "model.safetensors"))
    state = model.state_dict()
    with torch.no_grad():
        for name, t in stored.items():
            if name in state:
                state[name].copy_(t)
    model.eval()
    return model


def long(x):
    return torch.tensor(x, dtype=torch.long)


def loss_function(model, eps):
    def loss_of_batch(b):
        logits = model(long(b["input_ids"]), long(b["attention_mask"]), long(b["decoder_input_ids"]))
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), long(b["labels"]).reshape(-1), ignore_index=-100, label_smoothing=eps)
    return loss_of_batch


def greedy(model, req):
    ids, mask = long(req["input_ids"]), long(req["attention_mask"])
    c = model.c
    out = torch.full((ids.shape[0], 1), c["decoder_start_token_id"], dtype=torch.long)
    done = torch.zeros(ids.shape[0], dtype=torch.bool)
    with torch.no_grad():
        for step in range(req["max_length"] - 1):
            logits = model(ids, mask, out)[:, -1, :]
            nxt = logits.argmax(-1)
            if step == 0 and req.get("forced_bos_token_id") is not None:
                nxt = torch.full_like(nxt, req["forced_bos_token_id"])
            nxt = torch.where(done, torch.full_like(nxt, c["pad_token_id"]), nxt)
            out = torch.cat([out, nxt[:, None]], dim=1)
            done = done | nxt.eq(c["eos_token_id"])
            if done.all():
                break
    return [row[1:].tolist() for row in out]


def bench(model, req):
    import resource
    import time
    torch.set_num_threads(req["threads"])
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=1e-4, weight_decay=0.01)
    b = req["batch"]
    loss_of_batch = loss_function(model, 0.1)
    times = []
    for step in range(req["warmup"] + req["steps"]):
        started = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = loss_of_batch(b)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        if step >= req["warmup"]:
            times.append(time.perf_counter() - started)
    times.sort()
    median = times[len(times) // 2]
    return {"examples_per_s": len(b["input_ids"]) / median, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main():
    torch.set_num_threads(1)
    req = json.load(sys.stdin)
    cmd = req["command"]
    if cmd == "build":
        json.dump(build(req), sys.stdout)
        return
    model = load(req["dir"])
    if cmd == "logits":
        with torch.no_grad():
            logits = model(long(req["input_ids"]), long(req["attention_mask"]), long(req["decoder_input_ids"]))
        json.dump({"logits": logits.reshape(-1).tolist()}, sys.stdout)
        return
    if cmd == "greedy":
        json.dump({"tokens": greedy(model, req)}, sys.stdout)
        return
    if cmd == "bench":
        json.dump(bench(model, req), sys.stdout)
        return
    if req.get("lora"):
        add_lora(model, req["lora"])
    for p in model.parameters():
        p.requires_grad_(False)
    named = trainable_named(model, list(req["init"].keys()))
    with torch.no_grad():
        for name, p in named:
            p.copy_(torch.tensor(req["init"][name], dtype=torch.float32).reshape(p.shape))
            p.requires_grad_(True)
    loss_of_batch = loss_function(model, req.get("label_smoothing", 0.0))
    if cmd == "grads":
        loss = loss_of_batch(req["batches"][0][0])
        loss.backward()
        grads = {n: (p.grad.reshape(-1).tolist() if p.grad is not None else [0.0] * p.numel()) for n, p in named}
        json.dump({"loss": loss.item(), "grads": grads}, sys.stdout)
        return
    log = train(named, loss_of_batch, req["batches"], req["hp"])
    json.dump({"weights": {n: p.detach().reshape(-1).tolist() for n, p in named}, "log": log}, sys.stdout)


if __name__ == "__main__":
    main()
