#!/usr/bin/env node
import { createRequire as __nixCiCreateRequire } from 'node:module';
const require = __nixCiCreateRequire(import.meta.url);
var __create = Object.create;
var __defProp = Object.defineProperty;
var __getOwnPropDesc = Object.getOwnPropertyDescriptor;
var __getOwnPropNames = Object.getOwnPropertyNames;
var __getProtoOf = Object.getPrototypeOf;
var __hasOwnProp = Object.prototype.hasOwnProperty;
var __commonJS = (cb, mod) => function __require() {
  try {
    return mod || (0, cb[__getOwnPropNames(cb)[0]])((mod = { exports: {} }).exports, mod), mod.exports;
  } catch (e) {
    throw mod = 0, e;
  }
};
var __copyProps = (to, from, except, desc) => {
  if (from && typeof from === "object" || typeof from === "function") {
    for (let key of __getOwnPropNames(from))
      if (!__hasOwnProp.call(to, key) && key !== except)
        __defProp(to, key, { get: () => from[key], enumerable: !(desc = __getOwnPropDesc(from, key)) || desc.enumerable });
  }
  return to;
};
var __toESM = (mod, isNodeMode, target) => (target = mod != null ? __create(__getProtoOf(mod)) : {}, __copyProps(
  // If the importer is in node compatibility mode or this is not an ESM
  // file that has been converted to a CommonJS file using a Babel-
  // compatible transform (i.e. "__esModule" has not been set), then set
  // "default" to the CommonJS "module.exports" for node compatibility.
  isNodeMode || !mod || !mod.__esModule ? __defProp(target, "default", { value: mod, enumerable: true }) : target,
  mod
));

// node_modules/semver/internal/constants.js
var require_constants = __commonJS({
  "node_modules/semver/internal/constants.js"(exports, module) {
    "use strict";
    var SEMVER_SPEC_VERSION = "2.0.0";
    var MAX_LENGTH = 256;
    var MAX_SAFE_INTEGER = Number.MAX_SAFE_INTEGER || /* istanbul ignore next */
    9007199254740991;
    var MAX_SAFE_COMPONENT_LENGTH = 16;
    var MAX_SAFE_BUILD_LENGTH = MAX_LENGTH - 6;
    var WHITESPACE_CHARACTERS = [
      "	",
      "\n",
      "\v",
      "\f",
      "\r",
      " ",
      "\xA0",
      "\u1680",
      "\u2000",
      "\u2001",
      "\u2002",
      "\u2003",
      "\u2004",
      "\u2005",
      "\u2006",
      "\u2007",
      "\u2008",
      "\u2009",
      "\u200A",
      "\u2028",
      "\u2029",
      "\u202F",
      "\u205F",
      "\u3000",
      "\uFEFF"
    ];
    var RELEASE_TYPES = [
      "major",
      "premajor",
      "minor",
      "preminor",
      "patch",
      "prepatch",
      "prerelease"
    ];
    module.exports = {
      MAX_LENGTH,
      MAX_SAFE_COMPONENT_LENGTH,
      MAX_SAFE_BUILD_LENGTH,
      MAX_SAFE_INTEGER,
      WHITESPACE_CHARACTERS,
      RELEASE_TYPES,
      SEMVER_SPEC_VERSION,
      FLAG_INCLUDE_PRERELEASE: 1,
      FLAG_LOOSE: 2
    };
  }
});

// node_modules/semver/internal/debug.js
var require_debug = __commonJS({
  "node_modules/semver/internal/debug.js"(exports, module) {
    "use strict";
    var debug = typeof process === "object" && process.env && process.env.NODE_DEBUG && /\bsemver\b/i.test(process.env.NODE_DEBUG) ? (...args) => console.error("SEMVER", ...args) : () => {
    };
    module.exports = debug;
  }
});

// node_modules/semver/internal/re.js
var require_re = __commonJS({
  "node_modules/semver/internal/re.js"(exports, module) {
    "use strict";
    var {
      MAX_SAFE_COMPONENT_LENGTH,
      MAX_SAFE_BUILD_LENGTH,
      MAX_LENGTH
    } = require_constants();
    var debug = require_debug();
    exports = module.exports = {};
    var re = exports.re = [];
    var safeRe = exports.safeRe = [];
    var src = exports.src = [];
    var safeSrc = exports.safeSrc = [];
    var t = exports.t = {};
    var R = 0;
    var LETTERDASHNUMBER = "[a-zA-Z0-9-]";
    var safeRegexReplacements = [
      ["\\s", 1],
      ["\\d", MAX_LENGTH],
      [LETTERDASHNUMBER, MAX_SAFE_BUILD_LENGTH]
    ];
    var makeSafeRegex = (value) => {
      for (const [token, max] of safeRegexReplacements) {
        value = value.split(`${token}*`).join(`${token}{0,${max}}`).split(`${token}+`).join(`${token}{1,${max}}`);
      }
      return value;
    };
    var createToken = (name, value, isGlobal) => {
      const safe = makeSafeRegex(value);
      const index = R++;
      debug(name, index, value);
      t[name] = index;
      src[index] = value;
      safeSrc[index] = safe;
      re[index] = new RegExp(value, isGlobal ? "g" : void 0);
      safeRe[index] = new RegExp(safe, isGlobal ? "g" : void 0);
    };
    createToken("NUMERICIDENTIFIER", "0|[1-9]\\d*");
    createToken("NUMERICIDENTIFIERLOOSE", "\\d+");
    createToken("NONNUMERICIDENTIFIER", `\\d*[a-zA-Z-]${LETTERDASHNUMBER}*`);
    createToken("MAINVERSION", `(${src[t.NUMERICIDENTIFIER]})\\.(${src[t.NUMERICIDENTIFIER]})\\.(${src[t.NUMERICIDENTIFIER]})`);
    createToken("MAINVERSIONLOOSE", `(${src[t.NUMERICIDENTIFIERLOOSE]})\\.(${src[t.NUMERICIDENTIFIERLOOSE]})\\.(${src[t.NUMERICIDENTIFIERLOOSE]})`);
    createToken("PRERELEASEIDENTIFIER", `(?:${src[t.NONNUMERICIDENTIFIER]}|${src[t.NUMERICIDENTIFIER]})`);
    createToken("PRERELEASEIDENTIFIERLOOSE", `(?:${src[t.NONNUMERICIDENTIFIER]}|${src[t.NUMERICIDENTIFIERLOOSE]})`);
    createToken("PRERELEASE", `(?:-(${src[t.PRERELEASEIDENTIFIER]}(?:\\.${src[t.PRERELEASEIDENTIFIER]})*))`);
    createToken("PRERELEASELOOSE", `(?:-?(${src[t.PRERELEASEIDENTIFIERLOOSE]}(?:\\.${src[t.PRERELEASEIDENTIFIERLOOSE]})*))`);
    createToken("BUILDIDENTIFIER", `${LETTERDASHNUMBER}+`);
    createToken("BUILD", `(?:\\+(${src[t.BUILDIDENTIFIER]}(?:\\.${src[t.BUILDIDENTIFIER]})*))`);
    createToken("FULLPLAIN", `v?${src[t.MAINVERSION]}${src[t.PRERELEASE]}?${src[t.BUILD]}?`);
    createToken("FULL", `^${src[t.FULLPLAIN]}$`);
    createToken("LOOSEPLAIN", `[v=\\s]*${src[t.MAINVERSIONLOOSE]}${src[t.PRERELEASELOOSE]}?${src[t.BUILD]}?`);
    createToken("LOOSE", `^${src[t.LOOSEPLAIN]}$`);
    createToken("GTLT", "((?:<|>)?=?)");
    createToken("XRANGEIDENTIFIERLOOSE", `${src[t.NUMERICIDENTIFIERLOOSE]}|x|X|\\*`);
    createToken("XRANGEIDENTIFIER", `${src[t.NUMERICIDENTIFIER]}|x|X|\\*`);
    createToken("XRANGEPLAIN", `[v=\\s]*(${src[t.XRANGEIDENTIFIER]})(?:\\.(${src[t.XRANGEIDENTIFIER]})(?:\\.(${src[t.XRANGEIDENTIFIER]})(?:${src[t.PRERELEASE]})?${src[t.BUILD]}?)?)?`);
    createToken("XRANGEPLAINLOOSE", `[v=\\s]*(${src[t.XRANGEIDENTIFIERLOOSE]})(?:\\.(${src[t.XRANGEIDENTIFIERLOOSE]})(?:\\.(${src[t.XRANGEIDENTIFIERLOOSE]})(?:${src[t.PRERELEASELOOSE]})?${src[t.BUILD]}?)?)?`);
    createToken("XRANGE", `^${src[t.GTLT]}\\s*${src[t.XRANGEPLAIN]}$`);
    createToken("XRANGELOOSE", `^${src[t.GTLT]}\\s*${src[t.XRANGEPLAINLOOSE]}$`);
    createToken("COERCEPLAIN", `${"(^|[^\\d])(\\d{1,"}${MAX_SAFE_COMPONENT_LENGTH}})(?:\\.(\\d{1,${MAX_SAFE_COMPONENT_LENGTH}}))?(?:\\.(\\d{1,${MAX_SAFE_COMPONENT_LENGTH}}))?`);
    createToken("COERCE", `${src[t.COERCEPLAIN]}(?:$|[^\\d])`);
    createToken("COERCEFULL", src[t.COERCEPLAIN] + `(?:${src[t.PRERELEASE]})?(?:${src[t.BUILD]})?(?:$|[^\\d])`);
    createToken("COERCERTL", src[t.COERCE], true);
    createToken("COERCERTLFULL", src[t.COERCEFULL], true);
    createToken("LONETILDE", "(?:~>?)");
    createToken("TILDETRIM", `(\\s*)${src[t.LONETILDE]}\\s+`, true);
    exports.tildeTrimReplace = "$1~";
    createToken("TILDE", `^${src[t.LONETILDE]}${src[t.XRANGEPLAIN]}$`);
    createToken("TILDELOOSE", `^${src[t.LONETILDE]}${src[t.XRANGEPLAINLOOSE]}$`);
    createToken("LONECARET", "(?:\\^)");
    createToken("CARETTRIM", `(\\s*)${src[t.LONECARET]}\\s+`, true);
    exports.caretTrimReplace = "$1^";
    createToken("CARET", `^${src[t.LONECARET]}${src[t.XRANGEPLAIN]}$`);
    createToken("CARETLOOSE", `^${src[t.LONECARET]}${src[t.XRANGEPLAINLOOSE]}$`);
    createToken("COMPARATORLOOSE", `^${src[t.GTLT]}\\s*(${src[t.LOOSEPLAIN]})$|^$`);
    createToken("COMPARATOR", `^${src[t.GTLT]}\\s*(${src[t.FULLPLAIN]})$|^$`);
    createToken("COMPARATORTRIM", `(\\s*)${src[t.GTLT]}\\s*(${src[t.LOOSEPLAIN]}|${src[t.XRANGEPLAIN]})`, true);
    exports.comparatorTrimReplace = "$1$2$3";
    createToken("HYPHENRANGE", `^\\s*(${src[t.XRANGEPLAIN]})\\s+-\\s+(${src[t.XRANGEPLAIN]})\\s*$`);
    createToken("HYPHENRANGELOOSE", `^\\s*(${src[t.XRANGEPLAINLOOSE]})\\s+-\\s+(${src[t.XRANGEPLAINLOOSE]})\\s*$`);
    createToken("STAR", "(<|>)?=?\\s*\\*");
    createToken("GTE0", "^\\s*>=\\s*0\\.0\\.0\\s*$");
    createToken("GTE0PRE", "^\\s*>=\\s*0\\.0\\.0-0\\s*$");
  }
});

// node_modules/semver/internal/parse-options.js
var require_parse_options = __commonJS({
  "node_modules/semver/internal/parse-options.js"(exports, module) {
    "use strict";
    var looseOption = Object.freeze({ loose: true });
    var emptyOpts = Object.freeze({});
    var parseOptions = (options) => {
      if (!options) {
        return emptyOpts;
      }
      if (typeof options !== "object") {
        return looseOption;
      }
      return options;
    };
    module.exports = parseOptions;
  }
});

// node_modules/semver/internal/identifiers.js
var require_identifiers = __commonJS({
  "node_modules/semver/internal/identifiers.js"(exports, module) {
    "use strict";
    var numeric = /^[0-9]+$/;
    var compareIdentifiers = (a, b) => {
      if (typeof a === "number" && typeof b === "number") {
        return a === b ? 0 : a < b ? -1 : 1;
      }
      const anum = numeric.test(a);
      const bnum = numeric.test(b);
      if (anum && bnum) {
        a = +a;
        b = +b;
      }
      return a === b ? 0 : anum && !bnum ? -1 : bnum && !anum ? 1 : a < b ? -1 : 1;
    };
    var rcompareIdentifiers = (a, b) => compareIdentifiers(b, a);
    module.exports = {
      compareIdentifiers,
      rcompareIdentifiers
    };
  }
});

// node_modules/semver/classes/semver.js
var require_semver = __commonJS({
  "node_modules/semver/classes/semver.js"(exports, module) {
    "use strict";
    var debug = require_debug();
    var { MAX_LENGTH, MAX_SAFE_INTEGER } = require_constants();
    var { safeRe: re, t } = require_re();
    var parseOptions = require_parse_options();
    var { compareIdentifiers } = require_identifiers();
    var isPrereleaseIdentifier = (prerelease, identifier) => {
      const identifiers = identifier.split(".");
      if (identifiers.length > prerelease.length) {
        return false;
      }
      for (let i = 0; i < identifiers.length; i++) {
        if (compareIdentifiers(prerelease[i], identifiers[i]) !== 0) {
          return false;
        }
      }
      return true;
    };
    var SemVer = class _SemVer {
      constructor(version, options) {
        options = parseOptions(options);
        if (version instanceof _SemVer) {
          if (version.loose === !!options.loose && version.includePrerelease === !!options.includePrerelease) {
            return version;
          } else {
            version = version.version;
          }
        } else if (typeof version !== "string") {
          throw new TypeError(`Invalid version. Must be a string. Got type "${typeof version}".`);
        }
        if (version.length > MAX_LENGTH) {
          throw new TypeError(
            `version is longer than ${MAX_LENGTH} characters`
          );
        }
        debug("SemVer", version, options);
        this.options = options;
        this.loose = !!options.loose;
        this.includePrerelease = !!options.includePrerelease;
        const m = version.trim().match(options.loose ? re[t.LOOSE] : re[t.FULL]);
        if (!m) {
          throw new TypeError(`Invalid Version: ${version}`);
        }
        this.raw = version;
        this.major = +m[1];
        this.minor = +m[2];
        this.patch = +m[3];
        if (this.major > MAX_SAFE_INTEGER || this.major < 0) {
          throw new TypeError("Invalid major version");
        }
        if (this.minor > MAX_SAFE_INTEGER || this.minor < 0) {
          throw new TypeError("Invalid minor version");
        }
        if (this.patch > MAX_SAFE_INTEGER || this.patch < 0) {
          throw new TypeError("Invalid patch version");
        }
        if (!m[4]) {
          this.prerelease = [];
        } else {
          this.prerelease = m[4].split(".").map((id) => {
            if (/^[0-9]+$/.test(id)) {
              const num = +id;
              if (num >= 0 && num < MAX_SAFE_INTEGER) {
                return num;
              }
            }
            return id;
          });
        }
        this.build = m[5] ? m[5].split(".") : [];
        this.format();
      }
      format() {
        this.version = `${this.major}.${this.minor}.${this.patch}`;
        if (this.prerelease.length) {
          this.version += `-${this.prerelease.join(".")}`;
        }
        return this.version;
      }
      toString() {
        return this.version;
      }
      compare(other) {
        debug("SemVer.compare", this.version, this.options, other);
        if (!(other instanceof _SemVer)) {
          if (typeof other === "string" && other === this.version) {
            return 0;
          }
          other = new _SemVer(other, this.options);
        }
        if (other.version === this.version) {
          return 0;
        }
        return this.compareMain(other) || this.comparePre(other);
      }
      compareMain(other) {
        if (!(other instanceof _SemVer)) {
          other = new _SemVer(other, this.options);
        }
        if (this.major < other.major) {
          return -1;
        }
        if (this.major > other.major) {
          return 1;
        }
        if (this.minor < other.minor) {
          return -1;
        }
        if (this.minor > other.minor) {
          return 1;
        }
        if (this.patch < other.patch) {
          return -1;
        }
        if (this.patch > other.patch) {
          return 1;
        }
        return 0;
      }
      comparePre(other) {
        if (!(other instanceof _SemVer)) {
          other = new _SemVer(other, this.options);
        }
        if (this.prerelease.length && !other.prerelease.length) {
          return -1;
        } else if (!this.prerelease.length && other.prerelease.length) {
          return 1;
        } else if (!this.prerelease.length && !other.prerelease.length) {
          return 0;
        }
        let i = 0;
        do {
          const a = this.prerelease[i];
          const b = other.prerelease[i];
          debug("prerelease compare", i, a, b);
          if (a === void 0 && b === void 0) {
            return 0;
          } else if (b === void 0) {
            return 1;
          } else if (a === void 0) {
            return -1;
          } else if (a === b) {
            continue;
          } else {
            return compareIdentifiers(a, b);
          }
        } while (++i);
      }
      compareBuild(other) {
        if (!(other instanceof _SemVer)) {
          other = new _SemVer(other, this.options);
        }
        let i = 0;
        do {
          const a = this.build[i];
          const b = other.build[i];
          debug("build compare", i, a, b);
          if (a === void 0 && b === void 0) {
            return 0;
          } else if (b === void 0) {
            return 1;
          } else if (a === void 0) {
            return -1;
          } else if (a === b) {
            continue;
          } else {
            return compareIdentifiers(a, b);
          }
        } while (++i);
      }
      // preminor will bump the version up to the next minor release, and immediately
      // down to pre-release. premajor and prepatch work the same way.
      inc(release, identifier, identifierBase) {
        if (release.startsWith("pre")) {
          if (!identifier && identifierBase === false) {
            throw new Error("invalid increment argument: identifier is empty");
          }
          if (identifier) {
            const match = `-${identifier}`.match(this.options.loose ? re[t.PRERELEASELOOSE] : re[t.PRERELEASE]);
            if (!match || match[1] !== identifier) {
              throw new Error(`invalid identifier: ${identifier}`);
            }
          }
        }
        switch (release) {
          case "premajor":
            this.prerelease.length = 0;
            this.patch = 0;
            this.minor = 0;
            this.major++;
            this.inc("pre", identifier, identifierBase);
            break;
          case "preminor":
            this.prerelease.length = 0;
            this.patch = 0;
            this.minor++;
            this.inc("pre", identifier, identifierBase);
            break;
          case "prepatch":
            this.prerelease.length = 0;
            this.inc("patch", identifier, identifierBase);
            this.inc("pre", identifier, identifierBase);
            break;
          // If the input is a non-prerelease version, this acts the same as
          // prepatch.
          case "prerelease":
            if (this.prerelease.length === 0) {
              this.inc("patch", identifier, identifierBase);
            }
            this.inc("pre", identifier, identifierBase);
            break;
          case "release":
            if (this.prerelease.length === 0) {
              throw new Error(`version ${this.raw} is not a prerelease`);
            }
            this.prerelease.length = 0;
            break;
          case "major":
            if (this.minor !== 0 || this.patch !== 0 || this.prerelease.length === 0) {
              this.major++;
            }
            this.minor = 0;
            this.patch = 0;
            this.prerelease = [];
            break;
          case "minor":
            if (this.patch !== 0 || this.prerelease.length === 0) {
              this.minor++;
            }
            this.patch = 0;
            this.prerelease = [];
            break;
          case "patch":
            if (this.prerelease.length === 0) {
              this.patch++;
            }
            this.prerelease = [];
            break;
          // This probably shouldn't be used publicly.
          // 1.0.0 'pre' would become 1.0.0-0 which is the wrong direction.
          case "pre": {
            const base = Number(identifierBase) ? 1 : 0;
            if (this.prerelease.length === 0) {
              this.prerelease = [base];
            } else {
              let i = this.prerelease.length;
              while (--i >= 0) {
                if (typeof this.prerelease[i] === "number") {
                  this.prerelease[i]++;
                  i = -2;
                }
              }
              if (i === -1) {
                if (identifier === this.prerelease.join(".") && identifierBase === false) {
                  throw new Error("invalid increment argument: identifier already exists");
                }
                this.prerelease.push(base);
              }
            }
            if (identifier) {
              let prerelease = [identifier, base];
              if (identifierBase === false) {
                prerelease = [identifier];
              }
              if (isPrereleaseIdentifier(this.prerelease, identifier)) {
                const prereleaseBase = this.prerelease[identifier.split(".").length];
                if (isNaN(prereleaseBase)) {
                  this.prerelease = prerelease;
                }
              } else {
                this.prerelease = prerelease;
              }
            }
            break;
          }
          default:
            throw new Error(`invalid increment argument: ${release}`);
        }
        this.raw = this.format();
        if (this.build.length) {
          this.raw += `+${this.build.join(".")}`;
        }
        return this;
      }
    };
    module.exports = SemVer;
  }
});

// node_modules/semver/functions/parse.js
var require_parse = __commonJS({
  "node_modules/semver/functions/parse.js"(exports, module) {
    "use strict";
    var SemVer = require_semver();
    var parse = (version, options, throwErrors = false) => {
      if (version instanceof SemVer) {
        return version;
      }
      try {
        return new SemVer(version, options);
      } catch (er) {
        if (!throwErrors) {
          return null;
        }
        throw er;
      }
    };
    module.exports = parse;
  }
});

// node_modules/semver/functions/valid.js
var require_valid = __commonJS({
  "node_modules/semver/functions/valid.js"(exports, module) {
    "use strict";
    var parse = require_parse();
    var valid = (version, options) => {
      const v = parse(version, options);
      return v ? v.version : null;
    };
    module.exports = valid;
  }
});

// node_modules/semver/functions/clean.js
var require_clean = __commonJS({
  "node_modules/semver/functions/clean.js"(exports, module) {
    "use strict";
    var parse = require_parse();
    var clean = (version, options) => {
      const s = parse(version.trim().replace(/^[=v]+/, ""), options);
      return s ? s.version : null;
    };
    module.exports = clean;
  }
});

// node_modules/semver/functions/inc.js
var require_inc = __commonJS({
  "node_modules/semver/functions/inc.js"(exports, module) {
    "use strict";
    var SemVer = require_semver();
    var inc = (version, release, options, identifier, identifierBase) => {
      if (typeof options === "string") {
        identifierBase = identifier;
        identifier = options;
        options = void 0;
      }
      try {
        return new SemVer(
          version instanceof SemVer ? version.version : version,
          options
        ).inc(release, identifier, identifierBase).version;
      } catch (er) {
        return null;
      }
    };
    module.exports = inc;
  }
});

// node_modules/semver/functions/diff.js
var require_diff = __commonJS({
  "node_modules/semver/functions/diff.js"(exports, module) {
    "use strict";
    var parse = require_parse();
    var diff = (version1, version2) => {
      const v1 = parse(version1, null, true);
      const v2 = parse(version2, null, true);
      const comparison = v1.compare(v2);
      if (comparison === 0) {
        return null;
      }
      const v1Higher = comparison > 0;
      const highVersion = v1Higher ? v1 : v2;
      const lowVersion = v1Higher ? v2 : v1;
      const highHasPre = !!highVersion.prerelease.length;
      const lowHasPre = !!lowVersion.prerelease.length;
      if (lowHasPre && !highHasPre) {
        if (!lowVersion.patch && !lowVersion.minor) {
          return "major";
        }
        if (lowVersion.compareMain(highVersion) === 0) {
          if (lowVersion.minor && !lowVersion.patch) {
            return "minor";
          }
          return "patch";
        }
      }
      const prefix = highHasPre ? "pre" : "";
      if (v1.major !== v2.major) {
        return prefix + "major";
      }
      if (v1.minor !== v2.minor) {
        return prefix + "minor";
      }
      if (v1.patch !== v2.patch) {
        return prefix + "patch";
      }
      return "prerelease";
    };
    module.exports = diff;
  }
});

