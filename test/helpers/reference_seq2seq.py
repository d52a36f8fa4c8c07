"""A tiny Marian-style encoder-decoder in plain PyTorch: the reference our translation code is checked against.

Written from Hugging Face's modeling_marian.py semantics (no transformers package here): token embeddings
shared by encoder, decoder and the output projection, scaled by sqrt(d_model); Marian's sinusoidal position
table (sines in the first half, cosines in the second, positions from 0); post-LN layers (or pre-LN with a
final LayerNorm, M2M100's order, with "normalize_before"); queries scaled by head_dim^-0.5; cross-attention;
logits plus final_logits_bias.

Run with Debian's /usr/bin/python3 (torch 1.13). As a script it reads one JSON request on stdin:
  {"command": "build", "dir": DIR, "seed": S, "config": {...}}
      writes DIR/config.json, DIR/generation_config.json, DIR/weights.pt and optimum's ONNX layout:
      DIR/onnx/encoder_model.onnx, decoder_model.onnx, decoder_with_past_model.onnx
  {"command": "generate", "dir": DIR, "input_ids": [[...]], "attention_mask": [[...]], "num_beams": K,
   "length_penalty": LP, "max_length": N, "early_stopping": bool, "forced_bos_token_id": id or null}
      prints {"results": [{"tokens": [...], "score": s}, ...]}: transformers' greedy search (K = 1) or beam
      search with the rules of transformers 4.50 and later (v5): generation/utils.py `_beam_search`,
      `_check_early_stop_heuristic`, `_update_finished_beams`. "early_stopping" is true, false or "never";
      "num_return_sequences" N > 1 adds "n_best". The rules of 4.49 and earlier (BeamSearchScorer) are not
      kept: no user of xlm can ask for them. The whole decoder is recomputed at every step (no cache), so the
      cache handling of the code under test is checked too.
"""
import json
import math
import os
import sys

import torch
from torch import nn


def marian_positions(n_pos, dim):
    """MarianSinusoidalPositionalEmbedding's table: sin of the even columns first, then cos of the odd ones."""
    pos = torch.arange(n_pos, dtype=torch.float64)[:, None]
    j = torch.arange(dim, dtype=torch.float64)[None, :]
    angles = pos / torch.pow(10000.0, 2 * torch.div(j, 2, rounding_mode="floor") / dim)
    table = torch.zeros(n_pos, dim, dtype=torch.float64)
    sentinel = dim // 2 if dim % 2 == 0 else dim // 2 + 1
    table[:, :sentinel] = torch.sin(angles[:, 0::2])
    table[:, sentinel:] = torch.cos(angles[:, 1::2])
    return table.float()


ACTIVATIONS = {"swish": nn.functional.silu, "silu": nn.functional.silu, "relu": nn.functional.relu, "gelu": nn.functional.gelu}


