import { createRequire as __nixCiCreateRequire } from 'node:module';
const require = __nixCiCreateRequire(import.meta.url);
import {
  InputError,
  NixRunner,
  cancelOnSignals,
  createGitHubClient,
  debug,
  endGroup,
  error,
  flakeRepository,
  info,
  notice,
  parseInputs,
  readRunContext,
  refuseBeforeBuild,
  runPipeline,
  secretsInEnvironment,
  setFailed,
  setOutput,
  setSecret,
  startGroup,
  summary,
  warning,
  withoutAccessTokens,
  writeModesOf
} from "./nix-ci-shared.js";

// src/main.ts
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

// src/report/action-reporter.ts
import { randomBytes } from "node:crypto";
import { EOL } from "node:os";
var BATCH_LINES = 500;
var BATCH_MS = 100;
var ActionReporter = class {
  summaryParts = [];
  pending = [];
  masked = /* @__PURE__ */ new Set();
  timer;
  info(message) {
    this.flush();
    info(message);
  }
  /**
   * The runner acts on a command anywhere in a line (`##[cmd]`) or at its start (`::cmd::`), so
   * builder text is printed between `::stop-commands::<token>` and `::<token>::`. Each batch gets a
   * fresh random token, printed only once the batch's text is fixed: what the builder wrote cannot
   * know the token that closes the region it sits in. Our own commands always come after the close.
   */
  untrusted(text) {
    for (const line of text.split(/\r\n|\n|\r/)) this.pending.push(line);
    if (this.pending.length >= BATCH_LINES) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), BATCH_MS);
  }
  debug(message) {
    this.flush();
    debug(message);
  }
  notice(message, annotation) {
    this.flush();
    notice(message, annotation);
  }
  warning(message, annotation) {
    this.flush();
    warning(message, annotation);
  }
  error(message, annotation) {
    this.flush();
    error(message, annotation);
  }
  async group(title, fn) {
    this.flush();
    startGroup(title);
    try {
      return await fn();
    } finally {
      this.flush();
      endGroup();
    }
  }
  setOutput(name, value) {
    this.flush();
    setOutput(name, value);
  }
  addSummary(markdown) {
    this.summaryParts.push(markdown);
  }
  setSecret(value) {
    this.flush();
    if (value === "" || this.masked.has(value)) return;
    this.masked.add(value);
    setSecret(value);
  }
  /** Writes the job summary; a runner without GITHUB_STEP_SUMMARY just logs that it has none. */
  async writeSummary() {
    this.flush();
    if (this.summaryParts.length === 0) return;
    if (!process.env.GITHUB_STEP_SUMMARY) {
      info("No GITHUB_STEP_SUMMARY on this runner: job summary not written.");
      return;
    }
    await summary.addRaw(this.summaryParts.join("\n\n"), true).write();
  }
  /** Prints the pending untrusted lines inside one stop-commands region. */
  flush() {
    if (this.timer) clearTimeout(this.timer);
    this.timer = void 0;
    if (this.pending.length === 0) return;
    const token = randomBytes(24).toString("hex");
    const lines = this.pending;
    this.pending = [];
    process.stdout.write([`::stop-commands::${token}`, ...lines, `::${token}::`].join(EOL) + EOL);
  }
};

// src/main.ts
function actionInput(env, name) {
  return env[`INPUT_${name.replace(/ /g, "_").toUpperCase()}`];
}
function baseCommit(env) {
  if (!env.GITHUB_REPOSITORY) return void 0;
  const context = readRunContext(env);
  return context.pullRequest?.baseSha ?? context.before;
}
function gitHubTarget(env, token, log) {
  if (!env.GITHUB_REPOSITORY || !token) return void 0;
  const context = readRunContext(env);
  return {
    octokit: createGitHubClient({ token, baseUrl: context.apiUrl, log }),
    owner: context.owner,
    repo: context.repo,
    sha: context.sha,
    context,
    // The default token is not in the environment unless a workflow puts it there; otherwise the
    // stage tells by the identity GitHub gives the commit it creates.
    defaultToken: env.GITHUB_TOKEN ? token === env.GITHUB_TOKEN : void 0
  };
}
async function run(env = process.env) {
  const reporter = new ActionReporter();
  const cancellation = cancelOnSignals((signal) => reporter.warning(`Received ${signal}: stopping Nix and reporting what finished`));
  try {
    for (const secret of secretsInEnvironment(env)) reporter.setSecret(secret);
    const inputs = parseInputs((name) => actionInput(env, name));
    reporter.setSecret(inputs.githubToken);
    reporter.setSecret(inputs.cacheSigningKey);
    for (const secret of [inputs.buildersSshKey, ...inputs.buildersSshKey.split("\n").filter((l) => l.trim().length >= 8)])
      reporter.setSecret(secret);
    for (const secret of withoutAccessTokens(inputs.extraNixConfig).secrets) reporter.setSecret(secret);
    const cwd = env.GITHUB_WORKSPACE || process.cwd();
    const unsafe = env.GITHUB_REPOSITORY ? await refuseBeforeBuild(readRunContext(env), writeModesOf(inputs), await flakeRepository(inputs.flake, cwd)) : void 0;
    if (unsafe) {
      setFailed(unsafe);
      return;
    }
    const result = await runPipeline(inputs, {
      nix: new NixRunner({ nixConfig: inputs.extraNixConfig, callLog: [] }),
      reporter,
      cwd,
      signal: cancellation.signal,
      base: baseCommit(env),
      // dist/index.js sits one folder below the action's root, where flake.nix and nix/ are.
      actionDir: env.GITHUB_ACTION_PATH || resolve(dirname(fileURLToPath(import.meta.url)), ".."),
      github: gitHubTarget(env, inputs.githubToken, (message) => reporter.warning(message))
    });
    if (!result.ok) setFailed(result.failures.join("\n"));
  } catch (error2) {
    const message = error2 instanceof Error ? error2.message : String(error2);
    setFailed(error2 instanceof InputError ? message : `nix-ci failed: ${message}`);
  } finally {
    cancellation.dispose();
    await reporter.writeSummary();
  }
}

// src/index.ts
await run();
//# sourceMappingURL=nix-ci-action.js.map