// node_modules/semver/functions/major.js
var require_major = __commonJS({
  "node_modules/semver/functions/major.js"(exports, module) {
    "use strict";
    var SemVer = require_semver();
    var major = (a, loose) => new SemVer(a, loose).major;
    module.exports = major;
  }
});

// node_modules/semver/functions/minor.js
var require_minor = __commonJS({
  "node_modules/semver/functions/minor.js"(exports, module) {
    "use strict";
    var SemVer = require_semver();
    var minor = (a, loose) => new SemVer(a, loose).minor;
    module.exports = minor;
  }
});

// node_modules/semver/functions/patch.js
var require_patch = __commonJS({
  "node_modules/semver/functions/patch.js"(exports, module) {
    "use strict";
    var SemVer = require_semver();
    var patch = (a, loose) => new SemVer(a, loose).patch;
    module.exports = patch;
  }
});

// node_modules/semver/functions/prerelease.js
var require_prerelease = __commonJS({
  "node_modules/semver/functions/prerelease.js"(exports, module) {
    "use strict";
    var parse = require_parse();
    var prerelease = (version, options) => {
      const parsed = parse(version, options);
      return parsed && parsed.prerelease.length ? parsed.prerelease : null;
    };
    module.exports = prerelease;
  }
});

// node_modules/semver/functions/compare.js
var require_compare = __commonJS({
  "node_modules/semver/functions/compare.js"(exports, module) {
    "use strict";
    var SemVer = require_semver();
    var compare = (a, b, loose) => new SemVer(a, loose).compare(new SemVer(b, loose));
    module.exports = compare;
  }
});

// node_modules/semver/functions/rcompare.js
var require_rcompare = __commonJS({
  "node_modules/semver/functions/rcompare.js"(exports, module) {
    "use strict";
    var compare = require_compare();
    var rcompare = (a, b, loose) => compare(b, a, loose);
    module.exports = rcompare;
  }
});

// node_modules/semver/functions/compare-loose.js
var require_compare_loose = __commonJS({
  "node_modules/semver/functions/compare-loose.js"(exports, module) {
    "use strict";
    var compare = require_compare();
    var compareLoose = (a, b) => compare(a, b, true);
    module.exports = compareLoose;
  }
});

// node_modules/semver/functions/compare-build.js
var require_compare_build = __commonJS({
  "node_modules/semver/functions/compare-build.js"(exports, module) {
    "use strict";
    var SemVer = require_semver();
    var compareBuild = (a, b, loose) => {
      const versionA = new SemVer(a, loose);
      const versionB = new SemVer(b, loose);
      return versionA.compare(versionB) || versionA.compareBuild(versionB);
    };
    module.exports = compareBuild;
  }
});

// node_modules/semver/functions/sort.js
var require_sort = __commonJS({
  "node_modules/semver/functions/sort.js"(exports, module) {
    "use strict";
    var compareBuild = require_compare_build();
    var sort = (list, loose) => list.sort((a, b) => compareBuild(a, b, loose));
    module.exports = sort;
  }
});

// node_modules/semver/functions/rsort.js
var require_rsort = __commonJS({
  "node_modules/semver/functions/rsort.js"(exports, module) {
    "use strict";
    var compareBuild = require_compare_build();
    var rsort = (list, loose) => list.sort((a, b) => compareBuild(b, a, loose));
    module.exports = rsort;
  }
});

// node_modules/semver/functions/gt.js
var require_gt = __commonJS({
  "node_modules/semver/functions/gt.js"(exports, module) {
    "use strict";
    var compare = require_compare();
    var gt = (a, b, loose) => compare(a, b, loose) > 0;
    module.exports = gt;
  }
});

// node_modules/semver/functions/lt.js
var require_lt = __commonJS({
  "node_modules/semver/functions/lt.js"(exports, module) {
    "use strict";
    var compare = require_compare();
    var lt = (a, b, loose) => compare(a, b, loose) < 0;
    module.exports = lt;
  }
});

// node_modules/semver/functions/eq.js
var require_eq = __commonJS({
  "node_modules/semver/functions/eq.js"(exports, module) {
    "use strict";
    var compare = require_compare();
    var eq = (a, b, loose) => compare(a, b, loose) === 0;
    module.exports = eq;
  }
});

// node_modules/semver/functions/neq.js
var require_neq = __commonJS({
  "node_modules/semver/functions/neq.js"(exports, module) {
    "use strict";
    var compare = require_compare();
    var neq = (a, b, loose) => compare(a, b, loose) !== 0;
    module.exports = neq;
  }
});

// node_modules/semver/functions/gte.js
var require_gte = __commonJS({
  "node_modules/semver/functions/gte.js"(exports, module) {
    "use strict";
    var compare = require_compare();
    var gte = (a, b, loose) => compare(a, b, loose) >= 0;
    module.exports = gte;
  }
});

// node_modules/semver/functions/lte.js
var require_lte = __commonJS({
  "node_modules/semver/functions/lte.js"(exports, module) {
    "use strict";
    var compare = require_compare();
    var lte = (a, b, loose) => compare(a, b, loose) <= 0;
    module.exports = lte;
  }
});

// node_modules/semver/functions/cmp.js
var require_cmp = __commonJS({
  "node_modules/semver/functions/cmp.js"(exports, module) {
    "use strict";
    var eq = require_eq();
    var neq = require_neq();
    var gt = require_gt();
    var gte = require_gte();
    var lt = require_lt();
    var lte = require_lte();
    var cmp = (a, op, b, loose) => {
      switch (op) {
        case "===":
          if (typeof a === "object") {
            a = a.version;
          }
          if (typeof b === "object") {
            b = b.version;
          }
          return a === b;
        case "!==":
          if (typeof a === "object") {
            a = a.version;
          }
          if (typeof b === "object") {
            b = b.version;
          }
          return a !== b;
        case "":
        case "=":
        case "==":
          return eq(a, b, loose);
        case "!=":
          return neq(a, b, loose);
        case ">":
          return gt(a, b, loose);
        case ">=":
          return gte(a, b, loose);
        case "<":
          return lt(a, b, loose);
        case "<=":
          return lte(a, b, loose);
        default:
          throw new TypeError(`Invalid operator: ${op}`);
      }
    };
    module.exports = cmp;
  }
});

// node_modules/semver/functions/coerce.js
var require_coerce = __commonJS({
  "node_modules/semver/functions/coerce.js"(exports, module) {
    "use strict";
    var SemVer = require_semver();
    var parse = require_parse();
    var { safeRe: re, t } = require_re();
    var coerce = (version, options) => {
      if (version instanceof SemVer) {
        return version;
      }
      if (typeof version === "number") {
        version = String(version);
      }
      if (typeof version !== "string") {
        return null;
      }
      options = options || {};
      let match = null;
      if (!options.rtl) {
        match = version.match(options.includePrerelease ? re[t.COERCEFULL] : re[t.COERCE]);
      } else {
        const coerceRtlRegex = options.includePrerelease ? re[t.COERCERTLFULL] : re[t.COERCERTL];
        let next;
        while ((next = coerceRtlRegex.exec(version)) && (!match || match.index + match[0].length !== version.length)) {
          if (!match || next.index + next[0].length !== match.index + match[0].length) {
            match = next;
          }
          coerceRtlRegex.lastIndex = next.index + next[1].length + next[2].length;
        }
        coerceRtlRegex.lastIndex = -1;
      }
      if (match === null) {
        return null;
      }
      const major = match[2];
      const minor = match[3] || "0";
      const patch = match[4] || "0";
      const prerelease = options.includePrerelease && match[5] ? `-${match[5]}` : "";
      const build = options.includePrerelease && match[6] ? `+${match[6]}` : "";
      return parse(`${major}.${minor}.${patch}${prerelease}${build}`, options);
    };
    module.exports = coerce;
  }
});

// node_modules/semver/functions/truncate.js
var require_truncate = __commonJS({
  "node_modules/semver/functions/truncate.js"(exports, module) {
    "use strict";
    var parse = require_parse();
    var constants2 = require_constants();
    var SemVer = require_semver();
    var truncate = (version, truncation, options) => {
      if (!constants2.RELEASE_TYPES.includes(truncation)) {
        return null;
      }
      const clonedVersion = cloneInputVersion(version, options);
      return clonedVersion && doTruncation(clonedVersion, truncation);
    };
    var cloneInputVersion = (version, options) => {
      const versionStringToParse = version instanceof SemVer ? version.version : version;
      return parse(versionStringToParse, options);
    };
    var doTruncation = (version, truncation) => {
      if (isPrerelease(truncation)) {
        return version.version;
      }
      version.prerelease = [];
      switch (truncation) {
        case "major":
          version.minor = 0;
          version.patch = 0;
          break;
        case "minor":
          version.patch = 0;
          break;
      }
      return version.format();
    };
    var isPrerelease = (type) => {
      return type.startsWith("pre");
    };
    module.exports = truncate;
  }
});

// node_modules/semver/internal/lrucache.js
var require_lrucache = __commonJS({
  "node_modules/semver/internal/lrucache.js"(exports, module) {
    "use strict";
    var LRUCache = class {
      constructor() {
        this.max = 1e3;
        this.map = /* @__PURE__ */ new Map();
      }
      get(key) {
        const value = this.map.get(key);
        if (value === void 0) {
          return void 0;
        } else {
          this.map.delete(key);
          this.map.set(key, value);
          return value;
        }
      }
      delete(key) {
        return this.map.delete(key);
      }
      set(key, value) {
        const deleted = this.delete(key);
        if (!deleted && value !== void 0) {
          if (this.map.size >= this.max) {
            const firstKey = this.map.keys().next().value;
            this.delete(firstKey);
          }
          this.map.set(key, value);
        }
        return this;
      }
    };
    module.exports = LRUCache;
  }
});

// node_modules/semver/internal/trim-comparator-whitespace.js
var require_trim_comparator_whitespace = __commonJS({
  "node_modules/semver/internal/trim-comparator-whitespace.js"(exports, module) {
    "use strict";
    var {
      MAX_LENGTH,
      MAX_SAFE_BUILD_LENGTH,
      WHITESPACE_CHARACTERS
    } = require_constants();
    var whitespace = new Uint8Array(65536);
    for (const char of WHITESPACE_CHARACTERS) {
      whitespace[char.charCodeAt(0)] = 1;
    }
    var isWhitespace = (char) => char !== void 0 && whitespace[char.charCodeAt(0)] === 1;
    var isVersionPrefix = (char) => char === "v" || char === "=" || isWhitespace(char);
    var isDigit = (char) => char !== void 0 && char >= "0" && char <= "9";
    var isLetter = (char) => char !== void 0 && (char >= "a" && char <= "z" || char >= "A" && char <= "Z");
    var isIdentifierCharacter = (char) => isDigit(char) || isLetter(char) || char === "-";
    var isVersionStart = (char) => isDigit(char) || char === "x" || char === "X" || char === "*";
    var findDigitsEndIndex = (range, start, limit, digitRuns) => {
      if (!isDigit(range[start])) {
        return start;
      }
      if (start >= digitRuns.start && start < digitRuns.end) {
        return Math.min(start + limit, digitRuns.end);
      }
      if (start >= digitRuns.previousStart && start < digitRuns.previousEnd) {
        return Math.min(start + limit, digitRuns.previousEnd);
      }
      let end = start + 1;
      while (isDigit(range[end])) {
        end++;
      }
      digitRuns.previousStart = digitRuns.start;
      digitRuns.previousEnd = digitRuns.end;
      digitRuns.start = start;
      digitRuns.end = end;
      return Math.min(start + limit, end);
    };
    var findVersionNumberEndIndex = (range, start, loose, digitRuns) => {
      if (!loose && range[start] === "0") {
        return start + 1;
      }
      return findDigitsEndIndex(range, start, loose ? MAX_LENGTH : MAX_LENGTH + 1, digitRuns);
    };
    var findPrereleaseIdentifierEndIndex = (range, start, loose, digitRuns) => {
      const digitsEnd = findDigitsEndIndex(range, start, MAX_LENGTH, digitRuns);
      if (isLetter(range[digitsEnd]) || range[digitsEnd] === "-") {
        let end = digitsEnd + 1;
        const limit = end + MAX_SAFE_BUILD_LENGTH;
        while (end < limit && isIdentifierCharacter(range[end])) {
          end++;
        }
        return end;
      }
      return findVersionNumberEndIndex(range, start, loose, digitRuns);
    };
    var findPrereleaseEndIndex = (range, start, loose, digitRuns) => {
      const hyphen = range[start] === "-";
      if (!loose && !hyphen) {
        return start;
      }
      const identifierStart = start + (hyphen ? 1 : 0);
      let end = findPrereleaseIdentifierEndIndex(range, identifierStart, loose, digitRuns);
      if (end === identifierStart) {
        if (!loose || !hyphen) {
          return start;
        }
        end = findPrereleaseIdentifierEndIndex(range, start, loose, digitRuns);
      }
      while (range[end] === ".") {
        const next = findPrereleaseIdentifierEndIndex(range, end + 1, loose, digitRuns);
        if (next === end + 1) {
          break;
        }
        end = next;
      }
      return end;
    };
    var findBuildIdentifierEndIndex = (range, start) => {
      let end = start;
      while (end - start < MAX_SAFE_BUILD_LENGTH && isIdentifierCharacter(range[end])) {
        end++;
      }
      return end;
    };
    var findBuildEndIndex = (range, start) => {
      if (range[start] !== "+") {
        return start;
      }
      let end = findBuildIdentifierEndIndex(range, start + 1);
      if (end === start + 1) {
        return start;
      }
      while (range[end] === ".") {
        const next = findBuildIdentifierEndIndex(range, end + 1);
        if (next === end + 1) {
          break;
        }
        end = next;
      }
      return end;
    };
    var findLooseFullVersionEndIndex = (range, start, digitRuns) => {
      let end = start;
      for (let component = 0; component < 3; component++) {
        const next = findVersionNumberEndIndex(range, end, true, digitRuns);
        if (next === end) {
          return start;
        }
        end = next;
        if (component < 2) {
          if (range[end] !== ".") {
            return start;
          }
          end++;
        }
      }
      const prereleaseEnd = findPrereleaseEndIndex(range, end, true, digitRuns);
      return findBuildEndIndex(range, prereleaseEnd);
    };
    var findPartialVersionComponentEndIndex = (range, start, digitRuns) => {
      if (isDigit(range[start])) {
        return findVersionNumberEndIndex(range, start, false, digitRuns);
      }
      return isVersionStart(range[start]) ? start + 1 : start;
    };
    var findPartialVersionEndIndex = (range, start, digitRuns) => {
      let end = findPartialVersionComponentEndIndex(range, start, digitRuns);
      for (let component = 0; component < 2; component++) {
        if (range[end] !== ".") {
          return end;
        }
        const next = findPartialVersionComponentEndIndex(range, end + 1, digitRuns);
        if (next === end + 1) {
          return end;
        }
        end = next;
      }
      const prereleaseEnd = findPrereleaseEndIndex(range, end, false, digitRuns);
      return findBuildEndIndex(range, prereleaseEnd);
    };
    var findVersionEndIndex = (range, start, digitRuns) => {
      const fullVersionEnd = findLooseFullVersionEndIndex(range, start, digitRuns);
      return fullVersionEnd !== start ? fullVersionEnd : findPartialVersionEndIndex(range, start, digitRuns);
    };
    var findRemovableWhitespaceIndex = (range, matchStart) => {
      let position = matchStart;
      if (isWhitespace(range[position])) {
        position++;
      }
      if (range[position] === "<" || range[position] === ">") {
        position++;
      }
      if (range[position] === "=") {
        position++;
      }
      return isWhitespace(range[position]) ? position : -1;
    };
    var trimComparatorWhitespace = (range) => {
      let result = "";
      let copyFrom = 0;
      let cursor = 0;
      const digitRuns = { start: -1, end: -1, previousStart: -1, previousEnd: -1 };
      while (cursor < range.length) {
        const matchStart = cursor;
        if (range[cursor] === "<" || range[cursor] === ">") {
          cursor++;
        } else if (!isVersionPrefix(range[cursor]) && !isVersionStart(range[cursor])) {
          cursor++;
          continue;
        }
        while (cursor < range.length && isVersionPrefix(range[cursor])) {
          cursor++;
        }
        if (!isVersionStart(range[cursor])) {
          continue;
        }
        const whitespacePosition = findRemovableWhitespaceIndex(range, matchStart);
        if (whitespacePosition !== -1) {
          result += range.slice(copyFrom, whitespacePosition);
          copyFrom = whitespacePosition + 1;
        }
        cursor = findVersionEndIndex(range, cursor, digitRuns);
      }
      return result + range.slice(copyFrom);
    };
    module.exports = trimComparatorWhitespace;
  }
});

