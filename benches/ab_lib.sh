# Shared by the benches/ab_*.sh scripts (sourced): starts a proxy build
# freshly on 127.0.0.1 and stops it by its pid.

# ab_start BIN PORT DIR: a fresh proxy of BIN with --appendonly no on PORT,
# its data in DIR/data (emptied first), answering PING; its pid in $ab_pid.
ab_start() {
  rm -rf "$3/data"
  "$1" --port "$2" --dir "$3/data" --appendonly no > /dev/null 2>&1 &
  ab_pid=$!
  for _ in $(seq 100); do redis-cli -p "$2" ping > /dev/null 2>&1 && break; sleep 0.1; done
}

# ab_stop: stops the proxy ab_start started.
ab_stop() {
  kill "$ab_pid"; wait "$ab_pid" 2> /dev/null
}

# ab_rounds ROUNDS BEFORE AFTER PORT DIR FN: ROUNDS times, each build in
# turn started fresh (ab_start), `FN BIN ROUND` run against it, stopped.
ab_rounds() {
  local round bin
  for round in $(seq "$1"); do
    for bin in "$2" "$3"; do
      ab_start "$bin" "$4" "$5"
      "$6" "$bin" "$round"
      ab_stop
    done
  done
}
