// scripts/hide-devices.sh, which makes a KVM machine look like one without /dev/kvm for the no-KVM
// runs of `npm test -- --ci`. Proven here on a device every machine has (/dev/full), since this
// machine may have no /dev/kvm to hide.
import { expect, it } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import { statSync } from 'node:fs'
import { join } from 'node:path'
import { REPO_ROOT } from '../support/fixtures.js'
import { ON_HOST, describeIf } from '../support/requires.js'

const SCRIPT = join(REPO_ROOT, 'scripts', 'hide-devices.sh')
const asRoot = process.getuid?.() === 0 ? [] : ['sudo', '-n']

function inside(names: string[], script: string): string {
  const [command, ...args] = [...asRoot, 'bash', SCRIPT, ...names, '--', 'sh', '-c', script]
  return execFileSync(command, args, { encoding: 'utf8', cwd: REPO_ROOT }).trim()
}

describeIf(ON_HOST, 'hiding /dev entries from a command', () => {
  it('hides the named device from the command, keeps every other entry, and changes nothing outside', () => {
    const out = inside(
      ['full'],
      'test ! -e /dev/full && echo full-hidden; echo x > /dev/null && echo null-works; ' +
        'test -d /dev/pts && test -d /dev/shm && echo dirs-kept; test -L /dev/fd && echo links-kept; pwd'
    )
    expect(out.split('\n')).toEqual(['full-hidden', 'null-works', 'dirs-kept', 'links-kept', REPO_ROOT])
    expect(statSync('/dev/full').isCharacterDevice()).toBe(true)
  })

  it('runs the command with its exit status, and refuses to run without a command', () => {
    expect(() => inside(['full'], 'exit 3')).toThrow(expect.objectContaining({ status: 3 }))
    expect(() => execFileSync('bash', [SCRIPT, 'kvm', '--'], { stdio: 'pipe' })).toThrow(/usage: hide-devices.sh NAME\.\.\. -- CMD/)
  })
})
