//! The commands the proxy answers itself (the table's `Exec::Proxy`): the
//! connection's own state (HELLO, AUTH, SELECT, CLIENT, RESET, QUIT), the
//! server's (CONFIG, COMMAND, INFO, TIME, SHUTDOWN, DEBUG), introspection
//! over the proxy and every shard (INFO, MEMORY, SLOWLOG, LATENCY) and the
//! few that need no data (PING, ECHO, WAIT).
//!
//! [`handler`] maps a command id to its [`Builtin`]; [`run`] runs it. Both
//! are exhaustive, so a command the table gives the proxy has code here,
//! and a test checks the table and this map agree.
//!
//! Decisions: WAIT answers 0 (no replicas); FUNCTION FLUSH answers OK (no
//! function is ever stored until functions exist).

mod acl;
pub mod client;

pub use client::session_line as client_line;
mod config;
mod conn;
pub mod function;
mod info;
mod latency;
mod memory;
mod migrate;
pub mod multi;
pub mod pubsub;
mod script;
pub mod server;
mod shardis;
mod slowlog;
pub mod xtx;

use std::{cell::Cell, rc::Rc};

use common::{
    reply::Reply,
    table::{Cmd, CommandSpec},
};

use crate::{send::To, session::Session, worker::Worker};

/// A command the proxy answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Builtin {
    /// `PING [message]`.
    Ping,
    /// `CLIENT PAUSE timeout [WRITE|ALL]` and `CLIENT UNPAUSE`
    /// (`crate::client_pause`).
    ClientPause,
    /// `CLIENT TRACKING on|off [options]` (`crate::tracking`).
    ClientTracking,
    /// `ECHO message`.
    Echo,
    /// `QUIT`.
    Quit,
    /// `RESET`.
    Reset,
    /// `SELECT index`.
    Select,
    /// `AUTH [user] password`.
    Auth,
    /// `HELLO [protover [AUTH user pass] [SETNAME name]]`.
    Hello,
    /// `CLIENT ...`.
    Client(ClientCmd),
    /// `CONFIG ...`.
    Config(ConfigCmd),
    /// `COMMAND [...]`, from the table.
    Command,
    /// `INFO [section ...]`.
    Info,
    /// `TIME`.
    Time,
    /// `WAIT numreplicas timeout`.
    Wait,
    /// `MIGRATE host port key|"" db timeout [...]`.
    Migrate,
    /// `SHUTDOWN [...]`.
    Shutdown,
    /// `DEBUG subcommand ...` (SLEEP).
    Debug,
    /// `FUNCTION LOAD|DELETE|FLUSH|RESTORE|LIST|DUMP|STATS|KILL|HELP`.
    Function,
    /// `EVAL`, `EVALSHA`, `FCALL` and their `_RO` forms.
    Eval,
    /// `SCRIPT LOAD|EXISTS|FLUSH|KILL|HELP`.
    Script,
    /// `MULTI`.
    Multi,
    /// `SHARDIS SCALE|STATUS|SLOTS|HELP`.
    Shardis,
    /// `CLUSTER SLOTS|SHARDS|KEYSLOT|INFO|MYID`.
    Cluster,
    /// `EXEC`.
    Exec,
    /// `DISCARD`.
    Discard,
    /// `WATCH key [key ...]`.
    Watch,
    /// `UNWATCH`.
    Unwatch,
    /// `MEMORY ...` but `USAGE`, which the key's shard answers.
    Memory(MemoryCmd),
    /// `SLOWLOG ...`.
    Slowlog(SlowlogCmd),
    /// `LATENCY ...`.
    Latency(LatencyCmd),
    /// `SUBSCRIBE`, `PSUBSCRIBE`, `SSUBSCRIBE`.
    Subscribe(crate::pubsub::Kind),
    /// `UNSUBSCRIBE`, `PUNSUBSCRIBE`, `SUNSUBSCRIBE`.
    Unsubscribe(crate::pubsub::Kind),
    /// `PUBLISH` (false) and `SPUBLISH` (true).
    Publish(bool),
    /// `PUBSUB ...`.
    Pubsub,
    /// `ACL ...`.
    Acl,
    /// `MONITOR`.
    Monitor,
    /// `ROLE`.
    Role,
    /// `LOLWUT`.
    Lolwut,
    /// `REPLICAOF`, `SLAVEOF`.
    Replicaof,
    /// `MODULE LIST|HELP`.
    Module,
}

/// `MEMORY` subcommands the proxy answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemoryCmd {
    /// `MEMORY DOCTOR`.
    Doctor,
    /// `MEMORY HELP`.
    Help,
    /// `MEMORY MALLOC-STATS`.
    MallocStats,
    /// `MEMORY STATS`.
    Stats,
}

