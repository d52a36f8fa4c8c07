"""npm run check:hf -- compare XLM Lab with the Hugging Face libraries themselves, where they are installed.

    python3 scripts/check_hf.py [--dir .hf-check] [--strict]

1. Builds the tiny models and our outputs (scripts/hf-check-prepare.ts, through `npx tsx`) unless DIR/manifest.json
   exists: a tiny XLM-R, LoRA adapters written by `xlm train` (classification and masked LM), `xlm merge`'s model,
   our classifier probabilities, fill-mask answers, token ids and greedy / beam decoding of a tiny Marian model.
2. With transformers, peft, tokenizers and safetensors importable (no network needed), checks that
   - PeftModel.from_pretrained loads our adapters and gives our probabilities (classification) and the logits of the
     model we saved (masked LM, whose adapter carries the whole lm_head);
   - merge_and_unload gives the weights of `xlm merge`;
   - generate() gives our tokens and scores, greedy and beam, early_stopping false / true / "never", n-best;
   - the tokenizers package gives our ids for every text.
   sacreBLEU is compared when the manifest holds BLEU / chrF scores (xlm computes none yet).
Without those libraries it says which are missing and exits 0 (1 with --strict). Prints one line per check and ends
with `check:hf: N passed, N failed`.
"""
import argparse
import importlib
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LIBRARIES = ["torch", "transformers", "peft", "tokenizers", "safetensors"]


def prepare(folder):
    if os.path.exists(os.path.join(folder, "manifest.json")):
        return
    print(f"check:hf: building tiny models and our outputs in {folder}")
    subprocess.run(["npx", "tsx", os.path.join(ROOT, "scripts", "hf-check-prepare.ts"), folder], cwd=ROOT, check=True)


def missing_libraries():
    missing = []
    for name in LIBRARIES:
        try:
            importlib.import_module(name)
        except ImportError:
            missing.append(name)
    return missing


class Checks:
    def __init__(self):
        self.passed = self.failed = 0

    def check(self, name, ok, detail=""):
        print(f"{'ok  ' if ok else 'FAIL'} {name}{'' if ok else ': ' + detail}")
        if ok:
            self.passed += 1
        else:
            self.failed += 1


def close(a, b, tol):
    return len(a) == len(b) and all(abs(x - y) <= tol for x, y in zip(a, b))


