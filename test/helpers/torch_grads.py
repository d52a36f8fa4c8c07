"""Gradients of loss expressions in PyTorch, the reference for our autodiff's rules.

Reads a JSON list of cases from stdin: {name, inputs: [{name, shape, data, dtype}], torch: expression};
writes {name: {loss, grads: {input: [values]}}} to stdout. Float inputs require grad; int64 inputs do not.
"""
import json
import sys

import torch
import torch.nn.functional as F

DTYPES = {'float64': torch.float64, 'float32': torch.float32, 'int64': torch.int64, 'bool': torch.bool}


def run(case):
    env = {'torch': torch, 'F': F}
    floats = []
    for spec in case['inputs']:
        dtype = DTYPES[spec.get('dtype') or 'float64']
        tensor = torch.tensor(spec['data'], dtype=dtype).reshape(spec['shape'])
        if dtype.is_floating_point:
            tensor.requires_grad_(True)
            floats.append((spec['name'], tensor))
        env[spec['name']] = tensor
    loss = eval(case['torch'], env)  # noqa: S307 - expressions come from our own test table
    loss.backward()
    grads = {name: (t.grad.reshape(-1).tolist() if t.grad is not None else None) for name, t in floats}
    return {'loss': loss.item(), 'grads': grads}


def main():
    torch.set_num_threads(1)
    cases = json.load(sys.stdin)
    json.dump({case['name']: run(case) for case in cases}, sys.stdout)


if __name__ == '__main__':
    main()
