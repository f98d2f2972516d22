{
  description = "nix-ci: release CI for Nix flakes (GitHub Action): the CLI, contributor tooling and the built-in VM test";

  inputs = {
    nixpkgs.url = "github:NixOS/nixpkgs/nixpkgs-unstable";
    # The flake whose service the VM test boots. The action runs the test with
    # `--override-input target <the repository under test>`; by default it is the bundled example.
    target.url = "path:./examples/mast";
    # The VM test's parameters: a folder with params.json (see nix/vm-test-params.nix). The action
    # writes one from its inputs and passes `--override-input params path:<folder>`.
    params = {
      url = "path:./nix/vm-test-params";
      flake = false;
    };
  };

  outputs = { self, nixpkgs, target, params }:
    let
      systems = [ "x86_64-linux" "aarch64-linux" ];
      forAllSystems = f: nixpkgs.lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});
    in
    {
      # `nix run .# -- build`: the CLI; release.yml builds this for the release.
      packages = forAllSystems (pkgs: {
        default = pkgs.callPackage ./nix/package.nix { };
      });

      # `nix develop`: what a contributor needs to build, bundle and test the action.
      devShells = forAllSystems (pkgs: {
        default = pkgs.mkShell {
          packages = [
            pkgs.nodejs_24
            pkgs.git
            pkgs.nixpkgs-fmt
            pkgs.qemu # qemu-user for emulated builds in the test world
            pkgs.busybox
          ];
        };
      });

      # `nix build .#checks.<system>.service-test`: the target's services.<service> with a local
      # PostgreSQL in a NixOS VM (needs KVM). The logic lives in nix/.
      checks = forAllSystems (pkgs: {
        service-test = pkgs.testers.runNixOSTest (import ./nix/service-test.nix {
          inherit target;
          params = import ./nix/vm-test-params.nix params;
          system = pkgs.stdenv.hostPlatform.system;
        });
      });
    };
}