class Attention(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads, self.head_dim = heads, d // heads
        self.q_proj, self.k_proj, self.v_proj, self.out_proj = nn.Linear(d, d), nn.Linear(d, d), nn.Linear(d, d), nn.Linear(d, d)

    def split(self, x):
        b, s, _ = x.shape
        return x.view(b, s, self.heads, self.head_dim).transpose(1, 2)

    def kv(self, x):
        return self.split(self.k_proj(x)), self.split(self.v_proj(x))

    def forward(self, x, k, v, additive_mask):
        q = self.split(self.q_proj(x) * self.head_dim ** -0.5)
        probs = torch.softmax(torch.matmul(q, k.transpose(-1, -2)) + additive_mask, dim=-1)
        ctx = torch.matmul(probs, v).transpose(1, 2)
        return self.out_proj(ctx.reshape(ctx.shape[0], ctx.shape[1], -1))


class EncoderLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        d = c["d_model"]
        self.pre = c.get("normalize_before", False)
        self.act = ACTIVATIONS[c["activation_function"]]
        self.self_attn = Attention(d, c["encoder_attention_heads"])
        self.self_attn_layer_norm = nn.LayerNorm(d)
        self.fc1, self.fc2 = nn.Linear(d, c["encoder_ffn_dim"]), nn.Linear(c["encoder_ffn_dim"], d)
        self.final_layer_norm = nn.LayerNorm(d)

    def forward(self, h, additive_mask):
        x = self.self_attn_layer_norm(h) if self.pre else h
        k, v = self.self_attn.kv(x)
        h = h + self.self_attn(x, k, v, additive_mask)
        if not self.pre:
            h = self.self_attn_layer_norm(h)
        x = self.final_layer_norm(h) if self.pre else h
        h = h + self.fc2(self.act(self.fc1(x)))
        return h if self.pre else self.final_layer_norm(h)


class DecoderLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        d = c["d_model"]
        self.pre = c.get("normalize_before", False)
        self.act = ACTIVATIONS[c["activation_function"]]
        self.self_attn = Attention(d, c["decoder_attention_heads"])
        self.self_attn_layer_norm = nn.LayerNorm(d)
        self.encoder_attn = Attention(d, c["decoder_attention_heads"])
        self.encoder_attn_layer_norm = nn.LayerNorm(d)
        self.fc1, self.fc2 = nn.Linear(d, c["decoder_ffn_dim"]), nn.Linear(c["decoder_ffn_dim"], d)
        self.final_layer_norm = nn.LayerNorm(d)

    def forward(self, h, self_mask, past_k, past_v, cross_k, cross_v, cross_mask):
        """Returns the new hidden states and this layer's self-attention keys/values (past + new)."""
        x = self.self_attn_layer_norm(h) if self.pre else h
        k, v = self.self_attn.kv(x)
        if past_k is not None:
            k, v = torch.cat([past_k, k], dim=2), torch.cat([past_v, v], dim=2)
        h = h + self.self_attn(x, k, v, self_mask)
        if not self.pre:
            h = self.self_attn_layer_norm(h)
        x = self.encoder_attn_layer_norm(h) if self.pre else h
        h = h + self.encoder_attn(x, cross_k, cross_v, cross_mask)
        if not self.pre:
            h = self.encoder_attn_layer_norm(h)
        x = self.final_layer_norm(h) if self.pre else h
        h = h + self.fc2(self.act(self.fc1(x)))
        return (h if self.pre else self.final_layer_norm(h)), k, v


def padding_mask(mask):
    """[b, s] 1/0 attention mask to the additive [b, 1, 1, s] form (the dtype's minimum on padding)."""
    return (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min


class Seq2Seq(nn.Module):
    def __init__(self, c):
        super().__init__()
        d = c["d_model"]
        self.c = c
        self.scale = math.sqrt(d) if c.get("scale_embedding", True) else 1.0
        self.pre = c.get("normalize_before", False)
        self.shared = nn.Embedding(c["vocab_size"], d)
        self.register_buffer("positions", marian_positions(c["max_position_embeddings"], d))
        self.encoder_layers = nn.ModuleList([EncoderLayer(c) for _ in range(c["encoder_layers"])])
        self.decoder_layers = nn.ModuleList([DecoderLayer(c) for _ in range(c["decoder_layers"])])
        if self.pre:
            self.encoder_layer_norm, self.decoder_layer_norm = nn.LayerNorm(d), nn.LayerNorm(d)
        self.register_buffer("final_logits_bias", torch.zeros(1, c["vocab_size"]))

    def encode(self, input_ids, attention_mask):
        seq = input_ids.shape[1]
        h = self.shared(input_ids) * self.scale + self.positions[torch.arange(seq)]
        additive = padding_mask(attention_mask)
        for layer in self.encoder_layers:
            h = layer(h, additive)
        return self.encoder_layer_norm(h) if self.pre else h

    def cross_kv(self, encoder_hidden):
        return [layer.encoder_attn.kv(encoder_hidden) for layer in self.decoder_layers]

    def decode(self, input_ids, encoder_attention_mask, cross, past=None):
        """Logits of every decoder position and the new self-attention cache [(k, v) per layer]."""
        seq = input_ids.shape[1]
        past_len = past[0][0].shape[2] if past is not None else 0
        steps = torch.arange(seq) + past_len
        h = self.shared(input_ids) * self.scale + self.positions[steps]
        # Causal: query at absolute position p sees keys 0..p.
        keys = torch.arange(past_len + seq)
        self_mask = (keys[None, :] > steps[:, None]).float() * torch.finfo(torch.float32).min
        cross_mask = padding_mask(encoder_attention_mask)
        cache = []
        for i, layer in enumerate(self.decoder_layers):
            pk, pv = past[i] if past is not None else (None, None)
            h, k, v = layer(h, self_mask, pk, pv, cross[i][0], cross[i][1], cross_mask)
            cache.append((k, v))
        if self.pre:
            h = self.decoder_layer_norm(h)
        return torch.matmul(h, self.shared.weight.t()) + self.final_logits_bias, cache


# ------------------------------------------------------------------------------------------- ONNX export


class EncoderExport(nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, input_ids, attention_mask):
        return self.m.encode(input_ids, attention_mask)


class DecoderExport(nn.Module):
    """decoder_model.onnx: no past; returns the self-attention and cross-attention caches."""

    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, encoder_attention_mask, input_ids, encoder_hidden_states):
        cross = self.m.cross_kv(encoder_hidden_states)
        logits, cache = self.m.decode(input_ids, encoder_attention_mask, cross)
        out = [logits]
        for (k, v), (ck, cv) in zip(cache, cross):
            out += [k, v, ck, cv]
        return tuple(out)


class DecoderWithPastExport(nn.Module):
    """decoder_with_past_model.onnx: takes both caches, returns the decoder's (the encoder's does not change)."""

    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, encoder_attention_mask, input_ids, *past):
        layers = len(self.m.decoder_layers)
        self_past = [(past[4 * i], past[4 * i + 1]) for i in range(layers)]
        cross = [(past[4 * i + 2], past[4 * i + 3]) for i in range(layers)]
        logits, cache = self.m.decode(input_ids, encoder_attention_mask, cross, self_past)
        out = [logits]
        for k, v in cache:
            out += [k, v]
        return tuple(out)


