# Offline check of mix.lock, run by scripts/test-offline.sh: every Hex package that the deps of
# mix.exs need (non-optional, transitively) is locked, at a version each requirement accepts, in
# the entry form Mix writes, and nothing else is locked. Mix itself cannot check this without Hex,
# and a gap here would surface only as a `mix deps.get` failure inside the Nix build.
Mix.start()
[{project, _}] = Code.require_file("mix.exs")

{lock, _} =
  "mix.lock" |> File.read!() |> Code.string_to_quoted!(emit_warnings: false) |> Code.eval_quoted()

checksum? = fn sum -> is_binary(sum) and sum =~ ~r/\A[0-9a-f]{64}\z/ end

malformed =
  Enum.flat_map(lock, fn
    {name, {:hex, pkg, version, inner, managers, deps, "hexpm", outer}}
    when is_atom(pkg) and is_list(managers) and is_list(deps) ->
      [
        not checksum?.(inner) && "#{name}: inner checksum is not 64 hex digits",
        not checksum?.(outer) && "#{name}: outer checksum is not 64 hex digits",
        Version.parse(version) == :error && "#{name}: version #{version} is not semver"
      ]
      |> Enum.filter(& &1)

    {name, entry} ->
      ["#{name}: not a Hex entry of the form Mix writes: #{inspect(entry)}"]
  end)

# {name, requirement, needed_by} for each non-optional dependency.
with_opts = fn
  {name, requirement} -> {name, requirement, []}
  {name, requirement, opts} -> {name, requirement, opts}
end

needs = fn deps, from ->
  for dep <- deps, {name, requirement, opts} = with_opts.(dep), not Keyword.get(opts, :optional, false),
      do: {name, requirement, from}
end

walk = fn
  _walk, [], seen, problems ->
    {seen, problems}

  walk, [{name, requirement, from} | rest], seen, problems ->
    case Map.fetch(lock, name) do
      :error ->
        walk.(walk, rest, seen, problems ++ ["#{name} (needed by #{from}) is missing"])

      {:ok, {:hex, _, version, _, _, deps, _, _}} ->
        problems =
          if Version.match?(version, requirement),
            do: problems,
            else: problems ++ ["#{name} #{version} does not satisfy #{from}'s #{requirement}"]

        if MapSet.member?(seen, name),
          do: walk.(walk, rest, seen, problems),
          else: walk.(walk, rest ++ needs.(deps, name), MapSet.put(seen, name), problems)
    end
end

{reached, unmet} = walk.(walk, needs.(project.project()[:deps], "mix.exs"), MapSet.new(), [])
unused = for name <- Map.keys(lock), not MapSet.member?(reached, name), do: "#{name} is locked but nothing needs it"

case malformed ++ unmet ++ unused do
  [] ->
    IO.puts("test-offline: mix.lock covers every dependency (#{map_size(lock)} packages)")

  problems ->
    Enum.each(problems, &IO.puts(:stderr, "test-offline: mix.lock: " <> &1))
    System.halt(1)
end
