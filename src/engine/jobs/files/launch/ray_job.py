"""Ray: the job under ray.train.torch.TorchTrainer, one worker per GPU. Run on the cluster's head node from the
job folder: `python3 launch/ray_job.py --out /shared/path/output` (the folder must be on storage every worker
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