// node_modules/semver/classes/range.js
var require_range = __commonJS({
  "node_modules/semver/classes/range.js"(exports, module) {
    "use strict";
    var SPACE_CHARACTERS = /\s+/g;
    var Range = class _Range {
      constructor(range, options) {
        options = parseOptions(options);
        if (range instanceof _Range) {
          if (range.loose === !!options.loose && range.includePrerelease === !!options.includePrerelease) {
            return range;
          } else {
            return new _Range(range.raw, options);
          }
        }
        if (range instanceof Comparator) {
          this.raw = range.value;
          this.set = [[range]];
          this.formatted = void 0;
          return this;
        }
        this.options = options;
        this.loose = !!options.loose;
        this.includePrerelease = !!options.includePrerelease;
        this.raw = range.trim().replace(SPACE_CHARACTERS, " ");
        this.set = this.raw.split("||").map((r) => this.parseRange(r.trim())).filter((c) => c.length);
        if (!this.set.length) {
          throw new TypeError(`Invalid SemVer Range: ${this.raw}`);
        }
        if (this.set.length > 1) {
          const first = this.set[0];
          this.set = this.set.filter((c) => !isNullSet(c[0]));
          if (this.set.length === 0) {
            this.set = [first];
          } else if (this.set.length > 1) {
            for (const c of this.set) {
              if (c.length === 1 && isAny(c[0])) {
                this.set = [c];
                break;
              }
            }
          }
        }
        this.formatted = void 0;
      }
      get range() {
        if (this.formatted === void 0) {
          this.formatted = "";
          for (let i = 0; i < this.set.length; i++) {
            if (i > 0) {
              this.formatted += "||";
            }
            const comps = this.set[i];
            for (let k = 0; k < comps.length; k++) {
              if (k > 0) {
                this.formatted += " ";
              }
              this.formatted += comps[k].toString().trim();
            }
          }
        }
        return this.formatted;
      }
      format() {
        return this.range;
      }
      toString() {
        return this.range;
      }
      parseRange(range) {
        range = range.replace(BUILDSTRIPRE, "");
        const memoOpts = (this.options.includePrerelease && FLAG_INCLUDE_PRERELEASE) | (this.options.loose && FLAG_LOOSE);
        const memoKey = memoOpts + ":" + range;
        const cached = cache.get(memoKey);
        if (cached) {
          return cached;
        }
        const loose = this.options.loose;
        const hr = loose ? re[t.HYPHENRANGELOOSE] : re[t.HYPHENRANGE];
        range = range.replace(hr, hyphenReplace(this.options.includePrerelease));
        debug("hyphen replace", range);
        range = trimComparatorWhitespace(range);
        debug("comparator trim", range);
        range = range.replace(re[t.TILDETRIM], tildeTrimReplace);
        debug("tilde trim", range);
        range = range.replace(re[t.CARETTRIM], caretTrimReplace);
        debug("caret trim", range);
        let rangeList = range.split(" ").map((comp) => parseComparator(comp, this.options)).join(" ").split(/\s+/).map((comp) => replaceGTE0(comp, this.options));
        if (loose) {
          rangeList = rangeList.filter((comp) => {
            debug("loose invalid filter", comp, this.options);
            return !!comp.match(re[t.COMPARATORLOOSE]);
          });
        }
        debug("range list", rangeList);
        const rangeMap = /* @__PURE__ */ new Map();
        const comparators = rangeList.map((comp) => new Comparator(comp, this.options));
        for (const comp of comparators) {
          if (isNullSet(comp)) {
            return [comp];
          }
          rangeMap.set(comp.value, comp);
        }
        if (rangeMap.size > 1 && rangeMap.has("")) {
          rangeMap.delete("");
        }
        const result = [...rangeMap.values()];
        cache.set(memoKey, result);
        return result;
      }
      intersects(range, options) {
        if (!(range instanceof _Range)) {
          throw new TypeError("a Range is required");
        }
        return this.set.some((thisComparators) => {
          return isSatisfiable(thisComparators, options) && range.set.some((rangeComparators) => {
            return isSatisfiable(rangeComparators, options) && thisComparators.every((thisComparator) => {
              return rangeComparators.every((rangeComparator) => {
                return thisComparator.intersects(rangeComparator, options);
              });
            });
          });
        });
      }
      // if ANY of the sets match ALL of its comparators, then pass
      test(version) {
        if (!version) {
          return false;
        }
        if (typeof version === "string") {
          try {
            version = new SemVer(version, this.options);
          } catch (er) {
            return false;
          }
        }
        for (let i = 0; i < this.set.length; i++) {
          if (testSet(this.set[i], version, this.options)) {
            return true;
          }
        }
        return false;
      }
    };
    module.exports = Range;
    var LRU = require_lrucache();
    var cache = new LRU();
    var parseOptions = require_parse_options();
    var Comparator = require_comparator();
    var debug = require_debug();
    var SemVer = require_semver();
    var trimComparatorWhitespace = require_trim_comparator_whitespace();
    var {
      safeRe: re,
      src,
      t,
      tildeTrimReplace,
      caretTrimReplace
    } = require_re();
    var { FLAG_INCLUDE_PRERELEASE, FLAG_LOOSE } = require_constants();
    var BUILDSTRIPRE = new RegExp(src[t.BUILD], "g");
    var isNullSet = (c) => c.value === "<0.0.0-0";
    var isAny = (c) => c.value === "";
    var isSatisfiable = (comparators, options) => {
      let result = true;
      const remainingComparators = comparators.slice();
      let testComparator = remainingComparators.pop();
      while (result && remainingComparators.length) {
        result = remainingComparators.every((otherComparator) => {
          return testComparator.intersects(otherComparator, options);
        });
        testComparator = remainingComparators.pop();
      }
      return result;
    };
    var parseComparator = (comp, options) => {
      comp = comp.replace(re[t.BUILD], "");
      debug("comp", comp, options);
      comp = replaceCarets(comp, options);
      debug("caret", comp);
      comp = replaceTildes(comp, options);
      debug("tildes", comp);
      comp = replaceXRanges(comp, options);
      debug("xrange", comp);
      comp = replaceStars(comp, options);
      debug("stars", comp);
      return comp;
    };
    var isX = (id) => !id || id.toLowerCase() === "x" || id === "*";
    var invalidXRangeOrder = (M, m, p) => isX(M) && !isX(m) || isX(m) && p && !isX(p);
    var replaceTildes = (comp, options) => {
      return comp.trim().split(/\s+/).map((c) => replaceTilde(c, options)).join(" ");
    };
    var replaceTilde = (comp, options) => {
      const r = options.loose ? re[t.TILDELOOSE] : re[t.TILDE];
      const z = options.includePrerelease ? "-0" : "";
      return comp.replace(r, (_, M, m, p, pr) => {
        debug("tilde", comp, _, M, m, p, pr);
        let ret;
        if (isX(M)) {
          ret = "";
        } else if (isX(m)) {
          ret = `>=${M}.0.0${z} <${+M + 1}.0.0-0`;
        } else if (isX(p)) {
          ret = `>=${M}.${m}.0${z} <${M}.${+m + 1}.0-0`;
        } else if (pr) {
          debug("replaceTilde pr", pr);
          ret = `>=${M}.${m}.${p}-${pr} <${M}.${+m + 1}.0-0`;
        } else {
          ret = `>=${M}.${m}.${p} <${M}.${+m + 1}.0-0`;
        }
        debug("tilde return", ret);
        return ret;
      });
    };
    var replaceCarets = (comp, options) => {
      return comp.trim().split(/\s+/).map((c) => replaceCaret(c, options)).join(" ");
    };
    var replaceCaret = (comp, options) => {
      debug("caret", comp, options);
      const r = options.loose ? re[t.CARETLOOSE] : re[t.CARET];
      const z = options.includePrerelease ? "-0" : "";
      return comp.replace(r, (_, M, m, p, pr) => {
        debug("caret", comp, _, M, m, p, pr);
        let ret;
        if (isX(M)) {
          ret = "";
        } else if (isX(m)) {
          ret = `>=${M}.0.0${z} <${+M + 1}.0.0-0`;
        } else if (isX(p)) {
          if (M === "0") {
            ret = `>=${M}.${m}.0${z} <${M}.${+m + 1}.0-0`;
          } else {
            ret = `>=${M}.${m}.0${z} <${+M + 1}.0.0-0`;
          }
        } else if (pr) {
          debug("replaceCaret pr", pr);
          if (M === "0") {
            if (m === "0") {
              ret = `>=${M}.${m}.${p}-${pr} <${M}.${m}.${+p + 1}-0`;
            } else {
              ret = `>=${M}.${m}.${p}-${pr} <${M}.${+m + 1}.0-0`;
            }
          } else {
            ret = `>=${M}.${m}.${p}-${pr} <${+M + 1}.0.0-0`;
          }
        } else {
          debug("no pr");
          if (M === "0") {
            if (m === "0") {
              ret = `>=${M}.${m}.${p} <${M}.${m}.${+p + 1}-0`;
            } else {
              ret = `>=${M}.${m}.${p} <${M}.${+m + 1}.0-0`;
            }
          } else {
            ret = `>=${M}.${m}.${p} <${+M + 1}.0.0-0`;
          }
        }
        debug("caret return", ret);
        return ret;
      });
    };
    var replaceXRanges = (comp, options) => {
      debug("replaceXRanges", comp, options);
      return comp.split(/\s+/).map((c) => replaceXRange(c, options)).join(" ");
    };
    var replaceXRange = (comp, options) => {
      comp = comp.trim();
      const r = options.loose ? re[t.XRANGELOOSE] : re[t.XRANGE];
      return comp.replace(r, (ret, gtlt, M, m, p, pr) => {
        debug("xRange", comp, ret, gtlt, M, m, p, pr);
        if (invalidXRangeOrder(M, m, p)) {
          return comp;
        }
        const xM = isX(M);
        const xm = xM || isX(m);
        const xp = xm || isX(p);
        const anyX = xp;
        if (gtlt === "=" && anyX) {
          gtlt = "";
        }
        pr = options.includePrerelease ? "-0" : "";
        if (xM) {
          if (gtlt === ">" || gtlt === "<") {
            ret = "<0.0.0-0";
          } else {
            ret = "*";
          }
        } else if (gtlt && anyX) {
          if (xm) {
            m = 0;
          }
          p = 0;
          if (gtlt === ">") {
            gtlt = ">=";
            if (xm) {
              M = +M + 1;
              m = 0;
              p = 0;
            } else {
              m = +m + 1;
              p = 0;
            }
          } else if (gtlt === "<=") {
            gtlt = "<";
            if (xm) {
              M = +M + 1;
            } else {
              m = +m + 1;
            }
          }
          if (gtlt === "<") {
            pr = "-0";
          }
          ret = `${gtlt + M}.${m}.${p}${pr}`;
        } else if (xm) {
          ret = `>=${M}.0.0${pr} <${+M + 1}.0.0-0`;
        } else if (xp) {
          ret = `>=${M}.${m}.0${pr} <${M}.${+m + 1}.0-0`;
        }
        debug("xRange return", ret);
        return ret;
      });
    };
    var replaceStars = (comp, options) => {
      debug("replaceStars", comp, options);
      return comp.trim().replace(re[t.STAR], "");
    };
    var replaceGTE0 = (comp, options) => {
      debug("replaceGTE0", comp, options);
      return comp.trim().replace(re[options.includePrerelease ? t.GTE0PRE : t.GTE0], "");
    };
    var hyphenReplace = (incPr) => ($0, from, fM, fm, fp, fpr, fb, to, tM, tm, tp, tpr) => {
      if (isX(fM)) {
        from = "";
      } else if (isX(fm)) {
        from = `>=${fM}.0.0${incPr ? "-0" : ""}`;
      } else if (isX(fp)) {
        from = `>=${fM}.${fm}.0${incPr ? "-0" : ""}`;
      } else if (fpr) {
        from = `>=${from}`;
      } else {
        from = `>=${from}${incPr ? "-0" : ""}`;
      }
      if (isX(tM)) {
        to = "";
      } else if (isX(tm)) {
        to = `<${+tM + 1}.0.0-0`;
      } else if (isX(tp)) {
        to = `<${tM}.${+tm + 1}.0-0`;
      } else if (tpr) {
        to = `<=${tM}.${tm}.${tp}-${tpr}`;
      } else if (incPr) {
        to = `<${tM}.${tm}.${+tp + 1}-0`;
      } else {
        to = `<=${to}`;
      }
      return `${from} ${to}`.trim();
    };
    var testSet = (set, version, options) => {
      for (let i = 0; i < set.length; i++) {
        if (!set[i].test(version)) {
          return false;
        }
      }
      if (version.prerelease.length && !options.includePrerelease) {
        for (let i = 0; i < set.length; i++) {
          debug(set[i].semver);
          if (set[i].semver === Comparator.ANY) {
            continue;
          }
          if (set[i].semver.prerelease.length > 0) {
            const allowed = set[i].semver;
            if (allowed.major === version.major && allowed.minor === version.minor && allowed.patch === version.patch) {
              return true;
            }
          }
        }
        return false;
      }
      return true;
    };
  }
});

// node_modules/semver/classes/comparator.js
var require_comparator = __commonJS({
  "node_modules/semver/classes/comparator.js"(exports, module) {
    "use strict";
    var ANY = /* @__PURE__ */ Symbol("SemVer ANY");
    var Comparator = class _Comparator {
      static get ANY() {
        return ANY;
      }
      constructor(comp, options) {
        options = parseOptions(options);
        if (comp instanceof _Comparator) {
          if (comp.loose === !!options.loose) {
            return comp;
          } else {
            comp = comp.value;
          }
        }
        comp = comp.trim().split(/\s+/).join(" ");
        debug("comparator", comp, options);
        this.options = options;
        this.loose = !!options.loose;
        this.parse(comp);
        if (this.semver === ANY) {
          this.value = "";
        } else {
          this.value = this.operator + this.semver.version;
        }
        debug("comp", this);
      }
      parse(comp) {
        const r = this.options.loose ? re[t.COMPARATORLOOSE] : re[t.COMPARATOR];
        const m = comp.match(r);
        if (!m) {
          throw new TypeError(`Invalid comparator: ${comp}`);
        }
        this.operator = m[1] !== void 0 ? m[1] : "";
        if (this.operator === "=") {
          this.operator = "";
        }
        if (!m[2]) {
          this.semver = ANY;
        } else {
          this.semver = new SemVer(m[2], this.options.loose);
        }
      }
      toString() {
        return this.value;
      }
      test(version) {
        debug("Comparator.test", version, this.options.loose);
        if (this.semver === ANY || version === ANY) {
          return true;
        }
        if (typeof version === "string") {
          try {
            version = new SemVer(version, this.options);
          } catch (er) {
            return false;
          }
        }
        return cmp(version, this.operator, this.semver, this.options);
      }
      intersects(comp, options) {
        if (!(comp instanceof _Comparator)) {
          throw new TypeError("a Comparator is required");
        }
        if (this.operator === "") {
          if (this.value === "") {
            return true;
          }
          return new Range(comp.value, options).test(this.value);
        } else if (comp.operator === "") {
          if (comp.value === "") {
            return true;
          }
          return new Range(this.value, options).test(comp.semver);
        }
        options = parseOptions(options);
        if (options.includePrerelease && (this.value === "<0.0.0-0" || comp.value === "<0.0.0-0")) {
          return false;
        }
        if (!options.includePrerelease && (this.value.startsWith("<0.0.0") || comp.value.startsWith("<0.0.0"))) {
          return false;
        }
        if (this.operator.startsWith(">") && comp.operator.startsWith(">")) {
          return true;
        }
        if (this.operator.startsWith("<") && comp.operator.startsWith("<")) {
          return true;
        }
        if (this.semver.version === comp.semver.version && this.operator.includes("=") && comp.operator.includes("=")) {
          return true;
        }
        if (cmp(this.semver, "<", comp.semver, options) && this.operator.startsWith(">") && comp.operator.startsWith("<")) {
          return true;
        }
        if (cmp(this.semver, ">", comp.semver, options) && this.operator.startsWith("<") && comp.operator.startsWith(">")) {
          return true;
        }
        return false;
      }
    };
    module.exports = Comparator;
    var parseOptions = require_parse_options();
    var { safeRe: re, t } = require_re();
    var cmp = require_cmp();
    var debug = require_debug();
    var SemVer = require_semver();
    var Range = require_range();
  }
});

// node_modules/semver/functions/satisfies.js
var require_satisfies = __commonJS({
  "node_modules/semver/functions/satisfies.js"(exports, module) {
    "use strict";
    var Range = require_range();
    var satisfies = (version, range, options) => {
      try {
        range = new Range(range, options);
      } catch (er) {
        return false;
      }
      return range.test(version);
    };
    module.exports = satisfies;
  }
});

// node_modules/semver/ranges/to-comparators.js
var require_to_comparators = __commonJS({
  "node_modules/semver/ranges/to-comparators.js"(exports, module) {
    "use strict";
    var Range = require_range();
    var toComparators = (range, options) => new Range(range, options).set.map((comp) => comp.map((c) => c.value).join(" ").trim().split(" "));
    module.exports = toComparators;
  }
});

// node_modules/semver/ranges/max-satisfying.js
var require_max_satisfying = __commonJS({
  "node_modules/semver/ranges/max-satisfying.js"(exports, module) {
    "use strict";
    var SemVer = require_semver();
    var Range = require_range();
    var maxSatisfying = (versions, range, options) => {
      let max = null;
      let maxSV = null;
      let rangeObj = null;
      try {
        rangeObj = new Range(range, options);
      } catch (er) {
        return null;
      }
      versions.forEach((v) => {
        if (rangeObj.test(v)) {
          if (!max || maxSV.compare(v) === -1) {
            max = v;
            maxSV = new SemVer(max, options);
          }
        }
      });
      return max;
    };
    module.exports = maxSatisfying;
  }
});

// node_modules/semver/ranges/min-satisfying.js
var require_min_satisfying = __commonJS({
  "node_modules/semver/ranges/min-satisfying.js"(exports, module) {
    "use strict";
    var SemVer = require_semver();
    var Range = require_range();
    var minSatisfying = (versions, range, options) => {
      let min = null;
      let minSV = null;
      let rangeObj = null;
      try {
        rangeObj = new Range(range, options);
      } catch (er) {
        return null;
      }
      versions.forEach((v) => {
        if (rangeObj.test(v)) {
          if (!min || minSV.compare(v) === 1) {
            min = v;
            minSV = new SemVer(min, options);
          }
        }
      });
      return min;
    };
    module.exports = minSatisfying;
  }
});

// node_modules/semver/ranges/min-version.js
var require_min_version = __commonJS({
  "node_modules/semver/ranges/min-version.js"(exports, module) {
    "use strict";
    var SemVer = require_semver();
    var Range = require_range();
    var gt = require_gt();
    var minVersion = (range, loose) => {
      range = new Range(range, loose);
      let minver = new SemVer("0.0.0");
      if (range.test(minver)) {
        return minver;
      }
      minver = new SemVer("0.0.0-0");
      if (range.test(minver)) {
        return minver;
      }
      minver = null;
      for (let i = 0; i < range.set.length; ++i) {
        const comparators = range.set[i];
        let setMin = null;
        comparators.forEach((comparator) => {
          const compver = new SemVer(comparator.semver.version);
          switch (comparator.operator) {
            case ">":
              if (compver.prerelease.length === 0) {
                compver.patch++;
              } else {
                compver.prerelease.push(0);
              }
              compver.raw = compver.format();
            /* fallthrough */
            case "":
            case ">=":
              if (!setMin || gt(compver, setMin)) {
                setMin = compver;
              }
              break;
            case "<":
            case "<=":
              break;
            /* istanbul ignore next */
            default:
              throw new Error(`Unexpected operation: ${comparator.operator}`);
          }
        });
        if (setMin && (!minver || gt(minver, setMin))) {
          minver = setMin;
        }
      }
      if (minver && range.test(minver)) {
        return minver;
      }
      return null;
    };
    module.exports = minVersion;
  }
});

// node_modules/semver/ranges/valid.js
var require_valid2 = __commonJS({
  "node_modules/semver/ranges/valid.js"(exports, module) {
    "use strict";
    var Range = require_range();
    var validRange = (range, options) => {
      try {
        return new Range(range, options).range || "*";
      } catch (er) {
        return null;
      }
    };
    module.exports = validRange;
  }
});

// node_modules/semver/ranges/outside.js
var require_outside = __commonJS({
  "node_modules/semver/ranges/outside.js"(exports, module) {
    "use strict";
    var SemVer = require_semver();
    var Comparator = require_comparator();
    var { ANY } = Comparator;
    var Range = require_range();
    var satisfies = require_satisfies();
    var gt = require_gt();
    var lt = require_lt();
    var lte = require_lte();
    var gte = require_gte();
    var outside = (version, range, hilo, options) => {
      version = new SemVer(version, options);
      range = new Range(range, options);
      let gtfn, ltefn, ltfn, comp, ecomp;
      switch (hilo) {
        case ">":
          gtfn = gt;
          ltefn = lte;
          ltfn = lt;
          comp = ">";
          ecomp = ">=";
          break;
        case "<":
          gtfn = lt;
          ltefn = gte;
          ltfn = gt;
          comp = "<";
          ecomp = "<=";
          break;
        default:
          throw new TypeError('Must provide a hilo val of "<" or ">"');
      }
      if (satisfies(version, range, options)) {
        return false;
      }
      for (let i = 0; i < range.set.length; ++i) {
        const comparators = range.set[i];
        let high = null;
        let low = null;
        comparators.forEach((comparator) => {
          if (comparator.semver === ANY) {
            comparator = new Comparator(">=0.0.0");
          }
          high = high || comparator;
          low = low || comparator;
          if (gtfn(comparator.semver, high.semver, options)) {
            high = comparator;
          } else if (ltfn(comparator.semver, low.semver, options)) {
            low = comparator;
          }
        });
        if (high.operator === comp || high.operator === ecomp) {
          return false;
        }
        if ((!low.operator || low.operator === comp) && ltefn(version, low.semver)) {
          return false;
        } else if (low.operator === ecomp && ltfn(version, low.semver)) {
          return false;
        }
      }
      return true;
    };
    module.exports = outside;
  }
});

// node_modules/semver/ranges/gtr.js
var require_gtr = __commonJS({
  "node_modules/semver/ranges/gtr.js"(exports, module) {
    "use strict";
    var outside = require_outside();
    var gtr = (version, range, options) => outside(version, range, ">", options);
    module.exports = gtr;
  }
});

// node_modules/semver/ranges/ltr.js
var require_ltr = __commonJS({
  "node_modules/semver/ranges/ltr.js"(exports, module) {
    "use strict";
    var outside = require_outside();
    var ltr = (version, range, options) => outside(version, range, "<", options);
    module.exports = ltr;
  }
});

// node_modules/semver/ranges/intersects.js
var require_intersects = __commonJS({
  "node_modules/semver/ranges/intersects.js"(exports, module) {
    "use strict";
    var Range = require_range();
    var intersects = (r1, r2, options) => {
      r1 = new Range(r1, options);
      r2 = new Range(r2, options);
      return r1.intersects(r2, options);
    };
    module.exports = intersects;
  }
});

// node_modules/semver/ranges/simplify.js
var require_simplify = __commonJS({
  "node_modules/semver/ranges/simplify.js"(exports, module) {
    "use strict";
    var satisfies = require_satisfies();
    var compare = require_compare();
    module.exports = (versions, range, options) => {
      const set = [];
      let first = null;
      let prev = null;
      const v = versions.sort((a, b) => compare(a, b, options));
      for (const version of v) {
        const included = satisfies(version, range, options);
        if (included) {
          prev = version;
          if (!first) {
            first = version;
          }
        } else {
          if (prev) {
            set.push([first, prev]);
          }
          prev = null;
          first = null;
        }
      }
      if (first) {
        set.push([first, null]);
      }
      const ranges = [];
      for (const [min, max] of set) {
        if (min === max) {
          ranges.push(min);
        } else if (!max && min === v[0]) {
          ranges.push("*");
        } else if (!max) {
          ranges.push(`>=${min}`);
        } else if (min === v[0]) {
          ranges.push(`<=${max}`);
        } else {
          ranges.push(`${min} - ${max}`);
        }
      }
      const simplified = ranges.join(" || ");
      const original = typeof range.raw === "string" ? range.raw : String(range);
      return simplified.length < original.length ? simplified : range;
    };
  }
});

// node_modules/semver/ranges/subset.js
var require_subset = __commonJS({
  "node_modules/semver/ranges/subset.js"(exports, module) {
    "use strict";
    var Range = require_range();
    var Comparator = require_comparator();
    var { ANY } = Comparator;
    var satisfies = require_satisfies();
    var compare = require_compare();
    var subset = (sub, dom, options = {}) => {
      if (sub === dom) {
        return true;
      }
      sub = new Range(sub, options);
      dom = new Range(dom, options);
      let sawNonNull = false;
      OUTER: for (const simpleSub of sub.set) {
        for (const simpleDom of dom.set) {
          const isSub = simpleSubset(simpleSub, simpleDom, options);
          sawNonNull = sawNonNull || isSub !== null;
          if (isSub) {
            continue OUTER;
          }
        }
        if (sawNonNull) {
          return false;
        }
      }
      return true;
    };
    var minimumVersionWithPreRelease = [new Comparator(">=0.0.0-0")];
    var minimumVersion = [new Comparator(">=0.0.0")];
    var simpleSubset = (sub, dom, options) => {
      if (sub === dom) {
        return true;
      }
      if (sub.length === 1 && sub[0].semver === ANY) {
        if (dom.length === 1 && dom[0].semver === ANY) {
          return true;
        } else if (options.includePrerelease) {
          sub = minimumVersionWithPreRelease;
        } else {
          sub = minimumVersion;
        }
      }
      if (dom.length === 1 && dom[0].semver === ANY) {
        if (options.includePrerelease) {
          return true;
        } else {
          dom = minimumVersion;
        }
      }
      const eqSet = /* @__PURE__ */ new Set();
      let gt, lt;
      for (const c of sub) {
        if (c.operator === ">" || c.operator === ">=") {
          gt = higherGT(gt, c, options);
        } else if (c.operator === "<" || c.operator === "<=") {
          lt = lowerLT(lt, c, options);
        } else {
          eqSet.add(c.semver);
        }
      }
      if (eqSet.size > 1) {
        return null;
      }
      let gtltComp;
      if (gt && lt) {
        gtltComp = compare(gt.semver, lt.semver, options);
        if (gtltComp > 0) {
          return null;
        } else if (gtltComp === 0 && (gt.operator !== ">=" || lt.operator !== "<=")) {
          return null;
        }
      }
      for (const eq of eqSet) {
        if (gt && !satisfies(eq, String(gt), options)) {
          return null;
        }
        if (lt && !satisfies(eq, String(lt), options)) {
          return null;
        }
        for (const c of dom) {
          if (!satisfies(eq, String(c), options)) {
            return false;
          }
        }
        return true;
      }
      let higher, lower;
      let hasDomLT, hasDomGT;
      let needDomLTPre = lt && !options.includePrerelease && lt.semver.prerelease.length ? lt.semver : false;
      let needDomGTPre = gt && !options.includePrerelease && gt.semver.prerelease.length ? gt.semver : false;
      if (needDomLTPre && needDomLTPre.prerelease.length === 1 && lt.operator === "<" && needDomLTPre.prerelease[0] === 0) {
        needDomLTPre = false;
      }
      for (const c of dom) {
        hasDomGT = hasDomGT || c.operator === ">" || c.operator === ">=";
        hasDomLT = hasDomLT || c.operator === "<" || c.operator === "<=";
        if (gt) {
          if (needDomGTPre) {
            if (c.semver.prerelease && c.semver.prerelease.length && c.semver.major === needDomGTPre.major && c.semver.minor === needDomGTPre.minor && c.semver.patch === needDomGTPre.patch) {
              needDomGTPre = false;
            }
          }
          if (c.operator === ">" || c.operator === ">=") {
            higher = higherGT(gt, c, options);
            if (higher === c && higher !== gt) {
              return false;
            }
          } else if (gt.operator === ">=" && !c.test(gt.semver)) {
            return false;
          }
        }
        if (lt) {
          if (needDomLTPre) {
            if (c.semver.prerelease && c.semver.prerelease.length && c.semver.major === needDomLTPre.major && c.semver.minor === needDomLTPre.minor && c.semver.patch === needDomLTPre.patch) {
              needDomLTPre = false;
            }
          }
          if (c.operator === "<" || c.operator === "<=") {
            lower = lowerLT(lt, c, options);
            if (lower === c && lower !== lt) {
              return false;
            }
          } else if (lt.operator === "<=" && !c.test(lt.semver)) {
            return false;
          }
        }
        if (!c.operator && (lt || gt) && gtltComp !== 0) {
          return false;
        }
      }
      if (gt && hasDomLT && !lt && gtltComp !== 0) {
        return false;
      }
      if (lt && hasDomGT && !gt && gtltComp !== 0) {
        return false;
      }
      if (needDomGTPre || needDomLTPre) {
        return false;
      }
      return true;
    };
    var higherGT = (a, b, options) => {
      if (!a) {
        return b;
      }
      const comp = compare(a.semver, b.semver, options);
      return comp > 0 ? a : comp < 0 ? b : b.operator === ">" && a.operator === ">=" ? b : a;
    };
    var lowerLT = (a, b, options) => {
      if (!a) {
        return b;
      }
      const comp = compare(a.semver, b.semver, options);
      return comp < 0 ? a : comp > 0 ? b : b.operator === "<" && a.operator === "<=" ? b : a;
    };
    module.exports = subset;
  }
});

