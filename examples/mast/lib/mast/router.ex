defmodule Mast.Router do
  @moduledoc "The HTTP endpoint: `GET /` is the health answer, read from PostgreSQL."
  use Plug.Router

  plug :match
  plug :dispatch

  get "/" do
    result = Postgrex.query(Mast.DB, Mast.Health.query(), [])
    {status, body} = Mast.Health.answer(result)

    conn
    |> put_resp_content_type("application/json")
    |> send_resp(status, Jason.encode!(body))
  end

  match _ do
    send_resp(conn, 404, "not found\n")
  end
end
