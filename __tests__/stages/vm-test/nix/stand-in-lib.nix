# A stand-in for the few nixpkgs `lib` functions the NixOS modules under test use, so their options
# and config can be evaluated with plain Nix (no nixpkgs offline). Option types are descriptors only:
# values are not type-checked here, which is what the real module system does on GitHub's runners.
let
  type = name: extra: { _type = "option-type"; inherit name; } // extra;
  recursiveUpdate = a: b:
    a // builtins.mapAttrs
      (name: value:
        # Values that are not plain attrsets replace; a.${name} is only looked at otherwise (it may throw).
        if builtins.isAttrs value && !(value ? _type) && (value.type or null) != "derivation" && builtins.isAttrs (a.${name} or null)
        then recursiveUpdate a.${name} value
        else value)
      b;
in
rec {
  inherit recursiveUpdate;
  mkOption = attrs: attrs // { _type = "option"; };
  mkEnableOption = what: mkOption { type = types.bool; default = false; description = "Whether to enable ${what}."; };
  mkIf = condition: content: { _type = "if"; inherit condition content; };
  mkMerge = contents: { _type = "merge"; inherit contents; };
  mkOverride = priority: content: { _type = "override"; inherit priority content; };
  mkDefault = mkOverride 1000;
  mkForce = mkOverride 50;
  literalExpression = text: { _type = "literalExpression"; inherit text; };
  optional = cond: x: if cond then [ x ] else [ ];
  optionals = cond: xs: if cond then xs else [ ];
  optionalAttrs = cond: attrs: if cond then attrs else { };
  optionalString = cond: s: if cond then s else "";
  genAttrs = names: f: builtins.listToAttrs (map (n: { name = n; value = f n; }) names);
  hasPrefix = prefix: s: builtins.substring 0 (builtins.stringLength prefix) s == prefix;
  attrByPath = path: default: set:
    if path == [ ] then set
    else if builtins.isAttrs set && set ? ${builtins.head path} then attrByPath (builtins.tail path) default set.${builtins.head path}
    else default;
  # For nix/package.nix: reading the version from mix.exs, and the OTP version check.
  findFirst = pred: default: list: let found = builtins.filter pred list; in if found == [ ] then default else builtins.head found;
  splitString = sep: s: builtins.filter builtins.isString (builtins.split (escapeRegex sep) s);
  escapeRegex = s: builtins.replaceStrings [ "\\" "." "*" "+" "?" "(" ")" "[" "]" "{" "}" "|" "^" "$" ] [ "\\\\" "\\." "\\*" "\\+" "\\?" "\\(" "\\)" "\\[" "\\]" "\\{" "\\}" "\\|" "\\^" "\\$" ] s;
  versionAtLeast = v: min: builtins.compareVersions v min >= 0;
  # A source descriptor: which files a derivation reads, not a store path.
  fileset = {
    unions = files: files;
    toSource = { root, fileset }: { standInFor = "fileset.toSource"; root = toString root; files = map toString fileset; };
  };
  licenses.mit = { spdxId = "MIT"; };
  types = {
    str = type "str" { };
    bool = type "bool" { };
    port = type "port" { };
    int = type "int" { };
    package = type "package" { };
    path = type "path" { };
    lines = type "lines" { };
    nullOr = t: type "nullOr" { elemType = t; };
    listOf = t: type "listOf" { elemType = t; };
    attrsOf = t: type "attrsOf" { elemType = t; };
    enum = values: type "enum" { inherit values; };
  };
}
