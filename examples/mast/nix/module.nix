# NixOS module for Mast: `services.mast`. A plain module (no flake arguments): the example's flake
# exports it as nixosModules.default and sets `package` with mkDefault to its own build.
{ config, lib, pkgs, ... }:

let
  cfg = config.services.mast;
  inherit (lib) mkEnableOption mkIf mkOption types;

  stateDir = "/var/lib/mast";
  runtimeDir = "/run/mast";
  # Generated once in the state directory, so `bin/mast remote` reaches the running node; the
  # release's built-in cookie sits world-readable in the store.
  cookieEnv = "${stateDir}/release-cookie.env";
  mast = "${cfg.package}/bin/mast";

  environment = {
    PHX_SERVER = "true";
    PHX_HOST = cfg.host;
    PORT = toString cfg.port;
    # The release writes here; its own folder is in the read-only store.
    RELEASE_TMP = runtimeDir;
    HOME = stateDir;
  } // lib.optionalAttrs cfg.database.createLocally {
    # Peer authentication over the unix socket: the unit's user is `mast`, so is the role.
    DATABASE_URL = "ecto://mast@localhost/mast?socket_dir=/run/postgresql";
  };

  # Shared by the service and the self-enrolment unit: same user (peer auth), same secrets.
  serviceConfig = {
    DynamicUser = true;
    # With DynamicUser the dynamic user gets this name, which is what PostgreSQL's peer
    # authentication compares with the role.
    User = "mast";
    Group = "mast";
    StateDirectory = "mast";
    RuntimeDirectory = "mast";
    WorkingDirectory = stateDir;
    # Files read in order; a later file wins, and every file wins over `environment`.
    EnvironmentFile = [ "-${cookieEnv}" ] ++ lib.optional (cfg.environmentFile != null) cfg.environmentFile;
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
in
{
  options.services.mast = {
    enable = mkEnableOption "Mast, the Phoenix web application";

    package = mkOption {
      type = types.package;
      description = ''
        The Mast release to run (a `mixRelease` with `bin/mast`). The example's flake sets this to
        its own `packages.<system>.default`.
      '';
    };

    host = mkOption {
      type = types.str;
      default = "127.0.0.1";
      example = "mast.example.org";
      description = "Host name Mast generates URLs for (`PHX_HOST`).";
    };

    port = mkOption {
      type = types.port;
      default = 4000;
      description = "TCP port the HTTP endpoint listens on (`PORT`).";
    };

    environmentFile = mkOption {
      type = types.nullOr types.path;
      default = null;
      example = "/run/secrets/mast.env";
      description = ''
        A file of `NAME=value` lines read by systemd when the service starts, outside the Nix
        store: `SECRET_KEY_BASE` (generate one with `mix phx.gen.secret` or
        `head -c 64 /dev/urandom | base64 -w0`) and, unless `database.createLocally` is set,
        `DATABASE_URL`. Values here win over the module's own.
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
        assertion = cfg.environmentFile != null || cfg.database.createLocally;
        message = ''
          services.mast: with `database.createLocally = false`, Mast needs DATABASE_URL (and
          SECRET_KEY_BASE). Set `services.mast.environmentFile` to a file holding them, or set
          `services.mast.database.createLocally = true` for a local PostgreSQL.
        '';
      }
    ];

    warnings = lib.optional (cfg.environmentFile == null) ''
      services.mast: no `environmentFile`, so SECRET_KEY_BASE is unset and the release will refuse to
      start. Set `services.mast.environmentFile` to a file outside the Nix store with
      `SECRET_KEY_BASE=...` in it.
    '';

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
      requires = lib.optional cfg.database.createLocally "postgresql.service";
      inherit environment;
      preStart = ''
        if [ ! -s ${cookieEnv} ]; then
          printf 'RELEASE_COOKIE=%s\n' "$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')" > ${cookieEnv}.tmp
          mv ${cookieEnv}.tmp ${cookieEnv}
        fi
        ${mast} eval 'Mast.Release.migrate()'
      '';
      serviceConfig = serviceConfig // {
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
      inherit environment;
      serviceConfig = serviceConfig // {
        Type = "oneshot";
        RemainAfterExit = true;
        ExecStart = "${mast} eval 'Mast.Release.self_enroll()'";
      };
    };
  };
}
