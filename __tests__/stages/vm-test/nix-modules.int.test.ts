// The Nix side of the VM test, as far as it goes without nixpkgs: every file parses; the root
// flake's `checks.<system>.service-test` is evaluated by real Nix with nixpkgs, target and params
// replaced through --override-input (as the action replaces target and params); the test's node and
// examples/mast/nix/module.nix are evaluated with a stand-in lib (__tests__/stages/vm-test/nix). Booting the
// VM needs nixpkgs and KVM: that only happens on GitHub's runners.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { execFileSync, spawnSync } from 'node:child_process'
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { REPO_ROOT, nixString } from '../../support/fixtures.js'

const STAND_IN = join(REPO_ROOT, '__tests__', 'stages', 'vm-test', 'nix')
const MODULE = join(REPO_ROOT, 'examples', 'mast', 'nix', 'module.nix')
const PACKAGE = '{ type = "derivation"; name = "mast-0.1.0"; outPath = "/nix/store/00000000000000000000000000000000-mast-0.1.0"; }'
const BIN = '/nix/store/00000000000000000000000000000000-mast-0.1.0/bin/mast'

// Evaluated Nix configurations are deep JSON trees; the assertions walk them freely.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type NixJson = any

/** nix-instantiate --eval --strict --json of an expression, parsed. */
function evalJson(expr: string): NixJson {
  return JSON.parse(execFileSync('nix-instantiate', ['--eval', '--strict', '--json', '-E', expr], { encoding: 'utf8' }))
}

function evalError(expr: string): string {
  const result = spawnSync('nix-instantiate', ['--eval', '--strict', '--json', '-E', expr], { encoding: 'utf8' })
  expect(result.status).not.toBe(0)
  return result.stderr
}

/**
 * The module evaluated for these `services.mast` settings (JSON-able config and option
 * descriptions). `select` picks a part (e.g. `.config.assertions`) when the rest cannot be forced,
 * `lib` stands in for a nixpkgs release (e.g. `{ version = "25.11"; }`).
 */
function mast(settings: string, options: { select?: string; lib?: string } = {}): NixJson {
  return evalJson(`(import ${nixString(join(STAND_IN, 'eval-module.nix'))} {
    modules = [ (/. + ${nixString(MODULE)}) ];
    settings = { services.mast = { package = ${PACKAGE}; } // (${settings}); };
    libOverrides = ${options.lib ?? '{ }'};
  })${options.select ?? ''}`)
}

const ENV_FILE = 'environmentFile = "/run/secrets/mast.env";'

describe('the Nix files parse (nix-instantiate --parse)', () => {
  it.each(['flake.nix', 'nix/service-test.nix', 'nix/vm-test-params.nix', 'examples/mast/nix/module.nix', 'examples/mast/nix/package.nix'])(
    '%s',
    file => {
      expect(() => execFileSync('nix-instantiate', ['--parse', join(REPO_ROOT, file)], { stdio: 'pipe' })).not.toThrow()
    }
  )
})

