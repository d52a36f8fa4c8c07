/**
 * A minimal test harness for the extension host (mocha is not installed): `test(name, fn)` registers, `runAll()`
 * runs in registration order, prints TAP-like lines through console (which the launcher relays), and rejects
 * when any test failed, which makes the extension host exit with code 1.
 */
type TestFn = () => unknown | Promise<unknown>;

const registered: { name: string; fn: TestFn; timeoutMs: number }[] = [];

export function test(name: string, fn: TestFn, timeoutMs = 60_000): void {
  registered.push({ name, fn, timeoutMs });
}

export async function runAll(): Promise<void> {
  const failures: string[] = [];
  // XLM_EXT_TEST_GREP (a regular expression) runs only the tests whose names match, while developing one suite.
  const grep = process.env.XLM_EXT_TEST_GREP ? new RegExp(process.env.XLM_EXT_TEST_GREP) : undefined;
  if (grep) registered.splice(0, registered.length, ...registered.filter((t) => grep.test(t.name)));
  const t0 = Date.now();
  for (const [i, t] of registered.entries()) {
    const start = Date.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        Promise.resolve().then(t.fn),
        new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${t.timeoutMs} ms`)), t.timeoutMs))),
      ]);
      console.log(`ok ${i + 1} - ${t.name} (${Date.now() - start} ms)`);
    } catch (e) {
      const message = e instanceof Error ? (e.stack ?? e.message) : String(e);
      failures.push(`${t.name}: ${message}`);
      console.error(`not ok ${i + 1} - ${t.name}\n  ${message.replace(/\n/g, '\n  ')}`);
    } finally {
      clearTimeout(timer);
    }
  }
  console.log(`# ${registered.length - failures.length} passed, ${failures.length} failed (${Date.now() - t0} ms)`);
  if (failures.length) throw new Error(`${failures.length} extension-host test(s) failed`);
}

/** Polls `condition` until it is truthy (the UI and the engine answer asynchronously). */
export async function waitFor<T>(what: string, condition: () => T | Promise<T>, timeoutMs = 20_000): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value) return value as NonNullable<T>;
    if (Date.now() > end) throw new Error(`waited ${timeoutMs} ms for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
