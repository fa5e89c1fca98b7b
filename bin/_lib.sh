# Shared by bin/serve and bin/test: find Odoo 19, prepare the Python
# environment, start a throwaway PostgreSQL cluster. Sourced, not run.
# shellcheck shell=bash

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DATA=${CLINIC_DATA_DIR:-$ROOT/.data}

say() { printf '%s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

# --- Odoo ------------------------------------------------------------------
# Odoo is not on any package registry: the user provides it. We accept a
# Python interpreter that imports Odoo 19 (ODOO_PYTHON, else python3), and
# ODOO_PATH pointing at an Odoo 19 source tree (a git clone) for a Python
# that does not have it installed.
find_odoo() {
    local check='import odoo.release as r, sys; sys.exit(0 if r.version_info[:2] == (19, 0) else 3)'
    if [ -n "${ODOO_PATH:-}" ]; then
        [ -f "$ODOO_PATH/odoo/release.py" ] || die "ODOO_PATH=$ODOO_PATH has no odoo/release.py: point it at the root of an Odoo 19 source tree."
    fi
    # Candidates: ODOO_PYTHON if set; else the Pythons on PATH, then the
    # usual places of a pyenv or /usr/local install (a PATH without them,
    # as in a bare CI shell, must still find the Odoo installed there).
    local candidates=()
    if [ -n "${ODOO_PYTHON:-}" ]; then
        candidates=("$ODOO_PYTHON")
    else
        local name
        for name in python3 python3.13 python3.12 python3.11 python3.10; do
            command -v "$name" >/dev/null && candidates+=("$(command -v "$name")")
        done
        candidates+=("${PYENV_ROOT:-$HOME/.pyenv}"/shims/python3 /usr/local/bin/python3)
    fi
    local py rc wrong=""
    for py in "${candidates[@]}"; do
        [ -x "$py" ] || continue
        rc=0
        (cd / && PYTHONPATH="${ODOO_PATH:+$ODOO_PATH${PYTHONPATH:+:}}${PYTHONPATH:-}" "$py" -c "$check") 2>/dev/null || rc=$?
        case $rc in
            0) ODOO_PY=$py; return ;;
            3) wrong=$py ;;
        esac
    done
    [ -z "$wrong" ] || die "the Odoo found by $wrong is not 19.0; this suite needs Odoo 19."
    die "Odoo 19 not found (tried: ${candidates[*]:-no python3}). Provide it one of these ways, then run again:
  - install an Odoo 19 source tree into python3:  pip install -r ODOO/requirements.txt && pip install -e ODOO
  - or point at a source tree:                    ODOO_PATH=/path/to/odoo-19 $0
  - or name the Python that has it:               ODOO_PYTHON=/path/to/python $0
  (see README.md, section 'Run it'; for Docker, see docker/)"
}

# A script that runs Odoo's command line, as odoo-bin does. Serving with
# `python -m odoo` works with workers = 0 only: a prefork server starts its
# gevent (websocket) worker by running its own argv[0] again, which for
# `-m odoo` is odoo/__main__.py run as a file, and fails at its first import.
odoo_launcher() {
    local launcher=$DATA/odoo-launcher.py
    mkdir -p "$DATA"
    printf 'import odoo.cli\n\nif __name__ == "__main__":\n    odoo.cli.main()\n' > "$launcher"
    echo "$launcher"
}

