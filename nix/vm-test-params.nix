# Parameters of the built-in VM test. Flakes take no arguments, so they travel as a folder holding
# `params.json` (the flake input `params`, which the action replaces with
# `--override-input params path:<dir>`). Missing keys take the defaults below; bad values fail
# evaluation with the key, the value and what is allowed.
paramsDir:
let
  file = "${toString paramsDir}/params.json";
  given = if builtins.pathExists file then builtins.fromJSON (builtins.readFile file) else { };
  defaults = {
    service = "mast";
    port = 4000;
    healthPath = "/";
    # The table the example app's migrations create.
    table = "health_checks";
  };
  # The database and its owning role are named after the service unless said otherwise.
  params = defaults // { database = given.service or defaults.service; } // given;

  allowed = builtins.attrNames defaults ++ [ "database" ];
  unknown = builtins.filter (key: !(builtins.elem key allowed)) (builtins.attrNames given);
  # Names end up in shell commands and SQL inside the VM: no quotes, no spaces.
  isName = value: builtins.isString value && builtins.match "[A-Za-z_][A-Za-z0-9_-]*" value != null;
  check = ok: message: ok || throw "nix-ci VM test parameters (${file}): ${message}";
in
assert check (unknown == [ ]) "unknown key(s) ${builtins.concatStringsSep ", " unknown}; allowed: ${builtins.concatStringsSep ", " allowed}";
assert check (isName params.service) "service must be a plain name such as \"mast\", got ${builtins.toJSON params.service}";
assert check (builtins.isInt params.port && params.port >= 1 && params.port <= 65535) "port must be an integer from 1 to 65535, got ${builtins.toJSON params.port}";
assert check (builtins.isString params.healthPath && builtins.match "/[^[:space:]'\"]*" params.healthPath != null) "healthPath must start with / and hold no spaces or quotes, got ${builtins.toJSON params.healthPath}";
assert check (builtins.isString params.table && builtins.match "[A-Za-z_][A-Za-z0-9_]*([.][A-Za-z_][A-Za-z0-9_]*)?" params.table != null) "table must be a table name such as \"health_checks\" or \"public.health_checks\", got ${builtins.toJSON params.table}";
assert check (isName params.database) "database must be a plain name such as \"mast\", got ${builtins.toJSON params.database}";
params
