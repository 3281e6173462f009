//! The command table end to end: what `COMMAND` lists is what runs, what
//! does not run is unknown (and absent from `COMMAND`), and wrong arity,
//! unknown commands and unknown subcommands get Redis's exact errors.

mod common;

use common::{err, Server, OK};

/// Commands not sent by the every-command test: they end the connection
/// or the server, or wait.
const NOT_SENT: &[&str] = &["shutdown", "quit", "debug", "client|kill"];

#[test]
fn every_command_command_lists_runs_and_nothing_else_does() {
    let s = Server::with_shards(2);
    let mut c = s.raw();
    let listed = c.cmd_str(&["COMMAND", "LIST"]);
    let mut names: Vec<String> = listed
        .split("\r\n")
        .filter(|l| !l.is_empty() && !l.starts_with('*') && !l.starts_with('$'))
        .map(str::to_string)
        .collect();
    names.sort();
    let mut want: Vec<String> = ::common::table::all()
        .flat_map(|c| std::iter::once(c).chain(c.subcommands.iter().filter(|s| s.exists())))
        .map(|c| c.name.to_string())
        .collect();
    want.sort();
    assert_eq!(names, want, "COMMAND LIST is the table's runnable entries");
    for spec in ::common::table::all()
        .flat_map(|c| std::iter::once(c).chain(c.subcommands.iter().filter(|s| s.exists())))
        .filter(|c| c.is_runnable() && !NOT_SENT.contains(&c.name))
    {
        // The name (and subcommand), then filler up to the arity.
        let mut argv: Vec<&str> = spec.name.split('|').collect();
        let need = spec.arity.unsigned_abs() as usize;
        while argv.len() < need {
            argv.push("1");
        }
        let mut fresh = s.raw();
        let reply = fresh.cmd_str(&argv);
        assert!(
            !reply.starts_with("-ERR unknown command")
                && !reply.starts_with("-ERR unknown subcommand"),
            "{argv:?} is listed by COMMAND but answered {reply}"
        );
    }
}

#[test]
fn commands_nobody_runs_are_unknown_and_not_listed() {
    let s = Server::with_shards(2);
    let mut c = s.raw();
    for cmd in [["FAILOVER"].as_slice(), &["PSYNC", "?", "-1"], &["SYNC"]] {
        let reply = c.cmd_str(cmd);
        assert!(
            reply.starts_with("-ERR unknown command"),
            "{cmd:?}: {reply}"
        );
        let info = c.cmd_str(&["COMMAND", "INFO", cmd[0]]);
        assert_eq!(info, "*1\r\n$-1\r\n", "COMMAND INFO {}", cmd[0]);
    }
    c.expect(
        &["CLUSTER", "ADDSLOTS", "1"],
        err("ERR unknown subcommand 'ADDSLOTS'. Try CLUSTER HELP."),
    );
    let count = c.cmd_str(&["COMMAND", "COUNT"]);
    assert_eq!(count, format!(":{}\r\n", ::common::table::all().count()));
}

#[test]
fn resolution_errors_are_redis_s() {
    let s = Server::with_shards(2);
    let mut c = s.raw();
    c.expect(
        &["NOPE", "a", "b"],
        err("ERR unknown command 'NOPE', with args beginning with: 'a' 'b' "),
    );
    c.expect(
        &["GET"],
        err("ERR wrong number of arguments for 'get' command"),
    );
    c.expect(
        &["CONFIG", "NOPE"],
        err("ERR unknown subcommand 'NOPE'. Try CONFIG HELP."),
    );
    c.expect(
        &["OBJECT", "ENCODING"],
        err("ERR wrong number of arguments for 'object|encoding' command"),
    );
    c.expect(
        &["PING", "a", "b"],
        err("ERR wrong number of arguments for 'ping' command"),
    );
    c.expect(&["FUNCTION", "FLUSH"], OK);
    c.expect(&["SCRIPT", "FLUSH", "ASYNC"], OK);
    c.expect(
        &["SCRIPT", "FLUSH", "LATER"],
        err("ERR SCRIPT FLUSH only support SYNC|ASYNC option"),
    );
}