describe('examples/mast/nix/module.nix (services.mast)', () => {
  it('declares the seed\'s options as it names them (host "localhost", environmentFile a path with no default) and the extras with a type, default and description', () => {
    const options = mast('{ }').options.services.mast
    expect(options).toEqual({
      enable: { type: 'bool', hasDefault: true, default: false, hasDescription: true },
      package: {
        type: 'package',
        hasDefault: true,
        default: { _type: 'literalExpression', text: 'pkgs.callPackage ./package.nix { }' },
        hasDescription: true
      },
      host: { type: 'str', hasDefault: true, default: 'localhost', hasDescription: true },
      port: { type: 'port', hasDefault: true, default: 4000, hasDescription: true },
      environmentFile: { type: 'path', hasDefault: false, default: null, hasDescription: true },
      openFirewall: { type: 'bool', hasDefault: true, default: false, hasDescription: true },
      database: { createLocally: { type: 'bool', hasDefault: true, default: true, hasDescription: true } },
      selfManage: { type: 'bool', hasDefault: true, default: false, hasDescription: true }
    })
  })

  it('defines nothing unless enabled', () => {
    expect(mast('{ }').config).toEqual({})
  })

  it('creates the local database and owner role, and runs the unit as a dynamic user named like the role', () => {
    const config = mast(`{ enable = true; ${ENV_FILE} }`).config
    expect(config.assertions.every((a: { assertion: boolean }) => a.assertion)).toBe(true)
    expect(config.warnings).toEqual([])
    expect(config.services.postgresql).toEqual({
      enable: true,
      ensureDatabases: ['mast'],
      ensureUsers: [{ name: 'mast', ensureDBOwnership: true }]
    })
    const unit = config.systemd.services.mast
    expect(unit.after).toEqual(expect.arrayContaining(['postgresql.service', 'postgresql-setup.service', 'postgresql.target']))
    expect(unit.requires).toEqual(['postgresql.service'])
    expect(unit.wantedBy).toEqual(['multi-user.target'])
    expect(unit.environment).toEqual({
      PHX_SERVER: 'true',
      PHX_HOST: 'localhost',
      PORT: '4000',
      RELEASE_TMP: '/run/mast',
      HOME: '/var/lib/mast',
      DATABASE_URL: 'ecto://mast@localhost/mast?socket_dir=/run/postgresql'
    })
    expect(unit.preStart).toContain(`${BIN} eval 'Mast.Release.migrate()'`)
    expect(unit.preStart).toContain('RELEASE_COOKIE=')
    expect(unit.serviceConfig).toMatchObject({
      ExecStart: `${BIN} start`,
      DynamicUser: true,
      User: 'mast',
      StateDirectory: 'mast',
      RuntimeDirectory: 'mast',
      EnvironmentFile: ['-/var/lib/mast/release-cookie.env', '/run/secrets/mast.env'],
      NoNewPrivileges: true,
      ProtectSystem: 'strict',
      PrivateTmp: true,
      CapabilityBoundingSet: '',
      SystemCallFilter: ['@system-service', '~@privileged']
    })
    expect(unit.serviceConfig.MemoryDenyWriteExecute).toBeUndefined()
    expect(config.systemd.services['mast-self-enroll']).toBeUndefined()
    expect(config.networking?.firewall?.allowedTCPPorts).toBeUndefined()
  })

  it('requires postgresql.target (postgresql-setup.service, where ensureUsers runs) on nixpkgs 25.11+, and only postgresql.service before', () => {
    expect(
      mast(`{ enable = true; ${ENV_FILE} }`, {
        lib: '{ version = "25.11.20251130.abcdef0"; }',
        select: '.config.systemd.services.mast.requires'
      })
    ).toEqual(['postgresql.service', 'postgresql.target'])
    expect(
      mast(`{ enable = true; ${ENV_FILE} }`, { lib: '{ version = "26.05pre-git"; }', select: '.config.systemd.services.mast.requires' })
    ).toEqual(['postgresql.service', 'postgresql.target'])
    expect(
      mast(`{ enable = true; ${ENV_FILE} }`, {
        lib: '{ version = "25.05.806273.a1b2c3d"; }',
        select: '.config.systemd.services.mast.requires'
      })
    ).toEqual(['postgresql.service'])
    expect(
      mast(`{ enable = true; ${ENV_FILE} database.createLocally = false; }`, {
        lib: '{ version = "25.11"; }',
        select: '.config.systemd.services.mast.requires'
      })
    ).toEqual([])
  })

  it('fails evaluation with the fix when environmentFile is not set, with or without a local database', () => {
    for (const createLocally of ['true', 'false']) {
      const failed = mast(`{ enable = true; database.createLocally = ${createLocally}; }`, { select: '.config.assertions' }).filter(
        (a: { assertion: boolean }) => !a.assertion
      )
      expect(failed).toHaveLength(1)
      expect(failed[0].message).toMatch(
        /services\.mast\.environmentFile is not set\..*DATABASE_URL when services\.mast\.database\.createLocally is false.*services\.mast\.environmentFile = "\/run\/secrets\/mast\.env";/s
      )
    }
  })

  it('without a local database: no PostgreSQL, no DATABASE_URL of its own, nothing required', () => {
    const config = mast(`{ enable = true; ${ENV_FILE} database.createLocally = false; }`).config
    expect(config.assertions.every((a: { assertion: boolean }) => a.assertion)).toBe(true)
    expect(config.services.postgresql).toBeUndefined()
    expect(config.systemd.services.mast.requires).toEqual([])
    expect(config.systemd.services.mast.environment.DATABASE_URL).toBeUndefined()
  })

  it('warns, naming the fix, when the environment file is in (or would be copied into) the world-readable store', () => {
    expect(
      mast('{ enable = true; environmentFile = "/nix/store/00000000000000000000000000000000-mast.env"; }', { select: '.config.warnings' })
    ).toEqual([
      expect.stringMatching(/\/nix\/store\/0+-mast\.env\) is, or will be copied into, the\s+Nix store.*"\/run\/secrets\/mast\.env"/s)
    ])
    // A path literal: copied into the store wherever it is interpolated.
    expect(mast('{ enable = true; environmentFile = /etc/mast/secrets.env; }', { select: '.config.warnings' })).toHaveLength(1)
    expect(mast(`{ enable = true; ${ENV_FILE} }`, { select: '.config.warnings' })).toEqual([])
  })

  it('opens the port in the firewall only with openFirewall', () => {
    expect(mast(`{ enable = true; ${ENV_FILE} openFirewall = true; port = 4100; }`, { select: '.config.networking' })).toEqual({
      firewall: { allowedTCPPorts: [4100] }
    })
  })

  it('runs self-enrolment once after the service when selfManage is on, in its own runtime directory', () => {
    const config = mast(`{ enable = true; ${ENV_FILE} selfManage = true; port = 4100; host = "mast.example.org"; }`).config
    const enrol = config.systemd.services['mast-self-enroll']
    expect(enrol).toMatchObject({ after: ['mast.service'], requires: ['mast.service'], wantedBy: ['multi-user.target'] })
    expect(enrol.serviceConfig).toMatchObject({
      Type: 'oneshot',
      RemainAfterExit: true,
      User: 'mast',
      DynamicUser: true,
      ExecStart: `${BIN} eval 'Mast.Release.self_enroll()'`
    })
    expect(config.systemd.services.mast.environment).toMatchObject({ PORT: '4100', PHX_HOST: 'mast.example.org' })
    // systemd removes a unit's RuntimeDirectory when that unit stops: shared, stopping the oneshot
    // would delete /run/mast (RELEASE_TMP) under the running node.
    expect(enrol.serviceConfig.RuntimeDirectory).toBe('mast-self-enroll')
    expect(enrol.environment.RELEASE_TMP).toBe('/run/mast-self-enroll')
    expect(config.systemd.services.mast.serviceConfig.RuntimeDirectory).toBe('mast')
    expect(config.systemd.services.mast.environment.RELEASE_TMP).toBe('/run/mast')
    const owners = new Map<string, string[]>()
    for (const [name, unit] of Object.entries<NixJson>(config.systemd.services)) {
      const dirs = unit.serviceConfig?.RuntimeDirectory
      for (const dir of dirs === undefined ? [] : Array.isArray(dirs) ? dirs : String(dirs).split(/\s+/))
        owners.set(dir, [...(owners.get(dir) ?? []), name])
    }
    for (const [dir, units] of owners) expect({ dir, units }).toEqual({ dir, units: [units[0]] })
  })
})

