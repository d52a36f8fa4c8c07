/**
 * The Hub's answers turned into messages a user can act on. The Hub tells its 404s apart only by the
 * `X-Error-Code` header (RepoNotFound, RevisionNotFound, EntryNotFound; GatedRepo on 401/403), so that header
 * decides the message; a 401 without a token means "private, gated or missing" and says where a token goes.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { XlmError } from '../errors.js';
import { describeTokenSource, tokenHelp, type HubSettings } from './settings.js';

export interface RequestContext {
  repoId: string;
  revision: string;
  /** The repo file asked for; absent for the repo listing. */
  file?: string;
  url: string;
  settings: HubSettings;
  /** Whether this request carried the Authorization header (it is dropped on other hosts). */
  tokenSent: boolean;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** The XlmError for a non-success status that retrying will not fix. */
export function hubStatusError(status: number, headers: IncomingHttpHeaders, ctx: RequestContext): XlmError {
  const code = header(headers, 'x-error-code');
  const serverMessage = header(headers, 'x-error-message');
  const { repoId, revision, file, settings } = ctx;
  const where = `${settings.endpoint}/${repoId}`;
  const place = { what: ctx.url };

  if (code === 'GatedRepo') {
    const who = ctx.tokenSent ? `your token (from ${describeTokenSource(settings)}) has no access to it yet` : 'no token was sent';
    return new XlmError(
      'hub/gated',
      `${repoId} is a gated model and ${who}. Accept its conditions at ${where} while logged in, then use a token of that account. ` +
        tokenHelp(settings),
      place,
    );
  }
  if (status === 404 && code === 'RevisionNotFound') {
    return new XlmError(
      'hub/revision-not-found',
      `${repoId} has no revision "${revision}" (no branch, tag or commit of that name) on ${settings.endpoint}. ` +
        `Use a branch such as main, a tag, or a 40-character commit hash listed at ${where}/commits/main.`,
      place,
    );
  }
  if (status === 404 && code === 'EntryNotFound') {
    return new XlmError(
      'hub/file-not-found',
      `${repoId} at revision "${revision}" has no file "${file ?? '?'}" on ${settings.endpoint}. The repo's files are listed at ${where}/tree/${revision}.`,
      place,
    );
  }
  if (status === 401 || status === 403) {
    const refused = ctx.tokenSent
      ? `the token (from ${describeTokenSource(settings)}) was refused${serverMessage ? ` ("${serverMessage}")` : ''}: it may be expired or lack read access.`
      : 'no token was sent: the repo is private or gated (or does not exist), and the Hub needs an access token to show it.';
    return new XlmError('hub/auth-required', `The Hub answered ${status} for ${repoId}: ${refused} ${tokenHelp(settings)}`, place);
  }
  if (status === 404) {
    const hint = ctx.tokenSent ? '' : ' If it is private, it needs a token. ' + tokenHelp(settings);
    return new XlmError(
      'hub/repo-not-found',
      `No model repository "${repoId}" on ${settings.endpoint}. Check the id (ORG/NAME, as in the model page's URL).${hint}`,
      place,
    );
  }
  return new XlmError(
    'hub/http',
    `The Hub answered ${status}${serverMessage ? ` ("${serverMessage}")` : ''} for ${file ? `${repoId}/${file}` : repoId} at ${ctx.url}.`,
    place,
  );
}

/** Connection failures that mean "no network" rather than "try again". */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'ENETDOWN', 'EADDRNOTAVAIL']);

export function isUnreachable(e: unknown): boolean {
  return UNREACHABLE.has((e as NodeJS.ErrnoException)?.code ?? '');
}

export function unreachableError(e: unknown, url: string, settings: HubSettings): XlmError {
  const code = (e as NodeJS.ErrnoException).code;
  return new XlmError(
    'hub/unreachable',
    `Cannot reach ${new URL(url).origin} (${code}): the network is down, or HF_ENDPOINT (${settings.endpoint}) is wrong. ` +
      'To use only models already in the cache, turn on offline mode: set HF_HUB_OFFLINE=1 or the setting xlm.hub.offline.',
    { what: url },
  );
}

export function cancelledError(repoId: string): XlmError {
  return new XlmError(
    'cancelled',
    `Download of ${repoId} cancelled. Partial files are kept in the cache and resumed by the next download.`,
  );
}

export function offlineMissError(repoId: string, revision: string, settings: HubSettings, missing?: string[]): XlmError {
  const what = missing?.length
    ? `${repoId} (revision ${revision}) is in the Hugging Face cache at ${settings.cacheDir} but lacks ${missing.join(', ')}`
    : `${repoId} (revision ${revision}) is not in the Hugging Face cache at ${settings.cacheDir}`;
  return new XlmError(
    'hub/offline-not-cached',
    `${what}, and offline mode is on (HF_HUB_OFFLINE or the setting xlm.hub.offline), so nothing is downloaded. ` +
      `Download it once while online: \`xlm hub download ${repoId}${revision === 'main' ? '' : ` --revision ${revision}`}\` ` +
      '(or turn offline mode off), or give the path of a model folder instead.',
  );
}
