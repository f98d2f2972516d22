# Mast, built the way the real app is: a Mix release (beamPackages.mixRelease) whose Hex
# dependencies are fetched by ONE fixed-output derivation (mixFodDeps = beamPackages.fetchMixDeps).
# That derivation's single sha256 covers the whole dependency tree locked in ../mix.lock.
{ lib
, beamPackages
  # `mast.override { singleMappedJit = false; }` turns the QEMU workaround below off.
, singleMappedJit ? true
}:

let
  pname = "mast";

  # The BEAM JIT maps its machine code twice: a writable view and an executable view of the same
  # pages. QEMU user-mode emulation, which runs the aarch64 build on an x86_64 runner through
  # binfmt_misc, does not see writes through the other mapping, so beam.smp crashes (`Segmentation
  # fault`, exit 139) in `mix deps.get` or `mix compile`: erlang/docker-erlang-otp#400 (an OTP
  # team member: "a bug in qemu when using x^w memory mappings for the JIT:ed code"), hexpm/bob#117,
  # phoenixframework/phoenix#5932. `+JMsingle true` (OTP 26+, added by erlang/otp#6340 "as it is
  # also useful for running under QEMU user mode emulation") maps the code once; erlang/otp#10355
  # is where an OTP maintainer recommends it for this case.
  #
  # Nothing inside a derivation can tell that it runs under emulation: its system is aarch64-linux
  # either way. So it is set for every build. That is harmless natively: it only changes how the
  # build's own BEAM maps the code it JIT-compiles (one RWX mapping instead of two), not what it
  # computes, so the .beam files, the release and the fetched deps are the same. ERL_FLAGS is an
  # environment variable of the build, not written into the release: the installed service runs
  # with OTP's defaults. OTP 25 and older reject the flag (`invalid JIT option -JMsingle`, measured
  # with Debian 12's OTP 25), so only OTP 26+ gets it.
  jitFlags = lib.optionalAttrs (singleMappedJit && lib.versionAtLeast beamPackages.erlang.version "26") {
    ERL_FLAGS = "+JMsingle true";
  };

  # One version, read from mix.exs (`@version "x.y.z"`), so Nix and Mix never disagree.
  version =
    let
      versionOf = line: builtins.match ''[[:space:]]*@version "([^"]+)".*'' line;
      found = lib.findFirst (line: versionOf line != null) null (lib.splitString "\n" (builtins.readFile ../mix.exs));
    in
    if found == null then throw "nix/package.nix: mix.exs has no `@version \"x.y.z\"` line" else builtins.head (versionOf found);

  # Only what each derivation reads, so editing docs or Nix files rebuilds nothing.
  sourceOf = files: lib.fileset.toSource { root = ../.; fileset = lib.fileset.unions files; };
in
beamPackages.mixRelease {
  inherit pname version;
  src = sourceOf [ ../mix.exs ../mix.lock ../lib ../rel ];
  env = jitFlags;

  mixFodDeps = beamPackages.fetchMixDeps {
    pname = "${pname}-mix-deps";
    inherit version;
    src = sourceOf [ ../mix.exs ../mix.lock ];
    # A fixed-output derivation's output path depends only on its name and hash, so this changes
    # its .drv but neither its output nor the hash below.
    env = jitFlags;
    # The hash of every Hex package locked in mix.lock, fetched by `mix deps.get`. It changes
    # whenever mix.lock does (a dependency bump), and then the build fails with
    # `hash mismatch in fixed-output derivation ... got: sha256-...`.
    #
    # This is lib.fakeHash written out: this example was written without network access to Hex,
    # so the real value has never been computed. The first CI run reports it: nix-ci's
    # fix-hashes stage finds this line, writes the `got:` hash here and proposes the change as a
    # pull request (see docs/install/nix.md). By hand: build, copy the `got:` value here.
    # Keep it a literal string (not `lib.fakeHash`) so that tools can find and replace it.
    sha256 = "sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
  };

  meta = {
    description = "Mast (example): an Elixir release whose health endpoint reads PostgreSQL";
    license = lib.licenses.mit;
    platforms = [ "x86_64-linux" "aarch64-linux" ];
    mainProgram = "mast";
  };
}
