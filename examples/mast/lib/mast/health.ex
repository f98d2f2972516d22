defmodule Mast.Health do
  @moduledoc """
  The health answer of `GET /`: whether the database answers, and how many health checks it holds.
  Pure: it turns the result of the query into an HTTP status and a JSON-ready map.
  """

  @query "SELECT count(*) FROM health_checks"

  @doc "The query whose result `answer/1` formats."
  def query, do: @query

  @doc """
  `{status, body}` for a query result: `{:ok, %{rows: [[count]]}}` (a `Postgrex.Result`) or
  `{:error, exception}`.
  """
  @spec answer({:ok, %{rows: list}} | {:error, term}, String.t()) :: {pos_integer, map}
  def answer(result, version \\ version())

  def answer({:ok, %{rows: [[count]]}}, version) when is_integer(count) do
    {200, %{status: "ok", database: "ok", health_checks: count, version: version}}
  end

  def answer({:ok, other}, version) do
    {503, %{status: "error", database: "unexpected answer: #{inspect(other)}", version: version}}
  end

  def answer({:error, reason}, version) do
    {503, %{status: "error", database: describe(reason), hint: hint(reason), version: version}}
  end

  defp describe(%{__exception__: true} = exception), do: Exception.message(exception)
  defp describe(reason), do: inspect(reason)

  # Postgres error code 42P01 (undefined_table): the schema was never created.
  defp hint(%{postgres: %{code: :undefined_table}}), do: "run: bin/mast eval 'Mast.Release.migrate()'"
  defp hint(_reason), do: "check DATABASE_URL and that PostgreSQL is running"

  defp version do
    case :application.get_key(:mast, :vsn) do
      {:ok, vsn} -> to_string(vsn)
      :undefined -> "unknown"
    end
  end
end
