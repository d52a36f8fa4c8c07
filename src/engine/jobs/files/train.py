"""An XLM Lab run as a distributed PyTorch job. Written by `xlm export-job`; reads settings.json and data/*.jsonl
beside it, trains under torch.nn.parallel.DistributedDataParallel (gloo on CPU, nccl on GPUs) and writes an HF
model folder (plus a PEFT adapter for LoRA runs), trainer_state.json (HF's log_history) and metrics.jsonl (XLM
Lab's dashboard format) into --out, which `xlm import-run` reads back.

Two engines:
- torch (always available): the XLM-R carried in xlmr_torch.py, with XLM Lab's exact data order, loss
  normalisation, AdamW and schedule, so 2 processes with batch 4 each end at the weights of XLM Lab's
  single-process run with batch 8;
- hf (when `transformers` and, for LoRA, `peft` import): AutoModelFor..., Trainer and TrainingArguments from
  settings.json's "hf" block, with XLM Lab's batch order as the sampler.
--engine auto (default) takes hf when it imports, else torch.

Launch with torchrun (see launch/), or `python3 train.py` for one process.
"""
import argparse
import contextlib
import json
import math
import os
import shutil
import sys
import time

import torch
import torch.distributed as dist
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import xlmr_torch  # noqa: E402

IGNORE = -100
MEGABATCH = 50
M32 = 0xFFFFFFFF


# ------------------------------------------------------------------------------------------ XLM Lab's data order
def imul(a, b):
    return ((a & M32) * (b & M32)) & M32


class Mulberry32:
    """XLM Lab's seeded generator (src/engine/rng/rng.ts), bit for bit."""

    def __init__(self, seed):
        self.s = int(seed) & M32

    def next(self):
        self.s = (self.s + 0x6D2B79F5) & M32
        t = self.s
        t = imul(t ^ (t >> 15), t | 1)
        t ^= (t + imul(t ^ (t >> 7), t | 61)) & M32
        return ((t ^ (t >> 14)) & M32) / 4294967296

    def int(self, n):
        return math.floor(self.next() * n)


def mix_seed(seed, salt):
    h = ((int(seed) & M32) ^ imul(salt + 1, 0x9E3779B1)) & M32
    h = imul(h ^ (h >> 16), 0x85EBCA6B)
    h = imul(h ^ (h >> 13), 0xC2B2AE35)
    return (h ^ (h >> 16)) & M32


def shuffled(n, rng):
    order = list(range(n))
    for i in range(n - 1, 0, -1):
        j = rng.int(i + 1)
        order[i], order[j] = order[j], order[i]
    return order


def epoch_batches(lengths, batch_size, shuffle, seed, epoch):
    """XLM Lab's batches of one epoch (src/engine/train/batching.ts): file order, or a seeded permutation cut
    into mega-batches of 50 batches, each sorted longest first, split, and the batches shuffled."""
    n = len(lengths)
    if not shuffle:
        return [list(range(i, min(i + batch_size, n))) for i in range(0, n, batch_size)]
    order = shuffled(n, Mulberry32(mix_seed(seed, epoch)))
    mega = MEGABATCH * batch_size
    batches = []
    for start in range(0, n, mega):
        chunk = sorted(order[start:start + mega], key=lambda i: (-lengths[i], i))
        batches.extend(chunk[i:i + batch_size] for i in range(0, len(chunk), batch_size))
    perm = shuffled(len(batches), Mulberry32(mix_seed(seed, 1_000_003 + epoch)))
    return [batches[i] for i in perm]


class BatchPlan:
    """The rows of every micro-batch of every step, as XLM Lab draws them (a function of seed and epoch)."""

    def __init__(self, s, lengths):
        self.s = s
        self.lengths = lengths
        self.cache = (None, None)

    def micro_batches(self, step):
        b = self.s["batch"]
        per_epoch = self.s["steps_per_epoch"]
        epoch = step // per_epoch
        if self.cache[0] != epoch:
            self.cache = (epoch, epoch_batches(self.lengths, b["global_batch_size"], b["shuffle"], self.s["seed"], epoch))
        batches = self.cache[1]
        first = (step % per_epoch) * b["grad_accum"]
        return [batches[first + k] for k in range(b["grad_accum"])]


