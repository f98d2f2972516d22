defmodule Mast.ConfigTest do
  use ExUnit.Case, async: true
  alias Mast.Config

  describe "port/1" do
    test "defaults to 4000" do
      assert Config.port(%{}) == 4000
      assert Config.port(%{"PORT" => ""}) == 4000
    end

    test "reads PORT" do
      assert Config.port(%{"PORT" => "8080"}) == 8080
    end

    test "rejects a PORT that is not a TCP port, naming the fix" do
      assert_raise ArgumentError, ~r/from 1 to 65535/, fn -> Config.port(%{"PORT" => "http"}) end
      assert_raise ArgumentError, ~r/PORT=70000/, fn -> Config.port(%{"PORT" => "70000"}) end
    end
  end

  describe "bind_ip/1" do
    test "defaults to loopback" do
      assert Config.bind_ip(%{}) == {127, 0, 0, 1}
    end

    test "HOST wins over PHX_HOST" do
      assert Config.bind_ip(%{"HOST" => "0.0.0.0", "PHX_HOST" => "10.0.0.1"}) == {0, 0, 0, 0}
      assert Config.bind_ip(%{"HOST" => "::"}) == {0, 0, 0, 0, 0, 0, 0, 0}
    end

    test "HOST may be a resolvable name" do
      assert Config.bind_ip(%{"HOST" => "localhost"}) == {127, 0, 0, 1}
    end

    test "PHX_HOST is bound when it is an address or localhost" do
      assert Config.bind_ip(%{"PHX_HOST" => "10.0.0.1"}) == {10, 0, 0, 1}
      assert Config.bind_ip(%{"PHX_HOST" => "localhost"}) == {127, 0, 0, 1}
    end

    test "a public PHX_HOST name means a proxy in front: listen on loopback" do
      assert Config.bind_ip(%{"PHX_HOST" => "mast.example.org"}) == {127, 0, 0, 1}
    end

    test "an unresolvable HOST fails naming the fix" do
      assert_raise ArgumentError, ~r/HOST=no-such-host.invalid .* set HOST to/, fn ->
        Config.bind_ip(%{"HOST" => "no-such-host.invalid"})
      end
    end
  end

  describe "postgrex_options/1" do
    test "a TCP URL gives host, port, user, password and database" do
      opts = Config.postgrex_options(%{"DATABASE_URL" => "postgres://mast:s%40cret@db.internal:5433/mast_prod"})
      assert opts[:hostname] == "db.internal"
      assert opts[:port] == 5433
      assert opts[:username] == "mast"
      assert opts[:password] == "s@cret"
      assert opts[:database] == "mast_prod"
    end

    test "the port defaults to 5432 and ecto:// is accepted" do
      opts = Config.postgrex_options(%{"DATABASE_URL" => "ecto://mast@localhost/mast"})
      assert opts[:hostname] == "localhost"
      assert opts[:port] == 5432
      refute Keyword.has_key?(opts, :password)
    end

    test "a host that is a directory is a Unix socket, as libpq reads it" do
      opts = Config.postgrex_options(%{"DATABASE_URL" => "postgres:///mast?host=/run/postgresql"})
      assert opts[:socket_dir] == "/run/postgresql"
      assert opts[:database] == "mast"
      refute Keyword.has_key?(opts, :hostname)
      refute Keyword.has_key?(opts, :username)
    end

    test "the NixOS module's URL: ecto:// with socket_dir, peer authentication as mast" do
      opts = Config.postgrex_options(%{"DATABASE_URL" => "ecto://mast@localhost/mast?socket_dir=/run/postgresql"})
      assert opts[:socket_dir] == "/run/postgresql"
      assert opts[:username] == "mast"
      assert opts[:database] == "mast"
      refute Keyword.has_key?(opts, :hostname)
    end

    test "no host at all means the local server's socket" do
      assert Config.postgrex_options(%{"DATABASE_URL" => "postgresql:///mast"})[:socket_dir] == "/run/postgresql"
    end

    test "a missing DATABASE_URL fails with an example of what to set" do
      assert_raise ArgumentError, ~r/DATABASE_URL is not set; set it to e.g. postgres:/, fn ->
        Config.postgrex_options(%{})
      end
    end

    test "a URL of another scheme or without a database fails, with the password hidden" do
      error = assert_raise ArgumentError, fn -> Config.postgrex_options(%{"DATABASE_URL" => "mysql://u:hunter2@h/db"}) end
      refute error.message =~ "hunter2"
      assert_raise ArgumentError, ~r/names no database/, fn -> Config.postgrex_options(%{"DATABASE_URL" => "postgres://h/"}) end
    end
  end
end
