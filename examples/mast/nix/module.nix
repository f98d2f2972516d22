# NixOS module for Mast: `services.mast`. A plain module (no flake arguments): on its own it builds
# the package with the system's nixpkgs; the example's flake exports it as nixosModules.default and
# sets `package` with mkDefault to its own build.
{ config, lib, options, pkgs, ... }:

let
  cfg = config.services.mast;
  inherit (lib) mkEnableOption mkIf mkOption types;

  stateDir = "/var/lib/mast";
  runtimeDir = "/run/mast";
  # Generated once in the state directory, so `bin/mast remote` reaches the running node; the
  # release's built-in cookie sits world-readable in the store.
  cookieEnv = "${stateDir}/release-cookie.env";
  mast = "${cfg.package}/bin/mast";

  # Each unit gets its own runtime directory (systemd removes a unit's RuntimeDirectory when that
  # unit stops: a shared one would vanish under the running node when mast-self-enroll is stopped).
  environmentFor = releaseTmp: {
    PHX_SERVER = "true";
    PHX_HOST = cfg.host;
    PORT = toString cfg.port;
    # The release writes here; its own folder is in the read-only store.
    RELEASE_TMP = releaseTmp;
    HOME = stateDir;
  } // lib.optionalAttrs cfg.database.createLocally {
    # Peer authentication over the unix socket: the unit's user is `mast`, so is the role.
    DATABASE_URL = "ecto://mast@localhost/mast?socket_dir=/run/postgresql";
  };

  environmentFileDefined = options.services.mast.environmentFile.isDefined;
  # A Nix path literal (`./mast.env`) is copied into the world-readable store when it is used.
  environmentFileInStore = environmentFileDefined
    && (builtins.isPath cfg.environmentFile || lib.hasPrefix "${builtins.storeDir}/" (toString cfg.environmentFile));

  # Shared by the service and the self-enrolment unit: same user (peer auth), same secrets.
  serviceConfigFor = runtimeDirectory: {
    DynamicUser = true;
    # With DynamicUser the dynamic user gets this name, which is what PostgreSQL's peer
    # authentication compares with the role.
    User = "mast";
    Group = "mast";
    StateDirectory = "mast";
    RuntimeDirectory = runtimeDirectory;
    WorkingDirectory = stateDir;
    # Files read in order; a later file wins, and every file wins over `environment`.
    EnvironmentFile = [ "-${cookieEnv}" cfg.environmentFile ];
    UMask = "0077";

    # Hardening. MemoryDenyWriteExecute stays off: the BEAM JIT maps executable memory.
    CapabilityBoundingSet = "";
    AmbientCapabilities = "";
    NoNewPrivileges = true;
    PrivateTmp = true;
    PrivateDevices = true;
    ProtectSystem = "strict";
    ProtectHome = true;
    ProtectClock = true;
    ProtectHostname = true;
    ProtectControlGroups = true;
    ProtectKernelLogs = true;
    ProtectKernelModules = true;
    ProtectKernelTunables = true;
    ProtectProc = "invisible";
    RestrictAddressFamilies = [ "AF_UNIX" "AF_INET" "AF_INET6" ];
    RestrictNamespaces = true;
    RestrictRealtime = true;
    RestrictSUIDSGID = true;
    LockPersonality = true;
    SystemCallArchitectures = "native";
    SystemCallFilter = [ "@system-service" "~@privileged" ];
  };

  # postgresql-setup.service (recent nixpkgs) runs ensureDatabases/ensureUsers after postgresql.service;
  # ordering after a unit that does not exist is a no-op, so this is safe on older nixpkgs too.
  databaseUnits = lib.optionals cfg.database.createLocally [ "postgresql.service" "postgresql-setup.service" "postgresql.target" ];
  # nixpkgs 25.11+ has postgresql.target = postgresql.service + postgresql-setup.service. Requiring it
  # makes a failed ensureUsers/ensureDatabases stop Mast with a dependency error, instead of Mast
  # starting without its role and restarting forever. Requiring a unit that does not exist would
  # fail the start, so older nixpkgs requires postgresql.service only.
  requiredDatabaseUnits = lib.optionals cfg.database.createLocally
    ([ "postgresql.service" ] ++ lib.optional (lib.versionAtLeast (lib.version or "0") "25.11") "postgresql.target");
