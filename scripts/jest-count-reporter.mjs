// A jest reporter for scripts/test.sh: the counts, written as each test file ends, so that nothing
// a test does (a circular error object, a crash at the end of the run) can lose them. jest's own
// --json report serialises every failure's error object and dies on a circular one, taking the
// whole count with it.
//
// One line per test file, appended to the file named by NIX_CI_TEST_COUNTS:
//   file PASSED FAILED SKIPPED BROKEN PATH     BROKEN is 1 when the file could not run at all
//   skip PATH › FULL NAME                      one per skipped test; its name carries the reason
//   unexplained PATH › FULL NAME               a skipped test whose name gives no reason
//   end                                        jest reached the end of the run
// A skipped test gives its reason in its own or a describe's name, as `(skipped: REASON)`
// (__tests__/support/requires.ts does that); test.sh counts a skip without one as a failure.
import { appendFileSync } from 'node:fs'
import { relative } from 'node:path'

const SKIPPED = new Set(['pending', 'skipped', 'todo', 'disabled'])
const oneLine = text => String(text).replace(/[\r\n]+/g, ' ')

export default class CountReporter {
  constructor(globalConfig) {
    this.rootDir = globalConfig.rootDir
    this.out = process.env.NIX_CI_TEST_COUNTS
  }

  write(line) {
    if (this.out) appendFileSync(this.out, `${line}\n`)
  }

  onTestFileResult(test, result) {
    const path = relative(this.rootDir, result.testFilePath)
    let passed = 0
    let failed = 0
    let skipped = 0
    const skips = []
    for (const t of result.testResults) {
      if (t.status === 'passed') passed++
      else if (t.status === 'failed') failed++
      else if (SKIPPED.has(t.status)) {
        skipped++
        const name = oneLine([...t.ancestorTitles, t.title].join(' › '))
        skips.push(`${/\(skipped: [^)]+\)/.test(name) ? 'skip' : 'unexplained'} ${path} › ${name}`)
      }
    }
    const broken = result.testExecError ? 1 : 0
    this.write([`file ${passed} ${failed} ${skipped} ${broken} ${path}`, ...skips].join('\n'))
  }

  onRunComplete() {
    this.write('end')
  }
}
