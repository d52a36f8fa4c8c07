"""PyTorch side of bench/train.ts: the same XLM-R training step (plain-PyTorch reference model from
test/helpers, AdamW, clipping) on random weights and ids; prints one JSON line with examples/s and peak RSS.
Usage: train_torch.py JSON-CONFIG"""
import json
import os
import resource
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'test', 'helpers'))
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from reference_xlmr import XlmrReference  # noqa: E402
from reference_train import add_lora  # noqa: E402


def main():
    c = json.loads(sys.argv[1])
    torch.set_num_threads(c['threads'])
    torch.manual_seed(0)
    config = {**c['model'], 'hidden_dropout_prob': 0.1, 'attention_probs_dropout_prob': 0.1, 'layer_norm_eps': 1e-5, 'pad_token_id': 1,
              'type_vocab_size': 1, 'id2label': {'0': 'a', '1': 'b'}}
    model = XlmrReference(config, 'seq-cls')
    model.train()
    if c['method'] == 'lora':
        for p in model.parameters():
            p.requires_grad_(False)
        add_lora(model, {'r': 8, 'alpha': 16, 'targets': ['query', 'value']})
        for name, p in model.named_parameters():
            if 'lora_' in name or name.startswith('classifier.'):
                p.requires_grad_(True)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=1e-5, weight_decay=0.01)
    b, s = c['batch'], c['seq']
    ids = torch.randint(3, config['vocab_size'], (b, s))
    mask = torch.ones(b, s, dtype=torch.long)
    labels = torch.randint(0, 2, (b,))

    def step():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(ids, mask), labels)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()

    warmup_times = []
    for _ in range(c.get('warmup', 2)):
        t = time.perf_counter()
        step()
        warmup_times.append(round(time.perf_counter() - t, 3))
    t = time.perf_counter()
    for _ in range(c['steps']):
        step()
    seconds = time.perf_counter() - t
    a = torch.randn(1024, 1024)
    torch.mm(a, a)
    t = time.perf_counter()
    for _ in range(10):
        torch.mm(a, a)
    matmul = 10 * 2 * 1024 ** 3 / (time.perf_counter() - t)
    print(json.dumps({'examples_per_s': c['steps'] * b / seconds, 'step_s': seconds / c['steps'], 'warmup_step_times_s': warmup_times,
                      'peak_rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      'matmul_gflops': matmul / 1e9, 'trainable': sum(p.numel() for p in params), 'blas_core': blas_core()}))


def blas_core():
    """The kernels OpenBLAS chose on this CPU (SkylakeX, Haswell, ...), from the BLAS torch loaded; None for another BLAS."""
    import ctypes
    for name in ('libblas.so.3', 'libopenblas.so.0'):
        try:
            get = ctypes.CDLL(name).openblas_get_corename
        except (OSError, AttributeError):
            continue
        get.restype = ctypes.c_char_p
        return get().decode()
    return None


if __name__ == '__main__':
    main()
