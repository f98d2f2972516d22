// What the throughput benchmarks share: a heap that can be collected, the TypeScript under test
// bundled for Node 20, and a line-by-line feed of ~1 MB chunks up to a total size.
import { build } from 'esbuild'
import { Buffer } from 'node:buffer'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

export const TARGET_MB_PER_S = 100
export const MAX_HEAP_GROWTH_MB = 64
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')

/** Heap figures are only meaningful after a full collection: re-runs the script with --expose-gc. */
export function ensureGc(scriptUrl) {
  if (typeof globalThis.gc === 'function') return
  const child = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(scriptUrl), ...process.argv.slice(2)], { stdio: 'inherit' })
  process.exit(child.status ?? 1)
}

/** `--mb N` (default 200). */
export function totalMegabytes() {
  const at = process.argv.indexOf('--mb')
  return at > 0 ? Number(process.argv[at + 1]) : 200
}

/** Bundles `export { name } from <repo file>` for each entry, and imports the result. */
export async function importFromSource(exports) {
  const dir = mkdtempSync(join(tmpdir(), 'nix-ci-bench-'))
  try {
    const entry = join(dir, 'entry.ts')
    writeFileSync(
      entry,
      Object.entries(exports)
        .map(([name, file]) => `export { ${name} } from ${JSON.stringify(join(ROOT, file))}\n`)
        .join('')
    )
    const outfile = join(dir, 'entry.mjs')
    await build({ entryPoints: [entry], bundle: true, format: 'esm', platform: 'node', target: 'node20', outfile, logLevel: 'error' })
    return await import(pathToFileURL(outfile).href)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Feeds the chunks round-robin, line by line, until totalMb; returns size, time and peak heap. */
export function feed(chunks, totalMb, onLine) {
  const chunkBytes = chunks.map(c => Buffer.byteLength(c))
  let bytes = 0
  let n = 0
  let peakHeap = 0
  const started = process.hrtime.bigint()
  while (bytes < totalMb * 1024 * 1024) {
    const chunk = chunks[n % chunks.length]
    let start = 0
    for (;;) {
      const nl = chunk.indexOf('\n', start)
      if (nl === -1) break
      onLine(chunk.slice(start, nl))
      start = nl + 1
    }
    bytes += chunkBytes[n % chunks.length]
    n++
    if (n % 16 === 0) peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed)
  }
  return { mb: bytes / 1024 / 1024, seconds: Number(process.hrtime.bigint() - started) / 1e9, chunks: n, peakHeap }
}

export function heapNow() {
  globalThis.gc()
  return process.memoryUsage().heapUsed
}