def run_checks(folder, m):
    import torch
    from peft import PeftModel
    from safetensors.torch import load_file
    from tokenizers import Tokenizer
    from transformers import AutoModelForMaskedLM, AutoModelForSequenceClassification, MarianConfig, MarianMTModel

    checks = Checks()
    path = lambda name: os.path.join(folder, name)  # noqa: E731

    # Token ids: the Rust tokenizers package on the same tokenizer.json.
    tok = Tokenizer.from_file(os.path.join(path(m["base"]), "tokenizer.json"))
    for ours in m["tokens"]:
        theirs = tok.encode(ours["text"]).ids
        checks.check(f"tokenizers ids: {ours['text']!r}", theirs == ours["ids"], f"{theirs} vs ours {ours['ids']}")

    # Classification adapter through PEFT.
    cls_config = json.load(open(os.path.join(path(m["loraCls"]), "config.json")))
    labels = [cls_config["id2label"][str(i)] for i in range(len(cls_config["id2label"]))]
    base = AutoModelForSequenceClassification.from_pretrained(path(m["base"]), num_labels=len(labels)).eval()
    peft_model = PeftModel.from_pretrained(base, path(m["loraCls"])).eval()
    with torch.no_grad():
        for ours in m["classify"]:
            ids = torch.tensor([tok.encode(ours["text"]).ids])
            probs = torch.softmax(peft_model(input_ids=ids).logits[0], -1).tolist()
            mine = [next(s["score"] for s in ours["scores"] if s["label"] == label) for label in labels]
            checks.check(f"PeftModel classification: {ours['text']!r}", close(probs, mine, 1e-4), f"{probs} vs ours {mine}")
    merged = peft_model.merge_and_unload().state_dict()
    ours_merged = load_file(os.path.join(path(m["mergedCls"]), "model.safetensors"))
    worst = max(float((merged[k].float() - v.float()).abs().max()) for k, v in ours_merged.items() if k in merged)
    absent = [k for k in ours_merged if k not in merged]
    checks.check("merge_and_unload equals xlm merge", worst < 1e-5 and not absent, f"largest difference {worst}, keys PEFT lacks {absent[:5]}")

    # Masked-LM adapter: PEFT must load the whole lm_head it saved under modules_to_save.
    mlm_base = AutoModelForMaskedLM.from_pretrained(path(m["base"])).eval()
    mlm_peft = PeftModel.from_pretrained(mlm_base, path(m["loraMlm"])).eval()
    saved = AutoModelForMaskedLM.from_pretrained(path(m["loraMlm"])).eval()
    with torch.no_grad():
        for text in m["masked"]:
            ids = torch.tensor([tok.encode(text).ids])
            a, b = mlm_peft(input_ids=ids).logits, saved(input_ids=ids).logits
            checks.check(f"PeftModel masked LM: {text!r}", float((a - b).abs().max()) < 1e-4, f"largest difference {float((a - b).abs().max())}")

    # Decoding: transformers' generate on the tiny Marian model.
    s2s = path(m["seq2seq"])
    config = MarianConfig(**{k: v for k, v in json.load(open(os.path.join(s2s, "config.json"))).items() if k != "normalize_before"})
    model = MarianMTModel(config).eval()
    weights = torch.load(os.path.join(s2s, "weights.pt"))
    mapped = {"model.shared.weight": weights["shared.weight"], "final_logits_bias": weights["final_logits_bias"]}
    for k, v in weights.items():
        for ours_prefix, hf_prefix in (("encoder_layers.", "model.encoder.layers."), ("decoder_layers.", "model.decoder.layers.")):
            if k.startswith(ours_prefix):
                mapped[hf_prefix + k[len(ours_prefix):]] = v
    missing, _ = model.load_state_dict(mapped, strict=False)
    untied = [k for k in missing if "embed_positions" not in k and "embed_tokens" not in k and k != "lm_head.weight"]
    checks.check("tiny Marian weights load into MarianMTModel", not untied, f"missing {untied[:5]}")
    model.tie_weights()
    pad = config.pad_token_id
    for case in m["decoding"]:
        width = max(len(r) for r in case["input_ids"])
        ids = torch.tensor([r + [pad] * (width - len(r)) for r in case["input_ids"]])
        mask = torch.tensor([[1] * len(r) + [0] * (width - len(r)) for r in case["input_ids"]])
        beams, n = case["num_beams"], case["num_return_sequences"]
        with torch.no_grad():
            out = model.generate(input_ids=ids, attention_mask=mask, num_beams=beams, length_penalty=case["length_penalty"],
                                 early_stopping=case["early_stopping"], max_length=case["max_length"], num_return_sequences=n,
                                 do_sample=False, output_scores=True, return_dict_in_generate=True)
        name = f"generate beams={beams} lp={case['length_penalty']} early_stopping={case['early_stopping']} n={n}"
        problems = []
        for i, hyps in enumerate(case["results"]):
            for j, ours in enumerate(hyps):
                seq = out.sequences[i * n + j].tolist()[1:]
                while seq and seq[-1] == pad:
                    seq.pop()
                if seq != ours["tokens"]:
                    problems.append(f"sentence {i} #{j}: {seq} vs ours {ours['tokens']}")
                elif beams > 1 and abs(float(out.sequences_scores[i * n + j]) - ours["score"]) > 1e-4:
                    problems.append(f"sentence {i} #{j}: score {float(out.sequences_scores[i * n + j])} vs ours {ours['score']}")
        checks.check(name, not problems, "; ".join(problems[:3]))

    if m.get("bleu"):
        try:
            import sacrebleu
        except ImportError:
            print("skip sacreBLEU: not installed")
        else:
            for case in m["bleu"]:
                bleu = sacrebleu.corpus_bleu(case["hypotheses"], [case["references"]]).score
                chrf = sacrebleu.corpus_chrf(case["hypotheses"], [case["references"]]).score
                checks.check(f"sacreBLEU {case['name']}", abs(bleu - case["bleu"]) < 1e-6 and abs(chrf - case["chrf"]) < 1e-6, f"BLEU {bleu} chrF {chrf} vs ours {case['bleu']} {case['chrf']}")
    else:
        print("skip sacreBLEU: xlm computes no BLEU / chrF yet")
    return checks


def main():
    parser = argparse.ArgumentParser(description="Compare XLM Lab with transformers, peft and tokenizers.")
    parser.add_argument("--dir", default=os.path.join(ROOT, ".hf-check"), help="where the tiny models and our outputs go")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a library is missing instead of skipping")
    args = parser.parse_args()
    folder = os.path.abspath(args.dir)
    prepare(folder)
    missing = missing_libraries()
    if missing:
        print(f"check:hf skipped: {', '.join(missing)} not importable here (needs {', '.join(LIBRARIES)}); "
              f"the tiny models and our outputs are ready in {folder}")
        return 1 if args.strict else 0
    import transformers
    import peft
    print(f"check:hf with transformers {transformers.__version__}, peft {peft.__version__}")
    checks = run_checks(folder, json.load(open(os.path.join(folder, "manifest.json"))))
    print(f"check:hf: {checks.passed} passed, {checks.failed} failed")
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