/// `SLOWLOG` subcommands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SlowlogCmd {
    /// `SLOWLOG GET [count]`.
    Get,
    /// `SLOWLOG HELP`.
    Help,
    /// `SLOWLOG LEN`.
    Len,
    /// `SLOWLOG RESET`.
    Reset,
}

/// `LATENCY` subcommands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LatencyCmd {
    /// `LATENCY DOCTOR`.
    Doctor,
    /// `LATENCY GRAPH event`.
    Graph,
    /// `LATENCY HELP`.
    Help,
    /// `LATENCY HISTOGRAM [command ...]`.
    Histogram,
    /// `LATENCY HISTORY event`.
    History,
    /// `LATENCY LATEST`.
    Latest,
    /// `LATENCY RESET [event ...]`.
    Reset,
}

/// `CLIENT` subcommands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientCmd {
    /// `CLIENT CACHING yes|no`.
    Caching,
    /// `CLIENT GETNAME`.
    Getname,
    /// `CLIENT GETREDIR`.
    Getredir,
    /// `CLIENT HELP`.
    Help,
    /// `CLIENT ID`.
    Id,
    /// `CLIENT INFO`.
    Info,
    /// `CLIENT KILL ...`.
    Kill,
    /// `CLIENT LIST [TYPE t] [ID id ...]`.
    List,
    /// `CLIENT NO-EVICT on|off`.
    NoEvict,
    /// `CLIENT REPLY on|off|skip`.
    Reply,
    /// `CLIENT SETINFO lib-name|lib-ver value`.
    Setinfo,
    /// `CLIENT SETNAME name`.
    Setname,
    /// `CLIENT TRACKINGINFO`.
    Trackinginfo,
    /// `CLIENT UNBLOCK id [TIMEOUT|ERROR]`.
    Unblock,
}

/// `CONFIG` subcommands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfigCmd {
    /// `CONFIG GET pattern ...`.
    Get,
    /// `CONFIG HELP`.
    Help,
    /// `CONFIG RESETSTAT`.
    Resetstat,
    /// `CONFIG REWRITE`.
    Rewrite,
    /// `CONFIG SET name value ...`.
    Set,
}

