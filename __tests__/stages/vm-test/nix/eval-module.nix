# Evaluates NixOS modules with the stand-in lib: option declarations with their defaults, and the
# config they define for given settings, with mkIf/mkMerge/mkDefault resolved. Enough to prove a
# module's option names, defaults, assertions and the units it writes, without nixpkgs.
{ modules, settings ? { }, pkgs ? { }, libOverrides ? { } }:
let
  # libOverrides: e.g. { version = "25.11"; } to stand in for a given nixpkgs release.
  lib = import ./stand-in-lib.nix // libOverrides;
  isOption = v: builtins.isAttrs v && (v._type or null) == "option";
  removed = { _type = "removed"; };

  # Modules may be paths, functions or attrsets; imports are followed.
  load = m:
    let
      value = if builtins.isPath m || builtins.isString m then import m else m;
      module = if builtins.isFunction value then value { inherit config lib pkgs options; } else value;
    in
    [ module ] ++ builtins.concatMap load (module.imports or [ ]);
  loaded = builtins.concatMap load modules;

  declared = builtins.foldl' lib.recursiveUpdate { } (map (m: m.options or { }) loaded);
  # What modules see as `options`: the declarations plus `isDefined` (a value in settings, or a
  # default), as the module system computes it.
  annotate = path: opts: builtins.mapAttrs
    (name: o:
      if isOption o then o // { isDefined = o ? default || lib.attrByPath (path ++ [ name ]) null settings != null; }
      else annotate (path ++ [ name ]) o)
    opts;
  options = annotate [ ] declared;
  defaultsOf = opts: builtins.mapAttrs
    (name: o: if isOption o then o.default or (throw "option ${name} is used but has no value and no default") else defaultsOf o)
    opts;
  config = lib.recursiveUpdate (defaultsOf options) settings;

  resolve = v:
    if builtins.isAttrs v then
      if (v._type or null) == "if" then (if v.condition then resolve v.content else removed)
      else if (v._type or null) == "override" then resolve v.content
      else if (v._type or null) == "merge" then builtins.foldl' lib.recursiveUpdate { } (builtins.filter (x: x != removed) (map resolve v.contents))
      else if (v.type or null) == "derivation" then v
      else
        let kept = builtins.mapAttrs (_: resolve) v;
        in builtins.removeAttrs kept (builtins.filter (n: kept.${n} == removed) (builtins.attrNames kept))
    else if builtins.isList v then map resolve v
    else v;

  described = opts: builtins.mapAttrs
    (_: o:
      if isOption o then {
        type = o.type.name or "unknown";
        hasDefault = o ? default;
        # A default that needs nixpkgs (a package) is shown by its defaultText, as the manual does.
        default = if o ? defaultText then o.defaultText else if o ? default then o.default else null;
        hasDescription = builtins.isString (o.description or null) && o.description != "";
      }
      else described o)
    opts;
  configOf = m:
    let resolved = resolve (m.config or (builtins.removeAttrs m [ "options" "imports" ]));
    in if resolved == removed then { } else resolved;
  defined = builtins.foldl' lib.recursiveUpdate { } (map configOf loaded);
in
{
  options = described declared;
  config = defined;
}
