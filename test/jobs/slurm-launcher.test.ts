/**
 * The Slurm launcher runs: the test starts its own one-node Slurm cluster (slurmctld and slurmd with a
 * configuration in a temporary folder, no authentication daemon: auth/none), submits the exported job's
 * launch/slurm.sbatch with `sbatch --wait` (srun starts torchrun, torchrun 2 processes), and the job ends at our
 * engine's weights. Needs Debian's slurm-wlm (`apt-get install -y slurm-wlm`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, hostname, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { train } from '../../src/engine/train/train-task.js';
import { writeTinyXlmr } from '../helpers/tiny-model.js';
import { readAllFloat32 } from '../helpers/safetensors.js';
import { runXlm } from '../helpers/cli.js';
import { assertSameWeights, jsonLines, rowsFor, TORCHRUN, torchrunLogs, torchrunStreams } from './job-fixtures.js';

const SLURM = ['/usr/sbin/slurmctld', '/usr/sbin/slurmd', '/usr/bin/sbatch', '/usr/bin/sinfo'];
const missing = SLURM.filter((p) => !existsSync(p));
if (missing.length) console.log(`slurm launcher test skipped: ${missing.join(', ')} absent; install them with: apt-get install -y slurm-wlm`);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

test('launch/slurm.sbatch runs the job on a one-node Slurm cluster and it ends at our weights', { skip: missing.length > 0, timeout: 600_000 }, async () => {
  const root = mkdtempSync(join(tmpdir(), 'xlm-slurm-'));
  const daemons: ChildProcess[] = [];
  try {
    // The job: a tiny sequence classifier, 2 epochs of batch 8 over 21 rows (6 steps).
    const model = join(root, 'model');
    writeTinyXlmr(model, { head: 'seq-cls', seed: 8 });
    writeFileSync(join(root, 'train.jsonl'), rowsFor('seq-cls', 21, 1));
    const lr = 2e-3;
    writeFileSync(join(root, 'settings.json'), JSON.stringify({ model: 'model', task: 'seq-cls', train: 'train.jsonl', 'batch-size': 8, epochs: 2, lr, 'warmup-ratio': 0.2, dropout: 0, seed: 3 }));
    const job = join(root, 'job');
    const exported = await runXlm(['export-job', '--run', join(root, 'settings.json'), '--out', job]);
    assert.equal(exported.code, 0, exported.stderr);
    await train({ model, task: 'sequence-classification', train: join(root, 'train.jsonl'), out: join(root, 'ours'), batchSize: 8, epochs: 2, lr, warmupRatio: 0.2, dropout: 0, seed: 3, threads: 1, device: 'cpu' });

    // The cluster: this machine as its only node, every file in `root/slurm`.
    const dir = join(root, 'slurm');
    for (const sub of ['state', 'spool']) mkdirSync(join(dir, sub), { recursive: true });
    const node = hostname().split('.')[0];
    const [ctlPort, dPort, rdzvPort] = [await freePort(), await freePort(), await freePort()];
    const conf = join(dir, 'slurm.conf');
    writeFileSync(conf, [
      'ClusterName=xlmtest', `SlurmctldHost=${node}(127.0.0.1)`, `SlurmUser=${userInfo().username}`, `SlurmdUser=${userInfo().username}`, 'AuthType=auth/none', 'CredType=cred/none',
      `SlurmctldPort=${ctlPort}`, `SlurmdPort=${dPort}`, `StateSaveLocation=${dir}/state`, `SlurmdSpoolDir=${dir}/spool`,
      `SlurmctldPidFile=${dir}/slurmctld.pid`, `SlurmdPidFile=${dir}/slurmd.pid`, `SlurmctldLogFile=${dir}/slurmctld.log`, `SlurmdLogFile=${dir}/slurmd.log`,
      'ProctrackType=proctrack/linuxproc', 'TaskPlugin=task/none', 'SelectType=select/cons_tres', 'SelectTypeParameters=CR_CPU', 'JobAcctGatherType=jobacct_gather/none',
      'AccountingStorageType=accounting_storage/none', 'MpiDefault=none', 'SwitchType=switch/none', 'ReturnToService=2',
      `NodeName=${node} NodeAddr=127.0.0.1 CPUs=${cpus().length} State=UNKNOWN`, `PartitionName=debug Nodes=${node} Default=YES MaxTime=INFINITE State=UP`,
    ].join('\n') + '\n');
    const env = { ...process.env, SLURM_CONF: conf };
    daemons.push(spawn('/usr/sbin/slurmctld', ['-D', '-f', conf], { env, stdio: 'ignore' }));
    daemons.push(spawn('/usr/sbin/slurmd', ['-D', '-f', conf, '-N', node], { env, stdio: 'ignore' }));
    let idle = false;
    for (let i = 0; i < 60 && !idle; i++) {
      await sleep(500);
      idle = /idle/.test(spawnSync('/usr/bin/sinfo', ['-h', '-o', '%T'], { env, encoding: 'utf8' }).stdout);
    }
    assert.ok(idle, `the node never became idle:\n${existsSync(join(dir, 'slurmctld.log')) ? readFileSync(join(dir, 'slurmctld.log'), 'utf8').slice(-2000) : ''}`);

    // What a user types, with the launcher's own variables: 2 processes on the node, the rendezvous on a free port.
    const logs = join(root, 'torchrun-logs');
    const submitted = spawnSync('/usr/bin/sbatch', ['--wait', 'launch/slurm.sbatch'], {
      cwd: job, encoding: 'utf8', timeout: 480_000,
      env: { ...env, NPROC_PER_NODE: '2', MASTER_PORT: String(rdzvPort), OMP_NUM_THREADS: '1', TORCHRUN: [...TORCHRUN, ...torchrunStreams(logs)].join(' ') },
    });
    const slurmOut = readdirSync(job).filter((f) => /^slurm-\d+\.out$/.test(f)).map((f) => readFileSync(join(job, f), 'utf8')).join('\n');
    assert.equal(submitted.status, 0, `sbatch --wait failed: ${submitted.stderr}\n${slurmOut}\n${torchrunLogs(logs)}`);
    assert.match(submitted.stdout, /Submitted batch job \d+/);
    assert.match(slurmOut, /engine torch, 2 process\(es\)/);
    assert.equal(jsonLines(join(job, 'output', 'metrics.jsonl')).filter((l) => typeof l.loss === 'number').length, 6);
    assertSameWeights(readAllFloat32(join(root, 'ours', 'model.safetensors')), readAllFloat32(join(job, 'output', 'model.safetensors')), lr);
  } finally {
    for (const d of daemons) d.kill('SIGTERM');
    await sleep(500);
    rmSync(root, { recursive: true, force: true });
  }
});
