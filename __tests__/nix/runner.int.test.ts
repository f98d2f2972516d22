import { describe, expect, it } from '@jest/globals'
import { NixLine, NixNotFoundError, NixRunner } from '../../src/nix/runner.js'
import { parseInternalJsonLine, stripAnsi } from '../../src/nix/internal-json.js'

describe('NixRunner (real Nix)', () => {
  it('knows the Nix version', async () => {
    expect(await new NixRunner().version()).toMatch(/^2\.\d+\.\d+/)
  })

  it('streams stdout and stderr as typed lines and reports exit status and duration', async () => {
    const lines: NixLine[] = []
    const result = await new NixRunner({ nixConfig: 'substituters =' }).run({
      args: ['eval', '--impure', '--expr', 'builtins.trace "to stderr" "to stdout"'],
      onLine: line => lines.push(line),
      captureStdoutBytes: 1024
    })
    expect(result.exitCode).toBe(0)
    expect(result.stdout).toBe('"to stdout"\n')
    expect(lines).toEqual([
      { stream: 'stderr', text: 'trace: to stderr' },
      { stream: 'stdout', text: '"to stdout"' }
    ])
    expect(result.durationMs).toBeGreaterThan(0)
  })

  it('passes its nix.conf lines to every call through NIX_CONFIG', async () => {
    const nix = new NixRunner({ nixConfig: 'substituters =' }).withConfig('max-jobs = 7')
    const result = await nix.run({ args: ['show-config', '--json'], captureStdoutBytes: 4 << 20 })
    const config = JSON.parse(result.stdout)
    expect(config['max-jobs'].value).toBe(7)
    expect(config.substituters.value).toEqual([])
  })

  it('puts positional arguments after `--`: an option among them is a path, and no paths at all is refused', async () => {
    const nix = new NixRunner({ nixConfig: 'substituters =' })
    const lines: string[] = []
    const result = await nix.run({
      args: ['path-info'],
      positional: ['--version'],
      captureStdoutBytes: 4096,
      onLine: l => lines.push(l.text)
    })
    expect(result.exitCode).not.toBe(0)
    expect(result.stdout).not.toMatch(/nix \(Nix\)/)
    expect(result.args.slice(-2)).toEqual(['--', '--version'])
    // With no installable Nix would take the flake in the working directory.
    await expect(nix.run({ args: ['build', '--no-link'], positional: [] })).rejects.toThrow(/nix build was asked to run on nothing/)
  })

  it('reports a failing call with its exit code, not an exception', async () => {
    const result = await new NixRunner({ nixConfig: 'substituters =' }).run({ args: ['eval', '--expr', 'throw "boom"'] })
    expect(result.exitCode).toBe(1)
  })

  it('refuses to hold more stdout than asked for', async () => {
    const run = new NixRunner().run({
      args: ['eval', '--expr', 'builtins.concatStringsSep "" (builtins.genList (_: "x") 5000)'],
      captureStdoutBytes: 100
    })
    await expect(run).rejects.toThrow(/more than 100 bytes on stdout/)
  })

  it('says how to install Nix when there is none', async () => {
    await expect(new NixRunner({ nixBinary: 'nix-does-not-exist-here' }).run({ args: ['--version'] })).rejects.toThrow(NixNotFoundError)
    await expect(new NixRunner({ nixBinary: 'nix-does-not-exist-here' }).run({ args: ['--version'] })).rejects.toThrow(/install-nix-action/)
  })
})

describe('internal-json lines', () => {
  it('parses the event kinds and ignores plain text', () => {
    expect(parseInternalJsonLine('@nix {"action":"msg","level":0,"msg":"\\u001b[31;1merror:\\u001b[0m boom"}')).toEqual({
      action: 'msg',
      level: 0,
      msg: '\u001b[31;1merror:\u001b[0m boom'
    })
    expect(parseInternalJsonLine('@nix {"action":"result","fields":["hello"],"id":5,"type":101}')).toEqual({
      action: 'result',
      id: 5,
      type: 101,
      fields: ['hello']
    })
    expect(parseInternalJsonLine('@nix {"action":"stop","id":5}')).toEqual({ action: 'stop', id: 5 })
    expect(parseInternalJsonLine('error: hash mismatch')).toBeUndefined()
    expect(parseInternalJsonLine('@nix {not json')).toBeUndefined()
    expect(stripAnsi('\u001b[31;1merror:\u001b[0m boom')).toBe('error: boom')
  })
})
