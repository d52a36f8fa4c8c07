"""The optimizer side of our training step in plain PyTorch: transformers' Trainer setup (AdamW or SGD,
no decay on biases and LayerNorm weights, clip_grad_norm_, LambdaLR linear/constant schedule with
warm-up, gradient accumulation by 1/k-scaled micro-batch losses). Model files import `train`."""
import torch


def no_decay(name):
    return name.endswith('.bias') or name.lower().endswith('layernorm.weight') or name.lower().endswith('layer_norm.weight')


def schedule_factor(kind, warmup, total):
    def factor(done):
        if done < warmup:
            return done / max(1, warmup)
        if kind == 'constant':
            return 1.0
        return max(0.0, (total - done) / max(1, total - warmup))
    return factor


def make_optimizer(named, hp):
    groups = [
        {'params': [p for n, p in named if not no_decay(n)], 'weight_decay': hp['weight_decay']},
        {'params': [p for n, p in named if no_decay(n)], 'weight_decay': 0.0},
    ]
    if hp['optimizer'] == 'sgd':
        return torch.optim.SGD(groups, lr=hp['lr'])
    return torch.optim.AdamW(groups, lr=hp['lr'], betas=(hp['beta1'], hp['beta2']), eps=hp['eps'])


def train(named, loss_of_batch, steps, hp):
    """named: [(name, parameter)]; steps: list of lists of micro-batches; returns per-step (loss, grad_norm, lr)."""
    opt = make_optimizer(named, hp)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, schedule_factor(hp['schedule'], hp['warmup_steps'], hp['total_steps']))
    log = []
    params = [p for _, p in named]
    for micro in steps:
        opt.zero_grad(set_to_none=True)
        total = 0.0
        for batch in micro:
            loss = loss_of_batch(batch)
            (loss / len(micro)).backward()
            total += loss.item()
        norm = torch.nn.utils.clip_grad_norm_(params, hp['max_grad_norm']) if hp['max_grad_norm'] > 0 else torch.tensor(0.0)
        lr = opt.param_groups[0]['lr']
        opt.step()
        sched.step()
        log.append({'loss': total / len(micro), 'grad_norm': float(norm), 'lr': lr})
    return log
