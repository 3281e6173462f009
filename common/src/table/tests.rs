//! Tests of the command table against facts fetched from redis-server
//! 7.0.15 (`COMMAND INFO`, `COMMAND GETKEYS` and error replies), hard-coded
//! here so the tests need no server.

use crate::reply::Proto;

use super::*;

fn reply_of(args: &[&str], proto: Proto) -> String {
    let argv: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
    let mut out = Vec::new();
    command::reply(&argv, proto, &mut out);
    String::from_utf8(out).unwrap()
}

fn resolve_error(argv: &[&[u8]]) -> Vec<u8> {
    let err = resolve(argv).unwrap_err();
    let mut out = Vec::new();
    err.write_reply(argv, &mut out);
    out
}

#[test]
fn table_and_subcommands_are_sorted_for_binary_search() {
    for pair in data::COMMANDS.windows(2) {
        assert!(
            pair[0].name < pair[1].name,
            "{} before {}",
            pair[0].name,
            pair[1].name
        );
    }
    for c in data::COMMANDS {
        for pair in c.subcommands.windows(2) {
            assert!(pair[0].short_name() < pair[1].short_name());
        }
        for s in c.subcommands {
            assert!(s.name.starts_with(c.name) && s.name[c.name.len()..].starts_with('|'));
        }
    }
}

#[test]
fn exactly_the_internal_commands_say_they_are_internal() {
    for c in every_entry() {
        assert_eq!(c.id.is_internal(), c.exec == Exec::Internal, "{}", c.name);
    }
}