describe('examples/mast/nix/package.nix (mixRelease + fetchMixDeps)', () => {
  const PACKAGE_NIX = join(REPO_ROOT, 'examples', 'mast', 'nix', 'package.nix')
  /** package.nix called with stand-ins for lib and beamPackages that hand back what they were given. */
  const build = (erlangVersion: string, args = ''): NixJson =>
    evalJson(`let
      lib = import ${nixString(join(STAND_IN, 'stand-in-lib.nix'))};
      beamPackages = {
        erlang = { version = "${erlangVersion}"; };
        mixRelease = attrs: attrs // { standInFor = "mixRelease"; };
        fetchMixDeps = attrs: attrs // { standInFor = "fetchMixDeps"; };
      };
      mast = import (/. + ${nixString(PACKAGE_NIX)}) ({ inherit lib beamPackages; } // { ${args} });
    in { inherit (mast) pname version env standInFor; deps = { inherit (mast.mixFodDeps) pname env sha256 standInFor; }; }`)

  it("runs the build's BEAM with the single-mapped JIT (+JMsingle true) in both mixRelease and fetchMixDeps, so it survives QEMU", () => {
    expect(build('27.3.4')).toEqual({
      pname: 'mast',
      version: '0.1.0',
      env: { ERL_FLAGS: '+JMsingle true' },
      standInFor: 'mixRelease',
      deps: {
        pname: 'mast-mix-deps',
        env: { ERL_FLAGS: '+JMsingle true' },
        sha256: 'sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
        standInFor: 'fetchMixDeps'
      }
    })
    expect(build('26.0').env).toEqual({ ERL_FLAGS: '+JMsingle true' })
  })

  it('leaves ERL_FLAGS unset for OTP 25 and older, which reject the flag, and when turned off with override', () => {
    expect(build('25.3.2.21')).toMatchObject({ env: {}, deps: { env: {} } })
    expect(build('27.3.4', 'singleMappedJit = false;')).toMatchObject({ env: {}, deps: { env: {} } })
  })
})

