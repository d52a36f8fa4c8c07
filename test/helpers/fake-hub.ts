/**
 * A local stand-in for the Hugging Face Hub, answering as the real one does (facts from huggingface_hub's
 * file_download.py and the Hub's answers): the revision listing `/api/models/{repo}/revision/{rev}` with `sha`
 * and `siblings`; resolve URLs `/{repo}/resolve/{rev}/{file}` that give regular files with a quoted git-sha1
 * ETag and LFS files as a redirect to a CDN on another origin, carrying X-Linked-Etag (the sha256),
 * X-Linked-Size and X-Repo-Commit; Range requests; 401 for private or gated repos without the token; 404 with
 * X-Error-Code RepoNotFound / RevisionNotFound / EntryNotFound. Faults can be injected (5xx, bodies cut short,
 * corrupted bytes), a hostile server imitated (headers rewritten: an ETag that is a path, a size that lies;
 * file names such as `../x` are plain repo entries), bodies throttled, and every request and connection is counted.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeFile {
  content: Buffer;
  lfs: boolean;
}

export interface FakeRepo {
  id: string;
  /** commit sha → files (path → content). */
  commits: Record<string, Record<string, FakeFile>>;
  branches: Record<string, string>;
  tags?: Record<string, string>;
  private?: boolean;
  gated?: boolean;
  /** Answer every request for this id with a relative redirect to the new id, as the Hub does for renamed repos. */
  renamedTo?: string;
}

export interface FakeHubOptions {
  repos: FakeRepo[];
  /** The one token the hub accepts for private and gated repos. */
  token?: string;
  /** `cdn`: LFS files redirect to another origin (absolute URL); `relative`: to a path on the hub itself. */
  lfsRedirect?: 'cdn' | 'relative';
  /** Serve regular files through a relative 307 to /api/resolve-cache/..., as the Hub does today. */
  regularViaResolveCache?: boolean;
  /** Throttle: bytes per write and the pause between writes (makes cancel and cut tests reliable). */
  chunkBytes?: number;
  chunkDelayMs?: number;
  /** Sizes the listing claims for these files instead of the true ones (a download's size is planned from the listing). */
  listedSizes?: Record<string, number>;
}

export interface LoggedRequest {
  server: 'hub' | 'cdn';
  method: string;
  path: string;
  range?: string;
  authorization?: string;
  status: number;
}

interface Fault {
  match: RegExp;
  kind: 'status' | 'cut' | 'corrupt' | 'stall' | 'headers';
  status?: number;
  headers?: Record<string, string>;
  afterBytes?: number;
  times: number;
}

export function regularFile(content: string | Buffer): FakeFile {
  return { content: Buffer.from(content), lfs: false };
}

export function lfsFile(content: Buffer): FakeFile {
  return { content, lfs: true };
}