// node_modules/semver/index.js
var require_semver2 = __commonJS({
  "node_modules/semver/index.js"(exports, module) {
    "use strict";
    var internalRe = require_re();
    var constants2 = require_constants();
    var SemVer = require_semver();
    var identifiers = require_identifiers();
    var parse = require_parse();
    var valid = require_valid();
    var clean = require_clean();
    var inc = require_inc();
    var diff = require_diff();
    var major = require_major();
    var minor = require_minor();
    var patch = require_patch();
    var prerelease = require_prerelease();
    var compare = require_compare();
    var rcompare = require_rcompare();
    var compareLoose = require_compare_loose();
    var compareBuild = require_compare_build();
    var sort = require_sort();
    var rsort = require_rsort();
    var gt = require_gt();
    var lt = require_lt();
    var eq = require_eq();
    var neq = require_neq();
    var gte = require_gte();
    var lte = require_lte();
    var cmp = require_cmp();
    var coerce = require_coerce();
    var truncate = require_truncate();
    var Comparator = require_comparator();
    var Range = require_range();
    var satisfies = require_satisfies();
    var toComparators = require_to_comparators();
    var maxSatisfying = require_max_satisfying();
    var minSatisfying = require_min_satisfying();
    var minVersion = require_min_version();
    var validRange = require_valid2();
    var outside = require_outside();
    var gtr = require_gtr();
    var ltr = require_ltr();
    var intersects = require_intersects();
    var simplifyRange = require_simplify();
    var subset = require_subset();
    module.exports = {
      parse,
      valid,
      clean,
      inc,
      diff,
      major,
      minor,
      patch,
      prerelease,
      compare,
      rcompare,
      compareLoose,
      compareBuild,
      sort,
      rsort,
      gt,
      lt,
      eq,
      neq,
      gte,
      lte,
      cmp,
      coerce,
      truncate,
      Comparator,
      Range,
      satisfies,
      toComparators,
      maxSatisfying,
      minSatisfying,
      minVersion,
      validRange,
      outside,
      gtr,
      ltr,
      intersects,
      simplifyRange,
      subset,
      SemVer,
      re: internalRe.re,
      src: internalRe.src,
      tokens: internalRe.t,
      SEMVER_SPEC_VERSION: constants2.SEMVER_SPEC_VERSION,
      RELEASE_TYPES: constants2.RELEASE_TYPES,
      compareIdentifiers: identifiers.compareIdentifiers,
      rcompareIdentifiers: identifiers.rcompareIdentifiers
    };
  }
});

// src/cli.ts
import { statSync } from "node:fs";
import { resolve as resolve2 } from "node:path";
import { parseArgs } from "node:util";

// src/inputs.ts
var import_semver = __toESM(require_semver2(), 1);
var FIX_HASHES_MODES = ["pull-request", "commit", "report", "off"];
var CHECK_FODS_POLICIES = ["auto", "always", "never"];
var RELEASE_MODES = ["off", "tag"];
var VERSION_SOURCES = ["auto", "mix.exs", "flake", "package.json"];
var KNOWN_SYSTEMS = [
  "x86_64-linux",
  "aarch64-linux",
  "i686-linux",
  "armv6l-linux",
  "armv7l-linux",
  "riscv64-linux",
  "powerpc64le-linux",
  "s390x-linux",
  "loongarch64-linux",
  "x86_64-darwin",
  "aarch64-darwin"
];
var DEFAULTS = {
  flake: ".",
  package: "default",
  systems: "x86_64-linux aarch64-linux",
  "fix-hashes": "pull-request",
  "check-fods": "auto",
  "vm-test": "auto",
  service: "mast",
  "service-port": "4000",
  "health-path": "/",
  release: "off",
  "version-from": "auto",
  "tag-prefix": "v",
  "major-tag": "false",
  cache: "true",
  "extra-nix-config": "",
  "github-token": ""
};
var InputError = class extends Error {
  constructor(input, value, allowed) {
    super(`Input '${input}' has the value '${value}', which is not allowed: ${allowed}`);
    this.name = "InputError";
  }
};
function parseInputs(get) {
  const raw = (name) => {
    const value = (get(name) ?? "").trim();
    return value === "" ? DEFAULTS[name] : value;
  };
  return {
    flake: parseFlakeRef(raw("flake")),
    package: parseAttrName("package", raw("package")),
    systems: parseSystems(raw("systems")),
    fixHashes: oneOf("fix-hashes", raw("fix-hashes"), FIX_HASHES_MODES),
    checkFods: oneOf("check-fods", raw("check-fods"), CHECK_FODS_POLICIES),
    vmTest: parseVmTest(raw("vm-test")),
    service: parseAttrName("service", raw("service")),
    servicePort: parsePort(raw("service-port")),
    healthPath: parseHealthPath(raw("health-path")),
    release: oneOf("release", raw("release"), RELEASE_MODES),
    versionFrom: parseVersionFrom(raw("version-from")),
    tagPrefix: parseTagPrefix(get("tag-prefix")),
    majorTag: parseBoolean("major-tag", raw("major-tag")),
    cache: parseBoolean("cache", raw("cache")),
    extraNixConfig: parseNixConfigLines(get("extra-nix-config") ?? ""),
    githubToken: (get("github-token") ?? "").trim()
  };
}
function oneOf(input, value, allowed) {
  if (allowed.includes(value)) return value;
  throw new InputError(input, value, `use one of ${allowed.map((a) => `'${a}'`).join(", ")}`);
}
function parseFlakeRef(value) {
  if (/[\n\r\0]/.test(value)) throw new InputError("flake", value, "a flake reference is one line, e.g. `.` or `path:./sub`");
  return value;
}
var ATTR_NAME = /^[A-Za-z_][A-Za-z0-9_'-]*$/;
function parseAttrName(input, value) {
  if (ATTR_NAME.test(value)) return value;
  throw new InputError(input, value, "use a plain Nix attribute name (letters, digits, _, ' and -), e.g. `default`");
}
function parseSystems(value) {
  const systems = [...new Set(value.split(/[\s,]+/).filter(Boolean))];
  if (systems.length === 0) throw new InputError("systems", value, "name at least one system, e.g. `x86_64-linux aarch64-linux`");
  for (const system of systems) {
    if (!KNOWN_SYSTEMS.includes(system)) {
      throw new InputError("systems", system, `unknown system; known systems are ${KNOWN_SYSTEMS.join(", ")}`);
    }
  }
  return systems;
}
function parseVmTest(value) {
  if (value === "auto" || value === "builtin" || value === "off") return { mode: value };
  if (/^[A-Za-z_][A-Za-z0-9_'-]*(\.[A-Za-z_][A-Za-z0-9_'-]*)+$/.test(value)) return { mode: "attribute", attribute: value };
  throw new InputError("vm-test", value, "use 'auto', 'builtin', 'off', or a flake attribute path such as `checks.x86_64-linux.my-test`");
}
function parsePort(value) {
  const port = /^\d+$/.test(value) ? Number(value) : NaN;
  if (Number.isInteger(port) && port >= 1 && port <= 65535) return port;
  throw new InputError("service-port", value, "use a TCP port number from 1 to 65535");
}
function parseHealthPath(value) {
  if (/^\/[^\s]*$/.test(value)) return value;
  throw new InputError("health-path", value, "use an HTTP path starting with `/`, without spaces, e.g. `/health`");
}
function parseVersionFrom(value) {
  if (VERSION_SOURCES.includes(value)) return { source: value };
  const version = import_semver.default.valid(value);
  if (version !== null) return { source: "literal", version };
  throw new InputError("version-from", value, `use ${VERSION_SOURCES.map((s) => `'${s}'`).join(", ")}, or a literal semver version such as 1.2.3`);
}
function parseTagPrefix(value) {
  const prefix = value === void 0 ? DEFAULTS["tag-prefix"] : value.trim();
  if (/^[A-Za-z0-9._/-]*$/.test(prefix) && !prefix.includes("..") && !prefix.startsWith("/") && !prefix.startsWith("-")) return prefix;
  throw new InputError("tag-prefix", prefix, "use characters valid in a git tag name (letters, digits, . _ / -), e.g. `v`");
}
function parseBoolean(input, value) {
  if (/^(true|yes|1)$/i.test(value)) return true;
  if (/^(false|no|0)$/i.test(value)) return false;
  throw new InputError(input, value, "use 'true' or 'false'");
}
function parseNixConfigLines(value) {
  for (const line of value.split(/\r?\n/)) {
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#")) continue;
    if (!/^[A-Za-z0-9][A-Za-z0-9-]*\s*=/.test(trimmed)) {
      throw new InputError("extra-nix-config", trimmed, "write nix.conf lines of the form `key = value`, one per line");
    }
  }
  return value.trim();
}

// src/nix/runner.ts
import { spawn } from "node:child_process";

// src/nix/line-splitter.ts
var LineSplitter = class {
  constructor(onLine, maxLineBytes = 1 << 20) {
    this.onLine = onLine;
    this.maxLineBytes = maxLineBytes;
  }
  onLine;
  maxLineBytes;
  pending = [];
  pendingBytes = 0;
  truncated = false;
  push(chunk) {
    let start = 0;
    for (; ; ) {
      const newline = chunk.indexOf(10, start);
      if (newline === -1) break;
      this.append(chunk.subarray(start, newline));
      this.flush();
      start = newline + 1;
    }
    if (start < chunk.length) this.append(chunk.subarray(start));
  }
  end() {
    if (this.pendingBytes > 0 || this.truncated) this.flush();
  }
  append(part) {
    const room = this.maxLineBytes - this.pendingBytes;
    if (part.length > room) {
      this.truncated = true;
      part = part.subarray(0, Math.max(room, 0));
    }
    if (part.length > 0) {
      this.pending.push(part);
      this.pendingBytes += part.length;
    }
  }
  flush() {
    let line = Buffer.concat(this.pending, this.pendingBytes).toString("utf8");
    if (line.endsWith("\r")) line = line.slice(0, -1);
    if (this.truncated) line += " [line truncated by nix-ci]";
    this.pending = [];
    this.pendingBytes = 0;
    this.truncated = false;
    this.onLine(line);
  }
};