def my_share(rows, rank, world):
    """This process's contiguous slice of a global micro-batch (sizes differ by at most one row)."""
    n = len(rows)
    start = rank * n // world
    return rows[start:(rank + 1) * n // world]


# ------------------------------------------------------------------------------------------ data
def read_jsonl(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as e:
                raise SystemExit(f"{path}:{number}: not a JSON line ({e.msg})")
    return rows


def collate(rows, task, pad_id, device):
    seq = max(len(r["input_ids"]) for r in rows)
    ids = torch.full((len(rows), seq), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), seq), dtype=torch.long)
    labels = torch.full((len(rows), seq), IGNORE, dtype=torch.long) if task == "token-cls" else torch.tensor([r["label"] for r in rows], dtype=torch.long)
    for i, r in enumerate(rows):
        n = len(r["input_ids"])
        ids[i, :n] = torch.tensor(r["input_ids"], dtype=torch.long)
        mask[i, :n] = 1
        if task == "token-cls":
            labels[i, :n] = torch.tensor(r["labels"], dtype=torch.long)
    return ids.to(device), mask.to(device), labels.to(device)


def label_count(rows, task):
    """What the loss is a mean over: rows (seq-cls) or labelled tokens (token-cls), over the GLOBAL micro-batch,
    as transformers' Trainer does with num_items_in_batch; each process divides its sum by it."""
    if task == "token-cls":
        return sum(1 for r in rows for l in r["labels"] if l != IGNORE)
    return len(rows)


# ------------------------------------------------------------------------------------------ metrics (XLM Lab's)
def prf(tp, predicted, gold):
    p = tp / predicted if predicted else 0.0
    r = tp / gold if gold else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def classification_metrics(gold, pred, classes):
    index = {c: i for i, c in enumerate(classes)}
    n = len(classes)
    matrix = [[0] * n for _ in range(n)]
    for g, p in zip(gold, pred):
        matrix[index[g]][index[p]] += 1
    f1s = []
    tp_sum = fp_sum = fn_sum = 0
    for c in range(n):
        tp = matrix[c][c]
        support = sum(matrix[c])
        predicted = sum(matrix[k][c] for k in range(n))
        tp_sum += tp
        fp_sum += predicted - tp
        fn_sum += support - tp
        f1s.append(prf(tp, predicted, support)[2])
    correct = sum(matrix[c][c] for c in range(n))
    return {"accuracy": correct / len(gold) if gold else 0.0, "macro_f1": sum(f1s) / n if n else 0.0, "micro_f1": prf(tp_sum, tp_sum + fp_sum, tp_sum + fn_sum)[2]}, matrix


def split_tag(chunk):
    rest = chunk[1:]
    dash = rest.find("-")
    kind = rest if dash == -1 else rest[dash + 1:]
    return chunk[:1], (kind or "_")


def entities(tags):
    """seqeval's default (lenient) chunking, as src/engine/metrics/ner.ts."""
    out = []
    prev_tag, prev_type, begin = "O", "", 0
    for i in range(len(tags) + 1):
        tag, kind = split_tag(tags[i] if i < len(tags) else "O")
        ends = prev_tag in ("E", "S") or (prev_tag in ("B", "I") and tag in ("B", "S", "O")) or (prev_tag not in ("O", ".") and prev_type != kind)
        starts = tag in ("B", "S") or (prev_tag in ("E", "S", "O") and tag in ("E", "I")) or (tag not in ("O", ".") and prev_type != kind)
        if ends:
            out.append((prev_type, begin, i - 1))
        if starts:
            begin = i
        prev_tag, prev_type = tag, kind
    return out


