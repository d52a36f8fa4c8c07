/**
 * Finds where a line that JSON.parse refused goes wrong, and says why in words. V8's messages give a position
 * for some mistakes only, and quote the whole line for the others (useless for a 10 kB line), so the line is
 * walked once more by this small JSON grammar (RFC 8259) — only for lines that already failed.
 */

export interface JsonSyntaxError {
  /** 0-based index into the line (UTF-16 units). */
  index: number;
  reason: string;
}

const MAX_DEPTH = 512;

class Found extends Error {
  constructor(
    readonly index: number,
    readonly reason: string,
  ) {
    super(reason);
  }
}

/** `whole`: the text is a whole file (a SQuAD JSON), not one line of JSON Lines: its end is the end of the file. */
export function locateJsonError(text: string, whole = false): JsonSyntaxError {
  let i = 0;

  const fail = (reason: string, at = i): never => {
    throw new Found(at, reason);
  };
  const describe = (at: number): string => (at >= text.length ? (whole ? 'the end of the file (is it cut short?)' : 'the end of the line') : `'${text[at]}'`);
  const skipSpace = (): void => {
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) i++;
      else break;
    }
  };
  const literal = (word: string): void => {
    if (text.startsWith(word, i)) i += word.length;
    else fail(`unexpected ${describe(i)} where a value should be (strings need double quotes)`);
  };
  const string = (): void => {
    const open = i;
    i++; // opening quote
    while (true) {
      if (i >= text.length) fail('the string opened here is never closed', open);
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return;
      }
      if (c < 0x20) fail('control character inside a string (write it as \\n, \\t or \\u00XX)');
      if (c === 0x5c) {
        const e = text[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) fail('\\u must be followed by 4 hex digits');
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else fail(`invalid escape \\${e ?? ''} (valid: \\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)`);
      } else i++;
    }
  };
  const number = (): void => {
    const match = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i, i + 400));
    if (!match || match[0] === '-') fail(`invalid number starting with ${describe(i)}`);
    i += match![0].length;
  };
  const value = (depth: number): void => {
    if (depth > MAX_DEPTH) fail(`nested deeper than ${MAX_DEPTH} levels`);
    skipSpace();
    const c = text[i];
    if (c === '{') object(depth);
    else if (c === '[') array(depth);
    else if (c === '"') string();
    else if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) number();
    else if (c === 't') literal('true');
    else if (c === 'f') literal('false');
    else if (c === 'n') literal('null');
    else if (c === "'") fail('strings and keys need double quotes, not single quotes');
    else fail(`unexpected ${describe(i)} where a value should be`);
  };
  const object = (depth: number): void => {
    i++;
    skipSpace();
    if (text[i] === '}') {
      i++;
      return;
    }
    while (true) {
      skipSpace();
      if (text[i] !== '"') {
        if (text[i] === '}') fail("trailing comma before '}'", i);
        fail(`expected a double-quoted key, found ${describe(i)}`);
      }
      string();
      skipSpace();
      if (text[i] !== ':') fail(`expected ':' after the key, found ${describe(i)}`);
      i++;
      value(depth + 1);
      skipSpace();
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === '}') {
        i++;
        return;
      }
      fail(`expected ',' or '}' after a value, found ${describe(i)}`);
    }
  };
  const array = (depth: number): void => {
    i++;
    skipSpace();
    if (text[i] === ']') {
      i++;
      return;
    }
    while (true) {
      skipSpace();
      if (text[i] === ']') fail("trailing comma before ']'");
      value(depth + 1);
      skipSpace();
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === ']') {
        i++;
        return;
      }
      fail(`expected ',' or ']' after a value, found ${describe(i)}`);
    }
  };

  try {
    value(0);
    skipSpace();
    if (i < text.length) fail('unexpected text after the JSON value (one JSON object per line)');
  } catch (e) {
    if (e instanceof Found) return { index: e.index, reason: e.reason };
    throw e;
  }
  // JSON.parse refused it but the grammar accepts it: should not happen; point at the start.
  return { index: 0, reason: 'invalid JSON' };
}
