# Shared helpers for the ops scripts (sourced, not run).
# Layout of a deployment directory DIR:
#   DIR/shard-N/        shard N's data and control socket (shard.sock)
#   DIR/slots.map       the proxy's slot map (written by the proxy; its
#                       `shards N` line is the shard count, see ops/scale)
#   DIR/run/shard-N.pid DIR/run/proxy.pid   pid files
#   DIR/run/persistence  the shards' appendonly/appendfsync (from ops/start)
#   DIR/log/shard-N.log DIR/log/proxy.log   logs

ops_root=$(cd "$(dirname "$0")/.." && pwd)
DIR=${SHARDIS_DIR:-$ops_root/shardis-data}
PORT=${SHARDIS_PORT:-6379}

bin_dir() {
  if [ -n "${SHARDIS_BIN:-}" ]; then echo "$SHARDIS_BIN"; return; fi
  # A running deployment's shards (restart-shard, scale) come from the
  # folder of its proxy's binary: the same build.
  _pp=$(read_pid "$DIR/run/proxy.pid")
  if pid_alive "$_pp"; then
    _pb=$(dirname "$(readlink "/proc/$_pp/exe" 2>/dev/null || echo .)")
    if [ -x "$_pb/shardd" ]; then echo "$_pb"; return; fi
  fi
  if [ ! -x "$ops_root/target/release/proxy" ] || [ ! -x "$ops_root/target/release/shardd" ]; then
    (cd "$ops_root" && cargo build --release -p proxy -p shardd --bins >&2) || exit 1
  fi
  echo "$ops_root/target/release"
}

# pid_alive PID: the process exists and is not a zombie (processes started
# with nohup are reaped by whoever adopts them, which may take a while).
pid_alive() {
  [ -n "$1" ] && kill -0 "$1" 2>/dev/null || return 1
  [ "$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)" != Z ]
}

read_pid() { [ -f "$1" ] && cat "$1" || true; }

# slot_range I N: the slots of shard I of N in the proxy's default table
# (slot s belongs to shard s * N / 16384), as "LO-HI".
slot_range() {
  echo "$((($1 * 16384 + $2 - 1) / $2))-$(((($1 + 1) * 16384 + $2 - 1) / $2 - 1))"
}

# POSIX sh has no local variables: helpers use names starting with _.
# map_shards: the shard count in DIR/slots.map (empty when there is none).
map_shards() {
  [ -f "$DIR/slots.map" ] && sed -n 's/^shards \([0-9][0-9]*\)$/\1/p' "$DIR/slots.map" | head -n 1 || true
}

# shard_count: the shards of the deployment: DIR/slots.map's count, else
# (no map yet: a proxy older than scaling) the shard-N directories. A
# scale-in leaves the removed shards' directories behind, so these are
# counted only without a map.
shard_count() {
  _n=$(map_shards)
  if [ -z "$_n" ]; then
    _n=0
    while [ -d "$DIR/shard-$_n" ]; do _n=$((_n + 1)); done
  fi
  echo "$_n"
}

# is_uint S: S is a decimal integer (no sign), at most 9 digits.
is_uint() {
  case "$1" in ''|*[!0-9]*) return 1 ;; esac
  [ ${#1} -le 9 ]
}

# proc_arg PID NAME: the value after --NAME on the process's command line.
proc_arg() { tr '\0' '\n' 2>/dev/null <"/proc/$1/cmdline" | sed -n "/^--$2\$/{n;p;q;}"; }

# shardis_status: the proxy's SHARDIS STATUS (name:value lines, no CR) on
# 127.0.0.1:PORT; fails when it does not answer or answers an error.
# Bounded, so a hung proxy cannot hang the caller. REDISCLI_AUTH is the
# password, if any.
shardis_status() {
  command -v redis-cli >/dev/null 2>&1 || return 1
  _st=$(timeout 10 redis-cli -h 127.0.0.1 -p "$PORT" shardis status 2>/dev/null | tr -d '\r') || return 1
  case "$_st" in shards:*) printf '%s\n' "$_st" ;; *) return 1 ;; esac
}

# field NAME TEXT: the value of NAME in name:value lines.
field() { printf '%s\n' "$2" | sed -n "s/^$1://p" | head -n 1; }

# persistence: sets APPENDFSYNC and APPENDONLY (unless already set) from
# SHARDIS_APPENDFSYNC / SHARDIS_APPENDONLY, else from what ops/start
# recorded in DIR/run/persistence, else the defaults (everysec, yes), and
# checks them.
persistence() {
  _f="$DIR/run/persistence"
  _sf=""; _sa=""
  if [ -f "$_f" ]; then
    _sf=$(sed -n 's/^appendfsync //p' "$_f")
    _sa=$(sed -n 's/^appendonly //p' "$_f")
  fi
  APPENDFSYNC=${APPENDFSYNC:-${SHARDIS_APPENDFSYNC:-${_sf:-everysec}}}
  APPENDONLY=${APPENDONLY:-${SHARDIS_APPENDONLY:-${_sa:-yes}}}
  case "$APPENDFSYNC" in always|everysec|no) ;; *)
    echo "appendfsync must be always, everysec or no, not '$APPENDFSYNC'" >&2; exit 2 ;;
  esac
  case "$APPENDONLY" in yes|no) ;; *)
    echo "appendonly must be yes or no, not '$APPENDONLY'" >&2; exit 2 ;;
  esac
}

# start_shard N [SHARDD FLAGS...]: starts shard N in the background and
# waits for its socket. ops/scale gives a new shard `--slots -` (it owns
# nothing until the proxy moves slots to it; a `slots` file already in its
# directory, from an earlier scale-in, wins).
start_shard() {
  _id=$1
  shift
  persistence
  mkdir -p "$DIR/shard-$_id" "$DIR/run" "$DIR/log"
  rm -f "$DIR/shard-$_id/shard.sock"
  # In its own session (when setsid is there): a Ctrl-C in the terminal
  # that ran the script (ops/scale watching) must not reach the shard,
  # which handles SIGINT even when started with it ignored. A background
  # child of a script is no process group leader, so setsid does not fork
  # and $! stays the shard's pid.
  _setsid=""
  command -v setsid >/dev/null 2>&1 && _setsid=setsid
  $_setsid nohup "$(bin_dir)/shardd" --id "$_id" --dir "$DIR/shard-$_id" \
    --appendonly "$APPENDONLY" --appendfsync "$APPENDFSYNC" "$@" \
    >>"$DIR/log/shard-$_id.log" 2>&1 &
  echo $! >"$DIR/run/shard-$_id.pid"
  _w=0
  while [ ! -S "$DIR/shard-$_id/shard.sock" ]; do
    _w=$((_w + 1))
    if [ $_w -gt 200 ]; then echo "shard $_id did not start (see $DIR/log/shard-$_id.log)" >&2; return 1; fi
    sleep 0.05
  done
}

# stop_pid FILE: SIGTERM, wait up to 10 s, then SIGKILL.
stop_pid() {
  _pid=$(read_pid "$1")
  if pid_alive "$_pid"; then
    kill "$_pid"
    _w=0
    while pid_alive "$_pid" && [ $_w -lt 200 ]; do sleep 0.05; _w=$((_w + 1)); done
    if pid_alive "$_pid"; then kill -9 "$_pid"; fi
  fi
  rm -f "$1"
}
