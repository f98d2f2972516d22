// Throughput and memory of the hash-mismatch parser on a 200 MB build log, measured side by side
// with a baseline that only splits the same log into lines. Not a test: run it by hand or in CI:
//   node bench/parser-throughput.mjs [--mb 200]
// Exits non-zero below 100 MB/s or when the heap grows by 64 MB or more.
// The TypeScript source is bundled with esbuild into a temporary .mjs (Node 20 cannot run .ts).
import { MAX_HEAP_GROWTH_MB, TARGET_MB_PER_S, ensureGc, feed, heapNow, importFromSource, totalMegabytes } from './support/throughput.mjs'

ensureGc(import.meta.url)
const totalMb = totalMegabytes()
const { MismatchParser } = await importFromSource({ MismatchParser: 'src/hashes/mismatch-parser.ts' })

// One ~1 MB chunk of a typical `--log-format internal-json` build: builder lines, progress
// results, activity starts/stops, plain lines; then one real-looking mismatch per chunk.
const DRV = '/nix/store/miz229vi87qqrnbm3axzydvm1n3l9vaz-mast-mix-deps-0.1.0.drv'
const esc = '\u001b'
const raw =
  `hash mismatch in fixed-output derivation '${esc}[35;1m${DRV}${esc}[0m':\n` +
  `  specified: ${esc}[35;1msha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=${esc}[0m\n` +
  `     got:    ${esc}[35;1msha256-bRrBBfcCpgMcOx7UJXDr9J4mlbpEeXjlr+kLznzGodA=${esc}[0m`
const mismatchLine = `@nix ${JSON.stringify({ action: 'msg', column: null, file: null, level: 0, line: null, msg: `${esc}[31;1merror:${esc}[0m ${raw}`, raw_msg: raw })}`

function makeChunk(seed, adversarial) {
  const lines = []
  let bytes = 0
  for (let i = 0; bytes < 1 << 20; i++) {
    let line
    switch (i % 8) {
      case 0:
        line = `@nix {"action":"result","fields":[${i},${seed},0,0],"id":22806276341761,"type":105}`
        break
      case 1:
        line = `@nix {"action":"start","fields":["${DRV}","",1,1],"id":${seed * 1000 + i},"level":3,"text":"building '${DRV}'","type":105}`
        break
      case 2:
        line = `plain line ${i}: compiling src/module_${i}.c -O2 -Wall -o build/module_${i}.o`
        break
      default:
        line = adversarial
          ? `@nix {"action":"result","fields":["error: hash mismatch in fixed-output derivation '${DRV}': ${i}"],"id":${seed},"type":101}`
          : `@nix {"action":"result","fields":["  CC       src/lib/file_${i}.o  [${seed}] some builder output text that is reasonably long"],"id":${seed},"type":101}`
    }
    lines.push(line)
    bytes += line.length + 1
  }
  lines.push(mismatchLine)
  return lines.join('\n') + '\n'
}
// Typical logs, and a hostile one whose every builder line says "hash mismatch" (the slow path).
const typical = Array.from({ length: 8 }, (_, i) => makeChunk(i, false))
const hostile = Array.from({ length: 8 }, (_, i) => makeChunk(i, true))

let sink = 0
const baseline = feed(typical, totalMb, line => {
  sink += line.length
})

const results = []
for (const [trust, log, chunks] of [
  ['internal-json-only', 'typical', typical],
  ['plain-log', 'typical', typical],
  ['internal-json-only', 'hostile', hostile]
]) {
  const before = heapNow()
  const parser = new MismatchParser({ trust, maxReports: 1000 })
  const run = feed(chunks, totalMb, line => parser.push(line))
  const result = parser.finish()
  const after = heapNow()
  results.push({
    trust: `${trust}, ${log} log`,
    run,
    result,
    growthMb: (after - before) / 1024 / 1024,
    peakMb: (run.peakHeap - before) / 1024 / 1024
  })
}

const fmt = n => n.toFixed(1)
console.log(`log: ${fmt(baseline.mb)} MB in ${baseline.chunks} chunks of ~1 MB, fed line by line`)
console.log(`baseline (split only): ${fmt(baseline.mb / baseline.seconds)} MB/s`)
let failed = false
for (const { trust, run, result, growthMb, peakMb } of results) {
  const rate = run.mb / run.seconds
  const ratio = rate / (baseline.mb / baseline.seconds)
  console.log(
    `parser ${trust}: ${fmt(rate)} MB/s (${fmt(ratio * 100)}% of baseline), ` +
      `heap growth retained ${fmt(growthMb)} MB, peak ${fmt(peakMb)} MB, ` +
      `${result.mismatches.length} mismatches kept (truncated: ${result.truncated})`
  )
  if (result.mismatches.length === 0) {
    console.error(`  FAIL: the parser found nothing; the benchmark measured a no-op`)
    failed = true
  }
  if (rate < TARGET_MB_PER_S) {
    console.error(`  FAIL: below ${TARGET_MB_PER_S} MB/s`)
    failed = true
  }
  if (growthMb >= MAX_HEAP_GROWTH_MB || peakMb >= MAX_HEAP_GROWTH_MB) {
    console.error(`  FAIL: heap grew by ${MAX_HEAP_GROWTH_MB} MB or more`)
    failed = true
  }
}
if (sink < 0) console.log(sink)
process.exit(failed ? 1 : 0)