def export_onnx(model, c, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    b, s, t = 2, 5, 3
    ids = torch.randint(4, c["vocab_size"], (b, s))
    mask = torch.ones(b, s, dtype=torch.long)
    batch_seq = {0: "batch_size", 1: "encoder_sequence_length"}
    torch.onnx.export(EncoderExport(model), (ids, mask), os.path.join(out_dir, "encoder_model.onnx"),
                      input_names=["input_ids", "attention_mask"], output_names=["last_hidden_state"],
                      dynamic_axes={"input_ids": batch_seq, "attention_mask": batch_seq, "last_hidden_state": batch_seq},
                      opset_version=14, do_constant_folding=True)

    layers = c["decoder_layers"]
    hidden = model.encode(ids, mask)
    dec_ids = torch.randint(4, c["vocab_size"], (b, t))
    present_names, dyn = [], {
        "encoder_attention_mask": {0: "batch_size", 1: "encoder_sequence_length"},
        "input_ids": {0: "batch_size", 1: "decoder_sequence_length"},
        "encoder_hidden_states": {0: "batch_size", 1: "encoder_sequence_length"},
        "logits": {0: "batch_size", 1: "decoder_sequence_length"},
    }
    for i in range(layers):
        for part, length in (("decoder.key", "decoder_sequence_length"), ("decoder.value", "decoder_sequence_length"),
                             ("encoder.key", "encoder_sequence_length_out"), ("encoder.value", "encoder_sequence_length_out")):
            present_names.append(f"present.{i}.{part}")
            dyn[f"present.{i}.{part}"] = {0: "batch_size", 2: length}
    torch.onnx.export(DecoderExport(model), (mask, dec_ids, hidden), os.path.join(out_dir, "decoder_model.onnx"),
                      input_names=["encoder_attention_mask", "input_ids", "encoder_hidden_states"],
                      output_names=["logits"] + present_names, dynamic_axes=dyn, opset_version=14, do_constant_folding=True)

    with torch.no_grad():
        outs = DecoderExport(model)(mask, dec_ids, hidden)
    past = list(outs[1:])
    past_names, with_past_dyn = [], {
        "encoder_attention_mask": {0: "batch_size", 1: "encoder_sequence_length"},
        "input_ids": {0: "batch_size"},
        "logits": {0: "batch_size"},
    }
    for i in range(layers):
        for part, length in (("decoder.key", "past_decoder_sequence_length"), ("decoder.value", "past_decoder_sequence_length"),
                             ("encoder.key", "encoder_sequence_length_out"), ("encoder.value", "encoder_sequence_length_out")):
            past_names.append(f"past_key_values.{i}.{part}")
            with_past_dyn[f"past_key_values.{i}.{part}"] = {0: "batch_size", 2: length}
    with_past_outputs = ["logits"]
    for i in range(layers):
        for part in ("decoder.key", "decoder.value"):
            with_past_outputs.append(f"present.{i}.{part}")
            with_past_dyn[f"present.{i}.{part}"] = {0: "batch_size", 2: "past_decoder_sequence_length + 1"}
    step_ids = torch.randint(4, c["vocab_size"], (b, 1))
    torch.onnx.export(DecoderWithPastExport(model), (mask, step_ids, *past), os.path.join(out_dir, "decoder_with_past_model.onnx"),
                      input_names=["encoder_attention_mask", "input_ids"] + past_names, output_names=with_past_outputs,
                      dynamic_axes=with_past_dyn, opset_version=14, do_constant_folding=True)


def build(request):
    c = dict(request["config"])
    torch.manual_seed(request.get("seed", 0))
    model = Seq2Seq(c)
    std = request.get("std", 0.3)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("bias"):
                # Large biases add the same vector at every step, and a random decoder then repeats one token.
                p.copy_(request.get("bias_std", 0.05) * torch.randn_like(p))
            elif "layer_norm" in name and name.endswith("weight"):
                p.copy_(1 + std * torch.randn_like(p))
            elif name == "shared.weight":
                # Tied input/output embeddings with large entries make a random decoder repeat its last token.
                p.copy_(request.get("embedding_std", std) * torch.randn_like(p))
            else:
                p.copy_(std * torch.randn_like(p))
        model.final_logits_bias.copy_(request.get("logits_bias_std", 0.5) * torch.randn_like(model.final_logits_bias))
        for token, bias in request.get("token_bias", {}).items():
            model.final_logits_bias[0, int(token)] += bias
    model.eval()
    out = request["dir"]
    os.makedirs(out, exist_ok=True)
    torch.save(model.state_dict(), os.path.join(out, "weights.pt"))
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(c, f, indent=2)
    generation = {k: c[k] for k in ("bad_words_ids", "decoder_start_token_id", "eos_token_id", "forced_eos_token_id", "max_length",
                                    "num_beams", "pad_token_id", "forced_bos_token_id", "length_penalty") if k in c}
    with open(os.path.join(out, "generation_config.json"), "w") as f:
        json.dump(generation, f, indent=2)
    with torch.no_grad():
        export_onnx(model, c, os.path.join(out, request.get("onnx_folder", "onnx")))
    return {"ok": True}


# ------------------------------------------------------------------------------------------- generation


def banned_tokens(seq, c, request):
    """MinLength, MinNewTokensLength, NoRepeatNGram, SuppressTokens and SuppressTokensAtBegin processors
    (generation/logits_process.py) for one sequence, decoder start token included."""
    banned = set()
    n_len = len(seq)
    if n_len < request.get("min_length", 0) or n_len - 1 < request.get("min_new_tokens", 0):
        banned.update(eos_ids(c))
    banned.update(request.get("suppress_tokens") or [])
    begin = 2 if request.get("forced_bos_token_id") is not None else 1
    if n_len == begin:
        banned.update(request.get("begin_suppress_tokens") or [])
    n = request.get("no_repeat_ngram_size", 0)
    if n > 0 and n_len + 1 >= n:
        ngrams = {}
        for i in range(n_len - n + 1):
            ngrams.setdefault(tuple(seq[i:i + n - 1]), []).append(seq[i + n - 1])
        banned.update(ngrams.get(tuple(seq[n_len - n + 1:]), []))
    return banned


def processed_log_probs(logits, cur_len, c, request, seqs=None):
    """log_softmax, then transformers' logits processors as generation_config would set them up."""
    scores = torch.log_softmax(logits.float(), dim=-1)
    for row, seq in enumerate(seqs or []):
        for token in banned_tokens(seq, c, request):
            scores[row, token] = -math.inf
    for bad in c.get("bad_words_ids") or []:
        # NoBadWordsLogitsProcessor leaves end tokens out of the list.
        if len(bad) == 1 and bad[0] not in eos_ids(c):
            scores[:, bad[0]] = -math.inf
    forced_bos = request.get("forced_bos_token_id")
    if forced_bos is not None and cur_len == 1:
        scores[:, :] = -math.inf
        scores[:, forced_bos] = 0
    forced_eos = c.get("forced_eos_token_id")
    if forced_eos is not None and cur_len == request["max_length"] - 1:
        scores[:, :] = -math.inf
        scores[:, forced_eos] = 0
    return scores


def step_log_probs(model, seqs, mask, cross, c, request):
    logits, _ = model.decode(torch.tensor(seqs), mask, cross)
    return processed_log_probs(logits[:, -1, :], len(seqs[0]), c, request, seqs)


def greedy(model, ids, mask, c, request):
    lp = request.get("length_penalty", 1.0)
    cross = model.cross_kv(model.encode(ids, mask))
    batch = ids.shape[0]
    seqs = [[c["decoder_start_token_id"]] for _ in range(batch)]
    done, sums = [False] * batch, [0.0] * batch
    while len(seqs[0]) < request["max_length"] and not all(done):
        scores = step_log_probs(model, seqs, mask, cross, c, request)
        for b in range(batch):
            token = c["pad_token_id"] if done[b] else int(torch.argmax(scores[b]))
            if not done[b]:
                sums[b] += float(scores[b, token])
                done[b] = token in eos_ids(c)
            seqs[b].append(token)
    results = []
    for b in range(batch):
        tokens = seqs[b][1:]
        ends = [i for i, t in enumerate(tokens) if t in eos_ids(c)]
        if ends:
            tokens = tokens[: ends[0] + 1]
        results.append({"tokens": tokens, "score": sums[b] / (len(tokens) ** lp)})
    return results


def eos_ids(c):
    eos = c["eos_token_id"]
    return eos if isinstance(eos, list) else [eos]


def beam_search(model, ids, mask, c, request):
    """transformers' _beam_search as of 4.50 (and v5), generation/utils.py: running and finished beams as
    fixed-size tensors, the finished ones merged with the new candidates by top-k at every step, and the
    early-stop heuristic on the best running beam after end candidates are removed."""
    k, lp = request["num_beams"], request.get("length_penalty", 1.0)
    early_stopping = request.get("early_stopping", False)
    max_length = request["max_length"]
    eos = eos_ids(c)
    batch = ids.shape[0]
    enc = model.encode(ids, mask).repeat_interleave(k, dim=0)
    mask_k = mask.repeat_interleave(k, dim=0)
    cross = model.cross_kv(enc)
    keep = max(2, 1 + len(eos)) * k
    prompt = 1
    running = [[[c["decoder_start_token_id"]] for _ in range(k)] for _ in range(batch)]
    running_scores = torch.zeros(batch, k, dtype=torch.float64)
    running_scores[:, 1:] = -1e9
    finished = [[[] for _ in range(k)] for _ in range(batch)]
    finished_scores = torch.full((batch, k), -1e9, dtype=torch.float64)
    is_finished = torch.zeros(batch, k, dtype=torch.bool)
    heuristic_unsatisfied = torch.ones(batch, dtype=torch.bool)
    cur_len = 1
    while True:
        flat = [seq for b in range(batch) for seq in running[b]]
        log_probs = step_log_probs(model, flat, mask_k, cross, c, request).double()
        vocab = log_probs.shape[-1]
        log_probs = (log_probs.view(batch, k, vocab) + running_scores[:, :, None]).view(batch, k * vocab)
        top_scores, top_ids = torch.topk(log_probs, keep, dim=1)
        beam_of, token_of = top_ids // vocab, top_ids % vocab
        candidates = [[running[b][int(beam_of[b, j])] + [int(token_of[b, j])] for j in range(keep)] for b in range(batch)]
        # Stopping criteria: an end token, or max_length reached.
        hits = torch.tensor([[int(token_of[b, j]) in eos or cur_len + 1 >= max_length for j in range(keep)] for b in range(batch)])
        # Running beams for the next step: the best non-finished candidates.
        running_candidates = top_scores + hits.double() * -1e9
        next_scores, next_idx = torch.topk(running_candidates, k, dim=1)
        running = [[candidates[b][int(next_idx[b, j])] for j in range(k)] for b in range(batch)]
        running_scores = next_scores
        # Finished beams: only candidates among the first k can finish, scored with the length penalty.
        in_top_k = torch.arange(keep)[None, :] < k
        just_finished = hits & in_top_k
        new_scores = top_scores / ((cur_len + 1 - prompt) ** lp)
        full = is_finished.all(dim=1) & (early_stopping is True)
        new_scores = new_scores + full[:, None].double() * -1e9
        new_scores = new_scores + (~heuristic_unsatisfied)[:, None].double() * -1e9
        new_scores = new_scores + (~just_finished).double() * -1e9
        merged_scores = torch.cat([finished_scores, new_scores], dim=1)
        merged_finished = torch.cat([is_finished, just_finished], dim=1)
        best_scores, best_idx = torch.topk(merged_scores, k, dim=1)
        finished = [[(finished[b] + candidates[b])[int(best_idx[b, j])] for j in range(k)] for b in range(batch)]
        finished_scores = best_scores
        is_finished = torch.gather(merged_finished, 1, best_idx)
        cur_len += 1
        # Early-stop heuristic.
        if early_stopping == "never" and lp > 0:
            hypothetical = max_length - prompt
        else:
            hypothetical = cur_len - prompt
        best_running = running_scores[:, 0] / (hypothetical ** lp)
        worst_finished = torch.where(is_finished, finished_scores, torch.full_like(finished_scores, -1e9)).min(dim=1).values
        worst_finished = torch.where(is_finished.all(dim=1), worst_finished, torch.full_like(worst_finished, -1e9))
        heuristic_unsatisfied = heuristic_unsatisfied & (best_running > worst_finished)
        improvement_possible = bool(heuristic_unsatisfied.any())
        open_beam = not (bool(is_finished.all()) and early_stopping is True)
        if not (improvement_possible and open_beam) or cur_len >= max_length:
            break
    n = request.get("num_return_sequences", 1)
    results = []
    for b in range(batch):
        order = sorted(range(k), key=lambda j: -float(finished_scores[b, j]))[:n]
        hyps = [{"tokens": finished[b][j][1:], "score": float(finished_scores[b, j])} for j in order]
        results.append(dict(hyps[0], n_best=hyps) if n > 1 else hyps[0])
    return results


def generate(request):
    with open(os.path.join(request["dir"], "config.json")) as f:
        c = json.load(f)
    model = Seq2Seq(c)
    model.load_state_dict(torch.load(os.path.join(request["dir"], "weights.pt")))
    model.eval()
    ids = torch.tensor(request["input_ids"])
    mask = torch.tensor(request["attention_mask"])
    with torch.no_grad():
        run = greedy if request.get("num_beams", 1) == 1 else beam_search
        return {"results": run(model, ids, mask, c, request)}


def main():
    request = json.load(sys.stdin)
    handlers = {"build": build, "generate": generate}
    json.dump(handlers[request["command"]](request), sys.stdout)


if __name__ == "__main__":
    main()