/// The proxy's code for command `id`, if the proxy answers it.
pub fn handler(id: Cmd) -> Option<Builtin> {
    use Builtin::*;
    Some(match id {
        Cmd::Ping => Ping,
        Cmd::Echo => Echo,
        Cmd::Multi => Multi,
        Cmd::Exec => Exec,
        Cmd::Discard => Discard,
        Cmd::Watch => Watch,
        Cmd::Unwatch => Unwatch,
        Cmd::Quit => Quit,
        Cmd::Reset => Reset,
        Cmd::Select => Select,
        Cmd::Auth => Auth,
        Cmd::Hello => Hello,
        Cmd::ClientGetname => Client(ClientCmd::Getname),
        Cmd::ClientHelp => Client(ClientCmd::Help),
        Cmd::ClientId => Client(ClientCmd::Id),
        Cmd::ClientInfo => Client(ClientCmd::Info),
        Cmd::ClientKill => Client(ClientCmd::Kill),
        Cmd::ClientList => Client(ClientCmd::List),
        Cmd::ClientNoEvict => Client(ClientCmd::NoEvict),
        Cmd::ClientReply => Client(ClientCmd::Reply),
        Cmd::ClientSetinfo => Client(ClientCmd::Setinfo),
        Cmd::ClientSetname => Client(ClientCmd::Setname),
        Cmd::ClientUnblock => Client(ClientCmd::Unblock),
        Cmd::ClientPause | Cmd::ClientUnpause => ClientPause,
        Cmd::ClientTracking => ClientTracking,
        Cmd::ClientCaching => Client(ClientCmd::Caching),
        Cmd::ClientGetredir => Client(ClientCmd::Getredir),
        Cmd::ClientTrackinginfo => Client(ClientCmd::Trackinginfo),
        Cmd::ConfigGet => Config(ConfigCmd::Get),
        Cmd::ConfigHelp => Config(ConfigCmd::Help),
        Cmd::ConfigResetstat => Config(ConfigCmd::Resetstat),
        Cmd::ConfigRewrite => Config(ConfigCmd::Rewrite),
        Cmd::ConfigSet => Config(ConfigCmd::Set),
        Cmd::Command
        | Cmd::CommandCount
        | Cmd::CommandDocs
        | Cmd::CommandGetkeys
        | Cmd::CommandGetkeysandflags
        | Cmd::CommandHelp
        | Cmd::CommandInfo
        | Cmd::CommandList => Command,
        Cmd::Info => Info,
        Cmd::Time => Time,
        Cmd::Wait => Wait,
        Cmd::Migrate => Migrate,
        Cmd::Shutdown => Shutdown,
        Cmd::Debug => Debug,
        Cmd::FunctionDelete
        | Cmd::FunctionDump
        | Cmd::FunctionFlush
        | Cmd::FunctionHelp
        | Cmd::FunctionKill
        | Cmd::FunctionList
        | Cmd::FunctionLoad
        | Cmd::FunctionRestore
        | Cmd::FunctionStats => Function,
        Cmd::Eval | Cmd::Evalsha | Cmd::EvalRo | Cmd::EvalshaRo | Cmd::Fcall | Cmd::FcallRo => Eval,
        Cmd::ScriptFlush
        | Cmd::ScriptLoad
        | Cmd::ScriptExists
        | Cmd::ScriptHelp
        | Cmd::ScriptKill => Script,
        Cmd::MemoryDoctor => Memory(MemoryCmd::Doctor),
        Cmd::MemoryHelp => Memory(MemoryCmd::Help),
        Cmd::MemoryMallocStats => Memory(MemoryCmd::MallocStats),
        Cmd::MemoryStats => Memory(MemoryCmd::Stats),
        Cmd::SlowlogGet => Slowlog(SlowlogCmd::Get),
        Cmd::SlowlogHelp => Slowlog(SlowlogCmd::Help),
        Cmd::SlowlogLen => Slowlog(SlowlogCmd::Len),
        Cmd::SlowlogReset => Slowlog(SlowlogCmd::Reset),
        Cmd::LatencyDoctor => Latency(LatencyCmd::Doctor),
        Cmd::LatencyGraph => Latency(LatencyCmd::Graph),
        Cmd::LatencyHelp => Latency(LatencyCmd::Help),
        Cmd::LatencyHistogram => Latency(LatencyCmd::Histogram),
        Cmd::LatencyHistory => Latency(LatencyCmd::History),
        Cmd::LatencyLatest => Latency(LatencyCmd::Latest),
        Cmd::LatencyReset => Latency(LatencyCmd::Reset),
        Cmd::Subscribe => Subscribe(crate::pubsub::Kind::Channel),
        Cmd::Psubscribe => Subscribe(crate::pubsub::Kind::Pattern),
        Cmd::Ssubscribe => Subscribe(crate::pubsub::Kind::Shard),
        Cmd::Unsubscribe => Unsubscribe(crate::pubsub::Kind::Channel),
        Cmd::Punsubscribe => Unsubscribe(crate::pubsub::Kind::Pattern),
        Cmd::Sunsubscribe => Unsubscribe(crate::pubsub::Kind::Shard),
        Cmd::Publish => Publish(false),
        Cmd::Spublish => Publish(true),
        Cmd::PubsubChannels
        | Cmd::PubsubHelp
        | Cmd::PubsubNumpat
        | Cmd::PubsubNumsub
        | Cmd::PubsubShardchannels
        | Cmd::PubsubShardnumsub => Pubsub,
        Cmd::AclCat
        | Cmd::AclDeluser
        | Cmd::AclDryrun
        | Cmd::AclGenpass
        | Cmd::AclGetuser
        | Cmd::AclHelp
        | Cmd::AclList
        | Cmd::AclLoad
        | Cmd::AclLog
        | Cmd::AclSave
        | Cmd::AclSetuser
        | Cmd::AclUsers
        | Cmd::AclWhoami => Acl,
        Cmd::ShardisScale | Cmd::ShardisStatus | Cmd::ShardisSlots | Cmd::ShardisHelp => Shardis,
        Cmd::Monitor => Monitor,
        Cmd::ClusterSlots
        | Cmd::ClusterShards
        | Cmd::ClusterKeyslot
        | Cmd::ClusterInfo
        | Cmd::ClusterMyid
        | Cmd::ClusterNodes
        | Cmd::ClusterHelp => Cluster,
        Cmd::Role => Role,
        Cmd::Lolwut => Lolwut,
        Cmd::Replicaof | Cmd::Slaveof => Replicaof,
        Cmd::ModuleList | Cmd::ModuleHelp => Module,
        _ => return None,
    })
}

/// What a builtin needs: its worker, the connection's state, where its
/// reply goes, and the command as resolved and as sent.
pub struct Call<'a, 'b> {
    /// The connection's worker.
    pub w: &'a Rc<Worker>,
    /// The connection's state.
    pub session: &'a mut Session,
    /// Its reply queue.
    pub to: To<'a>,
    /// The command's table entry.
    pub spec: &'static CommandSpec,
    /// The arguments, name first.
    pub argv: &'a [&'b [u8]],
    /// Set when the reply is an error (the call counts as failed).
    pub failed: &'a Cell<bool>,
}