// src/nix/runner.ts
var NixNotFoundError = class extends Error {
  constructor(binary) {
    super(
      `Nix is not installed on this runner ('${binary}' was not found on PATH). Add a step before nix-ci: \`uses: cachix/install-nix-action@v31\` or \`uses: DeterminateSystems/nix-installer-action@main\`.`
    );
    this.name = "NixNotFoundError";
  }
};
var EXPERIMENTAL = ["--extra-experimental-features", "nix-command flakes"];
var NixRunner = class _NixRunner {
  nixBinary;
  nixConfig;
  env;
  killGraceMs;
  versionPromise;
  constructor(config = {}) {
    this.nixBinary = config.nixBinary ?? "nix";
    this.nixConfig = config.nixConfig ?? "";
    this.env = config.env ?? process.env;
    this.killGraceMs = config.killGraceMs ?? 1e4;
  }
  /** A runner whose every call also carries these extra `key = value` lines. */
  withConfig(extraLines) {
    const nixConfig = [this.nixConfig, extraLines].filter((s) => s.trim() !== "").join("\n");
    return new _NixRunner({ nixBinary: this.nixBinary, nixConfig, env: this.env, killGraceMs: this.killGraceMs });
  }
  run(options) {
    const args = [...EXPERIMENTAL, ...options.args];
    const env = { ...this.env, ...options.env };
    const config = [env.NIX_CONFIG ?? "", this.nixConfig].filter((s) => s.trim() !== "").join("\n");
    if (config !== "") env.NIX_CONFIG = config;
    return spawnStreaming(this.nixBinary, args, env, options, this.killGraceMs);
  }
  /** `nix --version`, e.g. "2.8.0" (cached per runner). */
  version() {
    this.versionPromise ??= this.run({ args: ["--version"], captureStdoutBytes: 4096 }).then((r) => {
      ensureSuccess(r, "nix --version");
      const match = /(\d+\.\d+(?:\.\d+)?(?:[\w.+-]*)?)\s*$/.exec(r.stdout.trim());
      if (!match) throw new Error(`Cannot read the Nix version from '${r.stdout.trim()}'`);
      return match[1];
    });
    return this.versionPromise;
  }
};
var NixCommandError = class extends Error {
  constructor(what, result, lastLines) {
    const tail = lastLines.length > 0 ? `:
${lastLines.join("\n")}` : "";
    super(`${what} failed (exit ${result.exitCode ?? result.signal})${tail}`);
    this.what = what;
    this.result = result;
    this.lastLines = lastLines;
    this.name = "NixCommandError";
  }
  what;
  result;
  lastLines;
};
function ensureSuccess(result, what, lastLines = []) {
  if (result.exitCode !== 0) throw new NixCommandError(what, result, lastLines);
}
function spawnStreaming(binary, args, env, options, killGraceMs) {
  return new Promise((resolve3, reject) => {
    const started = Date.now();
    if (options.signal?.aborted) {
      resolve3({ args, exitCode: null, signal: null, durationMs: 0, stdout: "", cancelled: true });
      return;
    }
    const child = spawn(binary, args, { cwd: options.cwd, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    let cancelled = false;
    let stdout = "";
    let stdoutBytes = 0;
    let overflow = false;
    let killTimer;
    const emit = options.onLine ?? (() => {
    });
    const splitters = {
      stdout: new LineSplitter((text) => emit({ stream: "stdout", text })),
      stderr: new LineSplitter((text) => emit({ stream: "stderr", text }))
    };
    const cancel = () => {
      if (cancelled || child.exitCode !== null) return;
      cancelled = true;
      signalGroup(child.pid, "SIGINT");
      killTimer = setTimeout(() => signalGroup(child.pid, "SIGKILL"), killGraceMs);
      killTimer.unref();
    };
    options.signal?.addEventListener("abort", cancel, { once: true });
    child.stdout.on("data", (chunk) => {
      if (options.captureStdoutBytes !== void 0 && !overflow) {
        stdoutBytes += chunk.length;
        if (stdoutBytes > options.captureStdoutBytes) overflow = true;
        else stdout += chunk.toString("utf8");
      }
      splitters.stdout.push(chunk);
    });
    child.stderr.on("data", (chunk) => splitters.stderr.push(chunk));
    child.on("error", (err) => {
      options.signal?.removeEventListener("abort", cancel);
      reject(err.code === "ENOENT" ? new NixNotFoundError(binary) : err);
    });
    child.on("close", (exitCode, signal) => {
      options.signal?.removeEventListener("abort", cancel);
      if (killTimer) clearTimeout(killTimer);
      splitters.stdout.end();
      splitters.stderr.end();
      if (overflow) {
        reject(new Error(`nix ${args.join(" ")} printed more than ${options.captureStdoutBytes} bytes on stdout`));
        return;
      }
      resolve3({ args, exitCode, signal, durationMs: Date.now() - started, stdout, cancelled });
    });
  });
}
function signalGroup(pid, signal) {
  if (pid === void 0) return;
  try {
    process.kill(-pid, signal);
  } catch {
  }
}

// src/report/reporter.ts
function markdownTable(header, rows) {
  const cell = (text) => text.replace(/\|/g, "\\|").replace(/\r?\n/g, "<br>");
  const line = (cells) => `| ${cells.map(cell).join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}
function formatBytes(bytes) {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}
function formatDuration(ms) {
  if (ms < 1e3) return `${ms} ms`;
  const seconds = ms / 1e3;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes} min ${Math.round(seconds - minutes * 60)} s`;
}

// src/stages/build/build-report.ts
var STATUS_ICON = {
  built: "\u2705 built",
  failed: "\u274C failed",
  cancelled: "\u23F9\uFE0F cancelled",
  "not-built": "\u26D4 not built"
};
async function reportBuild(result, reporter) {
  for (const system of result.systems) {
    await reporter.group(`${system.system} (${system.mode}): ${system.status}`, async () => {
      for (const line of describeSystem(system)) reporter.info(line);
    });
    if (system.status !== "built") {
      const failure = system.failures[0];
      const tail = failure?.tail.length ? `
Last log lines of ${failure.name}:
${failure.tail.join("\n")}` : "";
      reporter.error(`${system.attrPath}: ${system.error ?? system.status}${tail}`, {
        title: failure ? `Build failed for ${system.system}: ${failure.name}` : `Build ${system.status} for ${system.system}`
      });
    }
  }
  reporter.setOutput("out-paths", JSON.stringify(outPathsOutput(result)));
  reporter.setOutput("build-results", JSON.stringify(buildResultsOutput(result)));
  reporter.addSummary(buildSummary(result));
}
function describeSystem(system) {
  const lines = [];
  if (system.drvPath) lines.push(`derivation: ${system.drvPath}`);
  for (const path of system.outPaths) lines.push(`output: ${path}`);
  if (system.durationMs !== void 0) lines.push(`time: ${system.alreadyValid ? "already in the store" : formatDuration(system.durationMs)}`);
  if (system.closureSize !== void 0) lines.push(`closure size: ${formatBytes(system.closureSize)}`);
  if (system.elf) {
    lines.push(
      `ELF check: ${system.elf.elfFiles} ELF file(s) in ${system.elf.checkedFiles} file(s), ${system.elf.wrongMachine.length === 0 ? `all for ${system.system}` : `${system.elf.wrongMachine.length} for another machine`}` + (system.elf.truncated ? " (stopped at the file limit)" : "")
    );
  }
  for (const failure of system.failures) {
    lines.push(`failed: ${failure.drvPath}`);
    if (failure.message) lines.push(...failure.message.split("\n").map((l) => `  ${l}`));
  }
  if (system.error) lines.push(system.error);
  return lines;
}
function outPathsOutput(result) {
  return Object.fromEntries(result.systems.filter((s) => s.status === "built").map((s) => [s.system, s.outPaths]));
}
function buildResultsOutput(result) {
  return Object.fromEntries(
    result.systems.map((s) => [
      s.system,
      {
        status: s.status,
        mode: s.mode,
        attrPath: s.attrPath,
        drvPath: s.drvPath ?? null,
        outPaths: s.outPaths,
        durationMs: s.durationMs ?? null,
        alreadyValid: s.alreadyValid ?? false,
        closureSize: s.closureSize ?? null,
        failedDerivations: s.failures.map((f) => f.drvPath),
        error: s.error ?? null
      }
    ])
  );
}
function buildSummary(result) {
  const rows = result.systems.map((s) => [
    `\`${s.system}\``,
    s.mode,
    STATUS_ICON[s.status],
    s.durationMs === void 0 ? "\u2013" : s.alreadyValid ? "cached" : formatDuration(s.durationMs),
    s.closureSize === void 0 ? "\u2013" : formatBytes(s.closureSize),
    s.outPaths.length && s.status === "built" ? s.outPaths.map((p) => `\`${p}\``).join("<br>") : s.error ?? "\u2013"
  ]);
  const lines = [
    `### nix-ci build: ${result.ok ? "all systems built" : result.cancelled ? "cancelled" : "failed"}`,
    "",
    markdownTable(["System", "How", "Result", "Time", "Closure", "Output"], rows),
    "",
    `Nix ${result.nixVersion} on \`${result.hostSystem}\`, ${formatDuration(result.durationMs)} in all.` + (result.nativeFodsFirst.length ? ` ${result.nativeFodsFirst.length} fixed-output derivation(s) realised natively before the emulated build.` : "")
  ];
  return lines.join("\n");
}

// src/nix/config.ts
async function readNixConfig(nix) {
  const result = await nix.run({ args: ["show-config", "--json"], captureStdoutBytes: 4 << 20 });
  ensureSuccess(result, "nix show-config --json");
  return parseNixConfig(result.stdout);
}
function parseNixConfig(json) {
  const raw = JSON.parse(json);
  const value = (key) => raw[key]?.value;
  const list = (key) => {
    const v = value(key);
    if (Array.isArray(v)) return v.map(String);
    if (typeof v === "string") return v.split(/\s+/).filter(Boolean);
    return [];
  };
  const system = value("system");
  if (typeof system !== "string") throw new Error("nix show-config --json has no 'system' setting");
  return {
    system,
    extraPlatforms: list("extra-platforms"),
    systemFeatures: list("system-features"),
    trustedUsers: list("trusted-users"),
    sandbox: String(value("sandbox")),
    substituters: list("substituters"),
    sandboxPaths: list("sandbox-paths"),
    store: String(value("store") ?? "auto")
  };
}

// src/nix/elf.ts
import { open, readdir, lstat } from "node:fs/promises";
import { join } from "node:path";
var ELF_MACHINE = {
  "x86_64-linux": 62,
  "aarch64-linux": 183,
  "i686-linux": 3,
  "armv6l-linux": 40,
  "armv7l-linux": 40,
  "riscv64-linux": 243,
  "powerpc64le-linux": 21,
  "s390x-linux": 22,
  "loongarch64-linux": 258
};
var MACHINE_NAME = {
  3: "i386",
  21: "ppc64",
  22: "s390",
  40: "arm",
  62: "x86_64",
  183: "aarch64",
  243: "riscv",
  258: "loongarch"
};
function machineName(machine) {
  return MACHINE_NAME[machine] ?? `machine ${machine}`;
}
var ET_EXEC = 2;
var ET_DYN = 3;
async function readElfMachine(path) {
  const handle = await open(path, "r");
  try {
    const header = Buffer.alloc(20);
    const { bytesRead } = await handle.read(header, 0, 20, 0);
    if (bytesRead < 20 || header.readUInt32BE(0) !== 2135247942) return void 0;
    const littleEndian = header[5] === 1;
    const type = littleEndian ? header.readUInt16LE(16) : header.readUInt16BE(16);
    if (type !== ET_EXEC && type !== ET_DYN) return void 0;
    return littleEndian ? header.readUInt16LE(18) : header.readUInt16BE(18);
  } finally {
    await handle.close();
  }
}
async function checkElfMachines(root, system, maxFiles = 2e4) {
  const expected = ELF_MACHINE[system];
  const check = { checkedFiles: 0, elfFiles: 0, wrongMachine: [], truncated: false };
  const stack = [root];
  while (stack.length > 0) {
    const path = stack.pop();
    const stat = await lstat(path);
    if (stat.isDirectory()) {
      for (const entry of await readdir(path)) stack.push(join(path, entry));
      continue;
    }
    if (!stat.isFile()) continue;
    if (check.checkedFiles >= maxFiles) {
      check.truncated = true;
      break;
    }
    check.checkedFiles++;
    const machine = await readElfMachine(path);
    if (machine === void 0) continue;
    check.elfFiles++;
    if (expected !== void 0 && machine !== expected) check.wrongMachine.push({ path, machine });
  }
  return check;
}

// src/nix/store.ts
var BIG_JSON = 512 << 20;
async function showDerivationClosure(nix, drvPaths) {
  if (drvPaths.length === 0) return /* @__PURE__ */ new Map();
  const result = await nix.run({ args: ["show-derivation", "-r", ...drvPaths], captureStdoutBytes: BIG_JSON });
  ensureSuccess(result, "nix show-derivation -r");
  const raw = JSON.parse(result.stdout);
  const derivations = /* @__PURE__ */ new Map();
  for (const [drvPath, d] of Object.entries(raw)) {
    derivations.set(drvPath, {
      drvPath,
      name: d.env?.name ?? drvPath.replace(/^\/nix\/store\/[a-z0-9]{32}-/, "").replace(/\.drv$/, ""),
      system: d.system ?? "unknown",
      outputs: d.outputs ?? {},
      inputDrvs: Object.keys(d.inputDrvs ?? {})
    });
  }
  return derivations;
}
function isFixedOutput(drv) {
  return Object.values(drv.outputs).some((o) => o.hash !== void 0 && o.hash !== "");
}
function closureOf(root, derivations) {
  const seen = /* @__PURE__ */ new Set();
  const stack = [root];
  while (stack.length > 0) {
    const drvPath = stack.pop();
    if (seen.has(drvPath)) continue;
    seen.add(drvPath);
    for (const input of derivations.get(drvPath)?.inputDrvs ?? []) stack.push(input);
  }
  return seen;
}
async function pathInfo(nix, paths) {
  const infos = /* @__PURE__ */ new Map();
  if (paths.length === 0) return infos;
  const result = await nix.run({ args: ["path-info", "--json", "-S", ...paths], captureStdoutBytes: BIG_JSON });
  ensureSuccess(result, "nix path-info");
  for (const entry of JSON.parse(result.stdout)) {
    const path = String(entry.path);
    infos.set(path, {
      path,
      valid: entry.valid !== false,
      narSize: typeof entry.narSize === "number" ? entry.narSize : void 0,
      closureSize: typeof entry.closureSize === "number" ? entry.closureSize : void 0
    });
  }
  return infos;
}

// src/setup/emulation.ts
import { randomBytes } from "node:crypto";
import { readFile, readdir as readdir2 } from "node:fs/promises";
import { join as join2 } from "node:path";

// src/nix/internal-json.ts
var ActivityType = {
  CopyPath: 100,
  FileTransfer: 101,
  Realise: 102,
  CopyPaths: 103,
  Builds: 104,
  Build: 105,
  OptimiseStore: 106,
  VerifyPaths: 107,
  Substitute: 108,
  QueryPathInfo: 109,
  PostBuildHook: 110,
  BuildWaiting: 111
};
var ResultType = {
  FileLinked: 100,
  BuildLogLine: 101,
  UntrustedPath: 102,
  CorruptedPath: 103,
  SetPhase: 104,
  Progress: 105,
  SetExpected: 106,
  PostBuildLogLine: 107
};
var PREFIX = "@nix ";
function parseInternalJsonLine(line) {
  if (!line.startsWith(PREFIX)) return void 0;
  let value;
  try {
    value = JSON.parse(line.slice(PREFIX.length));
  } catch {
    return void 0;
  }
  if (typeof value !== "object" || value === null) return void 0;
  const v = value;
  switch (v.action) {
    case "msg":
      if (typeof v.msg !== "string" || typeof v.level !== "number") return void 0;
      return {
        action: "msg",
        level: v.level,
        msg: v.msg,
        ...typeof v.raw_msg === "string" ? { raw_msg: v.raw_msg } : {}
      };
    case "start":
      if (typeof v.id !== "number" || typeof v.type !== "number") return void 0;
      return {
        action: "start",
        id: v.id,
        level: typeof v.level === "number" ? v.level : 0,
        type: v.type,
        text: typeof v.text === "string" ? v.text : "",
        fields: Array.isArray(v.fields) ? v.fields : [],
        ...typeof v.parent === "number" ? { parent: v.parent } : {}
      };
    case "stop":
      if (typeof v.id !== "number") return void 0;
      return { action: "stop", id: v.id };
    case "result":
      if (typeof v.id !== "number" || typeof v.type !== "number") return void 0;
      return { action: "result", id: v.id, type: v.type, fields: Array.isArray(v.fields) ? v.fields : [] };
    default:
      return void 0;
  }
}
var ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]/g;
function stripAnsi(text) {
  return text.replace(ANSI, "");
}

// src/setup/host.ts
import { execFile } from "node:child_process";
import { access, constants } from "node:fs/promises";
import { userInfo } from "node:os";
var runCommand = (command, args) => new Promise((resolve3) => {
  execFile(command, args, { maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
    const code = error ? typeof error.code === "number" ? error.code : 127 : 0;
    resolve3({ code, stdout: String(stdout), stderr: String(stderr || (error && !stdout ? error.message : "")) });
  });
});
async function detectHostFacts(run = runCommand) {
  const user = userInfo().username;
  const isRoot = process.getuid?.() === 0;
  const groupsResult = await run("id", ["-Gn"]);
  const canSudo = isRoot ? true : (await run("sudo", ["-n", "true"])).code === 0;
  return {
    user,
    groups: groupsResult.code === 0 ? groupsResult.stdout.trim().split(/\s+/) : [],
    isRoot,
    canSudo,
    binfmtDir: "/proc/sys/fs/binfmt_misc",
    nixConfPath: "/etc/nix/nix.conf",
    run
  };
}
function runAsRoot(facts, command, args) {
  if (facts.isRoot) return facts.run(command, args);
  return facts.run("sudo", ["-n", command, ...args]);
}
async function usesNixDaemon(store, env = process.env) {
  const chosen = env.NIX_REMOTE || store;
  if (chosen === "daemon" || chosen.startsWith("unix://")) return true;
  if (chosen !== "auto" && chosen !== "") return false;
  try {
    await access("/nix/var/nix/db", constants.W_OK);
    return false;
  } catch {
    return true;
  }
}
function isTrustedUser(trustedUsers, user, groups) {
  return trustedUsers.some((entry) => entry === "*" || entry === user || entry.startsWith("@") && groups.includes(entry.slice(1)));
}

// src/setup/emulation.ts
var EmulationError = class extends Error {
  constructor(message) {
    super(message);
    this.name = "EmulationError";
  }
};
var QEMU_ADVICE = "add `- uses: docker/setup-qemu-action@v3` before nix-ci (it registers QEMU with the F flag), or build this system on a native runner (for aarch64-linux: `runs-on: ubuntu-24.04-arm`)";
async function findBinfmtHandler(binfmtDir, qemuArch) {
  let names;
  try {
    names = await readdir2(binfmtDir);
  } catch {
    return void 0;
  }
  for (const name of names.sort()) {
    if (name === "status" || name === "register") continue;
    let text;
    try {
      text = await readFile(join2(binfmtDir, name), "utf8");
    } catch {
      continue;
    }
    const handler = parseBinfmtHandler(name, text);
    const interpreterName = handler.interpreter.split("/").pop() ?? "";
    const matches = name === `qemu-${qemuArch}` || interpreterName.startsWith(`qemu-${qemuArch}`) || interpreterName.startsWith(`${qemuArch}-binfmt`);
    if (matches) return handler;
  }
  return void 0;
}
function parseBinfmtHandler(name, text) {
  const field = (key) => new RegExp(`^${key}[: ]\\s*(.*)$`, "m").exec(text)?.[1].trim() ?? "";
  return { name, enabled: /^enabled$/m.test(text), interpreter: field("interpreter"), flags: field("flags") };
}
async function isBinfmtMounted(binfmtDir) {
  try {
    await readFile(join2(binfmtDir, "status"), "utf8");
    return true;
  } catch {
    return false;
  }
}
async function ensureBinfmtHandler(qemuArch, system, facts, reporter) {
  const existing = await findBinfmtHandler(facts.binfmtDir, qemuArch);
  if (existing?.enabled) return existing;
  if (!facts.canSudo) {
    throw new EmulationError(
      `No enabled QEMU binfmt_misc handler for ${system} (qemu-${qemuArch}), and nix-ci cannot register one: user '${facts.user}' is not root and has no passwordless sudo. To fix: ${QEMU_ADVICE}.`
    );
  }
  reporter.info(`Registering QEMU user emulation for ${system} (qemu-${qemuArch})`);
  if (!await isBinfmtMounted(facts.binfmtDir)) {
    const mount = await runAsRoot(facts, "mount", ["-t", "binfmt_misc", "binfmt_misc", facts.binfmtDir]);
    if (mount.code !== 0) throw new EmulationError(`Cannot mount binfmt_misc at ${facts.binfmtDir}: ${mount.stderr.trim()}. To fix: ${QEMU_ADVICE}.`);
  }
  let enable = await runAsRoot(facts, "update-binfmts", ["--enable", `qemu-${qemuArch}`]);
  if (enable.code !== 0) {
    const install = await runAsRoot(facts, "apt-get", ["install", "-y", "-q", "qemu-user-static", "binfmt-support"]);
    if (install.code !== 0) {
      throw new EmulationError(`Cannot install qemu-user-static to emulate ${system}: ${install.stderr.trim().split("\n").pop()}. To fix: ${QEMU_ADVICE}.`);
    }
    enable = await runAsRoot(facts, "update-binfmts", ["--enable", `qemu-${qemuArch}`]);
  }
  const handler = await findBinfmtHandler(facts.binfmtDir, qemuArch);
  if (!handler?.enabled) {
    throw new EmulationError(`Registering qemu-${qemuArch} did not take (${enable.stderr.trim() || "no handler listed afterwards"}). To fix: ${QEMU_ADVICE}.`);
  }
  return handler;
}
function emulationNixConfig(systems, handlers) {
  const lines = [`extra-platforms = ${systems.join(" ")}`];
  const sandboxPaths = handlers.filter((h) => !h.flags.includes("F")).map((h) => h.interpreter);
  if (sandboxPaths.length > 0) lines.push(`extra-sandbox-paths = ${[...new Set(sandboxPaths)].join(" ")}`);
  return lines.join("\n");
}
async function setUpEmulation(plans, nix, facts, reporter) {
  const emulated = plans.filter((p) => p.mode === "emulated");
  if (emulated.length === 0) return { nix, handlers: {}, how: "none" };
  const handlers = {};
  for (const plan of emulated) handlers[plan.system] = await ensureBinfmtHandler(plan.qemuArch, plan.system, facts, reporter);
  const systems = emulated.map((p) => p.system);
  const settings = emulationNixConfig(systems, Object.values(handlers));
  const config = await readNixConfig(nix);
  const daemon = await usesNixDaemon(config.store);
  const trusted = !daemon || facts.isRoot || isTrustedUser(config.trustedUsers, facts.user, facts.groups);
  let configured;
  let how;
  if (trusted) {
    configured = nix.withConfig(settings);
    how = "client-settings";
  } else {
    await writeDaemonConfig(settings, facts, systems, reporter);
    configured = nix;
    how = "nix.conf";
  }
  await confirmPlatforms(configured, systems);
  return { nix: configured, handlers, how };
}
async function writeDaemonConfig(settings, facts, systems, reporter) {
  if (!facts.canSudo) {
    throw new EmulationError(
      `Nix ignores 'extra-platforms' from user '${facts.user}', who is not in trusted-users, and nix-ci cannot edit ${facts.nixConfPath} (no root, no passwordless sudo), so ${systems.join(", ")} would silently not be built. To fix: install Nix with these settings (cachix/install-nix-action: \`extra_nix_config: extra-platforms = ${systems.join(" ")}\`), or add '${facts.user}' to trusted-users.`
    );
  }
  reporter.info(`Nix daemon does not trust '${facts.user}': writing the emulation settings to ${facts.nixConfPath} and restarting it`);
  const block = `
# Added by nix-ci for QEMU user emulation
${settings}
`;
  const append = await runAsRoot(facts, "sh", ["-c", 'printf "%s" "$1" >> "$2"', "sh", block, facts.nixConfPath]);
  if (append.code !== 0) throw new EmulationError(`Cannot write ${facts.nixConfPath}: ${append.stderr.trim()}`);
  const restart = await runAsRoot(facts, "systemctl", ["restart", "nix-daemon.service"]);
  if (restart.code !== 0) {
    throw new EmulationError(
      `Wrote ${facts.nixConfPath} but could not restart the Nix daemon (${restart.stderr.trim()}); restart it so the settings take effect.`
    );
  }
}
async function confirmPlatforms(nix, systems) {
  const nonce = randomBytes(6).toString("hex");
  for (const system of systems) {
    const expr = `derivation { name = "nix-ci-platform-probe-${nonce}"; system = ${JSON.stringify(system)}; builder = "/nix-ci/platform-probe"; }`;
    const errors = [];
    const result = await nix.run({
      args: ["build", "--no-link", "--impure", "--expr", expr],
      onLine: (line) => {
        if (line.stream === "stderr") errors.push(stripAnsi(line.text));
      }
    });
    const refusal = errors.find((line) => /is required to build|required system or feature not available/.test(line));
    if (refusal !== void 0 || result.exitCode === 0) {
      throw new EmulationError(
        `Nix still refuses to build ${system} after configuration, so it would silently build nothing for it. Nix says: ${(refusal ?? "the probe unexpectedly succeeded").trim()}. To fix: make sure 'extra-platforms' includes ${system} in the Nix daemon's nix.conf and restart the daemon, or build on a native runner.`
      );
    }
  }
}

// src/setup/platforms.ts
var QEMU_ARCH = {
  "x86_64-linux": "x86_64",
  "aarch64-linux": "aarch64",
  "i686-linux": "i386",
  "armv6l-linux": "arm",
  "armv7l-linux": "arm",
  "riscv64-linux": "riscv64",
  "powerpc64le-linux": "ppc64le",
  "s390x-linux": "s390x",
  "loongarch64-linux": "loongarch64"
};
var NATIVE_ALSO = {
  "x86_64-linux": ["i686-linux"]
};
var DARWIN_RUNNER = {
  "aarch64-darwin": "`macos-latest` (Apple silicon)",
  "x86_64-darwin": "`macos-13` (Intel)"
};
function planSystem(system, host) {
  if (system === host || (NATIVE_ALSO[host] ?? []).includes(system)) return { system, mode: "native" };
  const [, hostKernel] = host.split("-");
  const [, kernel] = system.split("-");
  if (kernel === "darwin") {
    return {
      system,
      mode: "impossible",
      reason: `${system} cannot be built on a ${host} runner: macOS binaries need a macOS builder. Build ${system} in a job on ${DARWIN_RUNNER[system] ?? "a macOS runner"}, and drop it from 'systems' here.`
    };
  }
  if (hostKernel !== "linux" || QEMU_ARCH[system] === void 0) {
    return {
      system,
      mode: "impossible",
      reason: `${system} cannot be emulated on a ${host} runner: build it in a job on a Linux runner of that architecture (for aarch64-linux: \`ubuntu-24.04-arm\`).`
    };
  }
  return { system, mode: "emulated", qemuArch: QEMU_ARCH[system] };
}
function planSystems(systems, host) {
  return systems.map((system) => planSystem(system, host));
}

// src/stages/build/build-log.ts
var TAIL_LINES = 25;
var STORE_DRV = /'(\/nix\/store\/[a-z0-9]{32}-[^'\s]+\.drv)'/;
var BuildLog = class _BuildLog {
  /**
   * @param display called with each line worth showing live: Nix's messages and builder output
   *                (with the derivation it belongs to).
   */
  constructor(display = () => {
  }) {
    this.display = display;
  }
  display;
  builds = /* @__PURE__ */ new Map();
  /** Nix's own error messages (level 0 with raw_msg), ANSI stripped, in order. */
  errors = [];
  /** Derivations Nix itself named as failed (never inferred from builder output). */
  failedDrvs = /* @__PURE__ */ new Set();
  activityDrv = /* @__PURE__ */ new Map();
  static MAX_ERRORS = 500;
  onLine = (line) => {
    if (line.stream === "stdout") return;
    const event = parseInternalJsonLine(line.text);
    if (event === void 0) {
      if (line.text.trim() !== "") this.display(stripAnsi(line.text));
      return;
    }
    this.onEvent(event, Date.now());
  };
  onEvent(event, now) {
    switch (event.action) {
      case "start":
        if (event.type === ActivityType.Build && typeof event.fields[0] === "string") {
          const drvPath = event.fields[0];
          this.activityDrv.set(event.id, drvPath);
          this.builds.set(drvPath, { drvPath, startedAt: now, tail: [] });
          this.display(stripAnsi(event.text), drvPath);
        } else if (event.type === ActivityType.Substitute || event.type === ActivityType.CopyPath) {
          if (event.text) this.display(stripAnsi(event.text));
        }
        return;
      case "stop": {
        const drvPath = this.activityDrv.get(event.id);
        const build = drvPath ? this.builds.get(drvPath) : void 0;
        if (build) build.stoppedAt = now;
        return;
      }
      case "result": {
        if (event.type !== ResultType.BuildLogLine && event.type !== ResultType.PostBuildLogLine) return;
        const drvPath = this.activityDrv.get(event.id);
        const text = stripAnsi(String(event.fields[0] ?? ""));
        if (drvPath) {
          const tail = this.builds.get(drvPath)?.tail;
          if (tail) {
            tail.push(text);
            if (tail.length > TAIL_LINES) tail.shift();
          }
        }
        this.display(text, drvPath);
        return;
      }
      case "msg": {
        const text = stripAnsi(event.msg);
        if (event.level === 0 && event.raw_msg !== void 0) {
          if (this.errors.length < _BuildLog.MAX_ERRORS) this.errors.push({ level: 0, text });
          const failed = failedDerivationOf(text);
          if (failed) this.failedDrvs.add(failed);
        }
        this.display(text);
        return;
      }
    }
  }
  /** How long a derivation's build took, if it was built in this run. */
  durationOf(drvPath) {
    const build = this.builds.get(drvPath);
    if (!build?.stoppedAt) return void 0;
    return build.stoppedAt - build.startedAt;
  }
};
function failedDerivationOf(message) {
  const firstLine = message.split("\n")[0];
  if (/dependenc(y|ies) of derivation/.test(firstLine)) return void 0;
  return STORE_DRV.exec(firstLine)?.[1];
}

// src/stages/build/evaluate.ts
var EvaluationError = class extends Error {
  constructor(message) {
    super(message);
    this.name = "EvaluationError";
  }
};
function packageAttrPath(system, pkg) {
  return `packages.${system}.${pkg}`;
}
async function evaluatePackages(nix, flake, systems, pkg, cwd) {
  const apply = `ps: builtins.listToAttrs (map (s: { name = s; value =
      if !(builtins.hasAttr s ps) then { missing = "system"; available = builtins.attrNames ps; }
      else if !(builtins.hasAttr ${JSON.stringify(pkg)} ps.\${s}) then { missing = "package"; available = builtins.attrNames ps.\${s}; }
      else { drvPath = ps.\${s}.${JSON.stringify(pkg)}.drvPath; }; }) ${nixList(systems)})`;
  const errors = [];
  const result = await nix.run({
    args: ["eval", "--json", `${flake}#packages`, "--apply", apply],
    cwd,
    captureStdoutBytes: 1 << 20,
    onLine: (line) => {
      if (line.stream === "stderr" && errors.length < 200) errors.push(stripAnsi(line.text));
    }
  });
  if (result.exitCode !== 0) {
    const text = errors.filter((l) => !/^warning: Git tree .* is dirty$/.test(l)).join("\n").trim();
    if (/does not provide attribute 'packages'/.test(text)) {
      throw new EvaluationError(`The flake '${flake}' has no 'packages' output. nix-ci builds packages.<system>.${pkg}: add it to the flake's outputs.`);
    }
    throw new EvaluationError(`Evaluating ${flake}#packages failed:
${text}`);
  }
  const answers = JSON.parse(result.stdout);
  return systems.map((system) => {
    const answer = answers[system];
    if ("drvPath" in answer) return { system, attrPath: packageAttrPath(system, pkg), drvPath: answer.drvPath };
    const available = answer.available.length > 0 ? answer.available.join(", ") : "none";
    if (answer.missing === "system") {
      throw new EvaluationError(
        `The flake '${flake}' has no packages for ${system} (packages.${system} is missing; it has packages for: ${available}). Add ${system} to the flake's systems, or remove it from the 'systems' input.`
      );
    }
    throw new EvaluationError(
      `The flake '${flake}' has no package '${pkg}' for ${system} (packages.${system}.${pkg} is missing; packages.${system} has: ${available}). Set the 'package' input to one of those.`
    );
  });
}
function nixList(items) {
  return `[ ${items.map((i) => JSON.stringify(i)).join(" ")} ]`;
}

// src/stages/build/realise.ts
var import_semver2 = __toESM(require_semver2(), 1);
function drvInstallable(drvPath, nixVersion) {
  const version = import_semver2.default.coerce(nixVersion);
  return version !== null && import_semver2.default.gte(version, "2.13.0") ? `${drvPath}^*` : drvPath;
}
function realise(options) {
  const installables = options.drvPaths.map((d) => drvInstallable(d, options.nixVersion));
  return options.nix.run({
    args: ["build", "--no-link", "--keep-going", "--log-format", "internal-json", ...options.extraArgs ?? [], ...installables],
    cwd: options.cwd,
    onLine: options.observe ? (line) => {
      options.log.onLine(line);
      options.observe?.(line);
    } : options.log.onLine,
    signal: options.signal
  });
}

