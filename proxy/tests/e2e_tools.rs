//! The stock Redis tools work against the proxy: `redis-cli` and
//! `redis-benchmark`. Skipped, with a note, where they are not installed;
//! under `CI=true` (where `.ci/run` installs them) a missing tool fails.
//! And the ops scripts: `--help` of each, and start, status, restart-shard
//! and stop on a deployment of their own.

mod common;

use std::{
    path::{Path, PathBuf},
    process::{Command, Output, Stdio},
    time::{Duration, Instant},
};

use common::{bulk, int, key_on_shard, pid_alive, wait_until, Server, TempDir, IO_TIMEOUT};

/// Longest a tool may run before it is killed.
const TOOL_TIMEOUT: Duration = Duration::from_secs(30);
/// Longest the whole redis-py suite may take (about 35 s on an idle
/// 2-core machine; its own waits are bounded much shorter).
const PYTEST_TIMEOUT: Duration = Duration::from_secs(300);

fn find_tool(name: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    });
    if found.is_none() && std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{name} is not installed, and CI must run this test (.ci/run installs it)");
    }
    found
}

/// Runs `tool args`, killing it by pid if it outlives [`TOOL_TIMEOUT`].
fn run(tool: &PathBuf, args: &[&str]) -> Output {
    run_full(tool, args, &[], Stdio::null(), TOOL_TIMEOUT)
}

/// [`run`] with extra environment variables.
fn run_env(tool: &PathBuf, args: &[&str], env: &[(&str, &Path)]) -> Output {
    run_full(tool, args, env, Stdio::null(), TOOL_TIMEOUT)
}

/// As [`run`], with `stdin` as the tool's standard input.
fn run_with_input(tool: &PathBuf, args: &[&str], stdin: Stdio) -> Output {
    run_full(tool, args, &[], stdin, TOOL_TIMEOUT)
}

fn run_full(
    tool: &PathBuf,
    args: &[&str],
    env: &[(&str, &Path)],
    stdin: Stdio,
    timeout: Duration,
) -> Output {
    let mut child = Command::new(tool)
        .args(args)
        .envs(env.iter().map(|(k, v)| (*k, v.as_os_str())))
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn the tool");
    let deadline = Instant::now() + timeout;
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

#[test]
fn redis_benchmark_lpush_runs_and_leaves_its_list() {
    let Some(s) = benchmark("lpush") else {
        return;
    };
    let mut c = s.raw();
    c.expect(&["EXISTS", "mylist"], int(1));
    c.expect(&["LLEN", "mylist"], int(10000));
}

const OPS_SCRIPTS: &[&str] = &[
    "start",
    "stop",
    "status",
    "restart-shard",
    "fuzz",
    "soak",
    "redis-tests",
];

fn ops_script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../ops")
        .join(name)
}

#[test]
fn every_ops_script_explains_itself_with_help() {
    for name in OPS_SCRIPTS {
        let out = run(&ops_script(name), &["--help"]);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "ops/{name} --help: {out:?}");
        assert!(
            text.contains(&format!("ops/{name}")),
            "ops/{name} --help shows its usage: {text}"
        );
    }
}

/// A deployment made by ops/start in a temporary directory; every process
/// in its pid files is killed by pid when dropped.
struct Deployment {
    dir: TempDir,
    bin: TempDir,
    port: u16,
}

impl Deployment {
    /// A directory with `proxy` (this build) and a `shardd` that runs it in
    /// shard mode, as ops/start expects in SHARDIS_BIN.
    fn new() -> Deployment {
        let bin = TempDir::new();
        std::os::unix::fs::symlink(common::proxy_bin(), bin.0.join("proxy")).expect("link proxy");
        let shardd = bin.0.join("shardd");
        std::fs::write(
            &shardd,
            format!(
                "#!/bin/sh\nexec '{}' shard \"$@\"\n",
                common::proxy_bin().display()
            ),
        )
        .expect("write the shardd wrapper");
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&shardd, std::fs::Permissions::from_mode(0o755))
            .expect("make the wrapper executable");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        Deployment {
            dir: TempDir::new(),
            bin,
            port,
        }
    }

    /// Runs `ops/NAME args...` on this deployment; its stdout.
    fn ops(&self, name: &str, args: &[&str]) -> String {
        let out = run_env(
            &ops_script(name),
            args,
            &[("SHARDIS_BIN", &self.bin.0), ("SHARDIS_DIR", &self.dir.0)],
        );
        assert!(out.status.success(), "ops/{name} {args:?}: {out:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn pid(&self, name: &str) -> Option<u32> {
        std::fs::read_to_string(self.dir.0.join("run").join(format!("{name}.pid")))
            .ok()?
            .trim()
            .parse()
            .ok()
    }
}

