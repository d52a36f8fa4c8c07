"""Reference training of the toy MLP of test/train/step.test.ts: reads {weights, steps, hp} JSON on stdin,
writes {weights, log} after training with torch_optim.train (dropout off)."""
import json
import sys

import torch
import torch.nn.functional as F

from torch_optim import train


def main():
    torch.set_num_threads(1)
    spec = json.load(sys.stdin)
    w = {n: torch.tensor(v['data'], dtype=torch.float32).reshape(v['shape']).requires_grad_(True) for n, v in spec['weights'].items()}

    def loss_of_batch(b):
        x = torch.tensor(b['x'], dtype=torch.float32).reshape(-1, 4)
        y = torch.tensor(b['labels'], dtype=torch.int64)
        h = torch.tanh(F.linear(x, w['l1.weight'], w['l1.bias']))
        h = F.layer_norm(h, (8,), w['LayerNorm.weight'], w['LayerNorm.bias'], 1e-5)
        return F.cross_entropy(F.linear(h, w['l2.weight'], w['l2.bias']), y)

    log = train(list(w.items()), loss_of_batch, spec['steps'], spec['hp'])
    json.dump({'weights': {n: t.detach().reshape(-1).tolist() for n, t in w.items()}, 'log': log}, sys.stdout)


if __name__ == '__main__':
    main()
