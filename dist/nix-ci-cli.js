#!/usr/bin/env node
import { createRequire as __nixCiCreateRequire } from 'node:module';
const require = __nixCiCreateRequire(import.meta.url);
import {
  CHECK_FODS_POLICIES,
  DEFAULTS,
  InputError,
  NixRunner,
  TerminalReporter,
  cancelOnSignals,
  createGitHubClient,
  errorMessage,
  headCommit,
  headRef,
  parseInputs,
  runExplainCommand,
  runPipeline
} from "./nix-ci-shared.js";

// src/cli.ts
import { statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
var d = (name) => DEFAULTS[name];
var USAGE = `Usage: nix-ci <stage> [options]

Stages:
  build        build packages.<system>.<package> for every system (QEMU for foreign ones)
  fix-hashes   build, then find stale fixed-output hashes, fix them in the repository's files and
               verify by building again; without --write the files are left as they were
  vm-test      build, then run the NixOS VM test (the built-in one, or --vm-test ATTR)
  release      build, then tag the version and publish a GitHub release
               (needs --repo OWNER/NAME, --sha SHA and GITHUB_TOKEN)
  explain [FILE|-] [--json]
               read a saved Nix log (a CI job log, a terminal paste) and explain each failure
               with its fix

Options:
  --flake REF              flake to build (default: ${d("flake")})
  --package NAME           package attribute (default: ${d("package")})
  --systems "A B"          systems, separated by spaces or commas (default: ${d("systems")})
  --outputs WHAT           ${d("outputs")} (default), all (what nix flake check builds), or attribute
                           paths with * globs, e.g. "packages.*.* checks.*.lint"
  --push-to STORE          push what was built to a Nix store URL (file://, https://, ssh-ng://);
                           signed with the key in $NIX_CI_PUSH_SIGNING_KEY when set
  --push-required          a failed push fails the run
  --extra-nix-config TEXT  nix.conf lines for every Nix call, e.g. $'sandbox = true\\nsubstituters ='
  --write                  (fix-hashes) keep the verified fixes in the work tree
  --base REV               (fix-hashes) compare lock files with REV to decide what to re-check
  --check-fods POLICY      (fix-hashes) ${CHECK_FODS_POLICIES.join(", ")} (default: ${d("check-fods")}; see action.yml)
  --vm-test MODE           (vm-test) builtin (default), auto, or a flake attribute path
  --service NAME           (vm-test) services.<NAME> (default: ${d("service")})
  --service-port PORT      (vm-test) default ${d("service-port")}
  --health-path PATH       (vm-test) default ${d("health-path")}
  --version-from SOURCE    (release) auto, mix.exs, flake, package.json or a version (default: ${d("version-from")})
  --tag-prefix PREFIX      (release) default ${d("tag-prefix")}
  --release-branches "A B" (release) branches besides the default one that may release; the
                           checked-out branch must be one of them or the repository's default
  --major-tag              (release) move v<major> and v<major>.<minor>
  --repo OWNER/NAME        (release) the GitHub repository
  --sha SHA                (release) the commit that was built (default: git HEAD)
  --json                   print the stage's outputs as JSON on stdout
  -h, --help               this help
`;
var STAGES = ["build", "fix-hashes", "vm-test", "release"];
var OPTIONS = {
  flake: { type: "string" },
  package: { type: "string" },
  systems: { type: "string" },
  outputs: { type: "string" },
  "push-to": { type: "string" },
  "push-required": { type: "boolean", default: false },
  "extra-nix-config": { type: "string" },
  write: { type: "boolean", default: false },
  base: { type: "string" },
  "check-fods": { type: "string" },
  "vm-test": { type: "string" },
  service: { type: "string" },
  "service-port": { type: "string" },
  "health-path": { type: "string" },
  "version-from": { type: "string" },
  "tag-prefix": { type: "string" },
  "release-branches": { type: "string" },
  "major-tag": { type: "boolean", default: false },
  repo: { type: "string" },
  sha: { type: "string" },
  json: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false }
};
async function main(argv) {
  if (argv[0] === "explain")
    return runExplainCommand(argv.slice(1), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr });
  const parsed = parseCommandLine(argv);
  if (typeof parsed === "number") return parsed;
  const { stage, values } = parsed;
  const reporter = new TerminalReporter();
  const cancellation = cancelOnSignals((signal) => reporter.warning(`Received ${signal}: stopping Nix`));
  try {
    const flakeDir = values.flake !== void 0 && !values.flake.includes(":") && isDirectory(values.flake) ? resolve(values.flake) : void 0;
    const given = actionInputs(stage, values, flakeDir !== void 0);
    const inputs = parseInputs((name) => given[name]);
    const cwd = flakeDir ?? process.cwd();
    const result = await runPipeline(inputs, {
      nix: new NixRunner({ nixConfig: inputs.extraNixConfig, callLog: [] }),
      reporter,
      cwd,
      signal: cancellation.signal,
      base: values.base,
      actionDir: packageRoot(),
      github: stage === "release" ? await cliGitHubTarget(values.repo, values.sha, cwd, reporter) : void 0
    });
    process.stderr.write(`
${reporter.summary()}
`);
    if (values.json)
      process.stdout.write(JSON.stringify(Object.fromEntries([...reporter.outputs].map(([k, v]) => [k, tryJson(v)])), null, 2) + "\n");
    for (const failure of result.failures) process.stderr.write(`nix-ci: ${failure}
`);
    return result.ok ? 0 : 1;
  } catch (error) {
    process.stderr.write(`nix-ci: ${error instanceof InputError ? "" : "error: "}${errorMessage(error)}
`);
    return error instanceof InputError ? 2 : 1;
  } finally {
    cancellation.dispose();
  }
}
function parseCommandLine(argv) {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
  } catch (error) {
    process.stderr.write(`nix-ci: ${errorMessage(error)}

${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const stage = positionals[0];
  if (values.help || stage === void 0) {
    process.stdout.write(USAGE);
    return stage === void 0 && !values.help ? 2 : 0;
  }
  const known = STAGES.includes(stage);
  if (!known || positionals.length > 1) {
    process.stderr.write(`nix-ci: unknown stage or extra argument '${positionals.slice(known ? 1 : 0).join(" ")}'

${USAGE}`);
    return 2;
  }
  return { stage, values };
}
function actionInputs(stage, values, flakeIsDirectory) {
  return {
    flake: flakeIsDirectory ? "." : values.flake,
    package: values.package,
    systems: values.systems,
    outputs: values.outputs,
    "push-to": values["push-to"],
    "push-signing-key": process.env.NIX_CI_PUSH_SIGNING_KEY,
    "push-required": values["push-required"] ? "true" : "false",
    "extra-nix-config": values["extra-nix-config"],
    "check-fods": values["check-fods"],
    "fix-hashes": stage === "fix-hashes" ? values.write ? "write" : "report" : "off",
    "vm-test": stage === "vm-test" ? values["vm-test"] ?? "builtin" : "off",
    service: values.service,
    "service-port": values["service-port"],
    "health-path": values["health-path"],
    release: stage === "release" ? "tag" : "off",
    "version-from": values["version-from"],
    "tag-prefix": values["tag-prefix"],
    "release-branches": values["release-branches"],
    "major-tag": values["major-tag"] ? "true" : "false",
    cache: "false"
  };
}
function packageRoot() {
  return resolve(dirname(fileURLToPath(import.meta.url)), "..");
}
async function cliGitHubTarget(repo, sha, cwd, reporter) {
  const token = process.env.GITHUB_TOKEN ?? "";
  const [owner, name] = (repo ?? "").split("/");
  if (!owner || !name || !token) return void 0;
  reporter.setSecret(token);
  const commit = sha ?? await headCommit(cwd);
  const apiUrl = process.env.GITHUB_API_URL || "https://api.github.com";
  const octokit = createGitHubClient({ token, baseUrl: apiUrl, log: (m) => reporter.warning(m) });
  const context = {
    owner,
    repo: name,
    sha: commit,
    ref: await headRef(cwd).catch(() => ""),
    eventName: "cli",
    apiUrl,
    serverUrl: "https://github.com",
    defaultBranch: await defaultBranchOf(octokit, owner, name),
    actor: ""
  };
  return { octokit, owner, repo: name, sha: commit, context };
}
async function defaultBranchOf(octokit, owner, repo) {
  try {
    return (await octokit.rest.repos.get({ owner, repo })).data.default_branch;
  } catch {
    return void 0;
  }
}
function isDirectory(path) {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
function tryJson(value) {
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}
process.exitCode = await main(process.argv.slice(2));
export {
  main
};
//# sourceMappingURL=nix-ci-cli.js.map