describe('nix/vm-test-params.nix', () => {
  let dir: string
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'nix-ci-params-'))
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  const params = (json: unknown): string => {
    writeFileSync(join(dir, 'params.json'), JSON.stringify(json))
    return `import ${nixString(join(REPO_ROOT, 'nix', 'vm-test-params.nix'))} ${nixString(dir)}`
  }

  it('fills in the defaults, the database named after the service', () => {
    expect(evalJson(params({ service: 'shop', port: 8080 }))).toEqual({
      service: 'shop',
      port: 8080,
      healthPath: '/',
      table: 'health_checks',
      database: 'shop'
    })
  })

  it('rejects values that would end up unquoted in SQL or shell, naming the key', () => {
    expect(evalError(params({ service: "x'; DROP TABLE y" }))).toMatch(/service must be a plain name such as "mast"/)
    expect(evalError(params({ port: 70000 }))).toMatch(/port must be an integer from 1 to 65535/)
    expect(evalError(params({ healthPath: 'health' }))).toMatch(/healthPath must start with \//)
    expect(evalError(params({ servcie: 'typo' }))).toMatch(/unknown key\(s\) servcie; allowed: healthPath, port, service, table, database/)
  })
})

describe('flake.nix checks.<system>.service-test (real Nix, inputs overridden)', () => {
  let work: string
  let evaluated: NixJson
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'nix-ci-flake-eval-'))
    // nix-ci's flake as the action stages it: flake.nix and nix/ only.
    const flake = join(work, 'flake')
    mkdirSync(flake)
    copyFileSync(join(REPO_ROOT, 'flake.nix'), join(flake, 'flake.nix'))
    cpSync(join(REPO_ROOT, 'nix'), join(flake, 'nix'), { recursive: true })
    // nixpkgs stand-in: lib.genAttrs, and a runNixOSTest that hands back the test it was given.
    const nixpkgs = join(work, 'nixpkgs')
    mkdirSync(nixpkgs)
    copyFileSync(join(STAND_IN, 'stand-in-lib.nix'), join(nixpkgs, 'lib.nix'))
    writeFileSync(
      join(nixpkgs, 'flake.nix'),
      `{ outputs = { self }: rec {
  lib = import ./lib.nix;
  legacyPackages = lib.genAttrs [ "x86_64-linux" "aarch64-linux" ] (system: {
    stdenv.hostPlatform.system = system;
    testers.runNixOSTest = test: test // { stoodInFor = "runNixOSTest"; };
  });
}; }
`
    )
    // The flake under test: the example's module and a package stand-in.
    const target = join(work, 'target')
    mkdirSync(target)
    copyFileSync(MODULE, join(target, 'module.nix'))
    writeFileSync(
      join(target, 'flake.nix'),
      `{ outputs = { self }: { nixosModules.default = ./module.nix; packages.x86_64-linux.default = ${PACKAGE}; }; }\n`
    )
    const params = join(work, 'params')
    mkdirSync(params)
    writeFileSync(join(params, 'params.json'), JSON.stringify({ service: 'mast', port: 4100, healthPath: '/health' }))

    const apply = `t: let
      node = import ${nixString(join(STAND_IN, 'eval-module.nix'))} { modules = [ t.nodes.machine ]; pkgs = { curl = { type = "derivation"; name = "curl"; outPath = "/nix/store/curl"; }; }; };
      service = import ${nixString(join(STAND_IN, 'eval-module.nix'))} { modules = [ (/. + ${nixString(MODULE)}) ]; settings = { inherit (node.config) services; }; };
    in { inherit (t) name testScript stoodInFor; node = node.config; service = service.config; }`
    const out = execFileSync(
      'nix',
      [
        '--extra-experimental-features',
        'nix-command flakes',
        'eval',
        '--json',
        '--impure',
        `path:${flake}#checks.x86_64-linux.service-test`,
        '--apply',
        apply,
        '--override-input',
        'nixpkgs',
        `path:${nixpkgs}`,
        '--override-input',
        'target',
        `path:${target}`,
        '--override-input',
        'params',
        `path:${params}`
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NIX_CONFIG: 'substituters =' } }
    )
    evaluated = JSON.parse(out)
  })
  afterAll(() => rmSync(work, { recursive: true, force: true }))

  it('hands runNixOSTest a test named after the service, with the parameters from the params input', () => {
    expect(evaluated.stoodInFor).toBe('runNixOSTest')
    expect(evaluated.name).toBe('nix-ci-service-test-mast')
    const paramsLine = evaluated.testScript.split('\n')[0]
    expect(paramsLine).toBe(
      `PARAMS = ${JSON.stringify(JSON.stringify({ database: 'mast', healthPath: '/health', port: 4100, service: 'mast', table: 'health_checks' }))}`
    )
  })

  it("enables the service from the target's module and package, with a local database and an environment file made at boot", () => {
    expect(evaluated.node.services.mast).toEqual({
      enable: true,
      database: { createLocally: true },
      environmentFile: '/run/nix-ci-vm-test/mast.env',
      package: '/nix/store/00000000000000000000000000000000-mast-0.1.0'
    })
    const secrets = evaluated.node.systemd.services['nix-ci-vm-test-secrets']
    expect(secrets).toMatchObject({
      before: ['mast.service'],
      requiredBy: ['mast.service'],
      serviceConfig: { Type: 'oneshot', UMask: '0077' }
    })
    expect(secrets.script).toMatch(/SECRET_KEY_BASE=.*head -c 64 \/dev\/urandom.*> \/run\/nix-ci-vm-test\/mast.env/)
    // The secret never enters the store: no environment.etc, no store file holding it.
    expect(evaluated.node.environment.etc).toBeUndefined()
    expect(evaluated.node.environment.systemPackages).toEqual(['/nix/store/curl'])
  })

  it("gives the target's module a configuration it accepts: PostgreSQL with the role owning the database", () => {
    expect(evaluated.service.assertions.every((a: { assertion: boolean }) => a.assertion)).toBe(true)
    expect(evaluated.service.services.postgresql.ensureUsers).toEqual([{ name: 'mast', ensureDBOwnership: true }])
    expect(evaluated.service.systemd.services.mast.serviceConfig.EnvironmentFile).toContain('/run/nix-ci-vm-test/mast.env')
  })

  it('asserts every promised behaviour in the test script', () => {
    const script: string = evaluated.testScript
    for (const expected of [
      'machine.wait_for_unit("postgresql.service", timeout=300)',
      'machine.wait_for_unit(unit, timeout=300)',
      'machine.wait_for_open_port(port, timeout=300)',
      "-w '%{{http_code}}'",
      'r"[23]\\d\\d"',
      'FROM pg_roles WHERE rolname',
      'SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname',
      "SELECT to_regclass('{table}') IS NOT NULL",
      'machine.succeed(f"systemctl restart {unit}")',
      'expect_serving("after restart")',
      'nix-ci: journal begin {name}',
      // Where current nixpkgs runs ensureDatabases/ensureUsers: a role error shows only there.
      'for name in [unit, "postgresql.service", "postgresql-setup.service"]:'
    ]) {
      expect(script).toContain(expected)
    }
  })
})
