# The built-in VM test's script, run by the NixOS test driver. nix/service-test.nix prepends
# `PARAMS = "<json>"`. Each check is a subtest, so a failure names it; on any failure the journals of
# the service, postgresql.service and postgresql-setup.service are printed between
# `nix-ci: journal begin/end <unit>` markers, which the action copies into the job summary.
# `machine`, `subtest` and friends are the driver's globals.
import json
import re
import shlex

params = json.loads(PARAMS)  # PARAMS: prepended by service-test.nix
service: str = params["service"]
unit = f"{service}.service"
port = int(params["port"])
health_path: str = params["healthPath"]
table: str = params["table"]
database: str = params["database"]
url = f"http://127.0.0.1:{port}{health_path}"


def psql(sql: str, db: str = "postgres") -> str:
    command = f"runuser -u postgres -- psql -d {db} -tAX -v ON_ERROR_STOP=1 -c {shlex.quote(sql)}"
    return machine.succeed(command).strip()


def http_status() -> str:
    _, out = machine.execute(
        f"curl -s -o /dev/null -w '%{{http_code}}' --max-time 10 {shlex.quote(url)}"
    )
    return out.strip()


def expect_serving(when: str) -> None:
    with subtest(f"{service} answers GET {health_path} with 2xx/3xx {when}"):
        machine.wait_for_open_port(port, timeout=300)
        status = http_status()
        for _ in range(60):
            if re.fullmatch(r"[23]\d\d", status):
                break
            machine.sleep(1)
            status = http_status()
        print(f"nix-ci: GET {url} -> HTTP {status} ({when})", flush=True)
        if not re.fullmatch(r"[23]\d\d", status):
            raise Exception(
                f"GET {url} answered HTTP {status or '000 (no answer)'} {when}; expected 2xx or 3xx"
            )


def dump_journals() -> None:
    # postgresql-setup.service: where current nixpkgs runs ensureDatabases/ensureUsers (a role or
    # ownership error shows there); on older nixpkgs journalctl prints "-- No entries --".
    for name in [unit, "postgresql.service", "postgresql-setup.service"]:
        _, out = machine.execute(
            f"journalctl --no-pager -o short-monotonic -n 300 -u {name}"
        )
        print(f"nix-ci: journal begin {name}", flush=True)
        print(out.rstrip("\n"), flush=True)
        print(f"nix-ci: journal end {name}", flush=True)


try:
    machine.start()
    with subtest("postgresql.service reaches active"):
        machine.wait_for_unit("postgresql.service", timeout=300)
    with subtest(f"{unit} reaches active"):
        machine.wait_for_unit(unit, timeout=300)
    expect_serving("after boot")

    with subtest(f"database {database} and role {service} exist, the role owns the database"):
        role = psql(f"SELECT rolname FROM pg_roles WHERE rolname = '{service}'")
        if role != service:
            raise Exception(f"role {service} does not exist (pg_roles has no row for it)")
        owner = psql(f"SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = '{database}'")
        if owner == "":
            raise Exception(f"database {database} does not exist (pg_database has no row for it)")
        if owner != service:
            raise Exception(f"database {database} is owned by {owner}, expected {service}")

    with subtest(f"migrations ran: table {table} exists in {database}"):
        found = psql(f"SELECT to_regclass('{table}') IS NOT NULL", db=database)
        if found != "t":
            raise Exception(f"table {table} does not exist in database {database}: did the migrations run?")

    with subtest(f"{unit} comes back after systemctl restart"):
        machine.succeed(f"systemctl restart {unit}")
        machine.wait_for_unit(unit, timeout=300)
    expect_serving("after restart")
except Exception:
    dump_journals()
    raise