def entity_metrics(gold, pred):
    g_set, p_set = set(), set()
    tokens = right = 0
    for s, (g, p) in enumerate(zip(gold, pred)):
        tokens += len(g)
        right += sum(1 for a, b in zip(g, p) if a == b)
        g_set.update((s,) + e for e in entities(g))
        p_set.update((s,) + e for e in entities(p))
    precision, recall, f1 = prf(len(g_set & p_set), len(p_set), len(g_set))
    return {"accuracy": right / tokens if tokens else 0.0, "precision": precision, "recall": recall, "f1": f1}


def scores(task, rows, labels, languages_are_labels=False):
    """rows: (gold, predicted, loss_sum, loss_count, language) per example; pooled and `name/language` keys.

    languages_are_labels: each row's language is its own label (a language identifier's eval file without a
    language column); a language then gets its label's own F1 over every row beside its accuracy, as the engine
    gives it (src/engine/eval/scores.ts), not a macro F1 over its one gold class."""
    groups = {}
    for i, r in enumerate(rows):
        groups.setdefault(r[4], []).append(i)
    bio = any(len(l) > 1 and l[0] in "BIES" and l[1] == "-" for l in labels)

    def summary(indices, classes):
        part = [rows[i] for i in indices]
        weight = sum(r[3] for r in part)
        loss = sum(r[2] for r in part) / weight if weight else 0.0
        if task == "seq-cls":
            gold, pred = [r[0] for r in part], [r[1] for r in part]
            m, matrix = classification_metrics(gold, pred, classes if classes is not None else sorted(set(gold) | set(pred)))
            return {"loss": loss, **m}, matrix
        m = entity_metrics([r[0] for r in part], [r[1] for r in part])
        return ({"loss": loss, **m} if bio else {"loss": loss, "accuracy": m["accuracy"]}), None

    pooled, matrix = summary(range(len(rows)), labels)
    flat = dict(pooled)
    for language in sorted(groups):
        own, _ = summary(groups[language], None)
        if task == "seq-cls" and languages_are_labels and language in labels:
            c = labels.index(language)
            f1 = prf(matrix[c][c], sum(row[c] for row in matrix), sum(matrix[c]))[2]
            own = {"loss": own["loss"], "accuracy": own["accuracy"], "f1": f1}
        flat.update({f"{k}/{language}": v for k, v in own.items()})
    return flat, matrix


def score_rows(task, labels, logits, gold, languages):
    """Per example (gold, predicted, loss sum, loss count, language) from a batch's logits (float64) and gold ids."""
    out = []
    if task == "seq-cls":
        losses = F.cross_entropy(logits, gold, reduction="none")
        for i, language in enumerate(languages):
            out.append((labels[int(gold[i])], labels[int(logits[i].argmax())], float(losses[i]), 1, language))
        return out
    for i, language in enumerate(languages):
        keep = gold[i] != IGNORE
        row_logits, row_gold = logits[i][keep], gold[i][keep]
        loss = float(F.cross_entropy(row_logits, row_gold, reduction="sum")) if len(row_gold) else 0.0
        out.append(([labels[int(g)] for g in row_gold], [labels[int(p)] for p in row_logits.argmax(-1)], loss, len(row_gold), language))
    return out


@torch.no_grad()
def evaluate(model, s, rows, device):
    """The eval file in file order, in batches of the run's batch size, dropout off (one process)."""
    model.eval()
    scored = []
    size = s["batch"]["global_batch_size"]
    for start in range(0, len(rows), size):
        part = rows[start:start + size]
        ids, mask, gold = collate(part, s["task"], s["pad_id"], device)
        scored += score_rows(s["task"], s["labels"], model(ids, mask).double().cpu(), gold.cpu(), [r.get("language", "") for r in part])
    model.train()
    return scores(s["task"], scored, s["labels"], s.get("languages_are_labels", False))


