"""Zero-shot scores the way transformers' ZeroShotClassificationPipeline computes them, on logits from the
plain-PyTorch XLM-R of reference_xlmr.py (same weights as the model folder).

Reads one JSON request on stdin:
  {"model": DIR, "input_ids": [[...]], "attention_mask": [[...]], "candidates": N, "multi_label": bool}
where the rows are the premise/hypothesis pairs of each text, N consecutive rows per text. Prints
{"scores": [[score per candidate, in candidate order] per text]}.
"""
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference_xlmr import load_model  # noqa: E402


def entailment_id(config):
    # The pipeline looks through label2id for a name starting with "entail"; -1 (the last logit) if none.
    for label, ind in config["label2id"].items():
        if label.lower().startswith("entail"):
            return ind
    return -1


def main():
    request = json.load(sys.stdin)
    with open(os.path.join(request["model"], "config.json")) as f:
        config = json.load(f)
    model = load_model(request["model"], "seq-cls", torch.float64)
    with torch.no_grad():
        logits = model(torch.tensor(request["input_ids"]), torch.tensor(request["attention_mask"])).numpy()
    n = request["candidates"]
    reshaped = logits.reshape((-1, n, logits.shape[-1]))
    entail = entailment_id(config)
    if request["multi_label"] or n == 1:
        contradiction = -1 if entail == 0 else 0
        pair = reshaped[..., [contradiction, entail]]
        scores = np.exp(pair) / np.exp(pair).sum(-1, keepdims=True)
        scores = scores[..., 1]
    else:
        entail_logits = reshaped[..., entail]
        scores = np.exp(entail_logits) / np.exp(entail_logits).sum(-1, keepdims=True)
    json.dump({"scores": scores.tolist()}, sys.stdout)


if __name__ == "__main__":
    main()
