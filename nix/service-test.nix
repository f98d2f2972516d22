# The built-in NixOS VM test: the target flake's `services.<service>` with a local PostgreSQL, booted
# and probed from outside the service. A plain function returning the test's module (no pkgs), so
# its structure is testable without nixpkgs; flake.nix hands it to pkgs.testers.runNixOSTest.
{
  # The flake under test (the `target` input): nixosModules.default, packages.<system>.default.
  target
, # From nix/vm-test-params.nix: service, port, healthPath, table, database.
  params
, system
}:
let
  inherit (params) service;
  unit = "${service}.service";
  # Written inside the VM at boot, never in the store: secrets in the store are world-readable.
  envDir = "/run/nix-ci-vm-test";
  envFile = "${envDir}/${service}.env";
  package = target.packages.${system}.default or null;
in
{
  name = "nix-ci-service-test-${service}";

  nodes.machine = { lib, options, pkgs, ... }: {
    imports = [ target.nixosModules.default ];

    services.${service} = {
      enable = true;
      database.createLocally = true;
      environmentFile = envFile;
    }
    # A module without a `package` option picks its package itself.
    // lib.optionalAttrs (package != null && options.services.${service} ? package) { inherit package; };

    systemd.services."nix-ci-vm-test-secrets" = {
      description = "nix-ci VM test: generate ${service}'s environment file";
      before = [ unit ];
      requiredBy = [ unit ];
      serviceConfig = {
        Type = "oneshot";
        RemainAfterExit = true;
        UMask = "0077";
      };
      script = ''
        mkdir -p ${envDir}
        printf 'SECRET_KEY_BASE=%s\n' "$(head -c 64 /dev/urandom | base64 -w0)" > ${envFile}
      '';
    };

    environment.systemPackages = [ pkgs.curl ];
    # An Elixir release plus PostgreSQL: the 1 GiB default is tight.
    virtualisation.memorySize = 2048;
    virtualisation.cores = 2;
  };

  # The script reads its parameters from PARAMS (a JSON string), so the Python stays a plain file.
  testScript = ''
    PARAMS = ${builtins.toJSON (builtins.toJSON params)}
  '' + builtins.readFile ./service-test.py;
}
