/**
 * A minimal test harness for the extension host (mocha is not installed): `test(name, fn)` registers, `runAll()`
 * runs in registration order, prints TAP-like lines through console (which the launcher relays), and rejects
 * when any test failed, which makes the extension host exit with code 1.
 */
import type { XlmLabApi } from '../../../src/extension.js';

type TestFn = () => unknown | Promise<unknown>;

const registered: { name: string; fn: TestFn; timeoutMs: number }[] = [];

/**
 * XLM_EXT_TEST_ONLY=REGEX registers only the tests whose name matches, for working on one test; the suite's
 * result then says how many ran, so a filtered run is not mistaken for the whole suite.
 */
const only = process.env.XLM_EXT_TEST_ONLY ? new RegExp(process.env.XLM_EXT_TEST_ONLY) : undefined;

export function test(name: string, fn: TestFn, timeoutMs = 60_000): void {
  if (only && !only.test(name)) return;
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
  console.log(`# ${registered.length - failures.length} passed, ${failures.length} failed (${Date.now() - t0} ms)${only ? ` — only tests matching ${only} (XLM_EXT_TEST_ONLY)` : ''}`);
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

/**
 * Waits until the open dashboard has read its runs, which it does when its page says 'ready'. The page's frame in
 * the headless browser now and then never loads: its iframe waits for a service worker ("Found unexpected service
 * worker controller ... Waiting for controllerchange", always for a panel opened right after the workbench starts;
 * CI failed on it once). After 5 s the test says 'ready' as the page would (the page repeats it every 1.5 s until it
 * has the runs, so a second one is what the panel handles anyway); the page's drawing is the e2e's to check.
 */
export async function dashboardRead(xlm: XlmLabApi): Promise<readonly string[]> {
  const read = () => {
    const m = xlm.dashboardMessages();
    return m && m.includes('runs') && m.includes('runData') ? m : undefined;
  };
  try {
    return await waitFor("the dashboard's page to say ready", read, 5_000);
  } catch {
    const view = xlm.dashboardView();
    if (!view) throw new Error('no dashboard is open');
    view.send({ type: 'ready' });
    return await waitFor('the dashboard to read its runs', read);
  }
}
