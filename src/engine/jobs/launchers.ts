/**
 * The launchers and the README of an exported job folder. Each launcher marks the lines a user edits with
 * `EDIT`; everything else follows from settings.json.
 */

export interface LauncherFile {
  /** Path inside the job folder. */
  path: string;
  text: string;
  executable?: boolean;
}

const TORCHRUN = `#!/usr/bin/env bash
# One machine: one process per GPU (nccl), or CPU processes (gloo). Extra arguments go to train.py (--out DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
NPROC_PER_NODE=\${NPROC_PER_NODE:-2}   # EDIT: processes on this machine (its number of GPUs)
TORCHRUN=\${TORCHRUN:-torchrun}        # EDIT: or "python3 -m torch.distributed.run"
exec $TORCHRUN --standalone --nproc_per_node "$NPROC_PER_NODE" train.py "$@"
`;

const ACCELERATE = `# accelerate launch --config_file launch/accelerate.yaml train.py   (from the job folder)
compute_environment: LOCAL_MACHINE
distributed_type: MULTI_GPU   # EDIT: MULTI_CPU on machines without GPUs
num_machines: 1               # EDIT: machines (then also machine_rank, main_process_ip on each)
machine_rank: 0
num_processes: 8              # EDIT: processes over all machines (GPUs in all)
gpu_ids: all
mixed_precision: 'no'
use_cpu: false                # EDIT: true with MULTI_CPU
main_training_function: main
same_network: true
rdzv_backend: static
`;

const SBATCH = `#!/bin/bash
# Slurm: one torchrun per machine (srun), which starts NPROC_PER_NODE processes there. Submit from the job
# folder: \`sbatch launch/slurm.sbatch\` (extra arguments go to train.py). The EDIT lines are what a cluster
# usually needs; a line starting with "##SBATCH" is off until one "#" is removed.
#SBATCH --job-name=xlm-lab-job
#SBATCH --nodes=1                 # EDIT: machines
#SBATCH --ntasks-per-node=1       # one torchrun per machine (keep)
#SBATCH --cpus-per-task=2         # EDIT: CPU cores per machine for the job
##SBATCH --gpus-per-node=8        # EDIT: GPUs per machine (remove one "#" on GPU clusters)
##SBATCH --partition=gpu          # EDIT: your partition
#SBATCH --time=24:00:00           # EDIT: time limit
#SBATCH --output=slurm-%j.out
set -euo pipefail
cd "\${SLURM_SUBMIT_DIR:-.}"
NPROC_PER_NODE=\${NPROC_PER_NODE:-2}   # EDIT: processes per machine (= --gpus-per-node on GPU clusters)
TORCHRUN=\${TORCHRUN:-torchrun}
HEAD=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1)
PORT=\${MASTER_PORT:-29500}
srun $TORCHRUN --nnodes "$SLURM_NNODES" --nproc_per_node "$NPROC_PER_NODE" \\
  --rdzv_id "$SLURM_JOB_ID" --rdzv_backend c10d --rdzv_endpoint "$HEAD:$PORT" train.py "$@"
`;

const RAY = `"""Ray: the job under ray.train.torch.TorchTrainer, one worker per GPU. Run on the cluster's head node from the
job folder: \`python3 launch/ray_job.py --out /shared/path/output\` (the folder must be on storage every worker
sees). Ray starts the process group; train.py trains in each worker as under torchrun."""
import os
import sys

import ray
from ray.train import ScalingConfig
from ray.train.torch import TorchTrainer

NUM_WORKERS = 8   # EDIT: workers (GPUs) over the whole cluster
USE_GPU = True    # EDIT: False for CPU workers
JOB = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def worker(config):
    import ray.train

    ctx = ray.train.get_context()
    os.environ.update({"RANK": str(ctx.get_world_rank()), "WORLD_SIZE": str(ctx.get_world_size()), "LOCAL_RANK": str(ctx.get_local_rank())})
    sys.path.insert(0, config["job"])
    import train

    train.main(config["argv"])


if __name__ == "__main__":
    ray.init()
    TorchTrainer(worker, train_loop_config={"job": JOB, "argv": sys.argv[1:]}, scaling_config=ScalingConfig(num_workers=NUM_WORKERS, use_gpu=USE_GPU)).fit()
`;