impl Drop for Deployment {
    fn drop(&mut self) {
        let Ok(entries) = std::fs::read_dir(self.dir.0.join("run")) else {
            return;
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let Some(name) = name.strip_suffix(".pid") else {
                continue;
            };
            if let Some(pid) = self.pid(name).filter(|&p| pid_alive(p)) {
                // SAFETY: killing a process this test's ops/start started, by pid.
                unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
            }
        }
    }
}

/// The line of `status` that starts with `prefix`.
fn line<'a>(status: &'a str, prefix: &str) -> &'a str {
    status
        .lines()
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no '{prefix}' line in:\n{status}"))
}

#[test]
fn ops_start_status_restart_shard_and_stop_run_a_deployment() {
    let d = Deployment::new();
    let port = d.port.to_string();
    let started = d.ops(
        "start",
        &["--shards", "3", "--port", &port, "--appendfsync", "always"],
    );
    assert!(started.contains("with 3 shards"), "{started}");
    let mut c = common::Raw::connect(d.port);
    c.expect(
        &["CONFIG", "GET", "appendfsync"],
        common::arr(&[bulk("appendfsync"), bulk("always")]),
    );
    let keys: Vec<String> = (0..3).map(|i| key_on_shard("ops", i, 3)).collect();
    for k in &keys {
        c.expect(&["SET", k, "v"], common::OK);
    }
    c.expect(&["SET", &keys[1], "w"], common::OK);

    let has_cli = find_tool("redis-cli").is_some();
    let status = d.ops("status", &["--port", &port]);
    let proxy_pid = d.pid("proxy").expect("proxy pid file");
    assert!(
        line(&status, "proxy")
            .starts_with(&format!("proxy  pid {proxy_pid}  up  port {port}  rss ")),
        "{status}"
    );
    for (i, slots) in ["0-5461", "5462-10922", "10923-16383"].iter().enumerate() {
        let l = line(&status, &format!("shard {i} "));
        let pid = d.pid(&format!("shard-{i}")).expect("shard pid file");
        assert!(l.contains(&format!("pid {pid}  up  slots {slots}")), "{l}");
        if has_cli {
            assert!(l.contains("keys 1 "), "{l}");
        }
        assert!(l.contains(" kB  aof always "), "{l}");
        assert!(l.ends_with("snapshot none"), "{l}");
        // The log of shard 1 holds two SETs, the others one.
        let aof_bytes: u64 = l
            .split("aof always ")
            .nth(1)
            .and_then(|r| r.split(' ').next())
            .and_then(|n| n.parse().ok())
            .expect("log bytes");
        assert!(aof_bytes > 8, "{l}");
    }

    // A shard killed and started again by ops/restart-shard keeps its data
    // and its persistence settings.
    let old = d.pid("shard-1").expect("shard 1 pid");
    let out = d.ops("restart-shard", &["1", "--kill"]);
    assert!(out.contains("shard 1 restarted"), "{out}");
    assert!(!pid_alive(old));
    wait_until(IO_TIMEOUT, "shard 1 to serve through the proxy", || {
        c.try_cmd(&["GET", &keys[1]])
            .is_ok_and(|r| r == bulk("w").as_bytes())
    });
    let status = d.ops("status", &["--port", &port]);
    let l = line(&status, "shard 1 ");
    let new = d.pid("shard-1").expect("shard 1 pid");
    assert!(new != old && l.contains(&format!("pid {new}  up")), "{l}");
    assert!(l.contains(" aof always "), "{l}");

    let out = d.ops("stop", &[]);
    assert!(out.contains("stopped"), "{out}");
    let status = d.ops("status", &["--port", &port]);
    assert!(status.starts_with("proxy  down"), "{status}");
    assert!(
        line(&status, "shard 0 ").starts_with("shard 0  down  slots 0-5461 (5462)  aof always "),
        "{status}"
    );
    assert!(!pid_alive(proxy_pid));
}