impl Call<'_, '_> {
    /// Queues a reply written by `write` in the connection's protocol.
    fn reply(&self, write: impl FnOnce(&mut Reply)) {
        self.w.with_reply_buffer(|buf| {
            write(&mut Reply::new(buf, self.session.proto));
            self.push(buf);
        });
    }

    /// Queues finished reply bytes (an error is counted).
    fn push(&self, reply: &[u8]) {
        if reply.first() == Some(&b'-') {
            self.failed.set(true);
            self.w.error_reply(reply);
        }
        self.to.out.borrow_mut().push_ready(reply, self.to.discard);
    }
}

/// Runs builtin `b`.
pub async fn run(b: Builtin, call: Call<'_, '_>) {
    match b {
        Builtin::Ping => conn::ping(call),
        Builtin::Echo => call.reply(|r| r.bulk(call.argv[1])),
        Builtin::Quit => conn::quit(call),
        Builtin::Reset => conn::reset(call).await,
        Builtin::Select => conn::select(call),
        Builtin::Auth => conn::auth(call),
        Builtin::Hello => conn::hello(call),
        Builtin::Client(c) => client::run(c, call),
        Builtin::ClientPause => client::pause(call).await,
        Builtin::ClientTracking => client::tracking(call).await,
        Builtin::Config(c) => config::run(c, call).await,
        Builtin::Command => {
            let mut buf = Vec::new();
            common::table::command::reply(call.argv, call.session.proto, &mut buf);
            call.push(&buf);
        }
        Builtin::Info => info::run(call).await,
        Builtin::Time => server::time(call),
        Builtin::Wait => call.reply(|r| r.int(0)),
        Builtin::Migrate => migrate::migrate(call).await,
        Builtin::Shutdown => server::shutdown(call).await,
        Builtin::Debug => server::debug(call).await,
        Builtin::Function => function::function(call).await,
        Builtin::Eval => script::call_script(call).await,
        Builtin::Script => script::script(call).await,
        Builtin::Multi => multi::multi(call),
        Builtin::Exec => multi::exec(call).await,
        Builtin::Discard => multi::discard(call).await,
        Builtin::Watch => multi::watch(call).await,
        Builtin::Unwatch => multi::unwatch(call).await,
        Builtin::Memory(c) => memory::run(c, call).await,
        Builtin::Slowlog(c) => slowlog::run(c, call).await,
        Builtin::Latency(c) => latency::run(c, call).await,
        Builtin::Subscribe(k) => pubsub::subscribe(call, k).await,
        Builtin::Unsubscribe(k) => pubsub::unsubscribe(call, k).await,
        Builtin::Publish(shard) => pubsub::publish(call, shard),
        Builtin::Pubsub => pubsub::pubsub(call),
        Builtin::Acl => acl::run(call).await,
        Builtin::Shardis => shardis::shardis(call),
        Builtin::Cluster => shardis::cluster(call),
        Builtin::Monitor => pubsub::monitor(call),
        Builtin::Role => server::role(call),
        Builtin::Lolwut => server::lolwut(call),
        Builtin::Replicaof => server::replicaof(call),
        Builtin::Module => server::module(call),
    }
}

/// Sends the MONITOR line of `argv`, run by `session`'s client in
/// database `db`, to every monitor (`crate::monitor`).
pub fn feed_monitors(w: &Worker, session: &Session, db: u32, argv: &[&[u8]]) {
    let from = session.handle.addr.to_string();
    let limits = w.shared.settings.pubsub_limits();
    w.shared.monitors.feed(db, &from, argv, limits);
}

/// Case-insensitive comparison of an argument with a keyword.
fn eq(a: &[u8], b: &str) -> bool {
    a.eq_ignore_ascii_case(b.as_bytes())
}

/// Writes a `HELP` reply: `head` then each line, as status strings.
fn help(r: &mut Reply, lines: &[&str]) {
    r.array(lines.len());
    lines.iter().for_each(|l| r.simple(l));
}

#[cfg(test)]
mod tests {
    use common::table::{every_entry, Exec};

    use super::*;

    #[test]
    fn the_proxy_has_code_for_exactly_the_commands_the_table_gives_it() {
        for c in every_entry().filter(|c| c.is_runnable()) {
            assert_eq!(
                handler(c.id).is_some(),
                c.exec == Exec::Proxy,
                "{}: the table says {:?}",
                c.name,
                c.exec
            );
        }
    }
}