export function jobReadme(summary: { task: string; method: string; trainRows: number; evalRows: number; totalSteps: number; batchSize: number; source: string }): string {
  return `# An XLM Lab run as a distributed PyTorch job

Exported by \`xlm export-job\` from ${summary.source}: ${summary.task}, ${summary.method} fine-tuning, ${summary.trainRows} training rows${summary.evalRows ? `, ${summary.evalRows} evaluation rows` : ''}, ${summary.totalSteps} optimizer steps of ${summary.batchSize} examples.

## What is here
- \`settings.json\`: the run's settings (task, method, LoRA, optimizer, schedule, warm-up, clipping, batch, length, seed, evaluation cadence) and their \`hf\` mapping onto TrainingArguments / LoraConfig.
- \`data/train.jsonl\`, \`data/eval.jsonl\`: the rows, tokenized by XLM Lab (\`input_ids\`, \`label\` or \`labels\`, \`language\`, and the text).
- \`model/\`: the starting weights (the new head and LoRA matrices as XLM Lab drew them) with config and tokenizer.
- \`train.py\`: trains with transformers' Trainer (+ peft for LoRA) when they import, otherwise with the plain-PyTorch XLM-R in \`xlmr_torch.py\`; \`--engine torch|hf\` picks one. Either runs under DistributedDataParallel (nccl on GPUs, gloo on CPU).
- \`launch/\`: launchers; the lines to edit are marked \`EDIT\`.

The batch in settings.json (${summary.batchSize}) is the global batch: with N processes each takes 1/N of every batch, so the run is the same however many processes train it (the loss of token classification is divided by the global count of labelled tokens, as transformers' num_items_in_batch does). To train with a larger batch, edit \`batch.global_batch_size\` (and \`steps_per_epoch\`, \`total_steps\`).

## Running it
- One machine: \`launch/torchrun.sh\` (set NPROC_PER_NODE to its GPUs), or \`python3 train.py\` for one process.
- accelerate: \`accelerate launch --config_file launch/accelerate.yaml train.py\`.
- Slurm: from this folder, \`sbatch launch/slurm.sbatch\` (edit nodes, GPUs, partition, time); \`srun torchrun\` starts the processes of every node.
- Ray: \`python3 launch/ray_job.py --out /shared/output\` on the head node (edit NUM_WORKERS, USE_GPU).

Every launcher passes its extra arguments to train.py: \`--out DIR\` (default \`output/\` here), \`--engine auto|hf|torch\`.

## What comes back
\`output/\` is an ordinary Hugging Face model folder (config.json with the labels, model.safetensors, tokenizer files; for LoRA also adapter_config.json and adapter_model.safetensors, a PEFT adapter), \`trainer_state.json\` (transformers' log_history) and \`metrics.jsonl\` (one line per logged step and per evaluation, XLM Lab's dashboard format); \`checkpoint-N/\` folders when the run saves every N steps.

Bring it back to XLM Lab with \`xlm import-run output\` (or the job folder): it becomes a run under \`runs/\` that the dashboard draws beside the local runs, and its model folder is a model XLM Lab loads.
`;
}

export const LAUNCHERS: readonly LauncherFile[] = [
  { path: 'launch/torchrun.sh', text: TORCHRUN, executable: true },
  { path: 'launch/accelerate.yaml', text: ACCELERATE },
  { path: 'launch/slurm.sbatch', text: SBATCH, executable: true },
  { path: 'launch/ray_job.py', text: RAY },
];
