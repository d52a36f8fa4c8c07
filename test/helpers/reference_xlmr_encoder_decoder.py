"""transformers' EncoderDecoderModel with XLM-R on both sides (XLMRobertaModel encoder, XLMRobertaForCausalLM decoder
with is_decoder and add_cross_attention) in plain PyTorch, with its module names, built from reference_xlmr.py's
modules: the decoder's layers add `crossattention` (query from the self-attention's output, key and value from the
encoder's output, dense + residual + LayerNorm) between the causal self-attention and the feed-forward.

Reads {"dir", "input_ids", "attention_mask", "decoder_input_ids"} on stdin; prints {"logits": [...], "names": [...]}
(the module's state_dict names that the folder's model.safetensors must hold). With "labels" and "label_smoothing" as
well, it also prints {"loss", "grads": {name: [...]}}: transformers' Trainer's loss (cross-entropy over the labels, -100
ignored, with label smoothing) and its gradient for every tensor under every name it has (a tied tensor's gradient
under each of its names).
"""
import json
import math
import os
import sys

import torch
import torch.nn.functional as F
from torch import nn

from reference_xlmr import Attention, DenseOutput, Embeddings, Intermediate, LMHead, Roberta, SelfAttention, read_safetensors


class CrossAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.self = SelfAttention(c)
        self.output = DenseOutput(c, c["hidden_size"])

    def forward(self, x, enc, additive_mask):
        s = self.self
        q, k, v = s.split(s.query(x)), s.split(s.key(enc)), s.split(s.value(enc))
        probs = torch.softmax(torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(s.head_dim) + additive_mask, dim=-1)
        ctx = torch.matmul(probs, v).transpose(1, 2)
        return self.output(ctx.reshape(ctx.shape[0], ctx.shape[1], -1), x)


class DecoderLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attention = Attention(c)
        self.crossattention = CrossAttention(c)
        self.intermediate = Intermediate(c)
        self.output = DenseOutput(c, c["intermediate_size"])

    def forward(self, x, causal, enc, cross_mask):
        attended = self.crossattention(self.attention(x, causal), enc, cross_mask)
        return self.output(self.intermediate(attended), attended)


class DecoderStack(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layer = nn.ModuleList([DecoderLayer(c) for _ in range(c["num_hidden_layers"])])


class DecoderBody(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embeddings = Embeddings(c)
        self.encoder = DecoderStack(c)


class CausalLM(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.roberta = DecoderBody(c)
        self.lm_head = LMHead(c, self.roberta.embeddings.word_embeddings)

    def forward(self, ids, enc, enc_mask):
        h = self.roberta.embeddings(ids)
        t = ids.shape[1]
        minimum = torch.finfo(torch.float32).min
        causal = torch.triu(torch.full((t, t), minimum), diagonal=1)[None, None]
        cross = (1.0 - enc_mask[:, None, None, :].float()) * minimum
        for layer in self.roberta.encoder.layer:
            h = layer(h, causal, enc, cross)
        return self.lm_head(h)


class EncoderDecoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.encoder = Roberta(c["encoder"])
        self.decoder = CausalLM(c["decoder"])

    def forward(self, ids, mask, dec_ids):
        return self.decoder(dec_ids, self.encoder(ids, mask), mask)


def main():
    torch.set_num_threads(1)
    req = json.load(sys.stdin)
    with open(os.path.join(req["dir"], "config.json")) as f:
        config = json.load(f)
    model = EncoderDecoder(config)
    model.eval()
    stored = read_safetensors(os.path.join(req["dir"], "model.safetensors"))
    state = model.state_dict()
    missing = [n for n in state if n not in stored]
    if missing:
        raise SystemExit(f"tensors missing from the folder: {missing[:5]}")
    with torch.no_grad():
        for name, t in state.items():
            t.copy_(stored[name])
    long = lambda x: torch.tensor(x, dtype=torch.long)
    logits = model(long(req["input_ids"]), long(req["attention_mask"]), long(req["decoder_input_ids"]))
    out = {"logits": logits.reshape(-1).tolist(), "names": list(state.keys())}
    if "labels" in req:
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), long(req["labels"]).reshape(-1), ignore_index=-100, label_smoothing=req["label_smoothing"])
        loss.backward()
        grads = {}
        for prefix, module in model.named_modules():
            for name, p in module._parameters.items():
                if p is not None:
                    grads[f"{prefix}.{name}" if prefix else name] = p.grad.reshape(-1).tolist() if p.grad is not None else [0.0] * p.numel()
        out.update({"loss": loss.item(), "grads": grads})
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