// src/stages/build/build-stage.ts
async function runBuildStage(options) {
  const { reporter, flake, package: pkg } = options;
  const started = Date.now();
  const nixVersion = await options.nix.version();
  const config = await readNixConfig(options.nix);
  const host = config.system;
  const plans = planSystems(options.systems, host);
  const results = /* @__PURE__ */ new Map();
  for (const plan of plans) {
    results.set(plan.system, {
      system: plan.system,
      mode: plan.mode,
      status: "not-built",
      attrPath: packageAttrPath(plan.system, pkg),
      outPaths: [],
      failures: [],
      ...plan.mode === "impossible" ? { error: plan.reason } : {}
    });
  }
  const nix = await reporter.group("Set up: host, QEMU emulation, Nix platforms", async () => {
    reporter.info(`Nix ${nixVersion} on ${host}; building ${plans.map(describePlan).join(", ")}`);
    if (!plans.some((p) => p.mode === "emulated")) return options.nix;
    try {
      const facts = options.hostFacts ?? await detectHostFacts();
      const setup = await setUpEmulation(plans, options.nix, facts, reporter);
      for (const [system, handler] of Object.entries(setup.handlers)) {
        reporter.info(`${system}: QEMU handler ${handler.name} (${handler.interpreter}, flags ${handler.flags || "none"})`);
      }
      reporter.info(`Nix accepts the emulated systems (settings applied via ${setup.how}; confirmed by a probe build)`);
      return setup.nix;
    } catch (error) {
      if (!(error instanceof EmulationError)) throw error;
      for (const plan of plans.filter((p) => p.mode === "emulated")) {
        const result = results.get(plan.system);
        result.error = error.message;
      }
      reporter.error(error.message, { title: "QEMU emulation unavailable" });
      return options.nix;
    }
  });
  const buildable = plans.filter((p) => p.mode !== "impossible" && results.get(p.system)?.error === void 0);
  const evaluated = buildable.length ? await evaluatePackages(nix, flake, buildable.map((p) => p.system), pkg, options.cwd) : [];
  const derivations = await showDerivationClosure(nix, evaluated.map((e) => e.drvPath));
  const closures = new Map(evaluated.map((e) => [e.system, closureOf(e.drvPath, derivations)]));
  for (const e of evaluated) {
    const result = results.get(e.system);
    result.drvPath = e.drvPath;
    result.outPaths = outputPathsOf(e.drvPath, derivations);
  }
  const systemsOfDrv = indexSystemsByDrv(closures);
  const log = new BuildLog((text, drvPath) => reporter.info(prefixLine(text, drvPath, systemsOfDrv, derivations)));
  const fodDrvs = [...derivations.values()].filter(isFixedOutput).map((d) => d.drvPath);
  const fodValidBefore = await pathInfo(nix, fodDrvs.flatMap((d) => outputPathsOf(d, derivations)));
  const isValidIn = (infos, d) => outputPathsOf(d, derivations).every((p) => infos.get(p)?.valid === true);
  const nativeFodsFirst = nativeFodsSharedWithEmulated(buildable, closures, derivations).filter((d) => !isValidIn(fodValidBefore, d));
  const realiseWith = { nix, nixVersion, log, cwd: options.cwd, signal: options.signal, observe: options.observe };
  let cancelled = false;
  if (nativeFodsFirst.length > 0) {
    await reporter.group(`Fixed-output derivations, built natively first (${nativeFodsFirst.length})`, async () => {
      const run = await realise({ ...realiseWith, drvPaths: nativeFodsFirst });
      cancelled ||= run.cancelled;
    });
  }
  const failedFirst = new Set(nativeFodsFirst.filter((d) => log.failedDrvs.has(d)).flatMap((d) => outputPathsOf(d, derivations)));
  const toBuild = evaluated.filter((e) => ![...closures.get(e.system) ?? []].some((d) => outputPathsOf(d, derivations).some((p) => failedFirst.has(p))));
  for (const e of evaluated.filter((e2) => !toBuild.includes(e2))) {
    reporter.info(`${e.system}: not built again, it needs a fixed-output derivation that already failed above`);
  }
  const mainStart = Date.now();
  if (!cancelled && toBuild.length > 0) {
    await reporter.group(`Build ${toBuild.map((e) => e.system).join(", ")} (one nix invocation)`, async () => {
      const run = await realise({ ...realiseWith, drvPaths: toBuild.map((e) => e.drvPath) });
      cancelled ||= run.cancelled;
      reporter.info(`nix build exited with ${run.exitCode ?? run.signal} after ${(run.durationMs / 1e3).toFixed(1)} s`);
    });
  }
  const validAfter = await pathInfo(nix, [...evaluated.flatMap((e) => results.get(e.system).outPaths), ...fodDrvs.flatMap((d) => outputPathsOf(d, derivations))]);
  await settleResults(validAfter, evaluated, results, derivations, closures, log, mainStart, cancelled);
  const systems = plans.map((p) => results.get(p.system));
  const fodValidAfter = validAfter;
  const fixedOutputs = fodDrvs.map((drvPath) => {
    const drv = derivations.get(drvPath);
    const output = Object.values(drv.outputs)[0];
    return {
      drvPath,
      name: drv.name,
      system: drv.system,
      outputPaths: outputPathsOf(drvPath, derivations),
      hash: output?.hash ?? "",
      hashAlgo: output?.hashAlgo ?? "",
      validBefore: isValidIn(fodValidBefore, drvPath),
      validAfter: isValidIn(fodValidAfter, drvPath),
      neededBy: [...closures].filter(([, closure]) => closure.has(drvPath)).map(([system]) => system)
    };
  });
  return {
    ok: !cancelled && systems.every((s) => s.status === "built"),
    hostSystem: host,
    nixVersion,
    systems,
    cancelled,
    nativeFodsFirst,
    builtDerivations: [...log.builds.keys()],
    fixedOutputs,
    nix,
    nixErrors: log.errors.map((e) => e.text),
    durationMs: Date.now() - started
  };
}
async function settleResults(infos, evaluated, results, derivations, closures, log, mainStart, cancelled) {
  for (const { system, drvPath } of evaluated) {
    const result = results.get(system);
    const valid = result.outPaths.length > 0 && result.outPaths.every((p) => infos.get(p)?.valid === true);
    const top = log.builds.get(drvPath);
    result.alreadyValid = valid && top === void 0 && ![...closures.get(system) ?? []].some((d) => log.builds.has(d));
    result.durationMs = top?.stoppedAt !== void 0 ? top.stoppedAt - mainStart : result.alreadyValid ? 0 : void 0;
    result.failures = failuresIn(closures.get(system) ?? /* @__PURE__ */ new Set(), derivations, log);
    if (!valid) {
      result.status = cancelled ? "cancelled" : "failed";
      result.error ??= cancelled ? "The build was cancelled before this system finished." : result.failures.length > 0 ? `Failed: ${result.failures.map((f) => f.name).join(", ")}` : "Nix did not produce this package (see the build log above).";
      continue;
    }
    result.closureSize = result.outPaths.reduce((sum, p) => sum + (infos.get(p)?.closureSize ?? 0), 0);
    result.status = "built";
    for (const outPath of result.outPaths) {
      const elf = await checkElfMachines(outPath, system);
      result.elf = mergeElf(result.elf, elf);
    }
    if (result.elf && result.elf.wrongMachine.length > 0) {
      const found = [...new Set(result.elf.wrongMachine.map((f) => machineName(f.machine)))].join(", ");
      const examples = result.elf.wrongMachine.slice(0, 3).map((f) => f.path).join(", ");
      result.status = "failed";
      result.error = `The ${system} output holds ${result.elf.wrongMachine.length} ELF file(s) built for ${found}, not for ${system} (e.g. ${examples}). Likely cause: a prebuilt binary fetched for the wrong platform (a per-arch download or precompiled NIF pinned to one arch), or a build that used the build platform's compiler where the host platform's was needed (check \`buildPackages\` vs \`pkgs\`).`;
    }
  }
}
function failuresIn(closure, derivations, log) {
  const closureOutputs = new Set([...closure].flatMap((d) => outputPathsOf(d, derivations)));
  return [...log.failedDrvs].filter((d) => closure.has(d) || outputPathsOf(d, derivations).some((p) => closureOutputs.has(p))).map((drvPath) => ({
    drvPath,
    name: derivations.get(drvPath)?.name ?? drvPath,
    message: log.errors.find((e) => e.text.split("\n")[0].includes(drvPath))?.text,
    tail: log.builds.get(drvPath)?.tail ?? []
  }));
}
function nativeFodsSharedWithEmulated(plans, closures, derivations) {
  const fodOutputs = (system) => {
    const outputs = /* @__PURE__ */ new Map();
    for (const drvPath of closures.get(system) ?? []) {
      const drv = derivations.get(drvPath);
      if (drv && isFixedOutput(drv)) for (const o of Object.values(drv.outputs)) outputs.set(o.path, drvPath);
    }
    return outputs;
  };
  const emulatedNeeds = /* @__PURE__ */ new Set();
  for (const plan of plans.filter((p) => p.mode === "emulated")) for (const path of fodOutputs(plan.system).keys()) emulatedNeeds.add(path);
  const first = /* @__PURE__ */ new Set();
  for (const plan of plans.filter((p) => p.mode === "native")) {
    for (const [path, drvPath] of fodOutputs(plan.system)) if (emulatedNeeds.has(path)) first.add(drvPath);
  }
  return [...first].sort();
}
function outputPathsOf(drvPath, derivations) {
  return Object.values(derivations.get(drvPath)?.outputs ?? {}).map((o) => o.path);
}
function indexSystemsByDrv(closures) {
  const index = /* @__PURE__ */ new Map();
  for (const [system, closure] of closures) for (const drv of closure) index.set(drv, [...index.get(drv) ?? [], system]);
  return index;
}
function prefixLine(text, drvPath, systemsOfDrv, derivations) {
  if (drvPath === void 0) return text;
  const drv = derivations.get(drvPath);
  const system = drv?.system ?? systemsOfDrv.get(drvPath)?.join(",") ?? "?";
  const name = drv?.name ?? drvPath.replace(/^\/nix\/store\/[a-z0-9]{32}-/, "");
  return `[${system}] ${name}> ${text}`;
}
function describePlan(plan) {
  return plan.mode === "impossible" ? `${plan.system} (impossible here)` : `${plan.system} (${plan.mode})`;
}
function mergeElf(a, b) {
  if (!a) return b;
  return {
    checkedFiles: a.checkedFiles + b.checkedFiles,
    elfFiles: a.elfFiles + b.elfFiles,
    wrongMachine: [...a.wrongMachine, ...b.wrongMachine],
    truncated: a.truncated || b.truncated
  };
}