def record_of(entry):
    """A transformers log_history entry as a metrics.jsonl record (what `xlm import-run` also does); None for summaries."""
    if "step" not in entry:
        return None
    base = {"step": entry["step"], "epoch": entry.get("epoch", 0)}
    evals = {k[5:]: v for k, v in entry.items() if k.startswith("eval_") and k[5:] not in ("runtime", "samples_per_second", "steps_per_second")}
    if evals:
        return {**base, "eval": evals}
    if "loss" not in entry:
        return None
    return {**base, "loss": entry["loss"], "lr": entry.get("learning_rate"), "grad_norm": entry.get("grad_norm")}


# ------------------------------------------------------------------------------------------ saving
def config_for_head(s, job):
    with open(os.path.join(job, s["model"], "config.json")) as f:
        config = json.load(f)
    config["architectures"] = ["XLMRobertaForSequenceClassification" if s["task"] == "seq-cls" else "XLMRobertaForTokenClassification"]
    config["id2label"] = {str(i): l for i, l in enumerate(s["labels"])}
    config["label2id"] = {l: i for i, l in enumerate(s["labels"])}
    return config


def copy_tokenizer(source, dest):
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "sentencepiece.bpe.model", "added_tokens.json"):
        if os.path.exists(os.path.join(source, name)):
            shutil.copyfile(os.path.join(source, name), os.path.join(dest, name))


def save_folder(dest, model, s, job, state):
    """An HF folder: config.json, model.safetensors (LoRA merged), tokenizer files; a PEFT adapter for LoRA."""
    os.makedirs(dest, exist_ok=True)
    with open(os.path.join(dest, "config.json"), "w") as f:
        json.dump(config_for_head(s, job), f, indent=2)
    xlmr_torch.write_safetensors(os.path.join(dest, "model.safetensors"), xlmr_torch.hf_state_dict(model))
    copy_tokenizer(os.path.join(job, s["model"]), dest)
    if s["method"] == "lora":
        adapter = {}
        head = "classifier."
        for name, p in model.named_parameters():
            if p.requires_grad and (".lora_" in name or name.startswith(head)):
                adapter["base_model.model." + xlmr_torch.canonical(name)] = p.detach().float()
        xlmr_torch.write_safetensors(os.path.join(dest, "adapter_model.safetensors"), adapter)
        with open(os.path.join(dest, "adapter_config.json"), "w") as f:
            json.dump(s["adapter_config"], f, indent=2)
    with open(os.path.join(dest, "trainer_state.json"), "w") as f:
        json.dump(state, f, indent=2)


# ------------------------------------------------------------------------------------------ the torch engine
def decays(name):
    """XLM Lab's (and HF Trainer's) weight-decay rule: not on biases and LayerNorm weights."""
    lower = name.lower()
    return not (name.endswith(".bias") or lower.endswith("layernorm.weight") or lower.endswith("layer_norm.weight"))


def schedule_factor(s):
    kind, warmup, total = s["schedule"]["kind"], s["schedule"]["warmup_steps"], s["total_steps"]

    def factor(done):
        if warmup > 0 and done < warmup:
            return done / max(1, warmup)
        if kind == "constant":
            return 1.0
        return max(0.0, (total - done) / max(1, total - warmup))
    return factor


def build_model(s, job):
    model, _ = xlmr_torch.load_folder(os.path.join(job, s["model"]), s["task"], len(s["labels"]), s["dropout"])
    for p in model.parameters():
        p.requires_grad_(s["method"] == "full")
    if s["method"] == "lora":
        xlmr_torch.add_lora(model, s["lora"])
        init = xlmr_torch.read_safetensors(os.path.join(job, s["model"], "lora_init.safetensors"))
        params = dict(model.named_parameters())
        with torch.no_grad():
            for name, value in init.items():
                params[name].copy_(value.reshape(params[name].shape))
        for name, p in model.named_parameters():
            p.requires_grad_(".lora_" in name or name.startswith("classifier."))
    return model


