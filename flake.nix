{
  description = "nix-ci: release CI for Nix flakes (GitHub Action) - contributor tooling";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixpkgs-unstable";

  outputs = { self, nixpkgs }:
    let
      systems = [ "x86_64-linux" "aarch64-linux" ];
      forAllSystems = f: nixpkgs.lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});
    in
    {
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
    };
}
