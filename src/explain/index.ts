// `nix-ci explain` and the classifier the stages use to put advice into their job summaries.
export { LogClassifier } from './classifier.js'
export { classifyLines, classifyNixMessages } from './classify.js'
export type { LogClassifierOptions } from './classifier.js'
export {
  KVM_UDEV_RULE,
  execFormatAdvice,
  explainFindings,
  failedBuildAdvice,
  fodAdvice,
  otherHashAdvice,
  platformAdvice,
  vmTestAdvice
} from './advice.js'
export { toExplainJson } from './json.js'
export { renderForPeople } from './render.js'
export { runExplainCommand, EXPLAIN_USAGE } from './explain-command.js'
export type { ExplainIo } from './explain-command.js'
export type * from './types.js'
