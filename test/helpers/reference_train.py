"""Training reference: gradients and AdamW steps of the plain-PyTorch XLM-R (reference_xlmr.py) for each
task, full fine-tuning or LoRA (PEFT's formulation), with dropout off.

Reads one JSON request on stdin:
  {"model": DIR, "task": "seq-cls" | "token-cls" | "mlm" | "qa", "mode": "grads" | "train",
   "init": {name: [values]}   # initial values of every trainable weight (new heads and LoRA drawn by us)
   "lora": {"r", "alpha", "targets": [...]} | null,
   "batches": [[{input_ids, attention_mask, labels | mlm_positions, mlm_labels | start_positions, end_positions}, ...], ...steps],
   "hp": torch_optim hyper-parameters (mode "train")}
prints {"loss", "grads": {name: [...]}} for "grads" (first micro-batch of the first step), or
{"weights": {name: [...]}, "log": [...]} for "train".
"""
import json
import re
import sys

import torch
import torch.nn.functional as F
from torch import nn

from reference_xlmr import load_model
from torch_optim import train


class LoraLinear(nn.Module):
    """PEFT's LoRA on an nn.Linear: base(x) + (alpha / r) * B(A(x)) (dropout off)."""

    def __init__(self, base, r, alpha):
        super().__init__()
        self.base = base
        self.lora_A = nn.Linear(base.in_features, r, bias=False)
        self.lora_B = nn.Linear(r, base.out_features, bias=False)
        self.scale = alpha / r

    def forward(self, x):
        return self.base(x) + self.lora_B(self.lora_A(x)) * self.scale


def is_target(name, targets):
    for t in targets:
        if t == 'output.dense':
            if re.search(r'(^|\.)layer\.\d+\.output\.dense$', name):
                return True
        elif name == t or name.endswith('.' + t):
            return True
    return False


def add_lora(model, lora):
    wrapped = {}
    for name, module in list(model.named_modules()):
        if isinstance(module, nn.Linear) and is_target(name, lora['targets']):
            parent_name, _, child = name.rpartition('.')
            parent = model.get_submodule(parent_name)
            layer = LoraLinear(module, lora['r'], lora['alpha'])
            setattr(parent, child, layer)
            wrapped[name] = layer
    return wrapped


def trainable_named(model, names):
    """(our name, parameter) for every trainable weight: ours spell LoRA as MODULE.lora_A.weight, and the
    wrapped base weights keep their HF names."""
    params = dict(model.named_parameters())
    out = []
    for name in names:
        torch_name = re.sub(r'\.(weight|bias)$', r'.base.\1', name) if name not in params else name
        if name.endswith('.lora_A.weight') or name.endswith('.lora_B.weight'):
            torch_name = name
        if torch_name not in params:
            raise KeyError(f'no parameter {name} ({torch_name}) in the reference model')
        out.append((name, params[torch_name]))
    return out


def loss_function(model, task):
    def loss_of_batch(b):
        ids = torch.tensor(b['input_ids'], dtype=torch.long)
        mask = torch.tensor(b['attention_mask'], dtype=torch.long)
        logits = model(ids, mask)
        if task == 'seq-cls':
            return F.cross_entropy(logits, torch.tensor(b['labels'], dtype=torch.long))
        if task == 'token-cls':
            labels = torch.tensor(b['labels'], dtype=torch.long)
            return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=-100)
        if task == 'qa':
            # XLMRobertaForQuestionAnswering: logits split into start and end, the mean of their cross-entropies.
            start_logits, end_logits = logits.split(1, dim=-1)
            start = F.cross_entropy(start_logits.squeeze(-1), torch.tensor(b['start_positions'], dtype=torch.long))
            end = F.cross_entropy(end_logits.squeeze(-1), torch.tensor(b['end_positions'], dtype=torch.long))
            return (start + end) / 2
        # MLM as HF computes it: logits at every position, label -100 wherever nothing was masked.
        labels = torch.full(ids.shape, -100, dtype=torch.long).reshape(-1)
        labels[torch.tensor(b['mlm_positions'], dtype=torch.long)] = torch.tensor(b['mlm_labels'], dtype=torch.long)
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels, ignore_index=-100)
    return loss_of_batch


def main():
    torch.set_num_threads(1)
    req = json.load(sys.stdin)
    model = load_model(req['model'], req['task'])
    if req.get('lora'):
        add_lora(model, req['lora'])
    for p in model.parameters():
        p.requires_grad_(False)
    named = trainable_named(model, list(req['init'].keys()))
    with torch.no_grad():
        for name, p in named:
            p.copy_(torch.tensor(req['init'][name], dtype=torch.float32).reshape(p.shape))
            p.requires_grad_(True)
    loss_of_batch = loss_function(model, req['task'])
    if req['mode'] == 'grads':
        loss = loss_of_batch(req['batches'][0][0])
        loss.backward()
        grads = {n: (p.grad.reshape(-1).tolist() if p.grad is not None else [0.0] * p.numel()) for n, p in named}
        json.dump({'loss': loss.item(), 'grads': grads}, sys.stdout)
        return
    log = train(named, loss_of_batch, req['batches'], req['hp'])
    json.dump({'weights': {n: p.detach().reshape(-1).tolist() for n, p in named}, 'log': log}, sys.stdout)


if __name__ == '__main__':
    main()
