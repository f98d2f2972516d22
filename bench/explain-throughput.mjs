// Throughput and memory of the explain classifier (src/explain/classifier.ts) on a generated
// 200 MB log, measured side by side with a split-only baseline and the MismatchParser alone (the
// classifier's hash part). Not a test: run it by hand or in CI:
//   node bench/explain-throughput.mjs [--mb 200]
// Exits non-zero below 300 MB/s on any of the three logs, when the heap retained after a log is
// 1 MB or more, or when it peaks 64 MB or more above the start (issue 15).
// The TypeScript source is bundled with esbuild into a temporary .mjs (Node 20 cannot run .ts).
import { MAX_HEAP_GROWTH_MB, ensureGc, feed, heapNow, importFromSource, totalMegabytes } from './support/throughput.mjs'

const TARGET_MB_PER_S = 300
const MAX_RETAINED_MB = 1

ensureGc(import.meta.url)
const totalMb = totalMegabytes()
const { LogClassifier, MismatchParser } = await importFromSource({ LogClassifier: 'src/explain/classifier.ts', MismatchParser: 'src/hashes/mismatch-parser.ts' })

// ~1 MB chunks of a typical CI log: builder output (-L prefixed, or result events), progress and
// activity events, Nix's lines, and per chunk one finding of each kind the classifier knows.
const DRV = '/nix/store/miz229vi87qqrnbm3axzydvm1n3l9vaz-mast-mix-deps-0.1.0.drv'
const esc = '\u001b'
const raw =
  `hash mismatch in fixed-output derivation '${esc}[35;1m${DRV}${esc}[0m':\n` +
  `  specified: ${esc}[35;1msha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=${esc}[0m\n` +
  `     got:    ${esc}[35;1msha256-bRrBBfcCpgMcOx7UJXDr9J4mlbpEeXjlr+kLznzGodA=${esc}[0m`
const jsonFindings = [
  `@nix ${JSON.stringify({ action: 'msg', column: null, file: null, level: 0, line: null, msg: `${esc}[31;1merror:${esc}[0m ${raw}`, raw_msg: raw })}`,
  `@nix ${JSON.stringify({ action: 'msg', level: 0, msg: "error: a 'aarch64-linux' with features {} is required to build '/nix/store/5v8aiv0s817k33a7rc6720dy22vdlwgn-mast-0.1.0.drv', but I am a 'x86_64-linux' with features {benchmark, big-parallel}", raw_msg: "a 'aarch64-linux' with features {} is required to build '/nix/store/5v8aiv0s817k33a7rc6720dy22vdlwgn-mast-0.1.0.drv', but I am a 'x86_64-linux' with features {benchmark, big-parallel}" })}`
]
const plainFindings = [
  `error: hash mismatch in fixed-output derivation '${DRV}':`,
  '         specified: sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
  '            got:    sha256-bRrBBfcCpgMcOx7UJXDr9J4mlbpEeXjlr+kLznzGodA=',
  "error: builder for '/nix/store/phinrkkcw544r33qyd888yrhkdq44mqi-mast-broken-0.1.0.drv' failed with exit code 2;",
  "       > executing '/nix/store/z6ymql1qv79xy8l5kfbhxy18p929hmvd-bb/busybox': Exec format error"
]

function makeChunk(seed, format, timestamps) {
  const lines = []
  let bytes = 0
  for (let i = 0; bytes < 1 << 20; i++) {
    let line
    if (format === 'internal-json') {
      switch (i % 8) {
        case 0:
          line = `@nix {"action":"result","fields":[${i},${seed},0,0],"id":22806276341761,"type":105}`
          break
        case 1:
          line = `@nix {"action":"start","fields":["${DRV}","",1,1],"id":${seed * 1000 + i},"level":3,"text":"building '${DRV}'","type":105}`
          break
        case 2:
          line = `@nix {"action":"stop","id":${seed * 1000 + i - 1}}`
          break
        default:
          line = `@nix {"action":"result","fields":["  CC       src/lib/file_${i}.o  [${seed}] some builder output text that is reasonably long"],"id":${seed},"type":101}`
      }
    } else {
      line = i % 16 === 0 ? `building '/nix/store/ks6bgr0b45yvly113qdpkqrhzph3kr0d-npm-deps-${seed}.${i}.drv'...` : `mast-${seed}> compiling lib/mast/module_${i}.ex (${i} of 4000) with some output text`
    }
    lines.push(line)
    bytes += line.length + 1
  }
  lines.push(...(format === 'internal-json' ? jsonFindings : plainFindings))
  const stamp = timestamps ? '2024-05-01T12:34:56.1234567Z ' : ''
  return lines.map(l => stamp + l).join('\n') + '\n'
}



const logs = {
  'plain -L log': Array.from({ length: 8 }, (_, i) => makeChunk(i, 'plain', false)),
  'internal-json log': Array.from({ length: 8 }, (_, i) => makeChunk(i, 'internal-json', false)),
  'job log with timestamps': Array.from({ length: 8 }, (_, i) => makeChunk(i, 'plain', true))
}

const fmt = n => n.toFixed(1)
let sink = 0
let failed = false
for (const [name, chunks] of Object.entries(logs)) {
  const baseline = feed(chunks, totalMb, line => {
    sink += line.length
  })
  const parser = new MismatchParser({ trust: 'plain-log', maxReports: 1000 })
  const parserRun = feed(chunks, totalMb, line => parser.push(line))
  parser.finish()
  const before = heapNow()
  const classifier = new LogClassifier({ trust: 'plain-log' })
  const run = feed(chunks, totalMb, line => classifier.push(line))
  const findings = classifier.finish()
  const growthMb = (heapNow() - before) / 1024 / 1024
  const peakMb = (run.peakHeap - before) / 1024 / 1024
  const rate = run.mb / run.seconds
  const baseRate = baseline.mb / baseline.seconds
  const parserRate = parserRun.mb / parserRun.seconds
  const kinds = Object.entries(findings)
    .filter(([, v]) => Array.isArray(v) && v.length > 0)
    .map(([k, v]) => `${k} ${v.length}`)
  console.log(`${name}: ${fmt(run.mb)} MB in ${run.chunks} chunks of ~1 MB, fed line by line`)
  console.log(`  baseline (split only) ${fmt(baseRate)} MB/s; MismatchParser alone ${fmt(parserRate)} MB/s (${fmt((parserRate / baseRate) * 100)}%)`)
  console.log(
    `  LogClassifier ${fmt(rate)} MB/s (${fmt((rate / baseRate) * 100)}% of baseline, ${fmt((rate / parserRate) * 100)}% of the parser alone), ` +
      `heap growth retained ${fmt(growthMb)} MB, peak ${fmt(peakMb)} MB; found ${kinds.join(', ')} (truncated: ${findings.truncated})`
  )
  if (kinds.length === 0) {
    console.error('  FAIL: the classifier found nothing; the benchmark measured a no-op')
    failed = true
  }
  if (rate < TARGET_MB_PER_S) {
    console.error(`  FAIL: below ${TARGET_MB_PER_S} MB/s`)
    failed = true
  }
  if (growthMb >= MAX_RETAINED_MB) {
    console.error(`  FAIL: ${fmt(growthMb)} MB retained, ${MAX_RETAINED_MB} MB allowed`)
    failed = true
  }
  if (peakMb >= MAX_HEAP_GROWTH_MB) {
    console.error(`  FAIL: heap peaked ${MAX_HEAP_GROWTH_MB} MB or more above the start`)
    failed = true
  }
}
if (sink < 0) console.log(sink)
process.exit(failed ? 1 : 0)