def train_torch(s, job, out, rank, world, device):
    torch.manual_seed(s["seed"])
    task = s["task"]
    train_rows = read_jsonl(os.path.join(job, s["data"]["train"]))
    eval_rows = read_jsonl(os.path.join(job, s["data"]["eval"])) if s["data"].get("eval") else None
    plan = BatchPlan(s, [len(r["input_ids"]) for r in train_rows])
    model = build_model(s, job).to(device)
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    ddp = torch.nn.parallel.DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None) if world > 1 else model
    o = s["optimizer"]
    groups = [
        {"params": [p for n, p in named if decays(xlmr_torch.canonical(n))], "weight_decay": o["weight_decay"]},
        {"params": [p for n, p in named if not decays(xlmr_torch.canonical(n))], "weight_decay": 0.0},
    ]
    if o["kind"] == "sgd":
        opt = torch.optim.SGD(groups, lr=o["lr"])
    else:
        opt = torch.optim.AdamW(groups, lr=o["lr"], betas=(o["beta1"], o["beta2"]), eps=o["eps"])
    sched = torch.optim.lr_scheduler.LambdaLR(opt, schedule_factor(s))
    params = [p for _, p in named]
    metrics_path = os.path.join(out, "metrics.jsonl")
    if rank == 0:
        os.makedirs(out, exist_ok=True)
        open(metrics_path, "w").close()
    log_history = []
    best = None  # (value, step, weights)
    evals_since_best = 0

    def emit(record):
        log_history.append(record)
        if rank == 0:
            with open(metrics_path, "a") as f:
                f.write(json.dumps(record) + "\n")
            print(json.dumps(record), flush=True)

    def state(step):
        st = {"global_step": step, "max_steps": s["total_steps"], "epoch": step / s["steps_per_epoch"], "num_train_epochs": math.ceil(s["total_steps"] / s["steps_per_epoch"]),
              "train_batch_size": s["batch"]["global_batch_size"], "log_history": log_history, "xlm_lab": {"job": True, "world_size": world, "engine": "torch"}}
        if best is not None:
            st.update({"best_metric": best[0], "best_global_step": best[1]})
        return st

    def run_eval(step):
        nonlocal best, evals_since_best
        stop = False
        if rank == 0:
            flat, matrix = evaluate(model, s, eval_rows, device)
            record = {"step": step, "epoch": round(step / s["steps_per_epoch"], 4), "eval": flat}
            if matrix is not None:
                record.update({"confusion": matrix, "labels": list(s["labels"])})
            emit(record)
            tracked = s.get("metric_for_best")
            if tracked:
                value = flat[tracked["key"]]
                better = best is None or (value > best[0] if tracked["greater_is_better"] else value < best[0])
                if better:
                    best, evals_since_best = (value, step, {k: v.detach().clone() for k, v in model.state_dict().items()}), 0
                else:
                    evals_since_best += 1
                stop = s.get("patience") is not None and evals_since_best >= s["patience"]
        if world > 1:
            flag = torch.tensor([1.0 if stop else 0.0], device=device)
            dist.broadcast(flag, 0)
            stop = bool(flag.item())
        return stop

    step = 0
    total = s["total_steps"]
    evaluated_at = None
    while step < total:
        started = time.perf_counter()
        micro = plan.micro_batches(step)
        opt.zero_grad(set_to_none=True)
        loss_sum = torch.zeros(1, dtype=torch.float64, device=device)
        examples = tokens = 0
        for k, indices in enumerate(micro):
            rows = [train_rows[i] for i in indices]
            count = label_count(rows, task)
            mine = my_share(rows, rank, world)
            examples += len(rows)
            tokens += sum(len(r["input_ids"]) for r in rows)
            sync = k == len(micro) - 1 or world == 1
            with contextlib.nullcontext() if sync else ddp.no_sync():
                # A last micro-batch with fewer rows than processes: a process without rows runs one row with
                # weight 0, so it still joins the gradient all-reduce.
                weight = 1.0 if mine else 0.0
                ids, mask, labels = collate(mine or rows[:1], task, s["pad_id"], device)
                logits = ddp(ids, mask)
                summed = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=IGNORE, reduction="sum") * weight
                # DDP averages gradients over processes, so each multiplies by the world size: the sum of every
                # process's loss sum over the global count, as one process over the whole batch.
                (summed * (world / (count * len(micro)))).backward()
                loss_sum += summed.detach().double() / (count * len(micro))
        if world > 1:
            dist.all_reduce(loss_sum)
        norm = torch.nn.utils.clip_grad_norm_(params, o["max_grad_norm"]) if o["max_grad_norm"] > 0 else _global_norm(params)
        lr = opt.param_groups[0]["lr"]
        opt.step()
        sched.step()
        step += 1
        seconds = time.perf_counter() - started
        if step % s["log_every"] == 0 or step == total:
            emit({"step": step, "epoch": round(step / s["steps_per_epoch"], 4), "loss": float(loss_sum.item()), "lr": lr, "grad_norm": float(norm),
                  "examples_per_s": round(examples / seconds, 4), "tokens_per_s": round(tokens / seconds, 4)})
        stop = False
        if eval_rows and s.get("eval_every") and step % s["eval_every"] == 0 and step < total:
            stop = run_eval(step)
            evaluated_at = step
        if s.get("save_every") and step % s["save_every"] == 0 and step < total and rank == 0:
            save_folder(os.path.join(out, f"checkpoint-{step}"), model, s, job, state(step))
        if stop:
            break
    if eval_rows and evaluated_at != step:
        run_eval(step)
    if rank == 0:
        if best is not None and best[1] != step:
            model.load_state_dict(best[2])
            print(f"the final model is the best evaluation's, step {best[1]} ({s['metric_for_best']['key']} {best[0]})", flush=True)
        save_folder(out, model, s, job, state(step))