/// (name, arity, first key, last key, step, flags) as COMMAND INFO gives them.
type InfoFacts = (&'static str, i32, i32, i32, i32, &'static [&'static str]);

#[test]
fn arity_keys_and_flags_match_redis() {
    // (name, arity, first, last, step, flags) from redis-server 7.0.15 COMMAND INFO.
    let redis: &[InfoFacts] = &[
        ("get", 2, 1, 1, 1, &["readonly", "fast"]),
        ("set", -3, 1, 1, 1, &["write", "denyoom"]),
        ("mget", -2, 1, -1, 1, &["readonly", "fast"]),
        ("mset", -3, 1, -1, 2, &["write", "denyoom"]),
        ("del", -2, 1, -1, 1, &["write"]),
        ("exists", -2, 1, -1, 1, &["readonly", "fast"]),
        ("rename", 3, 1, 2, 1, &["write"]),
        ("blpop", -3, 1, -2, 1, &["write", "noscript", "blocking"]),
        ("bitop", -4, 2, -1, 1, &["write", "denyoom"]),
        (
            "zunionstore",
            -4,
            1,
            1,
            1,
            &["write", "denyoom", "movablekeys"],
        ),
        ("lmpop", -4, 0, 0, 0, &["write", "movablekeys"]),
        ("blmpop", -5, 0, 0, 0, &["write", "blocking", "movablekeys"]),
        ("sort", -2, 1, 1, 1, &["write", "denyoom", "movablekeys"]),
        ("hset", -4, 1, 1, 1, &["write", "denyoom", "fast"]),
        ("zadd", -4, 1, 1, 1, &["write", "denyoom", "fast"]),
        ("msetnx", -3, 1, -1, 2, &["write", "denyoom"]),
        ("lcs", -3, 1, 2, 1, &["readonly"]),
        ("ping", -1, 0, 0, 0, &["fast"]),
        (
            "hello",
            -1,
            0,
            0,
            0,
            &[
                "noscript",
                "loading",
                "stale",
                "fast",
                "no_auth",
                "allow_busy",
            ],
        ),
        (
            "auth",
            -2,
            0,
            0,
            0,
            &[
                "noscript",
                "loading",
                "stale",
                "fast",
                "no_auth",
                "allow_busy",
            ],
        ),
        ("flushall", -1, 0, 0, 0, &["write"]),
        ("scan", -2, 0, 0, 0, &["readonly"]),
        ("keys", 2, 0, 0, 0, &["readonly"]),
        (
            "watch",
            -2,
            1,
            -1,
            1,
            &["noscript", "loading", "stale", "fast", "allow_busy"],
        ),
        ("object", -2, 0, 0, 0, &[]),
        ("config", -2, 0, 0, 0, &[]),
        ("sintercard", -3, 0, 0, 0, &["readonly", "movablekeys"]),
        ("expire", -3, 1, 1, 1, &["write", "fast"]),
        ("getex", -2, 1, 1, 1, &["write", "fast"]),
        ("client", -2, 0, 0, 0, &[]),
        ("object|encoding", 3, 2, 2, 1, &["readonly"]),
        (
            "config|get",
            -3,
            0,
            0,
            0,
            &["admin", "noscript", "loading", "stale"],
        ),
        ("memory|usage", -3, 2, 2, 1, &["readonly"]),
        (
            "client|kill",
            -3,
            0,
            0,
            0,
            &["admin", "noscript", "loading", "stale"],
        ),
        ("command|getkeys", -4, 0, 0, 0, &["loading", "stale"]),
    ];
    for &(name, arity, first, last, step, flag_names) in redis {
        let c = entry(name.as_bytes()).unwrap_or_else(|| panic!("{name} missing"));
        assert_eq!(c.name, name);
        assert_eq!(
            (c.arity, c.first_key, c.last_key, c.key_step),
            (arity, first, last, step),
            "{name}"
        );
        let flags: Vec<&str> = flags::NAMES
            .iter()
            .enumerate()
            .filter(|(i, _)| c.flags & (1 << i) != 0)
            .map(|(_, n)| *n)
            .collect();
        assert_eq!(flags, flag_names, "{name}");
    }
}

#[test]
fn lookup_ignores_case_and_rejects_unknown_names() {
    assert_eq!(lookup(b"GeT").unwrap().name, "get");
    assert_eq!(lookup(b"ZUNIONSTORE").unwrap().name, "zunionstore");
    let config = lookup(b"Config").unwrap();
    assert_eq!(
        lookup_subcommand(config, b"GET").unwrap().name,
        "config|get"
    );
    assert_eq!(
        lookup_full_name(b"OBJECT|Encoding").unwrap().name,
        "object|encoding"
    );
    assert!(lookup(b"nope").is_none());
    assert!(lookup(b"").is_none());
    assert!(lookup(&[b'g'; 200]).is_none());
    assert!(lookup(b"config|get").is_none());
    assert!(lookup_full_name(b"get|x").is_none());
}

#[test]
fn routes_follow_the_design() {
    let route = |n: &str| entry(n.as_bytes()).unwrap().route;
    for n in [
        "get",
        "set",
        "hset",
        "zadd",
        "object|encoding",
        "memory|usage",
        "expire",
    ] {
        assert_eq!(route(n), Route::Single, "{n}");
    }
    for n in ["mget", "mset", "del", "unlink", "exists", "touch"] {
        assert_eq!(route(n), Route::MultiKeySplit, "{n}");
    }
    for n in [
        "rename",
        "copy",
        "smove",
        "lmove",
        "rpoplpush",
        "sinterstore",
        "zunionstore",
        "bitop",
        "pfmerge",
        "msetnx",
        "lmpop",
        "zmpop",
        "sintercard",
        "zintercard",
        "blpop",
        "sort",
    ] {
        assert_eq!(route(n), Route::Together, "{n}");
    }
    for n in [
        "dbsize",
        "keys",
        "scan",
        "randomkey",
        "flushall",
        "flushdb",
        "info",
        "function|load",
        "script|flush",
    ] {
        assert_eq!(route(n), Route::FanOut, "{n}");
    }
    for n in [
        "ping",
        "echo",
        "quit",
        "reset",
        "select",
        "auth",
        "hello",
        "client|list",
        "command",
        "config|get",
        "multi",
        "exec",
        "discard",
        "watch",
        "unwatch",
        "object|help",
    ] {
        assert_eq!(route(n), Route::Connection, "{n}");
    }
}

fn keys_of(args: &str) -> Result<Vec<&str>, KeysError> {
    let argv: Vec<&[u8]> = args.split(' ').map(str::as_bytes).collect();
    let parts: Vec<&str> = args.split(' ').collect();
    let spec = match resolve(&argv) {
        Ok(spec) => spec,
        // Commands nobody runs yet still have their key positions.
        Err(ResolveError::UnknownCommand | ResolveError::UnknownSubcommand) => {
            let top = entry(argv[0]).unwrap();
            match top.subcommands.is_empty() {
                true => top,
                false => entry(format!("{}|{}", parts[0], parts[1]).as_bytes()).unwrap(),
            }
        }
        Err(e) => panic!("{args}: {e:?}"),
    };
    key_positions(spec, &argv).map(|ks| ks.into_iter().map(|i| parts[i]).collect())
}

#[test]
fn key_positions_match_redis_getkeys() {
    // Inputs and answers from redis-server 7.0.15 COMMAND GETKEYS.
    let cases: &[(&str, &[&str])] = &[
        ("get a", &["a"]),
        ("mset a 1 b 2", &["a", "b"]),
        ("mset a 1 b", &["a", "b"]),
        ("blpop a b 0", &["a", "b"]),
        ("bitop and d a b", &["d", "a", "b"]),
        ("rename a b", &["a", "b"]),
        ("object encoding k", &["k"]),
        ("memory usage k", &["k"]),
        (
            "sort a limit 0 1 store b by x store c get store",
            &["a", "c"],
        ),
        ("sort a store", &["a"]),
        ("georadius k 1 2 3 km store d storedist e", &["k", "d", "e"]),
        ("georadius k 1 2 3 km storedist e", &["k", "e"]),
        ("georadiusbymember k m 3 km storedist d", &["k", "d"]),
        ("georadiusbymember k m 3 store", &["k"]),
        ("georadius k 1 2 3 km", &["k"]),
        ("zinterstore d 2 a b weights 1 2", &["d", "a", "b"]),
        ("blmpop 0 2 a b left", &["a", "b"]),
        ("sintercard 2 a b limit 1", &["a", "b"]),
        ("zdiff 1 a", &["a"]),
        ("lmpop 2 a b left", &["a", "b"]),
        ("lmpop 3 a b left", &["a", "b", "left"]),
        ("lmpop 1x a left", &["a"]),
        ("zunionstore d 1x a", &["a", "d"]),
    ];
    for (args, want) in cases {
        assert_eq!(keys_of(args).as_deref(), Ok(*want), "{args}");
    }
    // Where shardis lists more than Redis: every STORE destination (Redis
    // lists the first, writes the last), so the key written is routed.
    {
        let args = "georadius k 1 2 3 km store a store b";
        assert_eq!(keys_of(args).as_deref(), Ok(&["k", "a", "b"][..]), "{args}");
    }
    for args in [
        "zunionstore d 2 a",
        "zunionstore d 0 a",
        "lmpop x a b left",
        "lmpop -1 a b left",
        "lmpop 0 a b left",
    ] {
        assert_eq!(keys_of(args), Err(KeysError::InvalidArguments), "{args}");
    }
    assert_eq!(keys_of("ping"), Err(KeysError::NoKeyArguments));
    assert_eq!(keys_of("config get x"), Err(KeysError::NoKeyArguments));
}

#[test]
fn huge_numkeys_is_refused_without_allocating() {
    assert_eq!(
        keys_of("lmpop 9223372036854775807 a left"),
        Err(KeysError::InvalidArguments)
    );
    assert_eq!(
        keys_of("lmpop 99999999999999999999 a left"),
        Err(KeysError::InvalidArguments)
    );
}

#[test]
fn unknown_command_error_matches_redis() {
    assert_eq!(
        resolve_error(&[b"foo", b"a", b"b"]),
        b"-ERR unknown command 'foo', with args beginning with: 'a' 'b' \r\n"
    );
    assert_eq!(
        resolve_error(&[b"foo"]),
        b"-ERR unknown command 'foo', with args beginning with: \r\n"
    );
    let long = vec![b'f'; 200];
    let mut want = b"-ERR unknown command '".to_vec();
    want.extend_from_slice(&long[..128]);
    want.extend_from_slice(b"', with args beginning with: 'a' \r\n");
    assert_eq!(resolve_error(&[&long, b"a"]), want);
    let (a, b) = (vec![b'a'; 100], vec![b'b'; 100]);
    let want = format!(
        "-ERR unknown command 'foo', with args beginning with: '{}' '{}' \r\n",
        "a".repeat(100),
        "b".repeat(25)
    );
    assert_eq!(resolve_error(&[b"foo", &a, &b, b"c"]), want.as_bytes());
    assert_eq!(
        resolve_error(&[b"fo\x00o", b"a\x00b", b"\xff\r\nx"]),
        b"-ERR unknown command 'fo', with args beginning with: 'a' '\xff  x' \r\n"
    );
}

#[test]
fn unknown_subcommand_error_matches_redis() {
    assert_eq!(
        resolve_error(&[b"config", b"x"]),
        b"-ERR unknown subcommand 'x'. Try CONFIG HELP.\r\n"
    );
    assert_eq!(
        resolve_error(&[b"CoNfIg", b"X\r\nY"]),
        b"-ERR unknown subcommand 'X  Y'. Try CONFIG HELP.\r\n"
    );
    assert_eq!(
        resolve_error(&[b"object", b"zz"]),
        b"-ERR unknown subcommand 'zz'. Try OBJECT HELP.\r\n"
    );
    let long = vec![b'x'; 200];
    let want = format!(
        "-ERR unknown subcommand '{}'. Try CLIENT HELP.\r\n",
        "x".repeat(128)
    );
    assert_eq!(resolve_error(&[b"client", &long]), want.as_bytes());
}

#[test]
fn wrong_arity_error_names_the_full_command() {
    assert_eq!(
        resolve_error(&[b"GET"]),
        b"-ERR wrong number of arguments for 'get' command\r\n"
    );
    assert_eq!(
        resolve_error(&[b"gEt", b"a", b"b"]),
        b"-ERR wrong number of arguments for 'get' command\r\n"
    );
    assert_eq!(
        resolve_error(&[b"config"]),
        b"-ERR wrong number of arguments for 'config' command\r\n"
    );
    assert_eq!(
        resolve_error(&[b"config", b"get"]),
        b"-ERR wrong number of arguments for 'config|get' command\r\n"
    );
    assert_eq!(
        resolve(&[b"set", b"k", b"v", b"EX", b"10"]).unwrap().name,
        "set"
    );
    assert_eq!(
        resolve(&[b"config", b"GET", b"x"]).unwrap().name,
        "config|get"
    );
    assert_eq!(resolve(&[b"command"]).unwrap().name, "command");
}

#[test]
fn command_info_and_getkeysandflags_match_redis_bytes() {
    // Replies of redis-server 7.0.15, byte for byte.
    let cases: &[(u8, &str, &[u8])] = &[
        (2, "command info get sort lmpop nope", b"*4\r\n*10\r\n$3\r\nget\r\n:2\r\n*2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n*3\r\n+@read\r\n+@string\r\n+@fast\r\n*0\r\n*1\r\n*6\r\n$5\r\nflags\r\n*2\r\n+RO\r\n+access\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n*0\r\n*10\r\n$4\r\nsort\r\n:-2\r\n*3\r\n+write\r\n+denyoom\r\n+movablekeys\r\n:1\r\n:1\r\n:1\r\n*6\r\n+@write\r\n+@set\r\n+@sortedset\r\n+@list\r\n+@slow\r\n+@dangerous\r\n*0\r\n*3\r\n*6\r\n$5\r\nflags\r\n*2\r\n+RO\r\n+access\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n*8\r\n$5\r\nnotes\r\n$120\r\nFor the optional BY/GET keyword. It is marked 'unknown' because the key names derive from the content of the key we sort\r\n$5\r\nflags\r\n*2\r\n+RO\r\n+access\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$7\r\nunknown\r\n$4\r\nspec\r\n*0\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$7\r\nunknown\r\n$4\r\nspec\r\n*0\r\n*8\r\n$5\r\nnotes\r\n$116\r\nFor the optional STORE keyword. It is marked 'unknown' because the keyword can appear anywhere in the argument array\r\n$5\r\nflags\r\n*2\r\n+OW\r\n+update\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$7\r\nunknown\r\n$4\r\nspec\r\n*0\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$7\r\nunknown\r\n$4\r\nspec\r\n*0\r\n*0\r\n*10\r\n$5\r\nlmpop\r\n:-4\r\n*2\r\n+write\r\n+movablekeys\r\n:0\r\n:0\r\n:0\r\n*3\r\n+@write\r\n+@list\r\n+@slow\r\n*0\r\n*1\r\n*6\r\n$5\r\nflags\r\n*3\r\n+RW\r\n+access\r\n+delete\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$6\r\nkeynum\r\n$4\r\nspec\r\n*6\r\n$9\r\nkeynumidx\r\n:0\r\n$8\r\nfirstkey\r\n:1\r\n$7\r\nkeystep\r\n:1\r\n*0\r\n$-1\r\n"),
        (3, "command info rename config|get get|x", b"*3\r\n*10\r\n$6\r\nrename\r\n:3\r\n~1\r\n+write\r\n:1\r\n:2\r\n:1\r\n~3\r\n+@keyspace\r\n+@write\r\n+@slow\r\n~0\r\n~2\r\n%3\r\n$5\r\nflags\r\n~3\r\n+RW\r\n+access\r\n+delete\r\n$12\r\nbegin_search\r\n%2\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n%1\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n%2\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n%3\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n%3\r\n$5\r\nflags\r\n~2\r\n+OW\r\n+update\r\n$12\r\nbegin_search\r\n%2\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n%1\r\n$5\r\nindex\r\n:2\r\n$9\r\nfind_keys\r\n%2\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n%3\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n~0\r\n*10\r\n$10\r\nconfig|get\r\n:-3\r\n~4\r\n+admin\r\n+noscript\r\n+loading\r\n+stale\r\n:0\r\n:0\r\n:0\r\n~3\r\n+@admin\r\n+@slow\r\n+@dangerous\r\n~0\r\n~0\r\n~0\r\n_\r\n"),
        (2, "command getkeysandflags sort a store b", b"*2\r\n*2\r\n$1\r\na\r\n*2\r\n+RO\r\n+access\r\n*2\r\n$1\r\nb\r\n*2\r\n+OW\r\n+update\r\n"),
        (2, "command getkeysandflags zunionstore d 2x a b", b"*3\r\n*2\r\n$1\r\na\r\n*0\r\n*2\r\n$1\r\nb\r\n*0\r\n*2\r\n$1\r\nd\r\n*0\r\n"),
    ];
    for (proto, line, want) in cases {
        let args: Vec<&str> = line.split(' ').collect();
        let proto = if *proto == 3 {
            Proto::Resp3
        } else {
            Proto::Resp2
        };
        assert_eq!(reply_of(&args, proto).as_bytes(), *want, "{line}");
    }
}

#[test]
fn command_info_lists_subcommands_and_tips() {
    let object = reply_of(&["command", "info", "object"], Proto::Resp3);
    assert!(object.starts_with(
        "*1\r\n*10\r\n$6\r\nobject\r\n:-2\r\n~0\r\n:0\r\n:0\r\n:0\r\n~1\r\n+@slow\r\n~0\r\n~0\r\n*5\r\n"
    ));
    assert!(object.contains("~1\r\n$23\r\nnondeterministic_output\r\n"));
}

#[test]
fn command_count_list_and_all_agree() {
    let count = all().count();
    assert_eq!(
        reply_of(&["command", "count"], Proto::Resp2),
        format!(":{count}\r\n")
    );
    assert!(reply_of(&["COMMAND"], Proto::Resp2).starts_with(&format!("*{count}\r\n*10\r\n")));
    let subs: usize = all()
        .map(|c| c.subcommands.iter().filter(|s| s.exists()).count())
        .sum();
    assert!(
        reply_of(&["command", "list"], Proto::Resp2).starts_with(&format!("*{}\r\n", count + subs))
    );
    assert_eq!(
        reply_of(
            &["command", "list", "FILTERBY", "pattern", "config|[g-r]e*"],
            Proto::Resp2
        ),
        "*4\r\n$10\r\nconfig|get\r\n$11\r\nconfig|help\r\n$16\r\nconfig|resetstat\r\n\
         $14\r\nconfig|rewrite\r\n"
    );
    assert_eq!(
        reply_of(
            &["command", "list", "filterby", "aclcat", "nosuch"],
            Proto::Resp2
        ),
        "*0\r\n"
    );
    assert!(reply_of(
        &["command", "list", "filterby", "aclcat", "HyperLogLog"],
        Proto::Resp2
    )
    .starts_with("*3\r\n"));
    assert_eq!(
        reply_of(&["command", "list", "filterby", "pattern"], Proto::Resp2),
        "-ERR syntax error\r\n"
    );
    assert_eq!(
        reply_of(&["command", "list", "x"], Proto::Resp2),
        "-ERR syntax error\r\n"
    );
    assert_eq!(
        reply_of(&["command", "list", "filterby", "nope", "x"], Proto::Resp2),
        "-ERR syntax error\r\n"
    );
}

#[test]
fn command_docs_gives_minimal_docs() {
    assert_eq!(
        reply_of(&["command", "docs", "get", "nope"], Proto::Resp3),
        "%1\r\n$3\r\nget\r\n%4\r\n$7\r\nsummary\r\n$22\r\nGet the value of a key\r\n$5\r\nsince\r\n$5\r\n1.0.0\r\n\
         $5\r\ngroup\r\n$6\r\nstring\r\n$10\r\ncomplexity\r\n$4\r\nO(1)\r\n"
    );
    assert_eq!(
        reply_of(&["command", "docs", "nope"], Proto::Resp3),
        "%0\r\n"
    );
    let config = reply_of(&["command", "docs", "config"], Proto::Resp2);
    assert!(config.starts_with("*2\r\n$6\r\nconfig\r\n*10\r\n"));
    // Only the subcommands shardis runs (all of CONFIG's five).
    assert!(config.contains("$11\r\nsubcommands\r\n*10\r\n$10\r\nconfig|get\r\n"));
    let all_docs = reply_of(&["command", "docs"], Proto::Resp3);
    assert!(all_docs.starts_with(&format!("%{}\r\n", all().count())));
}

#[test]
fn command_getkeys_errors_match_redis() {
    let cases: &[(&[&str], &str)] = &[
        (&["command", "getkeys", "get", "a"], "*1\r\n$1\r\na\r\n"),
        (
            &["command", "getkeys", "nope", "a"],
            "-ERR Invalid command specified\r\n",
        ),
        (
            &["command", "getkeys", "set", "a"],
            "-ERR Invalid number of arguments specified for command\r\n",
        ),
        (
            &["command", "getkeys", "config", "get", "x"],
            "-ERR The command has no key arguments\r\n",
        ),
        (
            &["command", "getkeys", "zunionstore", "d", "2", "a"],
            "-ERR Invalid arguments specified for command\r\n",
        ),
        (
            &["command", "getkeys", "lmpop", "2", "a", "b", "left"],
            "*2\r\n$1\r\na\r\n$1\r\nb\r\n",
        ),
        (
            &["command", "getkeys", "command", "info"],
            "-ERR The command has no key arguments\r\n",
        ),
        (&["command", "getkeysandflags", "set", "a", "b"], "*1\r\n*2\r\n$1\r\na\r\n*2\r\n+OW\r\n+update\r\n"),
        (&["command", "getkeysandflags", "set", "a", "b", "get"], "*1\r\n*2\r\n$1\r\na\r\n*3\r\n+RW\r\n+access\r\n+update\r\n"),
        (&["command", "getkeysandflags", "sort_ro", "a"], "*1\r\n*2\r\n$1\r\na\r\n*2\r\n+RO\r\n+access\r\n"),
        (&["command", "getkeysandflags", "bitfield", "a", "get", "u8", "0"], "*1\r\n*2\r\n$1\r\na\r\n*2\r\n+RO\r\n+access\r\n"),
        (&["command", "getkeysandflags", "bitfield", "a", "incrby", "u8", "0", "1"], "*1\r\n*2\r\n$1\r\na\r\n*3\r\n+RW\r\n+access\r\n+update\r\n"),
        (&["command", "getkeysandflags", "lmpop", "1x", "a", "left"], "*1\r\n*2\r\n$1\r\na\r\n*0\r\n"),
        (&["command", "getkeysandflags", "rename", "a", "b"], "*2\r\n*2\r\n$1\r\na\r\n*3\r\n+RW\r\n+access\r\n+delete\r\n*2\r\n$1\r\nb\r\n*2\r\n+OW\r\n+update\r\n"),
        (&["command", "getkeysandflags", "zunionstore", "d", "2", "a", "b"], "*3\r\n*2\r\n$1\r\nd\r\n*2\r\n+OW\r\n+update\r\n*2\r\n$1\r\na\r\n*2\r\n+RO\r\n+access\r\n*2\r\n$1\r\nb\r\n*2\r\n+RO\r\n+access\r\n"),
    ];
    for (args, want) in cases {
        assert_eq!(reply_of(args, Proto::Resp2), *want, "{args:?}");
    }
}

#[test]
fn command_help_matches_redis() {
    let help = reply_of(&["command", "help"], Proto::Resp2);
    assert!(help.starts_with(
        "*21\r\n+COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n"
    ));
    assert!(help.ends_with("+HELP\r\n+    Prints this help.\r\n"));
}

fn arb_arg() -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
    use proptest::prelude::*;
    prop_oneof![
        (-3i64..6).prop_map(|n| n.to_string().into_bytes()),
        prop::sample::select(vec!["store", "STORE", "limit", "get", "by", "x", ""])
            .prop_map(|s| s.as_bytes().to_vec()),
        prop::collection::vec(any::<u8>(), 0..6),
    ]
}

proptest::proptest! {
    #[test]
    fn key_positions_stay_inside_argv(index in 0usize..1000, sub in 0usize..100, args in proptest::collection::vec(arb_arg(), 0..10)) {
        let base = &data::COMMANDS[index % data::COMMANDS.len()];
        let mut argv: Vec<&[u8]> = vec![base.name.as_bytes()];
        if !base.subcommands.is_empty() {
            argv.push(base.subcommands[sub % base.subcommands.len()].short_name().as_bytes());
        }
        argv.extend(args.iter().map(Vec::as_slice));
        if let Ok(spec) = resolve(&argv) {
            if let Ok(keys) = key_positions(spec, &argv) {
                proptest::prop_assert!(!keys.is_empty());
                proptest::prop_assert!(keys.iter().all(|&k| k > 0 && k < argv.len()));
            }
        }
    }

    #[test]
    fn resolve_and_command_never_panic(args in proptest::collection::vec(arb_arg(), 0..8), sub in 0usize..8) {
        let subs = ["info", "docs", "list", "getkeys", "getkeysandflags", "count", "help", "nope"];
        let mut argv: Vec<&[u8]> = vec![b"command", subs[sub].as_bytes()];
        argv.extend(args.iter().map(Vec::as_slice));
        let mut out = Vec::new();
        match resolve(&argv) {
            Ok(_) => command::reply(&argv, Proto::Resp3, &mut out),
            Err(e) => e.write_reply(&argv, &mut out),
        }
        proptest::prop_assert!(out.ends_with(b"\r\n"));
        let raw: Vec<&[u8]> = args.iter().map(Vec::as_slice).collect();
        if let Err(e) = resolve(&raw) {
            e.write_reply(&raw, &mut out);
        }
    }
}

#[test]
fn the_first_key_fast_path_agrees_with_the_full_key_list() {
    // Every command and subcommand, with 1 to 9 arguments of a few
    // shapes (a count of 1 or 2 where a numkeys argument is read).
    let specs = all().flat_map(|s| std::iter::once(s).chain(s.subcommands.iter()));
    let mut compared = 0;
    for spec in specs {
        for argc in 1..10 {
            for fill in ["1", "2", "k"] {
                let argv: Vec<&[u8]> = std::iter::once(spec.name.as_bytes())
                    .chain((1..argc).map(|_| fill.as_bytes()))
                    .collect();
                let full = key_positions(spec, &argv)
                    .ok()
                    .and_then(|p| p.first().copied());
                assert_eq!(
                    first_key_position(spec, &argv),
                    full,
                    "{} {argv:?}",
                    spec.name
                );
                compared += 1;
            }
        }
    }
    assert!(compared > 1000, "{compared}");
}

#[test]
fn the_name_index_finds_what_the_sorted_search_finds() {
    for c in data::COMMANDS {
        for name in [
            c.name.to_string(),
            c.name.to_ascii_uppercase(),
            format!("{}{}", &c.name[..1].to_ascii_uppercase(), &c.name[1..]),
        ] {
            let found = find_top(name.as_bytes()).map(|s| s.name);
            assert_eq!(found, Some(c.name), "{name}");
            assert_eq!(
                found,
                find(data::COMMANDS, name.as_bytes(), |c| c.name).map(|s| s.name)
            );
        }
    }
    for unknown in [
        "",
        "gett",
        "ge",
        "x".repeat(200).as_str(),
        "config|get",
        "\u{e9}",
        // Padding, and bytes one bit away from a name's: never equal.
        "set\0",
        "get\0\0",
        "evalsha\u{7f}ro",
        "\u{1}et",
        "sEt ",
    ] {
        assert!(find_top(unknown.as_bytes()).is_none(), "{unknown:?}");
    }
}

#[test]
fn eight_bytes_are_lowered_as_byte_by_byte() {
    // Every byte value in every position, beside bytes of every kind.
    for fill in [0u8, b'A', b'Z', b'a', b'@', b'[', 0x80, 0xc1, 0xff] {
        for at in 0..8 {
            for b in 0..=255u8 {
                let mut bytes = [fill; 8];
                bytes[at] = b;
                let want = u64::from_le_bytes(bytes.map(|c| c.to_ascii_lowercase()));
                assert_eq!(lower8(u64::from_le_bytes(bytes)), want, "{bytes:?}");
            }
        }
    }
}