/** Deterministic pseudo-random bytes (xorshift32), so every run serves the same data. */
export function seededBytes(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

// Hashes are memoized per buffer: the hub names files by them on every request.
const sha1Memo = new WeakMap<Buffer, string>();
const sha256Memo = new WeakMap<Buffer, string>();

export function gitBlobSha1(content: Buffer): string {
  let hash = sha1Memo.get(content);
  if (!hash) sha1Memo.set(content, (hash = createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex')));
  return hash;
}

export function sha256(content: Buffer): string {
  let hash = sha256Memo.get(content);
  if (!hash) sha256Memo.set(content, (hash = createHash('sha256').update(content).digest('hex')));
  return hash;
}

/** The etag a file's blob is named by in the cache: sha256 for LFS files, git sha1 otherwise. */
export function etagOf(file: FakeFile): string {
  return file.lfs ? sha256(file.content) : gitBlobSha1(file.content);
}

function lfsPointer(file: FakeFile): Buffer {
  return Buffer.from(`version https://git-lfs.github.com/spec/v1\noid sha256:${sha256(file.content)}\nsize ${file.content.length}\n`);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class FakeHub {
  readonly requests: LoggedRequest[] = [];
  connections = 0;
  /** The most response bodies that were being sent at the same time. */
  maxBodiesInFlight = 0;
  private bodiesInFlight = 0;
  private readonly faults: Fault[] = [];
  /** The log entry of each response, so its status is recorded when the head is written (before the client can see it). */
  private readonly logged = new WeakMap<ServerResponse, LoggedRequest>();
  private readonly hubServer: Server;
  private readonly cdnServer: Server;
  private hubPort = 0;
  private cdnPort = 0;

  private constructor(readonly options: FakeHubOptions) {
    this.hubServer = createServer((req, res) => void this.handle('hub', req, res));
    this.cdnServer = createServer((req, res) => void this.handle('cdn', req, res));
    for (const server of [this.hubServer, this.cdnServer]) server.on('connection', () => this.connections++);
  }

  static async start(options: FakeHubOptions): Promise<FakeHub> {
    const hub = new FakeHub(options);
    hub.hubPort = await listen(hub.hubServer);
    hub.cdnPort = await listen(hub.cdnServer);
    return hub;
  }

  /** The endpoint to set as HF_ENDPOINT. */
  get url(): string {
    return `http://127.0.0.1:${this.hubPort}`;
  }

  get cdnUrl(): string {
    return `http://127.0.0.1:${this.cdnPort}`;
  }

  /** The next `times` requests whose path matches answer `status` (with `headers`, e.g. an X-Error-Code). */
  failNext(match: RegExp, status: number, times = 1, headers: Record<string, string> = {}): void {
    this.faults.push({ match, kind: 'status', status, times, headers });
  }

  /** The next `times` bodies whose path matches stop after `afterBytes` bytes, with the full Content-Length promised. */
  cutNext(match: RegExp, afterBytes: number, times = 1): void {
    this.faults.push({ match, kind: 'cut', afterBytes, times });
  }

  /** The next `times` bodies whose path matches stop after `afterBytes` bytes and keep the connection open, silent. */
  stallNext(match: RegExp, afterBytes: number, times = 1): void {
    this.faults.push({ match, kind: 'stall', afterBytes, times });
  }

  /** The next `times` bodies whose path matches have one byte flipped (headers still promise the right hash). */
  corruptNext(match: RegExp, times = 1): void {
    this.faults.push({ match, kind: 'corrupt', times });
  }

  /**
   * Hostile mode: the next `times` resolve answers whose path matches carry these headers instead of the
   * true ones (e.g. `etag: '"../../../.bashrc"'`, or an `x-linked-size` that lies).
   */
  tamperNext(match: RegExp, headers: Record<string, string>, times = 1): void {
    this.faults.push({ match, kind: 'headers', headers, times });
  }

  requestsTo(server: 'hub' | 'cdn'): LoggedRequest[] {
    return this.requests.filter((r) => r.server === server);
  }

  async close(): Promise<void> {
    for (const server of [this.hubServer, this.cdnServer]) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  private takeFault(path: string, kinds: Fault['kind'][]): Fault | undefined {
    const fault = this.faults.find((f) => f.times > 0 && kinds.includes(f.kind) && f.match.test(path));
    if (fault) fault.times--;
    return fault;
  }

  private async handle(server: 'hub' | 'cdn', req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const entry: LoggedRequest = { server, method: req.method ?? 'GET', path, range: req.headers.range, authorization: req.headers.authorization, status: 0 };
    this.requests.push(entry);
    this.logged.set(res, entry);
    const failure = this.takeFault(path, ['status']);
    if (failure) return this.answer(res, failure.status!, failure.headers ?? {}, `{"error":"injected ${failure.status}"}`);
    if (server === 'cdn' || path.startsWith('/lfs/')) return this.serveLfs(req, res, path);
    if (path.startsWith('/api/models/')) return this.serveListing(req, res, path);
    if (path.startsWith('/api/resolve-cache/models/')) return this.serveResolveCache(req, res, path);
    if (path.includes('/resolve/')) return this.serveResolve(req, res, path);
    this.answer(res, 404, {}, 'not found');
  }

  private writeHead(res: ServerResponse, status: number, headers: Record<string, string>): void {
    const entry = this.logged.get(res);
    if (entry) entry.status = status;
    res.writeHead(status, headers);
  }

  private answer(res: ServerResponse, status: number, headers: Record<string, string>, body = ''): void {
    this.writeHead(res, status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...headers });
    res.end(body);
  }

  /** Finds the repo and checks access; answers the error itself and returns undefined when refused. */
  private repoFor(req: IncomingMessage, res: ServerResponse, id: string, rewrite: (newId: string) => string): FakeRepo | undefined {
    const repo = this.options.repos.find((r) => r.id === id);
    if (!repo) {
      this.answer(res, 404, { 'x-error-code': 'RepoNotFound', 'x-error-message': 'Repository not found' }, '{"error":"Repository not found"}');
      return undefined;
    }
    if (repo.renamedTo) {
      this.answer(res, 307, { location: rewrite(repo.renamedTo) });
      return undefined;
    }
    if (repo.private || repo.gated) {
      const auth = req.headers.authorization;
      if (auth !== `Bearer ${this.options.token}`) {
        const headers: Record<string, string> = auth
          ? { 'x-error-message': 'Invalid credentials in Authorization header' }
          : repo.gated
            ? { 'x-error-code': 'GatedRepo', 'x-error-message': 'Access to this model is restricted.' }
            : { 'x-error-message': 'Invalid username or password.' };
        this.answer(res, 401, headers, '{"error":"unauthorized"}');
        return undefined;
      }
    }
    return repo;
  }

  private commitOf(repo: FakeRepo, revision: string): string | undefined {
    if (repo.commits[revision]) return revision;
    return repo.branches[revision] ?? repo.tags?.[revision];
  }

  private serveListing(req: IncomingMessage, res: ServerResponse, path: string): void {
    const rest = path.slice('/api/models/'.length);
    const at = rest.indexOf('/revision/');
    const id = at < 0 ? rest : rest.slice(0, at);
    const revision = at < 0 ? 'main' : decodeURIComponent(rest.slice(at + '/revision/'.length));
    const repo = this.repoFor(req, res, id, (newId) => path.replace(`/api/models/${id}/`, `/api/models/${newId}/`));
    if (!repo) return;
    const commit = this.commitOf(repo, revision);
    if (!commit) return this.answer(res, 404, { 'x-error-code': 'RevisionNotFound' }, '{"error":"Invalid rev id"}');
    const siblings = Object.entries(repo.commits[commit]).map(([name, file]) => ({
      rfilename: name,
      size: this.options.listedSizes?.[name] ?? (file.lfs ? lfsPointer(file).length : file.content.length),
      blobId: gitBlobSha1(file.lfs ? lfsPointer(file) : file.content),
      ...(file.lfs ? { lfs: { sha256: sha256(file.content), size: this.options.listedSizes?.[name] ?? file.content.length, pointerSize: lfsPointer(file).length } } : {}),
    }));
    this.answer(res, 200, {}, JSON.stringify({ id: repo.id, modelId: repo.id, sha: commit, private: Boolean(repo.private), siblings }));
  }

  private serveResolve(req: IncomingMessage, res: ServerResponse, path: string): void {
    const at = path.indexOf('/resolve/');
    const id = path.slice(1, at);
    const [rawRevision, ...fileParts] = path.slice(at + '/resolve/'.length).split('/');
    const repo = this.repoFor(req, res, id, (newId) => path.replace(`/${id}/resolve/`, `/${newId}/resolve/`));
    if (!repo) return;
    const commit = this.commitOf(repo, decodeURIComponent(rawRevision));
    if (!commit) return this.answer(res, 404, { 'x-error-code': 'RevisionNotFound' }, '{"error":"Invalid rev id"}');
    const name = fileParts.map(decodeURIComponent).join('/');
    const file = repo.commits[commit][name];
    if (!file) return this.answer(res, 404, { 'x-error-code': 'EntryNotFound', 'x-repo-commit': commit }, '{"error":"Entry not found"}');
    const tamper = this.takeFault(path, ['headers'])?.headers ?? {};
    if (file.lfs) {
      const sha = sha256(file.content);
      const location = this.options.lfsRedirect === 'relative' ? `/lfs/${sha}?repo=${encodeURIComponent(id)}` : `${this.cdnUrl}/lfs/${sha}?X-Amz-Signature=fake`;
      return this.answer(res, 302, {
        location,
        etag: `"${gitBlobSha1(lfsPointer(file))}"`,
        'x-linked-etag': `"${sha}"`,
        'x-linked-size': String(file.content.length),
        'x-repo-commit': commit,
        ...tamper,
      });
    }
    if (this.options.regularViaResolveCache) {
      return this.answer(res, 307, { location: `/api/resolve-cache/models/${id}/${commit}/${fileParts.join('/')}`, 'x-repo-commit': commit, ...tamper });
    }
    void this.sendBytes(req, res, path, file.content, { etag: `"${gitBlobSha1(file.content)}"`, 'x-repo-commit': commit, ...tamper });
  }

  private serveResolveCache(req: IncomingMessage, res: ServerResponse, path: string): void {
    const parts = path.slice('/api/resolve-cache/models/'.length).split('/');
    const commitAt = parts.findIndex((p) => /^[0-9a-f]{40}$/.test(p));
    const id = parts.slice(0, commitAt).join('/');
    const commit = parts[commitAt];
    const repo = this.repoFor(req, res, id, (newId) => path.replace(`/models/${id}/`, `/models/${newId}/`));
    if (!repo) return;
    const file = repo.commits[commit]?.[parts.slice(commitAt + 1).map(decodeURIComponent).join('/')];
    if (!file) return this.answer(res, 404, { 'x-error-code': 'EntryNotFound' }, '{"error":"Entry not found"}');
    void this.sendBytes(req, res, path, file.content, { etag: `"${gitBlobSha1(file.content)}"`, 'x-repo-commit': commit });
  }

  private serveLfs(req: IncomingMessage, res: ServerResponse, path: string): void {
    const sha = path.slice('/lfs/'.length);
    for (const repo of this.options.repos) {
      for (const files of Object.values(repo.commits)) {
        for (const file of Object.values(files)) {
          if (file.lfs && sha256(file.content) === sha) return void this.sendBytes(req, res, path, file.content, { etag: `"${sha}"` });
        }
      }
    }
    this.answer(res, 404, {}, '<Error><Code>NoSuchKey</Code></Error>');
  }

  /** Sends content (or the requested range of it), throttled, with cut and corrupt faults applied. */
  private async sendBytes(req: IncomingMessage, res: ServerResponse, path: string, content: Buffer, headers: Record<string, string>): Promise<void> {
    let start = 0;
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    if (range) {
      start = Number(range[1]);
      if (start >= content.length) {
        return this.answer(res, 416, { 'content-range': `bytes */${content.length}` });
      }
    }
    const body = content.subarray(start);
    const status = range ? 206 : 200;
    this.writeHead(res, status, {
      'content-type': 'application/octet-stream',
      'content-length': String(body.length),
      'accept-ranges': 'bytes',
      ...(range ? { 'content-range': `bytes ${start}-${content.length - 1}/${content.length}` } : {}),
      ...headers,
    });
    if (req.method === 'HEAD') return void res.end();
    const fault = this.takeFault(path, ['cut', 'corrupt', 'stall']);
    let payload = body;
    if (fault?.kind === 'corrupt') {
      payload = Buffer.from(body);
      payload[payload.length >> 1] ^= 0xff;
    }
    if (!fault && !this.options.chunkDelayMs && !this.options.chunkBytes) return void res.end(payload);
    const limit = fault?.kind === 'cut' || fault?.kind === 'stall' ? Math.min(fault.afterBytes!, payload.length) : payload.length;
    const step = this.options.chunkBytes ?? 64 * 1024;
    this.maxBodiesInFlight = Math.max(this.maxBodiesInFlight, ++this.bodiesInFlight);
    try {
      for (let offset = 0; offset < limit && !res.destroyed; offset += step) {
        const chunk = payload.subarray(offset, Math.min(limit, offset + step));
        const flushed = new Promise<void>((resolve) => res.write(chunk, () => resolve()));
        await flushed;
        if (this.options.chunkDelayMs && offset + step < limit) await sleep(this.options.chunkDelayMs);
      }
    } finally {
      this.bodiesInFlight--;
    }
    if (fault?.kind === 'cut') res.socket?.destroy();
    else if (fault?.kind !== 'stall') res.end();
  }
}

/** Two commits of a tiny model: `main` and tag `v1.0` at the second, branch `dev` and the first commit. */
export interface TinyRepo {
  repo: FakeRepo;
  first: string;
  second: string;
  /** Files of the second commit. */
  files: Record<string, FakeFile>;
}

export function tinyModelRepo(id: string, extra: Partial<FakeRepo> = {}, weightBytes = 150_000): TinyRepo {
  const first = createHash('sha1').update(`${id} first`).digest('hex');
  const second = createHash('sha1').update(`${id} second`).digest('hex');
  const weights = lfsFile(seededBytes(weightBytes, 7));
  const common = {
    'tokenizer.json': regularFile(JSON.stringify({ version: '1.0', model: { type: 'Unigram', vocab: [['<s>', 0]] } })),
    'sentencepiece.bpe.model': lfsFile(seededBytes(20_000, 3)),
    'README.md': regularFile(`# ${id}\n`),
    '.gitattributes': regularFile('*.safetensors filter=lfs diff=lfs merge=lfs -text\n'),
  };
  const files: Record<string, FakeFile> = {
    ...common,
    'config.json': regularFile(JSON.stringify({ model_type: 'xlm-roberta', hidden_size: 8, revision: 2 })),
    'model.safetensors': weights,
    'pytorch_model.bin': lfsFile(seededBytes(30_000, 11)),
    'tf_model.h5': lfsFile(seededBytes(30_000, 13)),
  };
  const repo: FakeRepo = {
    id,
    commits: {
      [first]: { ...common, 'config.json': regularFile(JSON.stringify({ model_type: 'xlm-roberta', hidden_size: 8, revision: 1 })), 'model.safetensors': weights },
      [second]: files,
    },
    branches: { main: second, dev: first },
    tags: { 'v1.0': second },
    ...extra,
  };
  return { repo, first, second, files };
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}
