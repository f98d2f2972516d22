defmodule Mast.Release do
  @moduledoc """
  Release tasks, run without starting the app (`bin/mast eval 'Mast.Release.migrate()'`): each
  starts only what it needs, so they work while the service is stopped or before its first start.
  """
  require Logger

  @doc "Creates the schema (idempotent) and records one health check."
  def migrate do
    with_connection(fn conn ->
      Postgrex.query!(
        conn,
        """
        CREATE TABLE IF NOT EXISTS health_checks (
          id bigserial PRIMARY KEY,
          checked_at timestamptz NOT NULL DEFAULT now()
        )
        """,
        []
      )

      Postgrex.query!(conn, "INSERT INTO health_checks DEFAULT VALUES", [])
      %{rows: [[count]]} = Postgrex.query!(conn, Mast.Health.query(), [])
      IO.puts("mast: migrated; health_checks holds #{count} row(s)")
      :ok
    end)
  end

  @doc """
  Enrolls this instance with its fleet. The stand-in only says so; the real Mast registers here.
  """
  def self_enroll do
    {:ok, _} = Application.ensure_all_started(:logger)
    Logger.info("mast: self-enrollment requested for #{node_name()}; nothing to do in the example app")
    :ok
  end

  defp with_connection(fun) do
    # Settings first: a missing DATABASE_URL fails with its fix before anything starts.
    options = Mast.Config.postgrex_options()
    Application.load(:mast)
    {:ok, _} = Application.ensure_all_started(:postgrex)
    {:ok, conn} = Postgrex.start_link(options)

    try do
      fun.(conn)
    after
      GenServer.stop(conn)
    end
  end

  defp node_name do
    case :inet.gethostname() do
      {:ok, name} -> to_string(name)
      _ -> "this host"
    end
  end
end
