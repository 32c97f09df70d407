#!/bin/sh
# The PostgreSQL extension's tests, as root on a Debian 12 machine: install
# what is missing, build and install libsegment to /usr/local and the
# extension into PostgreSQL 15, start a throw-away cluster as the postgres
# user on a private unix socket, run `make installcheck`, and stop the
# cluster whatever happens. Safe to run again: packages already present are
# not fetched, and the meson build directory is reused.
#
# Environment: BUILD_DIR (default: build-pg-ext in the repository) for the
# library's build; PG_PORT (default 54329) for the socket's port number.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
pgbin=/usr/lib/postgresql/15/bin
build=${BUILD_DIR:-$repo/build-pg-ext}
port=${PG_PORT:-54329}

step() { printf '\n==== %s\n' "$*"; }

[ "$(id -u)" = 0 ] || { echo "run-tests.sh: run as root" >&2; exit 1; }

step "packages"
need=
for p in gcc make meson ninja-build pkg-config postgresql-15 \
         postgresql-server-dev-15; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
        need="$need $p"
done
if [ -n "$need" ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    # shellcheck disable=SC2086
    apt-get install -y -q --no-install-recommends $need >/dev/null
fi
echo "ok"

step "libsegment to /usr/local"
if [ ! -f "$build/build.ninja" ]; then
    meson setup "$build" "$repo" --prefix=/usr/local --buildtype=release \
        -Dtests=false -Ddocs=disabled >/dev/null
fi
ninja -C "$build" >/dev/null
meson install -C "$build" --quiet >/dev/null
ldconfig
# meson's libdir under /usr/local is multiarch on Debian; both are searched.
export PKG_CONFIG_PATH="/usr/local/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)/pkgconfig:/usr/local/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
pkg-config --modversion segment

step "the extension"
make -C "$here" -s PG_CONFIG="$pgbin/pg_config" clean >/dev/null
make -C "$here" -s PG_CONFIG="$pgbin/pg_config"
make -C "$here" -s PG_CONFIG="$pgbin/pg_config" install >/dev/null
echo "installed in $("$pgbin/pg_config" --pkglibdir)"

step "a temporary cluster"
tmp=$(mktemp -d /tmp/segment-pg.XXXXXX)
chown postgres: "$tmp"
stop() {
    status=$?
    if [ -f "$tmp/data/postmaster.pid" ]; then
        su postgres -s /bin/sh -c "$pgbin/pg_ctl -D '$tmp/data' -m fast -w stop" \
            >/dev/null 2>&1 || true
    fi
    rm -rf "$tmp"
    exit $status
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
su postgres -s /bin/sh -c "$pgbin/initdb -D '$tmp/data' -U postgres -A trust \
    --no-sync -E UTF8 --locale=C.UTF-8" >/dev/null
su postgres -s /bin/sh -c "$pgbin/pg_ctl -D '$tmp/data' -l '$tmp/log' -w \
    -o \"-c listen_addresses='' -k '$tmp' -p $port -c fsync=off\" start" \
    >/dev/null
echo "running on $tmp, port $port"

step "make installcheck"
rc=0
PGHOST=$tmp PGPORT=$port PGUSER=postgres \
    make -C "$here" -s PG_CONFIG="$pgbin/pg_config" installcheck || rc=$?
if [ "$rc" != 0 ]; then
    [ -f "$here/regression.diffs" ] && cat "$here/regression.diffs"
    echo "---- server log"
    tail -n 50 "$tmp/log" || true
    echo "PostgreSQL extension tests: FAILED"
    exit "$rc"
fi
echo "PostgreSQL extension tests: passed"
