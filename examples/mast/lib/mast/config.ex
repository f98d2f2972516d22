defmodule Mast.Config do
  @moduledoc """
  Runtime settings, read from the environment the service runs in (the NixOS module sets them):

    * `PORT`: TCP port to listen on; default 4000.
    * `HOST`: address to bind; an IP address or a resolvable name.
    * `PHX_HOST`: the public host name (as in Phoenix). Bound only when it is an IP address or
      `localhost`; a public name means a reverse proxy in front, so Mast listens on 127.0.0.1.
      Without either, 127.0.0.1.
    * `DATABASE_URL`: `postgres://user:password@host:port/database`, or a Unix socket as in
      `postgres:///mast?host=/run/postgresql` or `ecto://mast@localhost/mast?socket_dir=/run/postgresql`
      (peer authentication as the service's user).

  Pure functions of an env map, so they are tested without a database or a network.
  """

  @default_port 4000
  @default_host "127.0.0.1"

  @doc "The port to listen on."
  @spec port(map) :: :inet.port_number()
  def port(env \\ System.get_env()) do
    case Map.get(env, "PORT", "") do
      "" -> @default_port
      value -> parse_port!(value)
    end
  end

  @doc "The bind address, as the tuple `:gen_tcp` wants."
  @spec bind_ip(map) :: :inet.ip_address()
  def bind_ip(env \\ System.get_env()) do
    case {present(env, "HOST"), present(env, "PHX_HOST")} do
      {nil, nil} -> parse_ip!(@default_host, "HOST")
      {nil, "localhost"} -> parse_ip!("localhost", "PHX_HOST")
      {nil, public_name} -> ip_literal(public_name) || parse_ip!(@default_host, "HOST")
      {host, _} -> parse_ip!(host, "HOST")
    end
  end

  defp ip_literal(host) do
    case :inet.parse_address(String.to_charlist(host)) do
      {:ok, ip} -> ip
      {:error, _} -> nil
    end
  end

  defp parse_ip!(host, variable) do
    ip_literal(host) ||
      case :inet.getaddr(String.to_charlist(host), :inet) do
        {:ok, ip} -> ip
        {:error, reason} -> raise ArgumentError, "#{variable}=#{host} is neither an IP address nor a resolvable name (#{reason}); set HOST to e.g. 127.0.0.1 or 0.0.0.0"
      end
  end

  @doc "Postgrex connection options from `DATABASE_URL`."
  @spec postgrex_options(map) :: keyword
  def postgrex_options(env \\ System.get_env()) do
    case Map.get(env, "DATABASE_URL", "") do
      "" -> raise ArgumentError, "DATABASE_URL is not set; set it to e.g. postgres://mast@localhost/mast or postgres:///mast?host=/run/postgresql"
      url -> parse_database_url!(url)
    end
  end

  @doc false
  def parse_database_url!(url) do
    uri = URI.parse(url)

    unless uri.scheme in ["postgres", "postgresql", "ecto"] do
      raise ArgumentError, "DATABASE_URL must start with postgres://, got #{inspect(redact(url))}"
    end

    database = String.trim_leading(uri.path || "", "/")
    if database == "", do: raise(ArgumentError, "DATABASE_URL names no database: #{inspect(redact(url))}")

    query = URI.decode_query(uri.query || "")
    {username, password} = userinfo(uri.userinfo)

    [database: URI.decode(database)]
    |> put_present(:username, username)
    |> put_present(:password, password)
    |> Keyword.merge(location(uri, query))
  end

  # A `host` query parameter that is a directory means a Unix socket, as libpq reads it.
  defp location(uri, query) do
    socket_dir = query["socket_dir"] || (String.starts_with?(query["host"] || "", "/") && query["host"])

    cond do
      socket_dir -> [socket_dir: socket_dir] |> put_present(:port, uri.port)
      uri.host in [nil, ""] -> [socket_dir: "/run/postgresql"] |> put_present(:port, uri.port)
      true -> [hostname: uri.host, port: uri.port || 5432]
    end
  end

  defp userinfo(nil), do: {nil, nil}

  defp userinfo(info) do
    case String.split(info, ":", parts: 2) do
      [user] -> {URI.decode_www_form(user), nil}
      [user, password] -> {URI.decode_www_form(user), URI.decode_www_form(password)}
    end
  end

  defp put_present(opts, _key, nil), do: opts
  defp put_present(opts, _key, ""), do: opts
  defp put_present(opts, key, value), do: Keyword.put(opts, key, value)

  defp present(env, name) do
    case Map.get(env, name, "") do
      "" -> nil
      value -> value
    end
  end

  defp parse_port!(value) do
    case Integer.parse(value) do
      {port, ""} when port in 1..65_535 -> port
      _ -> raise ArgumentError, "PORT=#{value} is not a TCP port; use a number from 1 to 65535"
    end
  end

  defp redact(url), do: String.replace(url, ~r{//([^:/@]*):[^@]*@}, "//\\1:***@")
end