def _global_norm(params):
    grads = [p.grad.detach().double() for p in params if p.grad is not None]
    return torch.sqrt(sum((g * g).sum() for g in grads)) if grads else torch.tensor(0.0)


# ------------------------------------------------------------------------------------------ the hf engine
def hf_available(s):
    try:
        import transformers  # noqa: F401
        if s["method"] == "lora":
            import peft  # noqa: F401
        return True
    except ImportError:
        return False


def train_hf(s, job, out, rank, world, device):
    """transformers' Trainer with settings.json's hf block; XLM Lab's global batches as the batch sampler, split
    across processes (accelerate's split_batches), and the new weights XLM Lab drew (head, LoRA) loaded first."""
    import transformers
    from torch.utils.data import DataLoader
    task = s["task"]
    hf = s["hf"]
    model_dir = os.path.join(job, s["model"])
    auto = transformers.AutoModelForSequenceClassification if task == "seq-cls" else transformers.AutoModelForTokenClassification
    model = auto.from_pretrained(model_dir, **hf["config_overrides"])
    if s["method"] == "lora":
        import peft
        model = peft.get_peft_model(model, peft.LoraConfig(**hf["lora_config"]))
        init = xlmr_torch.read_safetensors(os.path.join(model_dir, "lora_init.safetensors"))
        named = dict(model.named_parameters())
        with torch.no_grad():
            for name, value in init.items():
                key = "base_model.model." + name.replace(".weight", ".default.weight")
                named[key].copy_(value.reshape(named[key].shape))
    train_rows = read_jsonl(os.path.join(job, s["data"]["train"]))
    eval_rows = read_jsonl(os.path.join(job, s["data"]["eval"])) if s["data"].get("eval") else None
    plan = BatchPlan(s, [len(r["input_ids"]) for r in train_rows])

    class PlanSampler:
        def __len__(self):
            return s["steps_per_epoch"] * s["batch"]["grad_accum"]

        def __iter__(self):
            epoch = getattr(self, "epoch", 0)
            for step in range(epoch * s["steps_per_epoch"], (epoch + 1) * s["steps_per_epoch"]):
                yield from plan.micro_batches(step)

        def set_epoch(self, epoch):
            self.epoch = epoch

    def collator(rows):
        ids, mask, labels = collate(rows, task, s["pad_id"], torch.device("cpu"))
        return {"input_ids": ids, "attention_mask": mask, "labels": labels}

    class Dataset(torch.utils.data.Dataset):
        def __init__(self, rows):
            self.rows = rows

        def __len__(self):
            return len(self.rows)

        def __getitem__(self, i):
            return self.rows[i]

    class PlanTrainer(transformers.Trainer):
        def get_train_dataloader(self):
            return self.accelerator.prepare(DataLoader(Dataset(train_rows), batch_sampler=PlanSampler(), collate_fn=collator))

    languages = [r.get("language", "") for r in eval_rows or []]

    def compute_metrics(prediction):
        # XLM Lab's metric names (accuracy, macro_f1, f1, per language), so metric_for_best_model finds its key.
        logits = torch.as_tensor(prediction.predictions).double()
        gold = torch.as_tensor(prediction.label_ids)
        flat, _ = scores(task, score_rows(task, s["labels"], logits, gold, languages), s["labels"], s.get("languages_are_labels", False))
        return {k: v for k, v in flat.items() if k != "loss"}

    args = transformers.TrainingArguments(**{**hf["training_arguments"], "output_dir": out})
    callbacks = [transformers.EarlyStoppingCallback(early_stopping_patience=s["patience"])] if s.get("patience") else []
    trainer = PlanTrainer(model=model, args=args, train_dataset=Dataset(train_rows), eval_dataset=Dataset(eval_rows) if eval_rows else None,
                          data_collator=collator, callbacks=callbacks, compute_metrics=compute_metrics if eval_rows else None)
    trainer.train()
    trainer.save_model(out)
    trainer.save_state()
    if trainer.is_world_process_zero():
        # A LoRA run's save_model wrote the PEFT adapter; the merged model beside it is what XLM Lab loads.
        if s["method"] == "lora":
            trainer.model.merge_and_unload().save_pretrained(out, safe_serialization=True)
        copy_tokenizer(model_dir, out)
        with open(os.path.join(out, "metrics.jsonl"), "w") as f:
            for entry in trainer.state.log_history:
                record = record_of(entry)
                if record is not None:
                    f.write(json.dumps(record) + "\n")


