defmodule Mast.HealthTest do
  use ExUnit.Case, async: true

  test "a count from the database is a 200 answer that reports it" do
    assert {200, body} = Mast.Health.answer({:ok, %{rows: [[3]]}}, "0.1.0")
    assert body == %{status: "ok", database: "ok", health_checks: 3, version: "0.1.0"}
  end

  test "a database error is a 503 answer naming the error" do
    error = %RuntimeError{message: "connection refused"}
    assert {503, body} = Mast.Health.answer({:error, error}, "0.1.0")
    assert body.status == "error"
    assert body.database == "connection refused"
    assert body.hint =~ "DATABASE_URL"
  end

  test "a missing table is a 503 answer that names the migration to run" do
    undefined_table = %{postgres: %{code: :undefined_table}}
    assert {503, body} = Mast.Health.answer({:error, undefined_table}, "0.1.0")
    assert body.hint =~ "Mast.Release.migrate()"
  end

  test "an answer of the wrong shape is a 503, not a crash" do
    assert {503, %{status: "error"}} = Mast.Health.answer({:ok, %{rows: []}}, "0.1.0")
  end

  test "the health query counts health checks" do
    assert Mast.Health.query() == "SELECT count(*) FROM health_checks"
  end
end
