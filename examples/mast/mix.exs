defmodule Mast.MixProject do
  use Mix.Project

  # The version nix-ci's release stage reads (`version-from: mix.exs`) and nix/package.nix reads too.
  @version "0.1.0"

  def project do
    [
      app: :mast,
      version: @version,
      elixir: "~> 1.14",
      start_permanent: Mix.env() == :prod,
      deps: deps(),
      releases: [
        mast: [include_executables_for: [:unix]]
      ]
    ]
  end

  def application do
    [extra_applications: [:logger, :crypto], mod: {Mast.Application, []}]
  end

  # Few deps on purpose: every one is pinned in mix.lock, and the whole tree is fetched by ONE
  # fixed-output derivation (mixFodDeps) whose hash is in nix/package.nix.
  defp deps do
    [
      {:bandit, "~> 1.5"},
      {:plug, "~> 1.16"},
      {:jason, "~> 1.4"},
      {:postgrex, "~> 0.19"}
    ]
  end
end
