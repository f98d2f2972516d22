// The fork-safety check lives with the rest of what nix-ci knows about the event (src/github/);
// the pull-request stage runs it again before it writes anything.
export { refuseUnsafeEvent } from '../../github/event-safety.js'