/// The redis-py tests (`proxy/tests/python`: the smoke tests and the transactions) run by
/// pytest against this build's proxy. The interpreter is `$SHARDIS_PYTHON`
/// (`.ci/run` makes a venv with redis-py and pytest), else `python3`;
/// skipped with a note when it lacks redis-py or pytest, failing under
/// `CI=true`.
#[test]
fn redis_py_smoke_tests_pass() {
    let Some(python) = python_with_redis_py() else {
        return;
    };
    let tests = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python");
    let tests = tests.to_string_lossy().into_owned();
    let out = run_full(
        &python,
        &["-m", "pytest", "-q", "-p", "no:cacheprovider", &tests],
        &[("SHARDIS_PROXY_BIN", common::proxy_bin())],
        Stdio::null(),
        PYTEST_TIMEOUT,
    );
    assert!(
        out.status.success(),
        "pytest failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `$SHARDIS_PYTHON` (else `python3`) when it has redis-py and pytest;
/// `None`, with a note, when it lacks them (a failure under `CI=true`).
fn python_with_redis_py() -> Option<PathBuf> {
    let python = std::env::var_os("SHARDIS_PYTHON").unwrap_or_else(|| "python3".into());
    let python = PathBuf::from(python);
    let probe = Command::new(&python)
        .args(["-c", "import redis, pytest"])
        .output();
    if probe.is_ok_and(|o| o.status.success()) {
        return Some(python);
    }
    if in_ci() {
        panic!(
            "{} has no redis-py or pytest, and CI must run them",
            python.display()
        );
    }
    eprintln!(
        "note: no redis-py/pytest for {}; skipping",
        python.display()
    );
    None
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// The redis-py source release whose own tests run against shardis.
const REDIS_PY_SUITE_VERSION: &str = "7.0.1";

/// The test files of that release that speak to one server (the others
/// need a cluster, Sentinel, modules, TLS or fixed ports).
const REDIS_PY_SUITE_FILES: &[&str] = &[
    "test_commands.py",
    "test_pipeline.py",
    "test_lock.py",
    "test_pubsub.py",
    "test_scripting.py",
    "test_function.py",
    "test_encoding.py",
    "test_monitor.py",
    "test_cache.py",
    "test_hash.py",
    "test_connection.py",
    "test_connection_pool.py",
    "test_multiprocessing.py",
];

/// Its tests of the asyncio client (`redis.asyncio`, what async web
/// frameworks use), run by [`redis_py_own_asyncio_tests_pass`]: they need
/// pytest-asyncio besides.
const REDIS_PY_ASYNC_SUITE_FILES: &[&str] = &[
    "test_asyncio/test_commands.py",
    "test_asyncio/test_pipeline.py",
    "test_asyncio/test_lock.py",
    "test_asyncio/test_pubsub.py",
    "test_asyncio/test_scripting.py",
    "test_asyncio/test_encoding.py",
    "test_asyncio/test_hash.py",
    "test_asyncio/test_monitor.py",
    "test_asyncio/test_connection.py",
    "test_asyncio/test_connection_pool.py",
    "test_asyncio/test_cwe_404.py",
];

/// Tests left out, and why: redis-server 7.0.15 fails every one of them
/// too. The ACL and stream tests check later servers' replies, PSYNC needs
/// a replica; the pub/sub one expects nothing to listen on port 6390,
/// which a free port may be; the connection tests connect to port 6379
/// whatever server the suite is given (or time a connection to a remote
/// address).
const REDIS_PY_SUITE_DESELECTED: &[&str] = &[
    "tests/test_commands.py::TestRedisCommands::test_acl_getuser_setuser",
    "tests/test_commands.py::TestRedisCommands::test_xgroup_create_entriesread",
    "tests/test_commands.py::TestRedisCommands::test_psync",
    "tests/test_pubsub.py::TestPubSubRedisDown",
    "tests/test_connection.py::TestConnection::test_retry_connect_on_timeout_error",
    "tests/test_connection.py::test_create_single_connection_client_from_url",
    "tests/test_asyncio/test_commands.py::TestRedisCommands::test_acl_getuser_setuser",
    "tests/test_asyncio/test_connection_pool.py::TestConnectionPool::test_max_connections",
    "tests/test_asyncio/test_connection_pool.py::TestConnectionPool::test_multiple_connections",
    "tests/test_asyncio/test_connection_pool.py::TestConnectionPool::test_reuse_previously_released_connection",
];

/// redis-py's own test suite (the source release `.ci/run` unpacks into
/// `$SHARDIS_REDIS_PY_SUITE`, by default `$TMPDIR/shardis-redis-py-7.0.1`)
/// against this build's proxy with its shards: about 650 tests of
/// commands, replies, pipelines, locks, pub/sub, scripts, functions,
/// MONITOR and connection handling that redis-py checks against
/// redis-server. Skipped with a note where the release is not unpacked;
/// a failure under `CI=true`.
#[test]
fn redis_py_own_test_suite_passes() {
    run_redis_py_suite(REDIS_PY_SUITE_FILES, None);
}

/// The same suite's tests of the asyncio client (about 500: commands,
/// pipelines, locks, pub/sub, scripts, connection pools), which need
/// pytest-asyncio (`.ci/run` installs it).
#[test]
fn redis_py_own_asyncio_tests_pass() {
    run_redis_py_suite(REDIS_PY_ASYNC_SUITE_FILES, Some("pytest_asyncio"));
}

/// Runs `files` of redis-py's suite against a server of 3 shards, with
/// `$SHARDIS_PYTHON` if it has redis-py and pytest ([`python_with_redis_py`])
/// and the `module` these files also need (a note, or under `CI=true` a
/// failure, if not).
fn run_redis_py_suite(files: &[&str], module: Option<&str>) {
    let Some(python) = python_with_redis_py() else {
        return;
    };
    if let Some(m) = module {
        let able = Command::new(&python)
            .args(["-c", &format!("import {m}")])
            .output();
        if !able.is_ok_and(|o| o.status.success()) {
            assert!(
                !in_ci(),
                "{} has no {m}, and CI must run these tests",
                python.display()
            );
            eprintln!("note: {} has no {m}; skipping", python.display());
            return;
        }
    }
    let suite = std::env::var_os("SHARDIS_REDIS_PY_SUITE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            std::env::temp_dir().join(format!("shardis-redis-py-{REDIS_PY_SUITE_VERSION}"))
        });
    if !suite.join("tests").join("conftest.py").is_file() {
        assert!(
            !in_ci(),
            "redis-py's test suite is not unpacked in {}, and CI must run it",
            suite.display()
        );
        eprintln!(
            "note: no redis-py test suite in {}; skipping",
            suite.display()
        );
        return;
    }
    let s = Server::with_shards(3);
    let url = format!("--redis-url=redis://127.0.0.1:{}", s.port);
    let files: Vec<String> = files
        .iter()
        .map(|f| suite.join("tests").join(f).to_string_lossy().into_owned())
        .collect();
    let mut args = vec![
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-W",
        "ignore",
        "-m",
        "not onlycluster and not redismod",
        &url,
    ];
    for d in REDIS_PY_SUITE_DESELECTED {
        args.extend(["--deselect", d]);
    }
    args.extend(files.iter().map(String::as_str));
    // The release's own `redis` package, not the venv's, runs its tests.
    let out = run_full(
        &python,
        &args,
        &[("PYTHONPATH", &suite)],
        Stdio::null(),
        PYTEST_TIMEOUT,
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "redis-py's suite failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains(" passed"), "{stdout}");
}
