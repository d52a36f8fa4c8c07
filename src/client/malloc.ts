/**
 * glibc's malloc with transparent huge pages for the processes that train: the engine the extension forks (here,
 * where the extension starts it; the engine itself never sets it) and the `xlm` launcher's shebang in esbuild.mjs.
 *
 * Why: a training step at XLM-R base size allocates parameter-sized temporaries (AdamW's terms for the 250k x 768
 * embedding, 768 MB each) that glibc maps afresh and returns every step, so every step page-faults them in again,
 * 4 KB at a time (4.56 GB, 1.17 million faults a step, counted from /proc/self/stat). `glibc.malloc.hugetlb=1`
 * (glibc 2.35+) asks for transparent huge pages on those maps: 2 MB per fault, and the memory is still returned
 * after each step. Alternating worker runs
 * of bench/train.ts at base size (full fine-tuning): about 8.5 -> 7 s a step after the first two, which pay for the
 * kernel compacting memory into huge pages; at the small size no change. PyTorch, which allocates fewer such
 * temporaries, gained nothing reliable from it.
 * Elsewhere (macOS, Windows, musl, older glibc) the variable is ignored.
 */

/** The tunable, as GLIBC_TUNABLES spells it. */
export const HUGE_PAGE_MALLOC = 'glibc.malloc.hugetlb=1';

/**
 * `env` with GLIBC_TUNABLES asking for huge-page malloc, keeping any other tunables it already sets; a value the
 * user gave for glibc.malloc.hugetlb themselves wins. Other platforms get `env` unchanged.
 */
export function withHugePageMalloc(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): NodeJS.ProcessEnv {
  if (platform !== 'linux') return env;
  const tunables = tunablesOf(env);
  if (tunables.some((t) => t.startsWith('glibc.malloc.hugetlb='))) return env;
  return { ...env, GLIBC_TUNABLES: [...tunables, HUGE_PAGE_MALLOC].join(':') };
}

/** Whether this process was started with huge-page malloc asked for (read once by glibc, at start). */
export function hugePageMallocOn(env: NodeJS.ProcessEnv = process.env): boolean {
  return tunablesOf(env).some((t) => /^glibc\.malloc\.hugetlb=[12]$/.test(t));
}

/** GLIBC_TUNABLES's entries (`name=value`, colon-separated). */
function tunablesOf(env: NodeJS.ProcessEnv): string[] {
  return (env.GLIBC_TUNABLES ?? '').split(':').filter(Boolean);
}