in
{
  options.services.mast = {
    enable = mkEnableOption "Mast, the Phoenix web application";

    package = mkOption {
      type = types.package;
      default = pkgs.callPackage ./package.nix { };
      defaultText = lib.literalExpression "pkgs.callPackage ./package.nix { }";
      description = ''
        The Mast release to run (a `mixRelease` with `bin/mast`). The example's flake sets this to
        its own `packages.<system>.default`; the plain module builds it with the system's nixpkgs.
      '';
    };

    host = mkOption {
      type = types.str;
      default = "localhost";
      example = "mast.example.org";
      description = ''
        Host name Mast is reached at (`PHX_HOST`). An IP address or `localhost` is also the address
        it binds; a public name means a reverse proxy in front, and Mast binds 127.0.0.1.
      '';
    };

    port = mkOption {
      type = types.port;
      default = 4000;
      description = "TCP port the HTTP endpoint listens on (`PORT`).";
    };

    environmentFile = mkOption {
      type = types.path;
      example = "/run/secrets/mast.env";
      description = ''
        Required. A file of `NAME=value` lines, outside the Nix store, read by systemd when the
        service starts; its values win over the module's own. What this example reads from it:
        `DATABASE_URL` (needed when `database.createLocally` is false) and `RELEASE_COOKIE` (only
        for `bin/mast remote`; a cookie is otherwise generated in /var/lib/mast). A Phoenix app such
        as the real Mast also reads `SECRET_KEY_BASE` from it (`mix phx.gen.secret`). With a local
        database an empty file will do.
      '';
    };

    database.createLocally = mkOption {
      type = types.bool;
      default = true;
      description = ''
        Run PostgreSQL on this machine with a database `mast` owned by a role `mast`, reached over
        the unix socket with peer authentication (no password). When false, set `DATABASE_URL` in
        `environmentFile`.
      '';
    };

    openFirewall = mkOption {
      type = types.bool;
      default = false;
      description = "Open `port` in the firewall (`networking.firewall.allowedTCPPorts`).";
    };

    selfManage = mkOption {
      type = types.bool;
      default = false;
      description = ''
        After the service has started, run `Mast.Release.self_enroll()` once per activation (the
        `mast-self-enroll` unit), so the instance registers itself.
      '';
    };
  };

  config = mkIf cfg.enable {
    assertions = [
      {
        assertion = environmentFileDefined;
        message = ''
          services.mast.environmentFile is not set. Point it at a file outside the Nix store with
          `NAME=value` lines (DATABASE_URL when services.mast.database.createLocally is false,
          RELEASE_COOKIE for `bin/mast remote`); with a local database an empty file will do, e.g.
          services.mast.environmentFile = "/run/secrets/mast.env";
        '';
      }
    ];

    warnings = lib.optional environmentFileInStore ''
      services.mast.environmentFile (${toString cfg.environmentFile}) is, or will be copied into, the
      Nix store, which every local user can read. Give it as a string path outside the store, e.g.
      "/run/secrets/mast.env", written by your secrets tool (agenix, sops-nix) or by hand.
    '';

    networking.firewall.allowedTCPPorts = mkIf cfg.openFirewall [ cfg.port ];

    services.postgresql = mkIf cfg.database.createLocally {
      enable = true;
      ensureDatabases = [ "mast" ];
      ensureUsers = [
        {
          name = "mast";
          ensureDBOwnership = true;
        }
      ];
    };

    systemd.services.mast = {
      description = "Mast";
      wantedBy = [ "multi-user.target" ];
      after = [ "network.target" ] ++ databaseUnits;
      requires = requiredDatabaseUnits;
      environment = environmentFor runtimeDir;
      preStart = ''
        if [ ! -s ${cookieEnv} ]; then
          printf 'RELEASE_COOKIE=%s\n' "$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')" > ${cookieEnv}.tmp
          mv ${cookieEnv}.tmp ${cookieEnv}
        fi
        ${mast} eval 'Mast.Release.migrate()'
      '';
      serviceConfig = serviceConfigFor "mast" // {
        # SIGTERM (systemd's default stop) makes the BEAM shut down cleanly; `mast stop` would need
        # distribution and the cookie to reach the node.
        ExecStart = "${mast} start";
        Restart = "on-failure";
        RestartSec = 5;
      };
    };

    systemd.services.mast-self-enroll = mkIf cfg.selfManage {
      description = "Mast: enrol this instance";
      wantedBy = [ "multi-user.target" ];
      after = [ "mast.service" ];
      requires = [ "mast.service" ];
      environment = environmentFor "/run/mast-self-enroll";
      serviceConfig = serviceConfigFor "mast-self-enroll" // {
        Type = "oneshot";
        RemainAfterExit = true;
        ExecStart = "${mast} eval 'Mast.Release.self_enroll()'";
      };
    };
  };
}
