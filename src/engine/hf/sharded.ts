import { dirname, isAbsolute, join } from 'node:path';
import { existsSync } from 'node:fs';
import { hfError } from './hf-error.js';
import { describeJsonType, isPlainObject, readJsonFile } from './json.js';
import { missingTensor, openSafetensors, type TensorInfo, type TensorSource } from './safetensors.js';

/**
 * Sharded checkpoints: `model.safetensors.index.json` holds {"metadata": {...}, "weight_map":
 * {tensor name: shard file name}}, the shards sit beside it. Every shard's header is read and
 * validated at open (cheap), so a truncated shard fails before any tensor is used.
 */
export function openShardedSafetensors(indexPath: string): TensorSource {
  const index = readJsonFile(indexPath);
  if (!isPlainObject(index) || !isPlainObject(index.weight_map)) {
    const got = isPlainObject(index) ? `its "weight_map" is ${describeJsonType(index.weight_map)}` : `it holds ${describeJsonType(index)}`;
    throw hfError('safetensors-index', indexPath, `expected an object with "weight_map" mapping tensor names to shard files; ${got}`, 'weight_map');
  }
  const weightMap = index.weight_map;
  const folder = dirname(indexPath);
  const shards = new Map<string, TensorSource>();
  const byName = new Map<string, TensorSource>();
  try {
    for (const [name, shardName] of Object.entries(weightMap)) {
      if (typeof shardName !== 'string' || shardName === '' || isAbsolute(shardName) || shardName.split(/[\\/]/).includes('..')) {
        throw hfError(
          'safetensors-index',
          indexPath,
          `"weight_map" gives tensor '${name}' the shard ${describeJsonType(shardName)}; expected a file name in the same folder`,
          name,
        );
      }
      let shard = shards.get(shardName);
      if (!shard) {
        const shardPath = join(folder, shardName);
        if (!existsSync(shardPath)) {
          throw hfError('file-missing', indexPath, `"weight_map" puts tensor '${name}' in ${shardName}, but ${shardPath} does not exist`, name);
        }
        shard = openSafetensors(shardPath);
        shards.set(shardName, shard);
      }
      if (!shard.has(name)) {
        throw hfError('tensor-missing', indexPath, `"weight_map" puts tensor '${name}' in ${shardName}, but ${shard.path} has no such tensor`, name);
      }
      byName.set(name, shard);
    }
  } catch (e) {
    for (const shard of shards.values()) shard.close();
    throw e;
  }
  const metadata: Record<string, string> = {};
  if (isPlainObject(index.metadata)) {
    for (const [key, value] of Object.entries(index.metadata)) metadata[key] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  const shardOf = (name: string): TensorSource => {
    const shard = byName.get(name);
    if (!shard) throw missingTensor(indexPath, name);
    return shard;
  };
  return {
    path: indexPath,
    metadata,
    names: () => [...byName.keys()],
    has: (name) => byName.has(name),
    info: (name): TensorInfo => shardOf(name).info(name),
    readFloat32: (name, into) => shardOf(name).readFloat32(name, into),
    readInt64: (name) => shardOf(name).readInt64(name),
    readBytes: (name) => shardOf(name).readBytes(name),
    close: () => {
      for (const shard of shards.values()) shard.close();
    },
  };
}
