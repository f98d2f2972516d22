defmodule Mast.ReleaseTest do
  # Not async: it changes the process environment (DATABASE_URL).
  use ExUnit.Case, async: false
  import ExUnit.CaptureLog

  test "self_enroll/0 logs the request and returns :ok" do
    log = capture_log(fn -> assert Mast.Release.self_enroll() == :ok end)
    assert log =~ "self-enrollment requested"
  end

  test "migrate/0 without DATABASE_URL fails naming the setting, before starting anything" do
    previous = System.get_env("DATABASE_URL")
    System.delete_env("DATABASE_URL")

    try do
      assert_raise ArgumentError, ~r/DATABASE_URL is not set/, fn -> Mast.Release.migrate() end
    after
      if previous, do: System.put_env("DATABASE_URL", previous)
    end
  end
end