// src/hashes/codec.ts
import { Buffer as Buffer2 } from "node:buffer";
var DIGEST_BYTES = { sha1: 20, sha256: 32, sha512: 64 };
var ALGOS = Object.keys(DIGEST_BYTES);
var InvalidHashError = class extends Error {
  constructor(text, reason) {
    super(`'${text}' is not a valid Nix hash: ${reason}`);
    this.text = text;
    this.name = "InvalidHashError";
  }
  text;
};
var NIX32_ALPHABET = "0123456789abcdfghijklmnpqrsvwxyz";
var NIX32_INDEX = new Map([...NIX32_ALPHABET].map((c, i) => [c, i]));
function nix32Length(bytes) {
  return Math.ceil(bytes * 8 / 5);
}
function base64Length(bytes) {
  return Math.ceil(bytes / 3) * 4;
}
function toNix32(digest) {
  let out = "";
  for (let n = nix32Length(digest.length) - 1; n >= 0; n--) {
    const b = n * 5;
    const i = b >> 3;
    const j = b & 7;
    const c = digest[i] >> j | (i + 1 < digest.length ? digest[i + 1] << 8 - j : 0);
    out += NIX32_ALPHABET[c & 31];
  }
  return out;
}
function fromNix32(text, bytes) {
  if (text.length !== nix32Length(bytes)) return void 0;
  const digest = Buffer2.alloc(bytes);
  for (let n = 0; n < text.length; n++) {
    const digit = NIX32_INDEX.get(text[text.length - n - 1]);
    if (digit === void 0) return void 0;
    const b = n * 5;
    const i = b >> 3;
    const j = b & 7;
    digest[i] |= digit << j & 255;
    const carry = digit >> 8 - j;
    if (i < bytes - 1) digest[i + 1] |= carry;
    else if (carry !== 0) return void 0;
  }
  return digest;
}
function fromBase16(text, bytes) {
  if (text.length !== bytes * 2 || !/^[0-9a-fA-F]*$/.test(text)) return void 0;
  return Buffer2.from(text, "hex");
}
function fromBase64(text, bytes) {
  if (text.length !== base64Length(bytes) || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return void 0;
  const digest = Buffer2.from(text, "base64");
  if (digest.length !== bytes || digest.toString("base64") !== text) return void 0;
  return digest;
}
function encodeDigest(digest, encoding) {
  const buf = Buffer2.from(digest);
  switch (encoding) {
    case "nix32":
      return toNix32(buf);
    case "base16":
      return buf.toString("hex");
    case "base64":
      return buf.toString("base64");
  }
}
function isAlgo(text) {
  return ALGOS.includes(text);
}
function decodeBare(text, algo) {
  const bytes = DIGEST_BYTES[algo];
  if (text.length === bytes * 2) {
    const digest = fromBase16(text, bytes);
    return digest && { digest, encoding: "base16" };
  }
  if (text.length === nix32Length(bytes)) {
    const digest = fromNix32(text, bytes);
    return digest && { digest, encoding: "nix32" };
  }
  if (text.length === base64Length(bytes)) {
    const digest = fromBase64(text, bytes);
    return digest && { digest, encoding: "base64" };
  }
  return void 0;
}
function tryParseHash(text, algo) {
  const sri2 = /^(sha1|sha256|sha512)-(.*)$/.exec(text);
  if (sri2) {
    const a = sri2[1];
    if (algo !== void 0 && algo !== a) return void 0;
    const digest = fromBase64(sri2[2], DIGEST_BYTES[a]);
    return digest && { algo: a, digest, encoding: "sri", prefixed: false };
  }
  const colon = /^([a-z0-9]+):(.*)$/.exec(text);
  if (colon) {
    if (!isAlgo(colon[1]) || algo !== void 0 && algo !== colon[1]) return void 0;
    const bare = decodeBare(colon[2], colon[1]);
    return bare && { algo: colon[1], ...bare, prefixed: true };
  }
  for (const a of algo ? [algo] : ALGOS) {
    const bare = decodeBare(text, a);
    if (bare) return { algo: a, ...bare, prefixed: false };
  }
  return void 0;
}
function parseHash(text, algo) {
  const parsed = tryParseHash(text, algo);
  if (!parsed) {
    throw new InvalidHashError(
      text,
      algo ? `expected a ${algo} hash as SRI (${algo}-\u2026), ${algo}:\u2026 or bare nix32/base16/base64 of the right length` : "expected SRI (sha256-\u2026), sha256:\u2026 , or a bare nix32/base16/base64 digest of a known length"
    );
  }
  return parsed;
}
function formatHash(algo, digest, form) {
  if (digest.length !== DIGEST_BYTES[algo]) {
    throw new Error(`A ${algo} digest has ${DIGEST_BYTES[algo]} bytes, not ${digest.length}`);
  }
  if (form.encoding === "sri") return `${algo}-${Buffer2.from(digest).toString("base64")}`;
  const body = encodeDigest(digest, form.encoding);
  return form.prefixed ? `${algo}:${body}` : body;
}
function toSri(hash) {
  const h = typeof hash === "string" ? parseHash(hash) : hash;
  return formatHash(h.algo, h.digest, { encoding: "sri", prefixed: false });
}
function hashesEqual(a, b) {
  return a.algo === b.algo && a.digest.equals(b.digest);
}
function allSpellings(hash) {
  const forms = [
    { encoding: "sri", prefixed: false },
    { encoding: "nix32", prefixed: true },
    { encoding: "base16", prefixed: true },
    { encoding: "base64", prefixed: true },
    { encoding: "nix32", prefixed: false },
    { encoding: "base16", prefixed: false },
    { encoding: "base64", prefixed: false }
  ];
  return forms.map((form) => ({ text: formatHash(hash.algo, hash.digest, form), form }));
}
var FAKE_HASHES = {
  fakeHash: `sha256-${"A".repeat(43)}=`,
  fakeSha256: "0".repeat(52),
  fakeSha512: "0".repeat(128)
};
var FAKE_HASH_EXPRESSION = /^(?:[A-Za-z_][\w'-]*\.)*fake(Hash|Sha1|Sha256|Sha512)$/;
function fakeExpressionAlgo(expression) {
  const m = FAKE_HASH_EXPRESSION.exec(expression);
  if (!m) return void 0;
  return { Hash: "sha256", Sha1: "sha1", Sha256: "sha256", Sha512: "sha512" }[m[1]];
}
function isZeroDigest(digest) {
  return digest.every((b) => b === 0);
}
function encodeLike(newHash, oldHashText) {
  const next = typeof newHash === "string" ? parseHash(newHash) : newHash;
  let form = { encoding: "sri", prefixed: false };
  let oldAlgo = fakeExpressionAlgo(oldHashText);
  if (oldHashText !== "" && oldAlgo === void 0) {
    const old = tryParseHash(oldHashText, next.algo) ?? tryParseHash(oldHashText);
    if (!old) throw new InvalidHashError(oldHashText, "cannot tell which form to write the new hash in");
    form = { encoding: old.encoding, prefixed: old.prefixed };
    oldAlgo = old.algo;
    if (old.encoding === "base16" && /[A-F]/.test(oldHashText) && !/[a-f]/.test(oldHashText)) {
      if (oldAlgo !== next.algo) throw algoMismatch(next.algo, oldAlgo);
      const text = formatHash(next.algo, next.digest, form);
      return old.prefixed ? `${next.algo}:${text.slice(next.algo.length + 1).toUpperCase()}` : text.toUpperCase();
    }
  }
  if (oldAlgo !== void 0 && oldAlgo !== next.algo) throw algoMismatch(next.algo, oldAlgo);
  return formatHash(next.algo, next.digest, form);
}
function algoMismatch(next, old) {
  return new Error(
    `Refusing to replace a ${old} hash with a ${next} hash: Nix reports the hash it got in the algorithm that was specified, so this pairing means the mismatch and the location do not belong together.`
  );
}

// src/hashes/mismatch-parser.ts
function isActionable(mismatch) {
  return mismatch.source === "nix";
}
var STORE_PATH = /^\/(?:[^\s'/]+\/)+[0123456789abcdfghijklmnpqrsvwxyz]{32}-[A-Za-z0-9+\-._?=]+$/;
var FOD_HEADER = /^\s*(?:error:\s*)?hash mismatch in fixed-output derivation '([^']+)':\s*$/;
var IMPORT_HEADER = /^\s*(?:error:\s*)?(?:ca )?hash mismatch importing path '([^']+)';\s*$/;
var DOWNLOAD_HEADER = /^\s*(?:error:\s*)?hash mismatch in file downloaded from '([^']+)':\s*$/;
var NAR_INPUT = /^\s*(?:error:\s*)?NAR hash mismatch in input '(.*?)'(?: \([^)]*\))?, expected '([^']+)'(?:(?:,| but) got '([^']+)')?/;
var FIELD_INPUT = /^\s*(?:error:\s*)?mismatch in field '([^']+)' of input '(.*)', got '(.*)'\s*$/;
var NIX_20 = /^\s*(?:error:\s*)?fixed-output derivation produced path '([^']+)' with (sha1|sha256|sha512) hash '([^']+)' instead of the expected hash '([^']+)'/;
var SPECIFIED = /^\s*(specified|wanted):\s*(\S+)\s*$/;
var GOT = /^\s*got:\s*(\S+)\s*$/;
var LIKELY_URL = /^\s*likely URL:\s*(.*?)\s*$/;
var LIX_PATHS = /^\s*(?:expected path|got path):\s*\S*\s*$/;
var BUILDER_PREFIX = /^[A-Za-z0-9+\-._?=]+> ?/;
var QUOTED_LOG = /^\s*> ?/;
var MAX_BODY_LINES = 10;
var MAX_PENDING_ACTIVITIES = 64;
var MismatchParser = class {
  constructor(options) {
    this.options = options;
    this.maxReports = options.maxReports ?? 1e3;
  }
  options;
  mismatches = [];
  others = [];
  truncated = false;
  lineNo = 0;
  plainBlock;
  plainBuilderBlock;
  /** Builder output of internal-json runs (result events), per activity, while a report-like block is open. */
  resultBlocks = /* @__PURE__ */ new Map();
  maxReports;
  /** Feeds the runner's lines (stderr only; stdout carries results, not logs). */
  onLine = (line) => {
    if (line.stream === "stderr") this.push(line.text);
  };
  /** One log line, without its newline. */
  push(rawLine) {
    this.lineNo++;
    if (rawLine.startsWith("@nix ")) {
      this.pushInternalJson(rawLine);
      return;
    }
    if (this.options.trust === "internal-json-only") return;
    if (!this.plainBlock && !this.plainBuilderBlock && !mayStartReport(rawLine)) return;
    const line = stripAnsi(rawLine).replace(/\r$/, "");
    const prefixed = BUILDER_PREFIX.exec(line) ?? QUOTED_LOG.exec(line);
    if (prefixed) {
      this.plainBuilderBlock = this.step(this.plainBuilderBlock, line.slice(prefixed[0].length), "builder-output");
    } else {
      this.plainBlock = this.step(this.plainBlock, line, "unverified");
    }
  }
  /** Closes what is still open; returns everything found so far. */
  finish() {
    this.plainBlock = void 0;
    this.plainBuilderBlock = void 0;
    this.resultBlocks.clear();
    return this.result();
  }
  result() {
    return { mismatches: [...this.mismatches], otherHashErrors: [...this.others], truncated: this.truncated };
  }
  pushInternalJson(rawLine) {
    const interesting = mayStartReport(rawLine);
    if (!interesting && (this.resultBlocks.size === 0 || !rawLine.includes('"result"'))) return;
    const logLine = builderLogLine(rawLine);
    if (logLine) {
      this.readBuilderLine(logLine.id, logLine.text);
      return;
    }
    const event = parseInternalJsonLine(rawLine);
    if (!event) return;
    if (event.action === "msg") {
      if (event.level !== 0) return;
      const verified = event.raw_msg !== void 0;
      this.readMessage(verified ? event.raw_msg : event.msg, verified ? "nix" : "unverified");
      return;
    }
    if (event.action === "result") {
      if (event.type !== ResultType.BuildLogLine && event.type !== ResultType.PostBuildLogLine) return;
      this.readBuilderLine(event.id, typeof event.fields[0] === "string" ? event.fields[0] : "");
    }
  }
  /** A builder's output line (result event): only ever 'builder-output'. */
  readBuilderLine(id, rawText) {
    const open2 = this.resultBlocks.get(id);
    if (!open2 && !mayStartReport(rawText)) return;
    const next = this.step(open2, stripAnsi(rawText), "builder-output");
    if (next) {
      if (!open2 && this.resultBlocks.size >= MAX_PENDING_ACTIVITIES) return;
      this.resultBlocks.set(id, next);
    } else {
      this.resultBlocks.delete(id);
    }
  }
  /**
   * A whole message from Nix's logger. Its first line must be the report's header and every other
   * line must belong to the report, with exactly one `specified`/`wanted` and one `got`: text that
   * is merely contained in a message (a failed builder's quoted tail, an evaluation trace, or a
   * derivation's `url` that Lix prints as "likely URL") is never read as a report.
   */
  readMessage(message, source) {
    const lines = stripAnsi(message).replace(/\n+$/, "").split("\n");
    if (lines.length > MAX_BODY_LINES + 1) return;
    const body = lines.slice(1);
    const count = (re) => body.filter((l) => re.test(l)).length;
    const known = (l) => l.trim() === "" || SPECIFIED.test(l) || GOT.test(l) || LIKELY_URL.test(l) || LIX_PATHS.test(l);
    let block = this.openBlock(lines[0], source);
    if (!block) return;
    if (!body.every(known) || count(SPECIFIED) !== 1 || count(GOT) !== 1 || count(LIKELY_URL) > 1) return;
    for (const line of body) {
      const next = this.continueBlock(block, line);
      if (next === "rejected" || next === void 0) return;
      block = next;
    }
  }
  /** Advances a plain/result line stream by one line; returns the block still open, if any. */
  step(open2, line, source) {
    if (open2) {
      const next = this.continueBlock(open2, line);
      if (next !== "rejected") return next;
    }
    return this.openBlock(line, source);
  }
  openBlock(line, source) {
    let m;
    const base = { headerText: line, line: this.lineNo, source, lixLines: false, bodyLines: 0 };
    if ((m = FOD_HEADER.exec(line)) && STORE_PATH.test(m[1])) return { ...base, category: "fod", subject: m[1] };
    if (m = IMPORT_HEADER.exec(line)) return { ...base, category: "path-import", subject: m[1] };
    if (m = DOWNLOAD_HEADER.exec(line)) return { ...base, category: "fetcher-download", subject: m[1] };
    if (m = NAR_INPUT.exec(line)) {
      this.addOther({ kind: "flake-input-nar-hash", subject: m[1], specified: m[2], got: m[3], source, line: this.lineNo, text: line });
    } else if (m = FIELD_INPUT.exec(line)) {
      this.addOther({ kind: "flake-input-field", subject: m[2], source, line: this.lineNo, text: line });
    } else if ((m = NIX_20.exec(line)) && STORE_PATH.test(m[1])) {
      const algo = m[2];
      if (tryParseHash(m[4], algo) && tryParseHash(m[3], algo)) {
        this.addMismatch({
          derivation: m[1],
          kind: m[1].endsWith(".drv") ? "drv" : "output-path",
          specified: m[4],
          got: m[3],
          algo,
          source,
          format: "nix-2.0",
          line: this.lineNo
        });
      }
    }
    return void 0;
  }
  continueBlock(block, line) {
    if (++block.bodyLines > MAX_BODY_LINES) return "rejected";
    let m;
    if (line.trim() === "") return block;
    if (m = SPECIFIED.exec(line)) {
      if (block.specified !== void 0) return "rejected";
      block.specified = m[2];
      block.specifiedWord = m[1];
      return block;
    }
    if (m = GOT.exec(line)) {
      if (block.specified === void 0) return "rejected";
      block.got = m[1];
      return this.complete(block);
    }
    if ((m = LIKELY_URL.exec(line)) && block.specified === void 0) {
      block.likelyUrl = m[1];
      block.lixLines = true;
      return block;
    }
    if (LIX_PATHS.test(line)) return block;
    return "rejected";
  }
  complete(block) {
    const specified = block.specified;
    const got = block.got;
    const a = tryParseHash(specified);
    const b = tryParseHash(got);
    if (!a || !b || a.algo !== b.algo) return "rejected";
    if (block.category === "fod") {
      this.addMismatch({
        derivation: block.subject,
        kind: block.subject.endsWith(".drv") ? "drv" : "output-path",
        specified,
        got,
        algo: a.algo,
        source: block.source,
        format: block.lixLines ? "lix" : block.specifiedWord === "wanted" ? "nix-2.3" : "nix-2.4+",
        ...block.likelyUrl !== void 0 ? { likelyUrl: block.likelyUrl } : {},
        line: block.line
      });
    } else {
      this.addOther({
        kind: block.category,
        subject: block.subject,
        specified,
        got,
        source: block.source,
        line: block.line,
        text: block.headerText
      });
    }
    return void 0;
  }
  addMismatch(mismatch) {
    if (this.mismatches.length >= this.maxReports) {
      this.truncated = true;
      return;
    }
    this.mismatches.push(mismatch);
  }
  addOther(error) {
    if (this.others.length >= this.maxReports) {
      this.truncated = true;
      return;
    }
    const text = error.text.trim().slice(0, 500);
    this.others.push({ ...error, text });
  }
};
var BUILDER_LOG_LINE = /^@nix \{"action":"result","fields":\[("(?:[^"\\]|\\.)*")\],"id":(\d+),"type":10[17]\}$/;
function builderLogLine(rawLine) {
  const m = BUILDER_LOG_LINE.exec(rawLine);
  if (!m) return void 0;
  try {
    return { id: Number(m[2]), text: JSON.parse(m[1]) };
  } catch {
    return void 0;
  }
}
function mayStartReport(text) {
  return text.includes("mismatch") || text.includes("instead of the expected hash");
}

// src/stages/hashes/discover.ts
function liveMismatchParser() {
  return new MismatchParser({ trust: "internal-json-only" });
}
function fodOfReport(report, fixedOutputs) {
  return fixedOutputs.find((f) => report.kind === "drv" ? f.drvPath === report.derivation : f.outputPaths.includes(report.derivation));
}
function staleFodsOf(reports, fixedOutputs, silent = false) {
  const stale = [];
  for (const report of reports.filter(isActionable)) {
    const fod = fodOfReport(report, fixedOutputs);
    stale.push({
      drvPath: fod?.drvPath ?? report.derivation,
      name: fod?.name ?? report.derivation.replace(/^\/nix\/store\/[a-z0-9]{32}-/, "").replace(/\.drv$/, ""),
      system: fod?.system ?? "unknown",
      specified: report.specified,
      got: report.got,
      silent
    });
  }
  return stale;
}
function fodsNeedingConfirmation(reports, fixedOutputs) {
  const covered = new Set(reports.filter(isActionable).flatMap((r) => fodOfReport(r, fixedOutputs)?.outputPaths ?? []));
  const needing = [];
  for (const fod of fixedOutputs) {
    if (fod.validAfter || fod.outputPaths.some((p) => covered.has(p))) continue;
    fod.outputPaths.forEach((p) => covered.add(p));
    needing.push(fod);
  }
  return needing;
}
async function buildEachAlone(context, fods, check) {
  const outcome = { stale: [], otherHashErrors: [] };
  for (const fod of fods) {
    if (context.signal?.aborted) break;
    const parser = liveMismatchParser();
    const log = new BuildLog((text) => context.reporter.info(text));
    await realise({
      nix: context.nix,
      nixVersion: context.nixVersion,
      drvPaths: [fod.drvPath],
      log,
      observe: parser.onLine,
      extraArgs: check ? ["--rebuild"] : [],
      cwd: context.cwd,
      signal: context.signal
    });
    const result = parser.finish();
    outcome.stale.push(...staleFodsOf(result.mismatches, context.fixedOutputs, check));
    outcome.otherHashErrors.push(...result.otherHashErrors);
  }
  return outcome;
}

// src/stages/hashes/fix-hashes-stage.ts
import { readFileSync as readFileSync4, writeFileSync as writeFileSync3 } from "node:fs";
import { join as join6 } from "node:path";

// src/hashes/locate.ts
import { Buffer as Buffer3 } from "node:buffer";

// src/hashes/nix-source.ts
function scanNixSource(text) {
  const chars = text.split("");
  const braces = [];
  const stack = [];
  const mode = () => stack[stack.length - 1]?.kind ?? "code";
  const blank = (from, to) => {
    for (let k = from; k < to; k++) if (chars[k] !== "\n") chars[k] = " ";
  };
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    const m = mode();
    if (m === "dq") {
      if (c === "\\") i += 2;
      else if (c === "$" && text[i + 1] === "{") {
        stack.push({ kind: "interp", pos: i + 1 });
        i += 2;
      } else {
        if (c === '"') stack.pop();
        i++;
      }
      continue;
    }
    if (m === "ind") {
      if (c === "'" && text[i + 1] === "'") {
        const next = text[i + 2];
        if (next === "$" || next === "'") i += 3;
        else if (next === "\\") i += 4;
        else {
          stack.pop();
          i += 2;
        }
      } else if (c === "$" && text[i + 1] === "{") {
        stack.push({ kind: "interp", pos: i + 1 });
        i += 2;
      } else i++;
      continue;
    }
    if (c === "#") {
      const end = text.indexOf("\n", i);
      const stop = end === -1 ? text.length : end;
      blank(i, stop);
      i = stop;
    } else if (c === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      const stop = end === -1 ? text.length : end + 2;
      blank(i, stop);
      i = stop;
    } else if (c === '"') {
      stack.push({ kind: "dq", pos: i });
      i++;
    } else if (c === "'" && text[i + 1] === "'") {
      stack.push({ kind: "ind", pos: i });
      i += 2;
    } else if (c === "{") {
      stack.push({ kind: "brace", pos: i });
      i++;
    } else if (c === "}") {
      const top = stack[stack.length - 1];
      if (top && (top.kind === "brace" || top.kind === "interp")) {
        stack.pop();
        braces.push({ open: top.pos, close: i, interpolation: top.kind === "interp" });
      }
      i++;
    } else i++;
  }
  return { masked: chars.join(""), braces };
}
function enclosingAttrsets(map, offset) {
  return map.braces.filter((b) => !b.interpolation && b.open < offset && offset < b.close).sort((a, b) => b.open - a.open);
}
function directStringBindings(map, set) {
  const nested = map.braces.filter((b) => !b.interpolation && b.open > set.open && b.close < set.close);
  const isNested = (pos) => nested.some((b) => b.open < pos && pos < b.close);
  const body = map.masked.slice(set.open + 1, set.close);
  const out = [];
  const re = /(?:^|[;{\s])([A-Za-z_][\w'-]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*;/g;
  for (let m = re.exec(body); m; m = re.exec(body)) {
    const offset = set.open + 1 + m.index;
    if (!isNested(offset + m[0].indexOf(m[1]))) out.push({ name: m[1], value: m[2], offset });
  }
  return out;
}
function calleeBefore(map, set) {
  const before = map.masked.slice(Math.max(0, set.open - 120), set.open);
  return /([A-Za-z_][\w'.-]*)\s*(?:\(\s*)?$/.exec(before)?.[1];
}
function templateMatcher(template, resolve3) {
  let source = "";
  let literal = "";
  let rest = template;
  for (; ; ) {
    const start = rest.indexOf("${");
    if (start === -1) break;
    const end = rest.indexOf("}", start);
    if (end === -1) break;
    literal += rest.slice(0, start);
    source += escapeRegex(rest.slice(0, start));
    const value = resolve3(rest.slice(start + 2, end).trim());
    if (value !== void 0) {
      literal += value;
      source += escapeRegex(value);
    } else {
      source += ".+";
    }
    rest = rest.slice(end + 1);
  }
  literal += rest;
  source += escapeRegex(rest);
  return { regex: new RegExp(`^${source}$`), literalChars: (literal.match(/[A-Za-z0-9]/g) ?? []).length };
}
function escapeRegex(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
function parseDrvName(name) {
  for (let i = 0; i < name.length - 1; i++) {
    if (name[i] === "-" && !/[A-Za-z]/.test(name[i + 1])) return { pname: name.slice(0, i), version: name.slice(i + 1) };
  }
  return { pname: name, version: "" };
}
function derivationName(storePath) {
  const base = storePath.slice(storePath.lastIndexOf("/") + 1);
  const name = base.replace(/^[0-9a-z]{32}-/, "");
  return name.endsWith(".drv") ? name.slice(0, -4) : name;
}

// src/hashes/repo-files.ts
import { execFileSync } from "node:child_process";
import { lstatSync, readFileSync } from "node:fs";
import { join as join3 } from "node:path";
var MAX_TEXT_FILE_BYTES = 1 << 20;
function readTrackedTextFiles(repoDir) {
  let listing;
  try {
    listing = execFileSync("git", ["-C", repoDir, "ls-files", "-z", "--cached"], {
      encoding: "utf8",
      maxBuffer: 64 << 20,
      stdio: ["ignore", "pipe", "pipe"]
    });
  } catch (err) {
    const detail = err.stderr?.trim() || String(err);
    throw new Error(`Cannot list the files of the git repository at ${repoDir} (${detail}). Run nix-ci inside a git checkout.`);
  }
  const files = [];
  let skipped = 0;
  for (const path of new Set(listing.split("\0").filter((p) => p !== ""))) {
    const full = join3(repoDir, path);
    let size;
    try {
      const stat = lstatSync(full);
      if (!stat.isFile()) {
        skipped++;
        continue;
      }
      size = stat.size;
    } catch {
      skipped++;
      continue;
    }
    if (size > MAX_TEXT_FILE_BYTES) {
      skipped++;
      continue;
    }
    const bytes = readFileSync(full);
    if (isBinary(bytes)) {
      skipped++;
      continue;
    }
    files.push({ path, text: bytes.toString("latin1") });
  }
  return { repoDir, files, skipped };
}
function isBinary(bytes) {
  return bytes.subarray(0, 8e3).includes(0);
}

// src/hashes/locate.ts
var HASH_ATTRIBUTE = /^(?:hash|sha1|sha256|sha512|outputHash|[A-Za-z][\w'-]*(?:Hash|Sha1|Sha256|Sha512))$/;
function locateStaleHash(repo, stale) {
  const files = typeof repo === "string" ? readTrackedTextFiles(repo) : repo;
  const specified = parseHash(stale.specified, stale.algo);
  const name = derivationName(stale.derivation);
  const fake = isZeroDigest(specified.digest);
  const candidates = fake ? findPlaceholders(files.files, specified.algo) : findHashOccurrences(files.files, specified);
  const where2 = (list) => list.map((o) => `  ${o.file}:${o.line}:${o.column}  ${show(o)}`).join("\n");
  const subject = fake ? `the placeholder hash of '${name}' (Nix reports it as ${stale.specified})` : `the stale hash ${stale.specified} of '${name}'`;
  if (candidates.length === 0) {
    return {
      kind: "not-found",
      candidates,
      message: `Could not find ${subject} in any git-tracked text file` + (fake ? ' (looked for lib.fakeHash, lib.fakeSha256/512, "" and all-zero hashes bound to a hash attribute)' : " in any encoding (SRI, nix32, base16, base64, with or without the sha256: prefix)") + (files.skipped > 0 ? `; ${files.skipped} tracked files were skipped as binary, symlinks or larger than 1 MiB` : "") + '. It may come from a flake input or another repository, or from an untracked file: update it there, using the hash Nix printed as "got".'
    };
  }
  if (!fake && candidates.length === 1) {
    return { kind: "found", occurrence: candidates[0], candidates, message: `Found ${subject} at ${at(candidates[0])}.` };
  }
  const scored = candidates.map((o) => ({ o, score: scoreForDerivation(files.files, o, name) }));
  const best = Math.max(...scored.map((s) => s.score));
  const top = scored.filter((s) => s.score === best).map((s) => s.o);
  if (best > 0 && top.length === 1) {
    return {
      kind: "found",
      occurrence: top[0],
      candidates,
      message: `Found ${subject} at ${at(top[0])}, the only candidate whose attrset names '${name}'.`
    };
  }
  return {
    kind: "ambiguous",
    candidates,
    message: `Found ${candidates.length === 1 ? "one candidate" : `${candidates.length} candidates`} for ${subject}, but ${best > 0 ? "several are tied to" : "none is clearly tied to"} that derivation:
${where2(candidates)}
nix-ci does not guess. Replace the right one by hand with the hash Nix printed as "got", or give each derivation its own name/pname next to its hash so it can be told apart.`
  };
}
function findHashOccurrences(files, hash) {
  const spellings = allSpellings(hash);
  const out = [];
  for (const file of files) {
    const nix = file.path.endsWith(".nix") ? scanNixSource(file.text) : void 0;
    const text = nix?.masked ?? file.text;
    const lower = text.toLowerCase();
    const found = [];
    for (const { text: spelling, form } of spellings) {
      const haystack = form.encoding === "base16" ? lower : text;
      for (let at2 = haystack.indexOf(spelling); at2 !== -1; at2 = haystack.indexOf(spelling, at2 + 1)) {
        if (!isDelimited(text, at2, spelling.length)) continue;
        const exact = file.text.slice(at2, at2 + spelling.length);
        found.push(occurrence(file, nix, at2, exact, form.encoding, form.prefixed, false));
      }
    }
    for (const o of found) {
      const inside = found.some((p) => p !== o && p.offset <= o.offset && o.offset + o.text.length <= p.offset + p.text.length && p.text.length > o.text.length);
      if (!inside) out.push(o);
    }
  }
  return out.sort((a, b) => a.file.localeCompare(b.file) || a.offset - b.offset);
}
var PLACEHOLDER_BINDING = /([A-Za-z_][\w'-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|((?:[A-Za-z_][\w'-]*\.)*fake(?:Hash|Sha1|Sha256|Sha512)))\s*;/g;
function findPlaceholders(files, algo) {
  const out = [];
  for (const file of files) {
    if (!file.path.endsWith(".nix")) continue;
    const nix = scanNixSource(file.text);
    PLACEHOLDER_BINDING.lastIndex = 0;
    for (let m = PLACEHOLDER_BINDING.exec(nix.masked); m; m = PLACEHOLDER_BINDING.exec(nix.masked)) {
      const attribute = m[1];
      if (!HASH_ATTRIBUTE.test(attribute) || !isBindingStart(nix.masked, m.index)) continue;
      if (m[3] !== void 0) {
        if (fakeExpressionAlgo(m[3]) !== algo) continue;
        const at3 = m.index + m[0].lastIndexOf(m[3]);
        out.push({ ...occurrence(file, nix, at3, m[3], "fake-expression", false, true), attribute });
        continue;
      }
      const value = m[2];
      const at2 = m.index + m[0].indexOf('"') + 1;
      if (value === "") {
        out.push({ ...occurrence(file, nix, at2, "", "empty-string", false, true), attribute });
        continue;
      }
      const parsed = tryParseHash(value, algo);
      if (parsed && isZeroDigest(parsed.digest)) {
        out.push({ ...occurrence(file, nix, at2, value, parsed.encoding, parsed.prefixed, true), attribute });
      }
    }
  }
  return out;
}
function occurrence(file, nix, offset, text, encoding, prefixed, fake) {
  const lineStart = file.text.lastIndexOf("\n", offset - 1) + 1;
  let line = 1;
  for (let i = file.text.indexOf("\n"); i !== -1 && i < offset; i = file.text.indexOf("\n", i + 1)) line++;
  const column = Buffer3.from(file.text.slice(lineStart, offset), "latin1").toString("utf8").length + 1;
  const attribute = nix ? attributeBefore(nix.masked, offset) : void 0;
  return { file: file.path, line, column, offset, text, encoding, prefixed, fake, ...attribute ? { attribute } : {} };
}
function attributeBefore(masked, offset) {
  const before = masked.slice(Math.max(0, offset - 200), offset);
  return /([A-Za-z_][\w'-]*)\s*=\s*(?:"|'')?$/.exec(before)?.[1];
}
function isBindingStart(text, index) {
  return index === 0 || /[\s;{(]/.test(text[index - 1]);
}
var CHAR_BEFORE_TOKEN = /[A-Za-z0-9+/_-]/;
var CHAR_IN_TOKEN = /[A-Za-z0-9+/=_-]/;
function isDelimited(text, at2, length) {
  return !(at2 > 0 && CHAR_BEFORE_TOKEN.test(text[at2 - 1])) && !CHAR_IN_TOKEN.test(text[at2 + length] ?? " ");
}
function scoreForDerivation(files, o, drvName) {
  if (!o.file.endsWith(".nix")) return 0;
  const file = files.find((f) => f.path === o.file);
  if (!file) return 0;
  const nix = scanNixSource(file.text);
  const sets = enclosingAttrsets(nix, o.offset).slice(0, 3);
  const drv = parseDrvName(drvName);
  const literals = /* @__PURE__ */ new Map();
  for (const set of [...sets].reverse()) {
    for (const b of directStringBindings(nix, set)) if (!b.value.includes("${")) literals.set(b.name, b.value);
  }
  const resolve3 = (expression) => literals.get(expression.replace(/^(?:finalAttrs\.|self\.|attrs\.)/, ""));
  let best = 0;
  sets.forEach((set, depth) => {
    const bindings = directStringBindings(nix, set);
    const get = (key) => bindings.find((b) => b.name === key)?.value;
    let score = 0;
    const name = get("name");
    const pname = get("pname");
    const url = get("url");
    const strong = (template, target) => {
      const t = templateMatcher(template, resolve3);
      return (t.literalChars >= 3 || !template.includes("${")) && t.regex.test(target);
    };
    if (name !== void 0 && strong(name, drvName)) score = 40;
    else if (pname !== void 0 && strong(pname, drv.pname) && versionAgrees(get("version"), drv.version, resolve3)) score = 30;
    else if (url !== void 0 && strong(url.replace(/[?#].*$/, "").replace(/^.*\//, ""), drvName)) score = 30;
    else if (drvName === "source" && /^(?:[\w'-]+\.)*fetch/.test(calleeBefore(nix, set) ?? "") && name === void 0) score = 20;
    else if (pname !== void 0 && !pname.includes("${") && pname.length >= 3 && drvName.startsWith(`${pname}-`)) score = 20;
    if (score > 0) best = Math.max(best, score - depth);
  });
  return best;
}
function versionAgrees(version, drvVersion, resolve3) {
  if (version === void 0 || drvVersion === "") return true;
  return templateMatcher(version, resolve3).regex.test(drvVersion);
}
function at(o) {
  return `${o.file}:${o.line}:${o.column}`;
}
function show(o) {
  const value = o.encoding === "empty-string" ? '""' : o.text;
  return o.attribute ? `${o.attribute} = ${value}` : value;
}

// src/hashes/patch.ts
import { randomBytes as randomBytes2 } from "node:crypto";
import { chmodSync, lstatSync as lstatSync2, readFileSync as readFileSync2, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join as join4, relative, resolve, sep } from "node:path";
var HashPatchError = class extends Error {
  constructor(message) {
    super(message);
    this.name = "HashPatchError";
  }
};
function patchStaleHashes(repoDir, patches) {
  const byFile = /* @__PURE__ */ new Map();
  for (const p of patches) byFile.set(p.occurrence.file, [...byFile.get(p.occurrence.file) ?? [], p]);
  const results = [];
  for (const [file, filePatches] of byFile) results.push(...patchFile(repoDir, file, filePatches));
  return results;
}
function patchFile(repoDir, file, patches) {
  const path = insideRepo(repoDir, file);
  const stat = lstatSync2(path);
  if (!stat.isFile()) throw new HashPatchError(`${file} is not a regular file (symlink?); nix-ci only edits regular files.`);
  const original = readFileSync2(path);
  const edits = patches.map((p) => planEdit(original, p)).sort((a, b) => a.start - b.start);
  for (let i = 1; i < edits.length; i++) {
    if (edits[i].start < edits[i - 1].end || edits[i].start === edits[i - 1].start && edits[i].end === edits[i - 1].end) {
      throw new HashPatchError(`Two patches overlap in ${file} at byte ${edits[i].start}; locate the hashes again.`);
    }
  }
  const parts = [];
  let cursor = 0;
  for (const e of edits) {
    parts.push(original.subarray(cursor, e.start), e.replacement);
    cursor = e.end;
  }
  parts.push(original.subarray(cursor));
  const updated = Buffer.concat(parts);
  writePreservingMode(path, updated, stat.mode);
  try {
    verify(path, original, updated, edits, stat.mode);
  } catch (err) {
    writePreservingMode(path, original, stat.mode);
    throw err;
  }
  return edits.map((e) => ({
    file,
    line: e.patch.occurrence.line,
    column: e.patch.occurrence.column,
    before: e.patch.occurrence.text,
    after: e.after
  }));
}
function planEdit(original, patch) {
  const o = patch.occurrence;
  let got;
  try {
    got = parseHash(patch.got);
  } catch (err) {
    throw new HashPatchError(`Refusing to write '${patch.got}' into ${o.file}:${o.line}: ${err.message}`);
  }
  if (isZeroDigest(got.digest)) {
    throw new HashPatchError(`Refusing to write the placeholder '${patch.got}' into ${o.file}:${o.line}: Nix never reports it as "got".`);
  }
  const start = o.offset;
  const end = o.offset + Buffer.byteLength(o.text, "latin1");
  const found = original.subarray(start, end).toString("latin1");
  if (found !== o.text || end > original.length) {
    throw new HashPatchError(
      `${o.file}:${o.line}:${o.column} no longer holds '${o.text}' (the file changed after the hash was located); locate it again.`
    );
  }
  const encoded = encodeLike(got, o.encoding === "empty-string" ? "" : o.text);
  const after = o.encoding === "fake-expression" ? `"${encoded}"` : encoded;
  return { start, end, replacement: Buffer.from(after, "latin1"), patch, after };
}
function verify(path, original, expected, edits, mode) {
  const written = readFileSync2(path);
  const stat = lstatSync2(path);
  if (!written.equals(expected)) throw new HashPatchError(`${path} does not hold what nix-ci wrote; it was restored.`);
  if ((stat.mode & 4095) !== (mode & 4095)) throw new HashPatchError(`${path} changed mode while patching; it was restored.`);
  let o = 0;
  let w = 0;
  for (const e of edits) {
    const same = e.start - o;
    if (!written.subarray(w, w + same).equals(original.subarray(o, e.start))) {
      throw new HashPatchError(`Unexpected bytes changed in ${path}; it was restored.`);
    }
    w += same + e.replacement.length;
    o = e.end;
  }
  if (!written.subarray(w).equals(original.subarray(o))) throw new HashPatchError(`Unexpected bytes changed in ${path}; it was restored.`);
}
function writePreservingMode(path, bytes, mode) {
  const temp = join4(dirname(path), `.${basename(path)}.nix-ci-${randomBytes2(4).toString("hex")}`);
  try {
    writeFileSync(temp, bytes, { mode: mode & 4095, flag: "wx" });
    chmodSync(temp, mode & 4095);
    renameSync(temp, path);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
}
function insideRepo(repoDir, file) {
  const root = resolve(repoDir);
  const path = resolve(root, file);
  const rel = relative(root, path);
  if (rel === "" || rel.startsWith(`..${sep}`) || rel === ".." || resolve(root, rel) !== path) {
    throw new HashPatchError(`'${file}' is outside the repository ${repoDir}.`);
  }
  return path;
}

// src/stages/hashes/recheck-policy.ts
import { execFileSync as execFileSync2 } from "node:child_process";
var LOCK_FILE = /(^|\/)(mix\.lock|Cargo\.lock|package-lock\.json|npm-shrinkwrap\.json|yarn\.lock|pnpm-lock\.yaml|bun\.lockb?|go\.sum|go\.mod|Gemfile\.lock|poetry\.lock|uv\.lock|composer\.lock|gradle\.lockfile|deps\.edn|pubspec\.lock)$/;
var VENDORED_DEPS_NAME = /(mix-deps|-deps-|-deps$|go-modules|npm-deps|node-modules|vendor|cargo-deps|yarn-deps|pnpm-deps|offline-cache|gradle-deps)/;
function fodsToRecheck(inputs) {
  if (inputs.policy === "never") return [];
  const built = new Set(inputs.builtDerivations);
  const choices = [];
  const seenOutputs = /* @__PURE__ */ new Set();
  for (const fod of inputs.fixedOutputs) {
    if (!fod.validBefore || built.has(fod.drvPath)) continue;
    if (fod.outputPaths.some((p) => seenOutputs.has(p))) continue;
    const reason = recheckReason(fod, inputs);
    if (reason === void 0) continue;
    fod.outputPaths.forEach((p) => seenOutputs.add(p));
    choices.push({ fod, reason });
  }
  return choices;
}
function recheckReason(fod, inputs) {
  if (inputs.policy === "always") return "check-fods: always";
  if (fod.outputPaths.some((p) => inputs.cachedPaths.has(p))) return "its output was restored from a cache";
  if (!VENDORED_DEPS_NAME.test(fod.name)) return void 0;
  if (inputs.changedLockFiles === void 0) return "it vendors dependencies and no base commit is known to rule out a lock file change";
  if (inputs.changedLockFiles.length > 0) return `it vendors dependencies and ${inputs.changedLockFiles.join(", ")} changed since the base commit`;
  return void 0;
}
function changedLockFilesSince(repoDir, base) {
  if (!base || /^0+$/.test(base)) return void 0;
  try {
    const output = execFileSync2("git", ["diff", "--name-only", base, "--"], { cwd: repoDir, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    return output.split("\n").filter((file) => LOCK_FILE.test(file));
  } catch {
    return void 0;
  }
}

// src/stages/hashes/revert.ts
import { readFileSync as readFileSync3, writeFileSync as writeFileSync2 } from "node:fs";
import { join as join5 } from "node:path";
function revertPatchedHash(repoDir, patched) {
  const path = join5(repoDir, patched.file);
  const content = readFileSync3(path, "utf8");
  const lines = content.split("\n");
  const line = lines[patched.line - 1];
  const at2 = [...line ?? ""].slice(0, patched.column - 1).join("").length;
  if (line === void 0 || line.slice(at2, at2 + patched.after.length) !== patched.after) {
    throw new Error(`Cannot undo the hash written at ${patched.file}:${patched.line}: the file changed since. Restore it with git.`);
  }
  lines[patched.line - 1] = line.slice(0, at2) + patched.before + line.slice(at2 + patched.after.length);
  writeFileSync2(path, lines.join("\n"));
}

// src/stages/hashes/fix-hashes-stage.ts
async function runFixHashesStage(options) {
  const { reporter } = options;
  const maxRounds = options.maxRounds ?? 4;
  const originals = /* @__PURE__ */ new Map();
  const applied = [];
  const problems = [];
  const blockedSpecified = /* @__PURE__ */ new Set();
  const checkedTwins = /* @__PURE__ */ new Set();
  let build = options.firstBuild;
  let reports = options.firstReports;
  let round = 1;
  let rechecked = [];
  let completed = false;
  const context = (b) => ({
    nix: b.nix,
    nixVersion: b.nixVersion,
    reporter,
    cwd: options.repoDir,
    signal: options.signal,
    fixedOutputs: b.fixedOutputs
  });
  try {
    const silent = await recheckSilentCandidates(options, context(build));
    rechecked = silent.rechecked;
    let stale = [...silent.stale];
    for (; ; ) {
      stale.push(...staleFodsOf(reports.mismatches, build.fixedOutputs));
      const unconfirmed = build.cancelled ? [] : fodsNeedingConfirmation(reports.mismatches, build.fixedOutputs);
      if (unconfirmed.length > 0) {
        const confirmed = await reporter.group(
          `Stale hashes: confirming ${unconfirmed.length} failed fixed-output derivation(s) one by one`,
          () => buildEachAlone(context(build), unconfirmed, false)
        );
        stale.push(...confirmed.stale);
        reports = { ...reports, otherHashErrors: [...reports.otherHashErrors, ...confirmed.otherHashErrors] };
      }
      for (const other of reports.otherHashErrors) {
        problems.push({
          kind: "other-hash-error",
          message: `${other.text} \u2014 this is not a fixed-output derivation's hash (${other.kind}); nix-ci does not patch it. ${otherHashAdvice(other.kind)}`
        });
      }
      const newFixes = applyRound(options, dedupe(stale), applied, problems, blockedSpecified, originals);
      if (newFixes === 0) break;
      if (round >= maxRounds) {
        problems.push({ kind: "not-converged", message: `Still finding stale hashes after ${maxRounds} rounds; stopped. Run nix-ci fix-hashes again, or fix the rest by hand.` });
        break;
      }
      if (options.signal?.aborted) break;
      round++;
      const parser = liveMismatchParser();
      build = await reporter.group(
        `Stale hashes: verify round ${round} (build every system with the fixes)`,
        () => runBuildStage({ ...buildOptions(options), observe: parser.onLine })
      );
      reports = parser.finish();
      stale = await checkTwins(build, applied, checkedTwins, context(build), reporter);
    }
    const fixes = verifiedFixes(applied, build, problems, options.repoDir);
    completed = true;
    return {
      status: applied.length === 0 && problems.length === 0 ? "clean" : fixes.length === 0 ? "failed" : problems.length === 0 ? "fixed" : "partial",
      fixes,
      problems,
      writtenFiles: options.mode === "report" ? [] : [...new Set(fixes.map((f) => f.file))],
      rounds: round,
      rechecked,
      nixVersion: build.nixVersion
    };
  } finally {
    if (options.mode === "report" || !completed || options.signal?.aborted) {
      for (const [file, bytes] of originals) writeFileSync3(join6(options.repoDir, file), bytes);
    }
  }
}
async function checkTwins(build, applied, checked, context, reporter) {
  const built = new Set(build.builtDerivations);
  const twins = build.fixedOutputs.filter(
    (f) => f.validAfter && !built.has(f.drvPath) && !checked.has(f.drvPath) && applied.some((a) => matchesHash(f, a.newSri) && a.stale.system !== f.system)
  );
  if (twins.length === 0) return [];
  twins.forEach((t) => checked.add(t.drvPath));
  const outcome = await reporter.group(
    `Stale hashes: check-mode rebuild of ${twins.length} other-system twin(s) of the fixed derivations`,
    () => buildEachAlone(context, twins, true)
  );
  return outcome.stale;
}
function buildOptions(options) {
  return {
    flake: options.flake,
    package: options.package,
    systems: options.systems,
    nix: options.nix,
    reporter: options.reporter,
    cwd: options.repoDir,
    signal: options.signal,
    hostFacts: options.hostFacts
  };
}
async function recheckSilentCandidates(options, context) {
  const choices = fodsToRecheck({
    policy: options.recheck,
    fixedOutputs: options.firstBuild.fixedOutputs,
    builtDerivations: options.firstBuild.builtDerivations,
    changedLockFiles: changedLockFilesSince(options.repoDir, options.base),
    cachedPaths: options.cachedPaths ?? /* @__PURE__ */ new Set()
  });
  if (choices.length === 0) return { stale: [], rechecked: [] };
  const outcome = await options.reporter.group(`Stale hashes: re-checking ${choices.length} output(s) already in the store`, async () => {
    for (const choice of choices) options.reporter.info(`${choice.fod.name}: ${choice.reason}`);
    return buildEachAlone(context, choices.map((c) => c.fod), true);
  });
  return { stale: outcome.stale, rechecked: choices.map((c) => c.fod.drvPath) };
}
function dedupe(stale) {
  const seen = /* @__PURE__ */ new Set();
  return stale.filter((s) => {
    const key = `${s.system} ${sri(s.specified)} ${sri(s.got)}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
function applyRound(options, stale, applied, problems, blocked, originals) {
  let written = 0;
  const bySpecified = /* @__PURE__ */ new Map();
  for (const s of stale) bySpecified.set(sri(s.specified), [...bySpecified.get(sri(s.specified)) ?? [], s]);
  for (const [specified, group] of bySpecified) {
    if (blocked.has(specified)) continue;
    const earlier = applied.find((a) => a.newSri === specified);
    const gots = [...new Set(group.map((s) => sri(s.got)))];
    if (earlier || gots.length > 1) {
      const values = earlier ? [{ system: earlier.stale.system, got: earlier.stale.got }, ...group] : group;
      if (earlier) {
        revertPatchedHash(options.repoDir, earlier.patched);
        applied.splice(applied.indexOf(earlier), 1);
        blocked.add(sri(earlier.stale.specified));
      }
      blocked.add(specified);
      problems.push({
        kind: "platform-conflict",
        derivation: group[0].name,
        message: `'${group[0].name}' has different correct hashes on different systems (${values.map((v) => `${v.system}: ${v.got}`).join("; ")}). Its output depends on the platform (e.g. precompiled NIFs or per-arch binaries): give each system its own hash (e.g. \`hash = { x86_64-linux = "\u2026"; aarch64-linux = "\u2026"; }.\${system};\`) and nix-ci will fix each. Nothing was patched.`
      });
      continue;
    }
    const first = group[0];
    const location = locateStaleHash(options.repoDir, { derivation: first.drvPath, specified: first.specified });
    if (location.kind !== "found") {
      blocked.add(specified);
      problems.push({ kind: location.kind, derivation: first.name, message: location.message, candidates: location.candidates });
      continue;
    }
    if (!location.occurrence.fake && location.candidates.length > 1) {
      blocked.add(specified);
      const where2 = location.candidates.map((c) => `${c.file}:${c.line}`).join(", ");
      problems.push({
        kind: "ambiguous",
        derivation: first.name,
        candidates: location.candidates,
        message: `The stale hash ${first.specified} of '${first.name}' stands in ${location.candidates.length} places (${where2}); nix-ci does not guess which to change. Nix says the right hash for '${first.name}' is ${first.got}: if those places are the same source, write it in all of them; otherwise give each derivation its own hash.`
      });
      continue;
    }
    const file = location.occurrence.file;
    if (!originals.has(file)) originals.set(file, readFileSync4(join6(options.repoDir, file)));
    const [patched] = patchStaleHashes(options.repoDir, [{ occurrence: location.occurrence, got: first.got }]);
    applied.push({ stale: first, patched, newSri: sri(first.got) });
    options.reporter.info(`${file}:${patched.line}: ${patched.before || '""'} -> ${patched.after} (${first.name}, ${first.system})`);
    written++;
  }
  return written;
}
function verifiedFixes(applied, build, problems, repoDir) {
  const fixes = [];
  for (const fix of applied) {
    const realised = build.fixedOutputs.filter((f) => f.validAfter && matchesHash(f, fix.newSri));
    if (realised.length === 0) {
      revertPatchedHash(repoDir, fix.patched);
      problems.push({
        kind: "not-verified",
        derivation: fix.stale.name,
        message: `The new hash for '${fix.stale.name}' (${fix.stale.got}) was not confirmed by a successful build, so it was not kept. See the build log above.`
      });
      continue;
    }
    fixes.push({
      derivation: fix.stale.drvPath,
      name: fix.stale.name,
      file: fix.patched.file,
      line: fix.patched.line,
      column: fix.patched.column,
      old: fix.patched.before,
      new: fix.patched.after.replace(/^"|"$/g, ""),
      systems: [...new Set(realised.flatMap((f) => f.neededBy))].sort(),
      silent: fix.stale.silent
    });
  }
  return fixes;
}
function matchesHash(fod, wantedSri) {
  const algo = fod.hashAlgo.replace(/^r:/, "");
  const declared = tryParseHash(fod.hash, algo);
  const wanted = tryParseHash(wantedSri);
  return declared !== void 0 && wanted !== void 0 && hashesEqual(declared, wanted);
}
function sri(hash) {
  try {
    return toSri(hash);
  } catch {
    return hash;
  }
}
function otherHashAdvice(kind) {
  switch (kind) {
    case "path-import":
      return "A store path from a substituter did not match its NAR hash: a corrupt binary cache or a compromised one. Retry, or drop that substituter.";
    case "flake-input-nar-hash":
    case "flake-input-field":
      return "flake.lock does not match the fetched input: run `nix flake lock --update-input <name>` (or check the input was not force-pushed).";
    case "fetcher-download":
      return "A builtins.fetchurl/fetchTarball hash is wrong: update the hash where it is called (nix-ci fixes only fixed-output derivations).";
    default:
      return "";
  }
}

// src/stages/hashes/hashes-report.ts
function hashMismatchesOutput(result) {
  return result.fixes.map((f) => ({ derivation: f.derivation, file: f.file, line: f.line, old: f.old, new: f.new, systems: f.systems }));
}
function reportHashes(result, reporter, written) {
  for (const fix of result.fixes) {
    const how = fix.silent ? "Stale (hidden by an output already in the store)" : "Stale";
    reporter.error(
      `${how} hash for ${fix.name}: ${fix.old || '""'} -> ${fix.new}. Verified by building ${fix.systems.join(", ")}` + (written ? "; the fix is in the work tree." : "; nothing was written (fix-hashes: report)."),
      { title: `Stale fixed-output hash: ${fix.name}`, file: fix.file, startLine: fix.line }
    );
  }
  for (const problem of result.problems) {
    const first = problem.candidates?.[0];
    reporter.error(problem.message, {
      title: `Stale hash not fixed${problem.derivation ? `: ${problem.derivation}` : ""} (${problem.kind})`,
      ...first ? { file: first.file, startLine: first.line } : {}
    });
  }
  reporter.setOutput("hash-mismatches", JSON.stringify(hashMismatchesOutput(result)));
  reporter.addSummary(hashesSummary(result, written));
}
function hashesSummary(result, written) {
  if (result.status === "clean") {
    const rechecked = result.rechecked.length ? ` (${result.rechecked.length} output(s) already in the store re-checked)` : "";
    return `### nix-ci fix-hashes: no stale fixed-output hash${rechecked}`;
  }
  const lines = [`### nix-ci fix-hashes: ${result.fixes.length} fixed and verified, ${result.problems.length} not fixed`];
  if (result.fixes.length > 0) {
    lines.push(
      "",
      markdownTable(
        ["Derivation", "Where", "Old", "New", "Systems verified"],
        result.fixes.map((f) => [`\`${f.name}\``, `\`${f.file}:${f.line}\``, `\`${f.old || '""'}\``, `\`${f.new}\``, f.systems.join(", ")])
      ),
      "",
      written ? "The verified fix is in the work tree." : "Nothing was written (`fix-hashes: report`); run `nix-ci fix-hashes --write` to apply it locally."
    );
  }
  for (const problem of result.problems) lines.push("", `- **${problem.kind}**${problem.derivation ? ` \`${problem.derivation}\`` : ""}: ${problem.message.split("\n")[0]}`);
  lines.push("", `Nix ${result.nixVersion}; ${result.rounds} build round(s).`);
  return lines.join("\n");
}

// src/pipeline.ts
function unbuiltStageRequests(inputs, context = {}) {
  const requests = [];
  if ((inputs.fixHashes === "pull-request" || inputs.fixHashes === "commit") && !context.writeFixesOnly) {
    requests.push({
      stage: "fix-hashes",
      requested: inputs.fixHashes,
      off: "report",
      fatal: inputs.fixHashes === "commit",
      what: inputs.fixHashes === "commit" ? "Pushing the fix commit is not built in this version of nix-ci: stale hashes are fixed and verified in the work tree only." : "Opening the pull request is not built in this version of nix-ci: stale hashes are fixed and verified in the work tree only (a later step can commit them)."
    });
  }
  if (inputs.vmTest.mode !== "off") {
    requests.push({ stage: "vm-test", requested: inputs.vmTest.mode === "attribute" ? inputs.vmTest.attribute : inputs.vmTest.mode, off: "off", fatal: inputs.vmTest.mode !== "auto" });
  }
  if (inputs.release !== "off") requests.push({ stage: "release", requested: inputs.release, off: "off", fatal: true });
  if (inputs.cache) requests.push({ stage: "cache", requested: "true", off: "false", fatal: false });
  return requests;
}
async function runPipeline(inputs, context) {
  const { reporter } = context;
  const failures = [];
  for (const request of unbuiltStageRequests(inputs, context)) {
    const message = request.what ?? `The '${request.stage}' stage (${request.stage}: ${request.requested}) is not built in this version of nix-ci, so it does not run.`;
    const fix = ` Set '${request.stage}: ${request.off}' ${request.fatal ? "until it is" : "to silence this"}.`;
    if (request.fatal) {
      reporter.error(message + fix, { title: `${request.stage}: not available yet` });
      failures.push(message + fix);
    } else {
      reporter.notice(message + fix, { title: `${request.stage}: not available yet` });
    }
  }
  if (failures.length > 0) return { ok: false, failures };
  reporter.setOutput("vm-test-result", "skipped");
  reporter.setOutput("pull-request-operation", "none");
  const parser = inputs.fixHashes !== "off" ? liveMismatchParser() : void 0;
  const build = await runBuildStage({
    flake: inputs.flake,
    package: inputs.package,
    systems: inputs.systems,
    nix: context.nix,
    reporter,
    cwd: context.cwd,
    signal: context.signal,
    observe: parser?.onLine
  });
  await reportBuild(build, reporter);
  if (!build.ok) {
    const failed = build.systems.filter((s) => s.status !== "built").map((s) => `${s.system} (${s.status})`);
    failures.push(build.cancelled ? `Build cancelled; unfinished: ${failed.join(", ")}` : `Build failed for ${failed.join(", ")}`);
  }
  let hashes;
  if (parser && !build.cancelled && inputs.fixHashes !== "off") {
    const keep = inputs.fixHashes !== "report";
    hashes = await reporter.group(
      "Stale fixed-output hashes",
      () => runFixHashesStage({
        mode: inputs.fixHashes === "off" ? "report" : inputs.fixHashes,
        flake: inputs.flake,
        package: inputs.package,
        systems: inputs.systems,
        nix: context.nix,
        reporter,
        repoDir: context.cwd,
        firstBuild: build,
        firstReports: parser.finish(),
        recheck: inputs.checkFods,
        base: context.base,
        signal: context.signal
      })
    );
    reportHashes(hashes, reporter, keep);
    if (hashes.status !== "clean") {
      failures.push(
        `Stale fixed-output hashes: ${hashes.fixes.length} fixed and verified${keep ? " (in the work tree)" : " (reported only)"}, ${hashes.problems.length} not fixed`
      );
    }
  }
  return { ok: failures.length === 0, build, hashes, failures };
}

// src/report/terminal-reporter.ts
var TerminalReporter = class {
  constructor(write = (text) => process.stderr.write(text)) {
    this.write = write;
  }
  write;
  outputs = /* @__PURE__ */ new Map();
  summaryParts = [];
  secrets = [];
  depth = 0;
  info(message) {
    this.print(message);
  }
  notice(message, annotation) {
    this.print(`notice: ${where(annotation)}${message}`);
  }
  warning(message, annotation) {
    this.print(`warning: ${where(annotation)}${message}`);
  }
  error(message, annotation) {
    this.print(`error: ${where(annotation)}${message}`);
  }
  async group(title, fn) {
    this.print(`\u25B6 ${title}`);
    this.depth++;
    try {
      return await fn();
    } finally {
      this.depth--;
    }
  }
  setOutput(name, value) {
    this.outputs.set(name, value);
  }
  addSummary(markdown) {
    this.summaryParts.push(markdown);
  }
  setSecret(value) {
    if (value !== "") this.secrets.push(value);
  }
  summary() {
    return this.summaryParts.join("\n\n");
  }
  print(message) {
    let text = message;
    for (const secret of this.secrets) text = text.split(secret).join("***");
    const indent = "  ".repeat(this.depth);
    this.write(text.split("\n").map((line) => indent + line).join("\n") + "\n");
  }
};
function where(annotation) {
  if (!annotation?.file) return "";
  return `${annotation.file}${annotation.startLine ? `:${annotation.startLine}` : ""}: `;
}

// src/signals.ts
function cancelOnSignals(onSignal = () => {
}) {
  const controller = new AbortController();
  const handler = (signal) => {
    if (controller.signal.aborted) return;
    onSignal(signal);
    controller.abort();
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off("SIGINT", handler);
      process.off("SIGTERM", handler);
    }
  };
}

// src/cli.ts
var USAGE = `Usage: nix-ci <stage> [options]

Stages:
  build        build packages.<system>.<package> for every system (QEMU for foreign ones)
  fix-hashes   build, then find stale fixed-output hashes, fix them in the repository's files and
               verify by building again; without --write the files are left as they were
  vm-test      (not built yet) run the NixOS VM test
  release      (not built yet) tag a release

Options:
  --flake REF              flake to build (default: .)
  --package NAME           package attribute (default: default)
  --systems "A B"          systems, separated by spaces or commas (default: x86_64-linux aarch64-linux)
  --extra-nix-config TEXT  nix.conf lines for every Nix call, e.g. $'sandbox = true\\nsubstituters ='
  --write                  (fix-hashes) keep the verified fixes in the work tree
  --base REV               (fix-hashes) compare lock files with REV to decide what to re-check
  --check-fods POLICY      (fix-hashes) auto, always or never (see action.yml)
  --json                   print the stage's outputs as JSON on stdout
  -h, --help               this help
`;
var NOT_BUILT = /* @__PURE__ */ new Set(["vm-test", "release"]);
async function main(argv) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        flake: { type: "string" },
        package: { type: "string" },
        systems: { type: "string" },
        "extra-nix-config": { type: "string" },
        write: { type: "boolean", default: false },
        base: { type: "string" },
        "check-fods": { type: "string" },
        json: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false }
      }
    });
  } catch (error) {
    process.stderr.write(`nix-ci: ${error.message}

${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const stage = positionals[0];
  if (values.help || stage === void 0) {
    process.stdout.write(USAGE);
    return stage === void 0 && !values.help ? 2 : 0;
  }
  if (NOT_BUILT.has(stage)) {
    process.stderr.write(`nix-ci: the '${stage}' stage is not built in this version of nix-ci yet; 'build' and 'fix-hashes' run.
`);
    return 2;
  }
  const known = stage === "build" || stage === "fix-hashes";
  if (!known || positionals.length > 1) {
    process.stderr.write(`nix-ci: unknown stage or extra argument '${positionals.slice(known ? 1 : 0).join(" ")}'

${USAGE}`);
    return 2;
  }
  const reporter = new TerminalReporter();
  const cancellation = cancelOnSignals((signal) => reporter.warning(`Received ${signal}: stopping Nix`));
  try {
    const given = {
      flake: values.flake,
      package: values.package,
      systems: values.systems,
      "extra-nix-config": values["extra-nix-config"],
      "check-fods": values["check-fods"],
      "fix-hashes": stage === "fix-hashes" ? values.write ? "pull-request" : "report" : "off",
      "vm-test": "off",
      release: "off",
      cache: "false"
    };
    const flakeDir = values.flake !== void 0 && !values.flake.includes(":") && isDirectory(values.flake) ? resolve2(values.flake) : void 0;
    if (flakeDir) given.flake = ".";
    const inputs = parseInputs((name) => given[name]);
    const result = await runPipeline(inputs, {
      nix: new NixRunner({ nixConfig: inputs.extraNixConfig }),
      reporter,
      cwd: flakeDir ?? process.cwd(),
      signal: cancellation.signal,
      base: values.base,
      writeFixesOnly: values.write
    });
    process.stderr.write(`
${reporter.summary()}
`);
    if (values.json) process.stdout.write(JSON.stringify(Object.fromEntries([...reporter.outputs].map(([k, v]) => [k, tryJson(v)])), null, 2) + "\n");
    for (const failure of result.failures) process.stderr.write(`nix-ci: ${failure}
`);
    return result.ok ? 0 : 1;
  } catch (error) {
    process.stderr.write(`nix-ci: ${error instanceof InputError ? "" : "error: "}${error.message}
`);
    return error instanceof InputError ? 2 : 1;
  } finally {
    cancellation.dispose();
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