# --- Python environment ----------------------------------------------------
# A virtualenv that sees Odoo's interpreter packages (--system-site-packages)
# and adds ours: the runtime libraries of our modules, and the test tools.
# Odoo's own packages are never upgraded in place.
prepare_venv() {
    local want=$1  # requirements file(s), space separated
    VENV=$DATA/venv
    if [ ! -x "$VENV/bin/python" ]; then
        say "==> creating $VENV (with Odoo's site packages)"
        mkdir -p "$DATA"
        "$ODOO_PY" -m venv --system-site-packages "$VENV" || die "could not create a virtualenv with $ODOO_PY"
    fi
    PY=$VENV/bin/python
    # --system-site-packages gives the *base* interpreter's packages: when
    # ODOO_PYTHON is a virtualenv's python, add that virtualenv's own
    # site-packages (their .pth files included, e.g. an editable Odoo).
    local odoo_sites
    odoo_sites=$("$ODOO_PY" -c 'import json, sys, sysconfig
paths = sysconfig.get_paths()
print(json.dumps(sorted({paths["purelib"], paths["platlib"]})) if sys.prefix != sys.base_prefix else "")')
    if [ -n "$odoo_sites" ]; then
        local venv_site
        venv_site=$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
        echo "import site; list(map(site.addsitedir, $odoo_sites))" > "$venv_site/odoo-virtualenv.pth"
    fi
    if [ -n "${ODOO_PATH:-}" ]; then
        local site
        site=$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
        echo "$ODOO_PATH" > "$site/odoo-source-tree.pth"
    fi
    local stamp=$VENV/.requirements.sha
    local sum
    # shellcheck disable=SC2086
    sum=$(cd "$ROOT" && cat $want | sha256sum | cut -d' ' -f1)
    if [ "$(cat "$stamp" 2>/dev/null)" != "$sum" ]; then
        say "==> installing Python requirements ($want)"
        local args=()
        for f in $want; do args+=(-r "$ROOT/$f"); done
        "$PY" -m pip install --disable-pip-version-check -q "${args[@]}" || die "pip install failed"
        echo "$sum" > "$stamp"
    fi
}

# --- PostgreSQL --------------------------------------------------------------
# Use the server named by PGHOST/PGPORT/PGUSER when set; otherwise a cluster
# of our own under $DATA, listening only on a Unix socket.
as_pg() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_postgres() {
    if [ -n "${PGHOST:-}" ]; then
        DB_HOST=$PGHOST DB_PORT=${PGPORT:-5432} DB_USER=${PGUSER:-odoo} DB_PASSWORD=${PGPASSWORD:-}
        say "==> using PostgreSQL at $DB_HOST:$DB_PORT as $DB_USER"
        return
    fi
    local bindir
    bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
    if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
            say "==> installing PostgreSQL (Debian package)"
            apt-get install -y -q postgresql >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q postgresql >/dev/null; } \
                || die "could not install PostgreSQL; install it, or set PGHOST/PGPORT/PGUSER to a server of yours."
            bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)
        else
            die "PostgreSQL server binaries not found; install postgresql, or set PGHOST/PGPORT/PGUSER to a server of yours."
        fi
    fi
    PGDIR=$DATA/pg
    # The server runs as 'postgres' when we are root: it must reach our folder,
    # and a Unix socket path must stay short.
    if [ "$(id -u)" = 0 ] && ! runuser -u postgres -- test -x "$DATA" 2>/dev/null || [ ${#PGDIR} -gt 80 ]; then
        PGDIR=/var/tmp/clinic-telehealth-$(printf '%s' "$ROOT" | sha256sum | cut -c1-12)/pg
    fi
    DB_HOST=$PGDIR/run DB_PORT=5432 DB_USER=odoo DB_PASSWORD=
    mkdir -p "$PGDIR/run"
    [ "$(id -u)" = 0 ] && chown -R postgres "$PGDIR"
    if [ ! -f "$PGDIR/data/PG_VERSION" ]; then
        say "==> creating a PostgreSQL cluster in $PGDIR"
        as_pg "$bindir/initdb" -D "$PGDIR/data" -U odoo --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null \
            || die "initdb failed"
    fi
    if ! as_pg "$bindir/pg_ctl" -D "$PGDIR/data" status >/dev/null 2>&1; then
        as_pg "$bindir/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/server.log" -w \
            -o "-c listen_addresses='' -k $PGDIR/run -p 5432 -c fsync=off -c full_page_writes=off" start >/dev/null \
            || die "PostgreSQL did not start; see $PGDIR/server.log"
        PG_STARTED_HERE=1
    fi
    PG_BINDIR=$bindir
}

stop_postgres() {
    if [ -n "${PG_STARTED_HERE:-}" ]; then
        as_pg "$PG_BINDIR/pg_ctl" -D "$PGDIR/data" -m fast stop >/dev/null 2>&1 || true
    fi
}

psql_cmd() {
    PGPASSWORD=$DB_PASSWORD "${PG_BINDIR:-/usr/bin}/psql" -h "$DB_HOST" -p "$DB_PORT" -U "$DB_USER" -d postgres -qAt "$@"
}

# --- Odoo configuration ------------------------------------------------------
write_odoo_conf() {
    local conf=$1 db=$2
    sed -e "s|@ADDONS@|$ROOT/addons|" -e "s|@DB_HOST@|$DB_HOST|" -e "s|@DB_PORT@|$DB_PORT|" \
        -e "s|@DB_USER@|$DB_USER|" -e "s|@DB_PASSWORD@|$DB_PASSWORD|" -e "s|@DB_NAME@|$db|" \
        -e "s|@DATA_DIR@|$DATA/filestore|" "$ROOT/config/odoo.conf.template" > "$conf"
}

clinic_modules() {
    local mods=()
    for m in "$ROOT"/addons/*/__manifest__.py; do mods+=("$(basename "$(dirname "$m")")"); done
    (IFS=,; echo "${mods[*]}")
}