# ------------------------------------------------------------------------------------------ main
def main(argv=None):
    parser = argparse.ArgumentParser(description="Train the exported XLM Lab run (see README.md beside this file).")
    parser.add_argument("--out", default=None, help="output folder (default: output/ in the job folder)")
    parser.add_argument("--engine", choices=["auto", "hf", "torch"], default="auto", help="hf: transformers Trainer (+ peft); torch: the carried XLM-R; auto: hf when it imports")
    args = parser.parse_args(argv)
    with open(os.path.join(HERE, "settings.json")) as f:
        s = json.load(f)
    out = os.path.abspath(args.out or os.path.join(HERE, "output"))
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    cuda = torch.cuda.is_available()
    device = torch.device("cuda", local_rank) if cuda else torch.device("cpu")
    if cuda:
        torch.cuda.set_device(device)
    engine = args.engine if args.engine != "auto" else ("hf" if hf_available(s) else "torch")
    if engine == "hf" and not hf_available(s):
        raise SystemExit("--engine hf: transformers" + (" and peft" if s["method"] == "lora" else "") + " must be importable; pip install them or use --engine torch")
    # Under Ray the process group exists already.
    owns_group = world > 1 and engine == "torch" and not dist.is_initialized()
    if owns_group:
        dist.init_process_group("nccl" if cuda else "gloo")
    if rank == 0:
        print(f"engine {engine}, {world} process(es), {'cuda' if cuda else 'cpu'}, global batch {s['batch']['global_batch_size']}", flush=True)
    (train_hf if engine == "hf" else train_torch)(s, HERE, out, rank, world, device)
    if world > 1 and engine == "torch":
        dist.barrier()
    if owns_group:
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
