defmodule Mast.Application do
  @moduledoc false
  use Application
  require Logger

  @impl true
  def start(_type, _args) do
    port = Mast.Config.port()
    ip = Mast.Config.bind_ip()

    children = [
      # Connects in the background and reconnects with backoff: the HTTP endpoint comes up even
      # while PostgreSQL is down, and its health answer says so (503).
      {Postgrex, Keyword.put(Mast.Config.postgrex_options(), :name, Mast.DB)},
      {Bandit, plug: Mast.Router, scheme: :http, ip: ip, port: port}
    ]

    Logger.info("mast #{Application.spec(:mast, :vsn)} listening on #{:inet.ntoa(ip)}:#{port}")
    Supervisor.start_link(children, strategy: :one_for_one, name: Mast.Supervisor)
  end
end
