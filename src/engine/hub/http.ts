/**
 * HTTP for the Hub on node:http/https: one request at a time, redirects followed by hand so the token goes
 * only to the Hub's own origin (a CDN on another host never sees it, as with requests/huggingface_hub), and
 * bounded retries with exponential backoff for answers that a retry can fix (5xx, 429, resets, cut bodies).
 */
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { XlmError } from '../errors.js';
import { isUnreachable, unreachableError } from './hub-errors.js';
import type { HubSettings } from './settings.js';

export interface RetryPolicy {
  /** Retries after the first try (so `retries + 1` attempts at most). */
  retries: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { retries: 5, baseDelayMs: 500, maxDelayMs: 8000 };

/** Seconds with no bytes after which a connection counts as stalled and is retried. */
export const DEFAULT_IDLE_TIMEOUT_MS = 30_000;

const MAX_REDIRECTS = 10;
const USER_AGENT = 'xlm-lab/0.1 (huggingface_hub-compatible cache)';

/** A failure that another try may fix: a 5xx, a reset or stalled connection, a body cut short. */
export class TransientError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

export interface SendOptions {
  method: 'GET' | 'HEAD';
  headers?: Record<string, string>;
  signal?: AbortSignal;
  idleTimeoutMs?: number;
}

export interface HopResult {
  response: IncomingMessage;
  /** The URL that gave this response (after the redirects followed). */
  url: string;
  tokenSent: boolean;
}

export function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** One request, no redirects; resolves once the status line and headers are in. */
export function send(url: string, options: SendOptions): Promise<IncomingMessage> {
  const target = new URL(url);
  const requestFn = target.protocol === 'https:' ? httpsRequest : target.protocol === 'http:' ? httpRequest : undefined;
  if (!requestFn) throw new XlmError('hub/bad-url', `Cannot download from ${url}: only http and https URLs are supported (check HF_ENDPOINT).`);
  return new Promise((resolve, reject) => {
    const req = requestFn(target, {
      method: options.method,
      // identity: sizes, ranges and hashes are about the stored bytes, never a compressed transfer form.
      headers: { 'user-agent': USER_AGENT, 'accept-encoding': 'identity', ...options.headers },
      signal: options.signal,
    });
    req.setTimeout(options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS, () => {
      req.destroy(new TransientError(`no data from ${target.origin} for ${(options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS) / 1000} s`));
    });
    req.on('response', resolve);
    req.on('error', reject);
    req.end();
  });
}

function isRedirect(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

/**
 * Sends a request and follows redirects: all of them, or (`sameOriginOnly`) only those staying on the
 * current origin, as huggingface_hub's HEAD follows relative redirects (renamed repos, resolve-cache) and
 * stops at the CDN link whose headers carry the LFS etag. The token is attached only on the Hub's origin.
 */
export async function sendFollowing(
  url: string,
  options: SendOptions & { settings: HubSettings; sameOriginOnly?: boolean },
): Promise<HopResult> {
  const hubOrigin = new URL(options.settings.endpoint).origin;
  let current = url;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const tokenSent = Boolean(options.settings.token) && new URL(current).origin === hubOrigin;
    const headers = { ...options.headers, ...(tokenSent ? { authorization: `Bearer ${options.settings.token}` } : {}) };
    const response = await sendMapped(current, { ...options, headers }, options.settings);
    const location = header(response.headers, 'location');
    if (!isRedirect(response.statusCode ?? 0) || !location) return { response, url: current, tokenSent };
    const next = new URL(location, current).toString();
    if (options.sameOriginOnly && new URL(next).origin !== new URL(current).origin) return { response, url: current, tokenSent };
    response.resume();
    current = next;
  }
  throw new XlmError('hub/redirect-loop', `More than ${MAX_REDIRECTS} redirects starting at ${url}.`, { what: url });
}

/** `send` with connection failures sorted: unreachable → XlmError now, resets and stalls → TransientError. */
async function sendMapped(url: string, options: SendOptions, settings: HubSettings): Promise<IncomingMessage> {
  try {
    return await send(url, options);
  } catch (e) {
    throw classifyNetworkError(e, url, settings, options.signal);
  }
}

export function classifyNetworkError(e: unknown, url: string, settings: HubSettings, signal?: AbortSignal): unknown {
  if (signal?.aborted || (e as Error)?.name === 'AbortError') return e;
  if (e instanceof XlmError || e instanceof TransientError) return e;
  if (isUnreachable(e)) return unreachableError(e, url, settings);
  const code = (e as NodeJS.ErrnoException)?.code;
  return new TransientError(`${code ?? 'connection error'}: ${(e as Error)?.message ?? String(e)}`);
}

/** Statuses that a later try may not see: server errors, rate limits, request timeouts. */
export function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 429 || status === 408;
}

export function retryAfterMs(headers: IncomingHttpHeaders): number | undefined {
  const value = header(headers, 'retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Runs `attempt` until it succeeds, throws something other than TransientError, or the retries are spent.
 * Waits base·2^n (capped; a Retry-After within the cap wins) between tries. `describe` turns the last
 * transient failure into the user's error once no try is left.
 */
export async function withRetries<T>(
  attempt: (tryNumber: number) => Promise<T>,
  policy: RetryPolicy,
  describe: (last: TransientError, tries: number) => XlmError,
  signal?: AbortSignal,
): Promise<T> {
  for (let tryNumber = 0; ; tryNumber++) {
    try {
      return await attempt(tryNumber);
    } catch (e) {
      if (!(e instanceof TransientError) || signal?.aborted) throw e;
      if (tryNumber >= policy.retries) throw describe(e, tryNumber + 1);
      const backoff = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** tryNumber);
      await abortableSleep(Math.min(policy.maxDelayMs, e.retryAfterMs ?? backoff), signal);
    }
  }
}

/** Reads a small response body (JSON listings); bodies past `limit` bytes are an error, not a hang. */
export async function readBody(response: IncomingMessage, limit = 64 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of response) {
    length += (chunk as Buffer).length;
    if (length > limit) {
      response.destroy();
      throw new XlmError('hub/response-too-large', `A Hub answer exceeded ${limit} bytes.`);
    }
    chunks.push(chunk as Buffer);
  }
  if (!response.complete) throw new TransientError('the answer was cut short');
  return Buffer.concat(chunks);
}
