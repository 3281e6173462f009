//! The stock Redis tools work against the proxy: `redis-cli` and
//! `redis-benchmark`. Skipped, with a note, where they are not installed
//! (CI installs them).

mod common;

use std::{
    path::PathBuf,
    process::{Command, Output, Stdio},
    time::{Duration, Instant},
};

use common::{bulk, int, Server};

/// Longest a tool may run before it is killed.
const TOOL_TIMEOUT: Duration = Duration::from_secs(30);

fn find_tool(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// Runs `tool args`, killing it by pid if it outlives [`TOOL_TIMEOUT`].
fn run(tool: &PathBuf, args: &[&str]) -> Output {
    run_with_input(tool, args, Stdio::null())
}

/// As [`run`], with `stdin` as the tool's standard input.
fn run_with_input(tool: &PathBuf, args: &[&str], stdin: Stdio) -> Output {
    let mut child = Command::new(tool)
        .args(args)
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn the tool");
    let deadline = Instant::now() + TOOL_TIMEOUT;
    // Read the output on threads so a chatty tool never blocks on a pipe.
    let mut out = child.stdout.take().expect("stdout");
    let mut errs = child.stderr.take().expect("stderr");
    let out_t = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = std::io::Read::read_to_end(&mut out, &mut v);
        v
    });
    let err_t = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = std::io::Read::read_to_end(&mut errs, &mut v);
        v
    });
    let status = loop {
        if let Ok(Some(status)) = child.try_wait() {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let status = child.wait().expect("reap the tool");
            panic!("{} {args:?} timed out ({status})", tool.display());
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Output {
        status,
        stdout: out_t.join().unwrap_or_default(),
        stderr: err_t.join().unwrap_or_default(),
    }
}

fn cli(tool: &PathBuf, s: &Server, args: &[&str]) -> String {
    let port = s.port.to_string();
    let mut all = vec!["-p", &port];
    all.extend_from_slice(args);
    let out = run(tool, &all);
    assert!(out.status.success(), "redis-cli {args:?}: {out:?}");
    String::from_utf8_lossy(&out.stdout).trim_end().to_string()
}

#[test]
fn redis_cli_pings_sets_and_gets() {
    let Some(tool) = find_tool("redis-cli") else {
        eprintln!("note: redis-cli is not installed; skipping");
        return;
    };
    let s = Server::with_shards(3);
    assert_eq!(cli(&tool, &s, &["ping"]), "PONG");
    assert_eq!(cli(&tool, &s, &["set", "cli:a", "hello world"]), "OK");
    assert_eq!(cli(&tool, &s, &["get", "cli:a"]), "hello world");
    assert_eq!(cli(&tool, &s, &["incrby", "cli:n", "7"]), "7");
    assert_eq!(
        cli(&tool, &s, &["mget", "cli:a", "cli:none", "cli:n"]),
        "hello world\n\n7"
    );
    assert_eq!(cli(&tool, &s, &["-3", "get", "cli:none"]), "");
}

// needs: keys (SCAN)
#[test]
fn redis_cli_scan_lists_the_keys_of_every_shard() {
    let Some(tool) = find_tool("redis-cli") else {
        eprintln!("note: redis-cli is not installed; skipping");
        return;
    };
    let s = Server::with_shards(3);
    let mut c = s.raw();
    let mut want: Vec<String> = (0..60).map(|i| format!("scan:{i}")).collect();
    for k in &want {
        c.expect(&["SET", k, "1"], common::OK);
    }
    let listed = cli(&tool, &s, &["--scan", "--pattern", "scan:*"]);
    let mut got: Vec<String> = listed.lines().map(str::to_string).collect();
    got.sort();
    want.sort();
    assert_eq!(got, want);
}

/// Keys `redis-cli --pipe` inserts in the mass-insertion test.
const MASS_INSERT_KEYS: usize = 100_000;

#[test]
fn redis_cli_pipe_mass_inserts_and_scan_counts_every_key() {
    let Some(tool) = find_tool("redis-cli") else {
        eprintln!("note: redis-cli is not installed; skipping");
        return;
    };
    let s = Server::with_shards(3);
    // The protocol file of Redis's mass-insertion guide: one SET per key.
    let path = s.dir.join("mass.resp");
    let mut proto = Vec::with_capacity(MASS_INSERT_KEYS * 48);
    for i in 0..MASS_INSERT_KEYS {
        proto.extend_from_slice(&common::encode(&[
            "SET".to_string(),
            format!("mass:{i}"),
            format!("value:{i}"),
        ]));
    }
    std::fs::write(&path, &proto).expect("write the protocol file");
    let input = std::fs::File::open(&path).expect("open the protocol file");
    let port = s.port.to_string();
    let out = run_with_input(&tool, &["-p", &port, "--pipe"], Stdio::from(input));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "redis-cli --pipe failed: {out:?}");
    assert!(
        text.contains(&format!("errors: 0, replies: {MASS_INSERT_KEYS}")),
        "redis-cli --pipe reported: {text}"
    );
    let listed = cli(&tool, &s, &["--scan", "--pattern", "mass:*"]);
    let mut keys: Vec<&str> = listed.lines().collect();
    let total = keys.len();
    keys.sort_unstable();
    keys.dedup();
    assert_eq!(
        total, MASS_INSERT_KEYS,
        "--scan listed some keys twice or missed some"
    );
    assert_eq!(keys.len(), MASS_INSERT_KEYS);
    let mut c = s.raw();
    c.expect(&["DBSIZE"], int(MASS_INSERT_KEYS as i64));
    c.expect(&["GET", "mass:99999"], bulk("value:99999"));
}

/// Runs `redis-benchmark -q -n 10000 -t tests` against a fresh server and
/// returns the server for checks; None if the tool is missing.
fn benchmark(tests: &str) -> Option<Server> {
    let Some(tool) = find_tool("redis-benchmark") else {
        eprintln!("note: redis-benchmark is not installed; skipping");
        return None;
    };
    let s = Server::with_shards(3);
    let port = s.port.to_string();
    let out = run(&tool, &["-q", "-p", &port, "-n", "10000", "-t", tests]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "redis-benchmark failed: {out:?}");
    assert!(out.stderr.is_empty(), "errors in the benchmark: {out:?}");
    for name in tests.split(',') {
        let name = name.to_uppercase();
        // "SET: 95238.10 requests per second", "MSET (10 keys): ..."
        let reported = text.contains(&format!("{name}: ")) || text.contains(&format!("{name} ("));
        assert!(reported, "no result for {name}: {text}");
    }
    Some(s)
}

#[test]
fn redis_benchmark_set_get_mset_incr_runs_and_leaves_its_keys() {
    let Some(s) = benchmark("set,get,mset,incr") else {
        return;
    };
    let mut c = s.raw();
    c.expect(&["STRLEN", "key:__rand_int__"], int(3));
    c.expect(&["GET", "counter:__rand_int__"], bulk("10000"));
}

// needs: lists
#[test]
fn redis_benchmark_lpush_runs_and_leaves_its_list() {
    let Some(s) = benchmark("lpush") else {
        return;
    };
    let mut c = s.raw();
    c.expect(&["EXISTS", "mylist"], int(1));
    c.expect(&["LLEN", "mylist"], int(10000));
}
