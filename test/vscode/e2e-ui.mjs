// Small drivers for VS Code's workbench DOM (code-server 1.100), used by e2e.mjs: the command palette, webview
// frames by title, text positions in the editor, and step timings.

/** Runs a command through the palette (F1), by its full "Category: Title". */
export async function palette(page, title) {
  const input = page.locator('.quick-input-widget input');
  // F1 is sometimes lost (a tab's hover tooltip had the focus, or the last quick input was still closing and the
  // input seen was that one): the palette is asked for again, up to three times.
  for (let attempt = 1; ; attempt++) {
    await page.keyboard.press('F1');
    try {
      await input.waitFor({ state: 'visible', timeout: 10_000 });
      await input.fill(`>${title}`, { timeout: 10_000 });
      break;
    } catch (e) {
      if (attempt === 3) throw e;
      console.log(`[e2e] the command palette did not open for "${title}" (try ${attempt}); asking again`);
      await page.keyboard.press('Escape');
    }
  }
  // Click the row whose label is exactly the title: Enter would take the first row, which may be a longer match
  // ("Browse Color Themes in Marketplace") or a recently used command.
  const exact = new RegExp(`^${title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
  const row = page.locator('.quick-input-widget .monaco-list-row').filter({ has: page.locator('.label-name', { hasText: exact }) }).first();
  await row.click({ timeout: 30_000 });
}

/**
 * The frame holding a webview's own document (VS Code nests it: iframe.webview → iframe#active-frame), found by
 * the <title> our panels set.
 */
export async function webviewFrame(page, title, timeoutMs = 30_000) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    for (const frame of page.frames()) {
      try {
        if ((await frame.title()) === title) return frame;
      } catch {
        // a frame that navigated away while we asked
      }
    }
    await page.waitForTimeout(200);
  }
  throw new Error(`no webview titled "${title}" within ${timeoutMs} ms`);
}

/**
 * The frame of a webview restored after a window reload, found by clicking its tab. Now and then a webview restored
 * after a reload stays blank (the service-worker quirk the e2e names before reloading). Showing another tab of the
 * same editor group and coming back makes VS Code create the frame again, while the panel's content still comes from
 * its serializer; from the third try on, "Developer: Reload Webviews" reloads every webview as well. Up to 4 tries.
 */
export async function revivedFrame(page, tabText, title, otherTabText) {
  for (let attempt = 1; ; attempt++) {
    await page.locator('.tabs-container .tab', { hasText: tabText }).first().click({ timeout: 30_000 });
    try {
      return await webviewFrame(page, title, 10_000);
    } catch (e) {
      if (attempt === 4) throw e;
      console.log(`[e2e] reload: "${title}" frame not loaded (attempt ${attempt}); switching tabs${attempt >= 2 ? ' and reloading webviews' : ''}`);
      await page.locator('.tabs-container .tab', { hasText: otherTabText }).first().click();
      if (attempt >= 2) await palette(page, 'Developer: Reload Webviews');
    }
  }
}

/** Opens a workspace file through Quick Open and waits until its text shows; clickText(s, k) clicks k chars into s. */
export async function editor(page, file, expectText) {
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible' });
  await input.fill(file);
  await page.locator('.quick-input-widget .monaco-list-row', { hasText: file }).first().waitFor();
  await page.keyboard.press('Enter');
  await page.locator('.monaco-editor .view-lines', { hasText: expectText }).first().waitFor({ timeout: 30_000 });
  return {
    clickText: async (text, offset = 0) => {
      const box = await wordBox(page, text, offset);
      await page.mouse.click(box.x, box.y);
    },
  };
}

/** Screen position of `text` in the visible editor lines (offset: characters into it; default its middle). */
export async function wordBox(page, text, offset) {
  const box = await page.evaluate(
    ([needle, k]) => {
      for (const line of document.querySelectorAll('.monaco-editor .view-line')) {
        const full = line.textContent ?? '';
        const at = full.replace(/\u00a0/g, ' ').indexOf(needle);
        if (at < 0) continue;
        // Walk the line's text nodes to the character.
        const want = at + (k ?? Math.floor(needle.length / 2));
        const walker = document.createTreeWalker(line, NodeFilter.SHOW_TEXT);
        let seen = 0;
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
          const len = node.textContent.length;
          if (seen + len >= want) {
            const range = document.createRange();
            const i = want - seen;
            range.setStart(node, Math.max(0, i === len ? i - 1 : i));
            range.setEnd(node, Math.max(0, i === len ? i : i + 1));
            const r = range.getBoundingClientRect();
            return { x: i === len ? r.right : r.left + 0.5, y: r.top + r.height / 2 };
          }
          seen += len;
        }
      }
      return null;
    },
    [text, offset],
  );
  if (!box) throw new Error(`"${text}" is not visible in the editor`);
  return box;
}

export function timings() {
  const start = Date.now();
  let last = start;
  const all = {};
  return {
    mark(name) {
      const now = Date.now();
      all[name] = now - last;
      last = now;
      console.log(`[e2e] ${name}: ${all[name]} ms`);
    },
    all: () => ({ ...all, total: Date.now() - start }),
  };
}
