import { createRequire as __nixCiCreateRequire } from 'node:module';
const require = __nixCiCreateRequire(import.meta.url);
import {
  CREDENTIAL_NAME,
  InputError,
  NixRunner,
  cancelOnSignals,
  createGitHubClient,
  debug,
  endGroup,
  error,
  flakeRepository,
  info,
  isPassedToChildren,
  isPlainPath,
  notice,
  parseInputs,
  pathAt,
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

// src/initial-environ.ts
import { closeSync, openSync, readFileSync, writeSync } from "node:fs";
function holdsSecret(name) {
  if (name.startsWith("INPUT_")) return true;
  if (name === "GITHUB_TOKEN" || name === "NIX_CONFIG" || /^ACTIONS_(RUNTIME_TOKEN|ID_TOKEN_REQUEST_TOKEN)$/.test(name)) return true;
  return !isPassedToChildren(name) && CREDENTIAL_NAME.test(name);
}
function scrubInitialEnviron(isSecret = holdsSecret) {
  let start;
  let block;
  try {
    start = environStart();
    block = readFileSync("/proc/self/environ");
  } catch (error2) {
    return { failed: `cannot read /proc/self: ${error2.message}` };
  }
  const ranges = [];
  for (let entry = 0; entry < block.length; ) {
    const end = block.indexOf(0, entry) === -1 ? block.length : block.indexOf(0, entry);
    const equals = block.indexOf(61, entry);
    if (equals > entry && equals < end) {
      const name = block.toString("utf8", entry, equals);
      if (isSecret(name) && end > equals + 1) ranges.push({ name, offset: equals + 1, length: end - equals - 1 });
    }
    entry = end + 1;
  }
  if (ranges.length === 0) return { scrubbed: [] };
  for (const { name } of ranges) {
    const value = process.env[name];
    if (value !== void 0) process.env[name] = value;
  }
  let fd;
  try {
    fd = openSync("/proc/self/mem", "r+");
  } catch (error2) {
    return { failed: `cannot open /proc/self/mem: ${error2.message}` };
  }
  try {
    for (const range of ranges) writeSync(fd, Buffer.alloc(range.length), 0, range.length, start + range.offset);
  } catch (error2) {
    return { failed: `cannot write /proc/self/mem: ${error2.message}` };
  } finally {
    closeSync(fd);
  }
  return { scrubbed: ranges.map((r) => r.name) };
}
function environStart() {
  const stat = readFileSync("/proc/self/stat", "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const start = Number(fields[50 - 3]);
  if (!Number.isSafeInteger(start) || start <= 0) throw new Error("no env_start in /proc/self/stat (Linux before 3.5?)");
  return start;
}

// src/report/action-reporter.ts
import { randomBytes } from "node:crypto";
import { EOL } from "node:os";
function annotated(message, annotation) {
  if (annotation?.file === void 0 || isPlainPath(annotation.file)) return [message, annotation];
  const { file, startLine, title } = annotation;
  return [`${pathAt(file, startLine)}: ${message}`, title === void 0 ? void 0 : { title }];
}
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
    notice(...annotated(message, annotation));
  }
  warning(message, annotation) {
    this.flush();
    warning(...annotated(message, annotation));
  }
  error(message, annotation) {
    this.flush();
    error(...annotated(message, annotation));
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
var SECRET_INPUTS = ["github-token", "cache-signing-key", "push-signing-key", "builders-ssh-key"];
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
    const scrub = scrubInitialEnviron();
    if ("failed" in scrub) reporter.debug(`Secrets stay readable in /proc/${process.pid}/environ: ${scrub.failed}`);
    let inputs;
    try {
      inputs = parseInputs((name) => actionInput(env, name));
    } finally {
      for (const name of SECRET_INPUTS) delete process.env[`INPUT_${name.toUpperCase()}`];
    }
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
