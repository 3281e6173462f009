//! The command table's data, generated from `COMMAND` and `COMMAND DOCS`
//! of redis-server 7.0.15 (arity, flags, legacy key positions, ACL
//! categories, tips, key specs, summary, since, group, complexity). Ids,
//! routes, numkeys layouts, who runs each command and the internal commands
//! are ours. Do not edit by hand: regenerate with `gen_data.py` (next to
//! this file) and review the diff.

use super::{
    cmd,
    flags::*,
    keyspec::{key_flags::*, ks, BeginSearch, FindKeys},
    CommandSpec, Docs, Exec, Keys, Route,
};

/// A command's (or subcommand's) id: its index in [`Cmd::ALL`]. The proxy
/// puts it in each request record and the shard dispatches on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u16)]
pub enum Cmd {
    /// `acl`
    Acl,
    /// `acl|cat`
    AclCat,
    /// `acl|deluser`
    AclDeluser,
    /// `acl|dryrun`
    AclDryrun,
    /// `acl|genpass`
    AclGenpass,
    /// `acl|getuser`
    AclGetuser,
    /// `acl|help`
    AclHelp,
    /// `acl|list`
    AclList,
    /// `acl|load`
    AclLoad,
    /// `acl|log`
    AclLog,
    /// `acl|save`
    AclSave,
    /// `acl|setuser`
    AclSetuser,
    /// `acl|users`
    AclUsers,
    /// `acl|whoami`
    AclWhoami,
    /// `append`
    Append,
    /// `asking`
    Asking,
    /// `auth`
    Auth,
    /// `bgrewriteaof`
    Bgrewriteaof,
    /// `bgsave`
    Bgsave,
    /// `bitcount`
    Bitcount,
    /// `bitfield`
    Bitfield,
    /// `bitfield_ro`
    BitfieldRo,
    /// `bitop`
    Bitop,
    /// `bitpos`
    Bitpos,
    /// `blmove`
    Blmove,
    /// `blmpop`
    Blmpop,
    /// `blpop`
    Blpop,
    /// `brpop`
    Brpop,
    /// `brpoplpush`
    Brpoplpush,
    /// `bzmpop`
    Bzmpop,
    /// `bzpopmax`
    Bzpopmax,
    /// `bzpopmin`
    Bzpopmin,
    /// `client`
    Client,
    /// `client|caching`
    ClientCaching,
    /// `client|getname`
    ClientGetname,
    /// `client|getredir`
    ClientGetredir,
    /// `client|help`
    ClientHelp,
    /// `client|id`
    ClientId,
    /// `client|info`
    ClientInfo,
    /// `client|kill`
    ClientKill,
    /// `client|list`
    ClientList,
    /// `client|no-evict`
    ClientNoEvict,
    /// `client|pause`
    ClientPause,
    /// `client|reply`
    ClientReply,
    /// `client|setinfo`
    ClientSetinfo,
    /// `client|setname`
    ClientSetname,
    /// `client|tracking`
    ClientTracking,
    /// `client|trackinginfo`
    ClientTrackinginfo,
    /// `client|unblock`
    ClientUnblock,
    /// `client|unpause`
    ClientUnpause,
    /// `cluster`
    Cluster,
    /// `cluster|addslots`
    ClusterAddslots,
    /// `cluster|addslotsrange`
    ClusterAddslotsrange,
    /// `cluster|bumpepoch`
    ClusterBumpepoch,
    /// `cluster|count-failure-reports`
    ClusterCountFailureReports,
    /// `cluster|countkeysinslot`
    ClusterCountkeysinslot,
    /// `cluster|delslots`
    ClusterDelslots,
    /// `cluster|delslotsrange`
    ClusterDelslotsrange,
    /// `cluster|failover`
    ClusterFailover,
    /// `cluster|flushslots`
    ClusterFlushslots,
    /// `cluster|forget`
    ClusterForget,
    /// `cluster|getkeysinslot`
    ClusterGetkeysinslot,
    /// `cluster|help`
    ClusterHelp,
    /// `cluster|info`
    ClusterInfo,
    /// `cluster|keyslot`
    ClusterKeyslot,
    /// `cluster|links`
    ClusterLinks,
    /// `cluster|meet`
    ClusterMeet,
    /// `cluster|myid`
    ClusterMyid,
    /// `cluster|nodes`
    ClusterNodes,
    /// `cluster|replicas`
    ClusterReplicas,
    /// `cluster|replicate`
    ClusterReplicate,
    /// `cluster|reset`
    ClusterReset,
    /// `cluster|saveconfig`
    ClusterSaveconfig,
    /// `cluster|set-config-epoch`
    ClusterSetConfigEpoch,
    /// `cluster|setslot`
    ClusterSetslot,
    /// `cluster|shards`
    ClusterShards,
    /// `cluster|slaves`
    ClusterSlaves,
    /// `cluster|slots`
    ClusterSlots,
    /// `command`
    Command,
    /// `command|count`
    CommandCount,
    /// `command|docs`
    CommandDocs,
    /// `command|getkeys`
    CommandGetkeys,
    /// `command|getkeysandflags`
    CommandGetkeysandflags,
    /// `command|help`
    CommandHelp,
    /// `command|info`
    CommandInfo,
    /// `command|list`
    CommandList,
    /// `config`
    Config,
    /// `config|get`
    ConfigGet,
    /// `config|help`
    ConfigHelp,
    /// `config|resetstat`
    ConfigResetstat,
    /// `config|rewrite`
    ConfigRewrite,
    /// `config|set`
    ConfigSet,
    /// `copy`
    Copy,
    /// `dbsize`
    Dbsize,
    /// `debug`
    Debug,
    /// `decr`
    Decr,
    /// `decrby`
    Decrby,
    /// `del`
    Del,
    /// `discard`
    Discard,
    /// `dump`
    Dump,
    /// `echo`
    Echo,
    /// `eval`
    Eval,
    /// `eval_ro`
    EvalRo,
    /// `evalsha`
    Evalsha,
    /// `evalsha_ro`
    EvalshaRo,
    /// `exec`
    Exec,
    /// `exists`
    Exists,
    /// `expire`
    Expire,
    /// `expireat`
    Expireat,
    /// `expiretime`
    Expiretime,
    /// `failover`
    Failover,
    /// `fcall`
    Fcall,
    /// `fcall_ro`
    FcallRo,
    /// `flushall`
    Flushall,
    /// `flushdb`
    Flushdb,
    /// `function`
    Function,
    /// `function|delete`
    FunctionDelete,
    /// `function|dump`
    FunctionDump,
    /// `function|flush`
    FunctionFlush,
    /// `function|help`
    FunctionHelp,
    /// `function|kill`
    FunctionKill,
    /// `function|list`
    FunctionList,
    /// `function|load`
    FunctionLoad,
    /// `function|restore`
    FunctionRestore,
    /// `function|stats`
    FunctionStats,
    /// `geoadd`
    Geoadd,
    /// `geodist`
    Geodist,
    /// `geohash`
    Geohash,
    /// `geopos`
    Geopos,
    /// `georadius`
    Georadius,
    /// `georadius_ro`
    GeoradiusRo,
    /// `georadiusbymember`
    Georadiusbymember,
    /// `georadiusbymember_ro`
    GeoradiusbymemberRo,
    /// `geosearch`
    Geosearch,
    /// `geosearchstore`
    Geosearchstore,
    /// `get`
    Get,
    /// `getbit`
    Getbit,
    /// `getdel`
    Getdel,
    /// `getex`
    Getex,
    /// `getrange`
    Getrange,
    /// `getset`
    Getset,
    /// `hdel`
    Hdel,
    /// `hello`
    Hello,
    /// `hexists`
    Hexists,
    /// `hget`
    Hget,
    /// `hgetall`
    Hgetall,
    /// `hincrby`
    Hincrby,
    /// `hincrbyfloat`
    Hincrbyfloat,
    /// `hkeys`
    Hkeys,
    /// `hlen`
    Hlen,
    /// `hmget`
    Hmget,
    /// `hmset`
    Hmset,
    /// `hrandfield`
    Hrandfield,
    /// `hscan`
    Hscan,
    /// `hset`
    Hset,
    /// `hsetnx`
    Hsetnx,
    /// `hstrlen`
    Hstrlen,
    /// `hvals`
    Hvals,
    /// `incr`
    Incr,
    /// `incrby`
    Incrby,
    /// `incrbyfloat`
    Incrbyfloat,
    /// `info`
    Info,
    /// `keys`
    Keys,
    /// `lastsave`
    Lastsave,
    /// `latency`
    Latency,
    /// `latency|doctor`
    LatencyDoctor,
    /// `latency|graph`
    LatencyGraph,
    /// `latency|help`
    LatencyHelp,
    /// `latency|histogram`
    LatencyHistogram,
    /// `latency|history`
    LatencyHistory,
    /// `latency|latest`
    LatencyLatest,
    /// `latency|reset`
    LatencyReset,
    /// `lcs`
    Lcs,
    /// `lindex`
    Lindex,
    /// `linsert`
    Linsert,
    /// `llen`
    Llen,
    /// `lmove`
    Lmove,
    /// `lmpop`
    Lmpop,
    /// `lolwut`
    Lolwut,
    /// `lpop`
    Lpop,
    /// `lpos`
    Lpos,
    /// `lpush`
    Lpush,
    /// `lpushx`
    Lpushx,
    /// `lrange`
    Lrange,
    /// `lrem`
    Lrem,
    /// `lset`
    Lset,
    /// `ltrim`
    Ltrim,
    /// `memory`
    Memory,
    /// `memory|doctor`
    MemoryDoctor,
    /// `memory|help`
    MemoryHelp,
    /// `memory|malloc-stats`
    MemoryMallocStats,
    /// `memory|purge`
    MemoryPurge,
    /// `memory|stats`
    MemoryStats,
    /// `memory|usage`
    MemoryUsage,
    /// `mget`
    Mget,
    /// `migrate`
    Migrate,
    /// `module`
    Module,
    /// `module|help`
    ModuleHelp,
    /// `module|list`
    ModuleList,
    /// `module|load`
    ModuleLoad,
    /// `module|loadex`
    ModuleLoadex,
    /// `module|unload`
    ModuleUnload,
    /// `monitor`
    Monitor,
    /// `move`
    Move,
    /// `mset`
    Mset,
    /// `msetnx`
    Msetnx,
    /// `multi`
    Multi,
    /// `object`
    Object,
    /// `object|encoding`
    ObjectEncoding,
    /// `object|freq`
    ObjectFreq,
    /// `object|help`
    ObjectHelp,
    /// `object|idletime`
    ObjectIdletime,
    /// `object|refcount`
    ObjectRefcount,
    /// `persist`
    Persist,
    /// `pexpire`
    Pexpire,
    /// `pexpireat`
    Pexpireat,
    /// `pexpiretime`
    Pexpiretime,
    /// `pfadd`
    Pfadd,
    /// `pfcount`
    Pfcount,
    /// `pfdebug`
    Pfdebug,
    /// `pfmerge`
    Pfmerge,
    /// `pfselftest`
    Pfselftest,
    /// `ping`
    Ping,
    /// `psetex`
    Psetex,
    /// `psubscribe`
    Psubscribe,
    /// `psync`
    Psync,
    /// `pttl`
    Pttl,
    /// `publish`
    Publish,
    /// `pubsub`
    Pubsub,
    /// `pubsub|channels`
    PubsubChannels,
    /// `pubsub|help`
    PubsubHelp,
    /// `pubsub|numpat`
    PubsubNumpat,
    /// `pubsub|numsub`
    PubsubNumsub,
    /// `pubsub|shardchannels`
    PubsubShardchannels,
    /// `pubsub|shardnumsub`
    PubsubShardnumsub,
    /// `punsubscribe`
    Punsubscribe,
    /// `quit`
    Quit,
    /// `randomkey`
    Randomkey,
    /// `readonly`
    Readonly,
    /// `readwrite`
    Readwrite,
    /// `rename`
    Rename,
    /// `renamenx`
    Renamenx,
    /// `replconf`
    Replconf,
    /// `replicaof`
    Replicaof,
    /// `reset`
    Reset,
    /// `restore`
    Restore,
    /// `restore-asking`
    RestoreAsking,
    /// `role`
    Role,
    /// `rpop`
    Rpop,
    /// `rpoplpush`
    Rpoplpush,
    /// `rpush`
    Rpush,
    /// `rpushx`
    Rpushx,
    /// `sadd`
    Sadd,
    /// `save`
    Save,
    /// `scan`
    Scan,
    /// `scard`
    Scard,
    /// `script`
    Script,
    /// `script|debug`
    ScriptDebug,
    /// `script|exists`
    ScriptExists,
    /// `script|flush`
    ScriptFlush,
    /// `script|help`
    ScriptHelp,
    /// `script|kill`
    ScriptKill,
    /// `script|load`
    ScriptLoad,
    /// `sdiff`
    Sdiff,
    /// `sdiffstore`
    Sdiffstore,
    /// `select`
    Select,
    /// `set`
    Set,
    /// `setbit`
    Setbit,
    /// `setex`
    Setex,
    /// `setnx`
    Setnx,
    /// `setrange`
    Setrange,
    /// `shardis`
    Shardis,
    /// `shardis|help`
    ShardisHelp,
    /// `shardis|scale`
    ShardisScale,
    /// `shardis|slots`
    ShardisSlots,
    /// `shardis|status`
    ShardisStatus,
    /// `shutdown`
    Shutdown,
    /// `sinter`
    Sinter,
    /// `sintercard`
    Sintercard,
    /// `sinterstore`
    Sinterstore,
    /// `sismember`
    Sismember,
    /// `slaveof`
    Slaveof,
    /// `slowlog`
    Slowlog,
    /// `slowlog|get`
    SlowlogGet,
    /// `slowlog|help`
    SlowlogHelp,
    /// `slowlog|len`
    SlowlogLen,
    /// `slowlog|reset`
    SlowlogReset,
    /// `smembers`
    Smembers,
    /// `smismember`
    Smismember,
    /// `smove`
    Smove,
    /// `sort`
    Sort,
    /// `sort_ro`
    SortRo,
    /// `spop`
    Spop,
    /// `spublish`
    Spublish,
    /// `srandmember`
    Srandmember,
    /// `srem`
    Srem,
    /// `sscan`
    Sscan,
    /// `ssubscribe`
    Ssubscribe,
    /// `strlen`
    Strlen,
    /// `subscribe`
    Subscribe,
    /// `substr`
    Substr,
    /// `sunion`
    Sunion,
    /// `sunionstore`
    Sunionstore,
    /// `sunsubscribe`
    Sunsubscribe,
    /// `swapdb`
    Swapdb,
    /// `sync`
    Sync,
    /// `time`
    Time,
    /// `touch`
    Touch,
    /// `ttl`
    Ttl,
    /// `type`
    Type,
    /// `unlink`
    Unlink,
    /// `unsubscribe`
    Unsubscribe,
    /// `unwatch`
    Unwatch,
    /// `wait`
    Wait,
    /// `watch`
    Watch,
    /// `xack`
    Xack,
    /// `xadd`
    Xadd,
    /// `xautoclaim`
    Xautoclaim,
    /// `xclaim`
    Xclaim,
    /// `xdel`
    Xdel,
    /// `xgroup`
    Xgroup,
    /// `xgroup|create`
    XgroupCreate,
    /// `xgroup|createconsumer`
    XgroupCreateconsumer,
    /// `xgroup|delconsumer`
    XgroupDelconsumer,
    /// `xgroup|destroy`
    XgroupDestroy,
    /// `xgroup|help`
    XgroupHelp,
    /// `xgroup|setid`
    XgroupSetid,
    /// `xinfo`
    Xinfo,
    /// `xinfo|consumers`
    XinfoConsumers,
    /// `xinfo|groups`
    XinfoGroups,
    /// `xinfo|help`
    XinfoHelp,
    /// `xinfo|stream`
    XinfoStream,
    /// `xlen`
    Xlen,
    /// `xpending`
    Xpending,
    /// `xrange`
    Xrange,
    /// `xread`
    Xread,
    /// `xreadgroup`
    Xreadgroup,
    /// `xrevrange`
    Xrevrange,
    /// `xsetid`
    Xsetid,
    /// `xtrim`
    Xtrim,
    /// `zadd`
    Zadd,
    /// `zcard`
    Zcard,
    /// `zcount`
    Zcount,
    /// `zdiff`
    Zdiff,
    /// `zdiffstore`
    Zdiffstore,
    /// `zincrby`
    Zincrby,
    /// `zinter`
    Zinter,
    /// `zintercard`
    Zintercard,
    /// `zinterstore`
    Zinterstore,
    /// `zlexcount`
    Zlexcount,
    /// `zmpop`
    Zmpop,
    /// `zmscore`
    Zmscore,
    /// `zpopmax`
    Zpopmax,
    /// `zpopmin`
    Zpopmin,
    /// `zrandmember`
    Zrandmember,
    /// `zrange`
    Zrange,
    /// `zrangebylex`
    Zrangebylex,
    /// `zrangebyscore`
    Zrangebyscore,
    /// `zrangestore`
    Zrangestore,
    /// `zrank`
    Zrank,
    /// `zrem`
    Zrem,
    /// `zremrangebylex`
    Zremrangebylex,
    /// `zremrangebyrank`
    Zremrangebyrank,
    /// `zremrangebyscore`
    Zremrangebyscore,
    /// `zrevrange`
    Zrevrange,
    /// `zrevrangebylex`
    Zrevrangebylex,
    /// `zrevrangebyscore`
    Zrevrangebyscore,
    /// `zrevrank`
    Zrevrank,
    /// `zscan`
    Zscan,
    /// `zscore`
    Zscore,
    /// `zunion`
    Zunion,
    /// `zunionstore`
    Zunionstore,
    /// `shardd.info`
    SharddInfo,
    /// `shardd.slowlog`
    SharddSlowlog,
    /// `shardd.latency`
    SharddLatency,
    /// `shardd.acllog`
    SharddAcllog,
    /// `shardd.resetstat`
    SharddResetstat,
    /// `shardd.config`
    SharddConfig,
    /// `shardd.tx`
    SharddTx,
    /// `shardd.watch`
    SharddWatch,
    /// `shardd.unwatch`
    SharddUnwatch,
    /// `shardd.txlock`
    SharddTxlock,
    /// `shardd.txprepare`
    SharddTxprepare,
    /// `shardd.txcommit`
    SharddTxcommit,
    /// `shardd.txabort`
    SharddTxabort,
    /// `shardd.txdecide`
    SharddTxdecide,
    /// `shardd.txresolve`
    SharddTxresolve,
    /// `shardd.txforget`
    SharddTxforget,
    /// `shardd.dump`
    SharddDump,
    /// `shardd.sort`
    SharddSort,
    /// `shardd.txindoubt`
    SharddTxindoubt,
    /// `shardd.eval`
    SharddEval,
    /// `shardd.function`
    SharddFunction,
    /// `shardd.bwait`
    SharddBwait,
    /// `shardd.unblock`
    SharddUnblock,
    /// `shardd.events`
    SharddEvents,
    /// `shardd.track`
    SharddTrack,
    /// `shardd.scriptflush`
    SharddScriptflush,
    /// `shardd.slots`
    SharddSlots,
    /// `shardd.slotdump`
    SharddSlotdump,
    /// `shardd.slotload`
    SharddSlotload,
    /// `shardd.subs`
    SharddSubs,
    /// `shardd.unfence`
    SharddUnfence,
}

impl Cmd {
    /// Every id, in order (`Cmd::ALL[id as usize] == id`).
    pub const ALL: [Cmd; 403] = [
        Cmd::Acl,
        Cmd::AclCat,
        Cmd::AclDeluser,
        Cmd::AclDryrun,
        Cmd::AclGenpass,
        Cmd::AclGetuser,
        Cmd::AclHelp,
        Cmd::AclList,
        Cmd::AclLoad,
        Cmd::AclLog,
        Cmd::AclSave,
        Cmd::AclSetuser,
        Cmd::AclUsers,
        Cmd::AclWhoami,
        Cmd::Append,
        Cmd::Asking,
        Cmd::Auth,
        Cmd::Bgrewriteaof,
        Cmd::Bgsave,
        Cmd::Bitcount,
        Cmd::Bitfield,
        Cmd::BitfieldRo,
        Cmd::Bitop,
        Cmd::Bitpos,
        Cmd::Blmove,
        Cmd::Blmpop,
        Cmd::Blpop,
        Cmd::Brpop,
        Cmd::Brpoplpush,
        Cmd::Bzmpop,
        Cmd::Bzpopmax,
        Cmd::Bzpopmin,
        Cmd::Client,
        Cmd::ClientCaching,
        Cmd::ClientGetname,
        Cmd::ClientGetredir,
        Cmd::ClientHelp,
        Cmd::ClientId,
        Cmd::ClientInfo,
        Cmd::ClientKill,
        Cmd::ClientList,
        Cmd::ClientNoEvict,
        Cmd::ClientPause,
        Cmd::ClientReply,
        Cmd::ClientSetinfo,
        Cmd::ClientSetname,
        Cmd::ClientTracking,
        Cmd::ClientTrackinginfo,
        Cmd::ClientUnblock,
        Cmd::ClientUnpause,
        Cmd::Cluster,
        Cmd::ClusterAddslots,
        Cmd::ClusterAddslotsrange,
        Cmd::ClusterBumpepoch,
        Cmd::ClusterCountFailureReports,
        Cmd::ClusterCountkeysinslot,
        Cmd::ClusterDelslots,
        Cmd::ClusterDelslotsrange,
        Cmd::ClusterFailover,
        Cmd::ClusterFlushslots,
        Cmd::ClusterForget,
        Cmd::ClusterGetkeysinslot,
        Cmd::ClusterHelp,
        Cmd::ClusterInfo,
        Cmd::ClusterKeyslot,
        Cmd::ClusterLinks,
        Cmd::ClusterMeet,
        Cmd::ClusterMyid,
        Cmd::ClusterNodes,
        Cmd::ClusterReplicas,
        Cmd::ClusterReplicate,
        Cmd::ClusterReset,
        Cmd::ClusterSaveconfig,
        Cmd::ClusterSetConfigEpoch,
        Cmd::ClusterSetslot,
        Cmd::ClusterShards,
        Cmd::ClusterSlaves,
        Cmd::ClusterSlots,
        Cmd::Command,
        Cmd::CommandCount,
        Cmd::CommandDocs,
        Cmd::CommandGetkeys,
        Cmd::CommandGetkeysandflags,
        Cmd::CommandHelp,
        Cmd::CommandInfo,
        Cmd::CommandList,
        Cmd::Config,
        Cmd::ConfigGet,
        Cmd::ConfigHelp,
        Cmd::ConfigResetstat,
        Cmd::ConfigRewrite,
        Cmd::ConfigSet,
        Cmd::Copy,
        Cmd::Dbsize,
        Cmd::Debug,
        Cmd::Decr,
        Cmd::Decrby,
        Cmd::Del,
        Cmd::Discard,
        Cmd::Dump,
        Cmd::Echo,
        Cmd::Eval,
        Cmd::EvalRo,
        Cmd::Evalsha,
        Cmd::EvalshaRo,
        Cmd::Exec,
        Cmd::Exists,
        Cmd::Expire,
        Cmd::Expireat,
        Cmd::Expiretime,
        Cmd::Failover,
        Cmd::Fcall,
        Cmd::FcallRo,
        Cmd::Flushall,
        Cmd::Flushdb,
        Cmd::Function,
        Cmd::FunctionDelete,
        Cmd::FunctionDump,
        Cmd::FunctionFlush,
        Cmd::FunctionHelp,
        Cmd::FunctionKill,
        Cmd::FunctionList,
        Cmd::FunctionLoad,
        Cmd::FunctionRestore,
        Cmd::FunctionStats,
        Cmd::Geoadd,
        Cmd::Geodist,
        Cmd::Geohash,
        Cmd::Geopos,
        Cmd::Georadius,
        Cmd::GeoradiusRo,
        Cmd::Georadiusbymember,
        Cmd::GeoradiusbymemberRo,
        Cmd::Geosearch,
        Cmd::Geosearchstore,
        Cmd::Get,
        Cmd::Getbit,
        Cmd::Getdel,
        Cmd::Getex,
        Cmd::Getrange,
        Cmd::Getset,
        Cmd::Hdel,
        Cmd::Hello,
        Cmd::Hexists,
        Cmd::Hget,
        Cmd::Hgetall,
        Cmd::Hincrby,
        Cmd::Hincrbyfloat,
        Cmd::Hkeys,
        Cmd::Hlen,
        Cmd::Hmget,
        Cmd::Hmset,
        Cmd::Hrandfield,
        Cmd::Hscan,
        Cmd::Hset,
        Cmd::Hsetnx,
        Cmd::Hstrlen,
        Cmd::Hvals,
        Cmd::Incr,
        Cmd::Incrby,
        Cmd::Incrbyfloat,
        Cmd::Info,
        Cmd::Keys,
        Cmd::Lastsave,
        Cmd::Latency,
        Cmd::LatencyDoctor,
        Cmd::LatencyGraph,
        Cmd::LatencyHelp,
        Cmd::LatencyHistogram,
        Cmd::LatencyHistory,
        Cmd::LatencyLatest,
        Cmd::LatencyReset,
        Cmd::Lcs,
        Cmd::Lindex,
        Cmd::Linsert,
        Cmd::Llen,
        Cmd::Lmove,
        Cmd::Lmpop,
        Cmd::Lolwut,
        Cmd::Lpop,
        Cmd::Lpos,
        Cmd::Lpush,
        Cmd::Lpushx,
        Cmd::Lrange,
        Cmd::Lrem,
        Cmd::Lset,
        Cmd::Ltrim,
        Cmd::Memory,
        Cmd::MemoryDoctor,
        Cmd::MemoryHelp,
        Cmd::MemoryMallocStats,
        Cmd::MemoryPurge,
        Cmd::MemoryStats,
        Cmd::MemoryUsage,
        Cmd::Mget,
        Cmd::Migrate,
        Cmd::Module,
        Cmd::ModuleHelp,
        Cmd::ModuleList,
        Cmd::ModuleLoad,
        Cmd::ModuleLoadex,
        Cmd::ModuleUnload,
        Cmd::Monitor,
        Cmd::Move,
        Cmd::Mset,
        Cmd::Msetnx,
        Cmd::Multi,
        Cmd::Object,
        Cmd::ObjectEncoding,
        Cmd::ObjectFreq,
        Cmd::ObjectHelp,
        Cmd::ObjectIdletime,
        Cmd::ObjectRefcount,
        Cmd::Persist,
        Cmd::Pexpire,
        Cmd::Pexpireat,
        Cmd::Pexpiretime,
        Cmd::Pfadd,
        Cmd::Pfcount,
        Cmd::Pfdebug,
        Cmd::Pfmerge,
        Cmd::Pfselftest,
        Cmd::Ping,
        Cmd::Psetex,
        Cmd::Psubscribe,
        Cmd::Psync,
        Cmd::Pttl,
        Cmd::Publish,
        Cmd::Pubsub,
        Cmd::PubsubChannels,
        Cmd::PubsubHelp,
        Cmd::PubsubNumpat,
        Cmd::PubsubNumsub,
        Cmd::PubsubShardchannels,
        Cmd::PubsubShardnumsub,
        Cmd::Punsubscribe,
        Cmd::Quit,
        Cmd::Randomkey,
        Cmd::Readonly,
        Cmd::Readwrite,
        Cmd::Rename,
        Cmd::Renamenx,
        Cmd::Replconf,
        Cmd::Replicaof,
        Cmd::Reset,
        Cmd::Restore,
        Cmd::RestoreAsking,
        Cmd::Role,
        Cmd::Rpop,
        Cmd::Rpoplpush,
        Cmd::Rpush,
        Cmd::Rpushx,
        Cmd::Sadd,
        Cmd::Save,
        Cmd::Scan,
        Cmd::Scard,
        Cmd::Script,
        Cmd::ScriptDebug,
        Cmd::ScriptExists,
        Cmd::ScriptFlush,
        Cmd::ScriptHelp,
        Cmd::ScriptKill,
        Cmd::ScriptLoad,
        Cmd::Sdiff,
        Cmd::Sdiffstore,
        Cmd::Select,
        Cmd::Set,
        Cmd::Setbit,
        Cmd::Setex,
        Cmd::Setnx,
        Cmd::Setrange,
        Cmd::Shardis,
        Cmd::ShardisHelp,
        Cmd::ShardisScale,
        Cmd::ShardisSlots,
        Cmd::ShardisStatus,
        Cmd::Shutdown,
        Cmd::Sinter,
        Cmd::Sintercard,
        Cmd::Sinterstore,
        Cmd::Sismember,
        Cmd::Slaveof,
        Cmd::Slowlog,
        Cmd::SlowlogGet,
        Cmd::SlowlogHelp,
        Cmd::SlowlogLen,
        Cmd::SlowlogReset,
        Cmd::Smembers,
        Cmd::Smismember,
        Cmd::Smove,
        Cmd::Sort,
        Cmd::SortRo,
        Cmd::Spop,
        Cmd::Spublish,
        Cmd::Srandmember,
        Cmd::Srem,
        Cmd::Sscan,
        Cmd::Ssubscribe,
        Cmd::Strlen,
        Cmd::Subscribe,
        Cmd::Substr,
        Cmd::Sunion,
        Cmd::Sunionstore,
        Cmd::Sunsubscribe,
        Cmd::Swapdb,
        Cmd::Sync,
        Cmd::Time,
        Cmd::Touch,
        Cmd::Ttl,
        Cmd::Type,
        Cmd::Unlink,
        Cmd::Unsubscribe,
        Cmd::Unwatch,
        Cmd::Wait,
        Cmd::Watch,
        Cmd::Xack,
        Cmd::Xadd,
        Cmd::Xautoclaim,
        Cmd::Xclaim,
        Cmd::Xdel,
        Cmd::Xgroup,
        Cmd::XgroupCreate,
        Cmd::XgroupCreateconsumer,
        Cmd::XgroupDelconsumer,
        Cmd::XgroupDestroy,
        Cmd::XgroupHelp,
        Cmd::XgroupSetid,
        Cmd::Xinfo,
        Cmd::XinfoConsumers,
        Cmd::XinfoGroups,
        Cmd::XinfoHelp,
        Cmd::XinfoStream,
        Cmd::Xlen,
        Cmd::Xpending,
        Cmd::Xrange,
        Cmd::Xread,
        Cmd::Xreadgroup,
        Cmd::Xrevrange,
        Cmd::Xsetid,
        Cmd::Xtrim,
        Cmd::Zadd,
        Cmd::Zcard,
        Cmd::Zcount,
        Cmd::Zdiff,
        Cmd::Zdiffstore,
        Cmd::Zincrby,
        Cmd::Zinter,
        Cmd::Zintercard,
        Cmd::Zinterstore,
        Cmd::Zlexcount,
        Cmd::Zmpop,
        Cmd::Zmscore,
        Cmd::Zpopmax,
        Cmd::Zpopmin,
        Cmd::Zrandmember,
        Cmd::Zrange,
        Cmd::Zrangebylex,
        Cmd::Zrangebyscore,
        Cmd::Zrangestore,
        Cmd::Zrank,
        Cmd::Zrem,
        Cmd::Zremrangebylex,
        Cmd::Zremrangebyrank,
        Cmd::Zremrangebyscore,
        Cmd::Zrevrange,
        Cmd::Zrevrangebylex,
        Cmd::Zrevrangebyscore,
        Cmd::Zrevrank,
        Cmd::Zscan,
        Cmd::Zscore,
        Cmd::Zunion,
        Cmd::Zunionstore,
        Cmd::SharddInfo,
        Cmd::SharddSlowlog,
        Cmd::SharddLatency,
        Cmd::SharddAcllog,
        Cmd::SharddResetstat,
        Cmd::SharddConfig,
        Cmd::SharddTx,
        Cmd::SharddWatch,
        Cmd::SharddUnwatch,
        Cmd::SharddTxlock,
        Cmd::SharddTxprepare,
        Cmd::SharddTxcommit,
        Cmd::SharddTxabort,
        Cmd::SharddTxdecide,
        Cmd::SharddTxresolve,
        Cmd::SharddTxforget,
        Cmd::SharddDump,
        Cmd::SharddSort,
        Cmd::SharddTxindoubt,
        Cmd::SharddEval,
        Cmd::SharddFunction,
        Cmd::SharddBwait,
        Cmd::SharddUnblock,
        Cmd::SharddEvents,
        Cmd::SharddTrack,
        Cmd::SharddScriptflush,
        Cmd::SharddSlots,
        Cmd::SharddSlotdump,
        Cmd::SharddSlotload,
        Cmd::SharddSubs,
        Cmd::SharddUnfence,
    ];
}

/// Fingerprint of the names in id order (FNV-1a): both sides of a ring
/// check that they were built with the same table.
pub const TABLE_FINGERPRINT: u64 = 0x10b89665c351da17;

/// Every command, sorted by name (lookups binary-search it).
#[rustfmt::skip]
pub(super) static COMMANDS: &[CommandSpec] = &[
    cmd(Cmd::Acl, "acl", -2, 0, 0, 0, 0, &["@slow"], &[], &[], Route::Connection, Keys::Fixed, Exec::Proxy, Docs { summary: "A container for Access List Control commands ", since: "6.0.0", group: "server", complexity: "Depends on subcommand." }, ACL_SUBCOMMANDS),
    cmd(Cmd::Append, "append", 3, F_WRITE | F_DENYOOM | F_FAST, 1, 1, 1, &["@write", "@string", "@fast"], &[], &[ks("", K_RW | K_INSERT, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Append a value to a key", since: "2.0.0", group: "string", complexity: "O(1). The amortized time complexity is O(1) assuming the appended value is small and the already present value is of any size, since the dynamic string library used by Redis will double the free space available on every reallocation." }, &[]),
    cmd(Cmd::Asking, "asking", 1, F_FAST, 0, 0, 0, &["@fast", "@connection"], &[], &[], Route::Keyless, Keys::Fixed, Exec::Missing, Docs { summary: "Sent by cluster clients after an -ASK redirect", since: "3.0.0", group: "cluster", complexity: "O(1)" }, &[]),
    cmd(Cmd::Auth, "auth", -2, F_NOSCRIPT | F_LOADING | F_STALE | F_FAST | F_NO_AUTH | F_ALLOW_BUSY, 0, 0, 0, &["@fast", "@connection"], &[], &[], Route::Connection, Keys::Fixed, Exec::Proxy, Docs { summary: "Authenticate to the server", since: "1.0.0", group: "connection", complexity: "O(N) where N is the number of passwords defined for the user" }, &[]),
    cmd(Cmd::Bgrewriteaof, "bgrewriteaof", 1, F_ADMIN | F_NOSCRIPT | F_NO_ASYNC_LOADING, 0, 0, 0, &["@admin", "@slow", "@dangerous"], &[], &[], Route::FanOut, Keys::Fixed, Exec::Shard, Docs { summary: "Asynchronously rewrite the append-only file", since: "1.0.0", group: "server", complexity: "O(1)" }, &[]),
    cmd(Cmd::Bgsave, "bgsave", -1, F_ADMIN | F_NOSCRIPT | F_NO_ASYNC_LOADING, 0, 0, 0, &["@admin", "@slow", "@dangerous"], &[], &[], Route::FanOut, Keys::Fixed, Exec::Shard, Docs { summary: "Asynchronously save the dataset to disk", since: "1.0.0", group: "server", complexity: "O(1)" }, &[]),
    cmd(Cmd::Bitcount, "bitcount", -2, F_READONLY, 1, 1, 1, &["@read", "@bitmap", "@slow"], &[], &[ks("", K_RO | K_ACCESS, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Count set bits in a string", since: "2.6.0", group: "bitmap", complexity: "O(N)" }, &[]),
    cmd(Cmd::Bitfield, "bitfield", -2, F_WRITE | F_DENYOOM, 1, 1, 1, &["@write", "@bitmap", "@slow"], &[], &[ks("This command allows both access and modification of the key", K_RW | K_ACCESS | K_UPDATE | K_VARIABLE_FLAGS, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Perform arbitrary bitfield integer operations on strings", since: "3.2.0", group: "bitmap", complexity: "O(1) for each subcommand specified" }, &[]),
    cmd(Cmd::BitfieldRo, "bitfield_ro", -2, F_READONLY | F_FAST, 1, 1, 1, &["@read", "@bitmap", "@fast"], &[], &[ks("", K_RO | K_ACCESS, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Perform arbitrary bitfield integer operations on strings. Read-only variant of BITFIELD", since: "6.0.0", group: "bitmap", complexity: "O(1) for each subcommand specified" }, &[]),
    cmd(Cmd::Bitop, "bitop", -4, F_WRITE | F_DENYOOM, 2, -1, 1, &["@write", "@bitmap", "@slow"], &[], &[ks("", K_OW | K_UPDATE, BeginSearch::Index(2), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 }), ks("", K_RO | K_ACCESS, BeginSearch::Index(3), FindKeys::Range { lastkey: -1, keystep: 1, limit: 0 })], Route::Together, Keys::Fixed, Exec::Shard, Docs { summary: "Perform bitwise operations between strings", since: "2.6.0", group: "bitmap", complexity: "O(N)" }, &[]),
    cmd(Cmd::Bitpos, "bitpos", -3, F_READONLY, 1, 1, 1, &["@read", "@bitmap", "@slow"], &[], &[ks("", K_RO | K_ACCESS, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Find first bit set or clear in a string", since: "2.8.7", group: "bitmap", complexity: "O(N)" }, &[]),
    cmd(Cmd::Blmove, "blmove", 6, F_WRITE | F_DENYOOM | F_NOSCRIPT | F_BLOCKING, 1, 2, 1, &["@write", "@list", "@slow", "@blocking"], &[], &[ks("", K_RW | K_ACCESS | K_DELETE, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 }), ks("", K_RW | K_INSERT, BeginSearch::Index(2), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Together, Keys::Fixed, Exec::Shard, Docs { summary: "Pop an element from a list, push it to another list and return it; or block until one is available", since: "6.2.0", group: "list", complexity: "O(1)" }, &[]),
    cmd(Cmd::Blmpop, "blmpop", -5, F_WRITE | F_BLOCKING | F_MOVABLEKEYS, 0, 0, 0, &["@write", "@list", "@slow", "@blocking"], &[], &[ks("", K_RW | K_ACCESS | K_DELETE, BeginSearch::Index(2), FindKeys::KeyNum { keynumidx: 0, firstkey: 1, keystep: 1 })], Route::Together, Keys::NumKeys { numkeys_index: 2, first_index: 3, store_index: 0 }, Exec::Shard, Docs { summary: "Pop elements from a list, or block until one is available", since: "7.0.0", group: "list", complexity: "O(N+M) where N is the number of provided keys and M is the number of elements returned." }, &[]),
    cmd(Cmd::Blpop, "blpop", -3, F_WRITE | F_NOSCRIPT | F_BLOCKING, 1, -2, 1, &["@write", "@list", "@slow", "@blocking"], &[], &[ks("", K_RW | K_ACCESS | K_DELETE, BeginSearch::Index(1), FindKeys::Range { lastkey: -2, keystep: 1, limit: 0 })], Route::Together, Keys::Fixed, Exec::Shard, Docs { summary: "Remove and get the first element in a list, or block until one is available", since: "2.0.0", group: "list", complexity: "O(N) where N is the number of provided keys." }, &[]),
    cmd(Cmd::Brpop, "brpop", -3, F_WRITE | F_NOSCRIPT | F_BLOCKING, 1, -2, 1, &["@write", "@list", "@slow", "@blocking"], &[], &[ks("", K_RW | K_ACCESS | K_DELETE, BeginSearch::Index(1), FindKeys::Range { lastkey: -2, keystep: 1, limit: 0 })], Route::Together, Keys::Fixed, Exec::Shard, Docs { summary: "Remove and get the last element in a list, or block until one is available", since: "2.0.0", group: "list", complexity: "O(N) where N is the number of provided keys." }, &[]),
    cmd(Cmd::Brpoplpush, "brpoplpush", 4, F_WRITE | F_DENYOOM | F_NOSCRIPT | F_BLOCKING, 1, 2, 1, &["@write", "@list", "@slow", "@blocking"], &[], &[ks("", K_RW | K_ACCESS | K_DELETE, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 }), ks("", K_RW | K_INSERT, BeginSearch::Index(2), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Together, Keys::Fixed, Exec::Shard, Docs { summary: "Pop an element from a list, push it to another list and return it; or block until one is available", since: "2.2.0", group: "list", complexity: "O(1)" }, &[]),
    cmd(Cmd::Bzmpop, "bzmpop", -5, F_WRITE | F_BLOCKING | F_MOVABLEKEYS, 0, 0, 0, &["@write", "@sortedset", "@slow", "@blocking"], &[], &[ks("", K_RW | K_ACCESS | K_DELETE, BeginSearch::Index(2), FindKeys::KeyNum { keynumidx: 0, firstkey: 1, keystep: 1 })], Route::Together, Keys::NumKeys { numkeys_index: 2, first_index: 3, store_index: 0 }, Exec::Shard, Docs { summary: "Remove and return members with scores in a sorted set or block until one is available", since: "7.0.0", group: "sorted-set", complexity: "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped." }, &[]),
    cmd(Cmd::Bzpopmax, "bzpopmax", -3, F_WRITE | F_NOSCRIPT | F_BLOCKING | F_FAST, 1, -2, 1, &["@write", "@sortedset", "@fast", "@blocking"], &[], &[ks("", K_RW | K_ACCESS | K_DELETE, BeginSearch::Index(1), FindKeys::Range { lastkey: -2, keystep: 1, limit: 0 })], Route::Together, Keys::Fixed, Exec::Shard, Docs { summary: "Remove and return the member with the highest score from one or more sorted sets, or block until one is available", since: "5.0.0", group: "sorted-set", complexity: "O(log(N)) with N being the number of elements in the sorted set." }, &[]),
    cmd(Cmd::Bzpopmin, "bzpopmin", -3, F_WRITE | F_NOSCRIPT | F_BLOCKING | F_FAST, 1, -2, 1, &["@write", "@sortedset", "@fast", "@blocking"], &[], &[ks("", K_RW | K_ACCESS | K_DELETE, BeginSearch::Index(1), FindKeys::Range { lastkey: -2, keystep: 1, limit: 0 })], Route::Together, Keys::Fixed, Exec::Shard, Docs { summary: "Remove and return the member with the lowest score from one or more sorted sets, or block until one is available", since: "5.0.0", group: "sorted-set", complexity: "O(log(N)) with N being the number of elements in the sorted set." }, &[]),
    cmd(Cmd::Client, "client", -2, 0, 0, 0, 0, &["@slow"], &[], &[], Route::Connection, Keys::Fixed, Exec::Proxy, Docs { summary: "A container for client connection commands", since: "2.4.0", group: "connection", complexity: "Depends on subcommand." }, CLIENT_SUBCOMMANDS),
    cmd(Cmd::Cluster, "cluster", -2, 0, 0, 0, 0, &["@slow"], &[], &[], Route::Connection, Keys::Fixed, Exec::Proxy, Docs { summary: "A container for cluster commands", since: "3.0.0", group: "cluster", complexity: "Depends on subcommand." }, CLUSTER_SUBCOMMANDS),
    cmd(Cmd::Command, "command", -1, F_LOADING | F_STALE, 0, 0, 0, &["@slow", "@connection"], &["nondeterministic_output_order"], &[], Route::Connection, Keys::Fixed, Exec::Proxy, Docs { summary: "Get array of Redis command details", since: "2.8.13", group: "server", complexity: "O(N) where N is the total number of Redis commands" }, COMMAND_SUBCOMMANDS),
    cmd(Cmd::Config, "config", -2, 0, 0, 0, 0, &["@slow"], &[], &[], Route::Connection, Keys::Fixed, Exec::Proxy, Docs { summary: "A container for server configuration commands", since: "2.0.0", group: "server", complexity: "Depends on subcommand." }, CONFIG_SUBCOMMANDS),
    cmd(Cmd::Copy, "copy", -3, F_WRITE | F_DENYOOM, 1, 2, 1, &["@keyspace", "@write", "@slow"], &[], &[ks("", K_RO | K_ACCESS, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 }), ks("", K_OW | K_UPDATE, BeginSearch::Index(2), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Together, Keys::Fixed, Exec::Shard, Docs { summary: "Copy a key", since: "6.2.0", group: "generic", complexity: "O(N) worst case for collections, where N is the number of nested items. O(1) for string values." }, &[]),
    cmd(Cmd::Dbsize, "dbsize", 1, F_READONLY | F_FAST, 0, 0, 0, &["@keyspace", "@read", "@fast"], &["request_policy:all_shards", "response_policy:agg_sum"], &[], Route::FanOut, Keys::Fixed, Exec::Shard, Docs { summary: "Return the number of keys in the selected database", since: "1.0.0", group: "server", complexity: "O(1)" }, &[]),
    cmd(Cmd::Debug, "debug", -2, F_ADMIN | F_NOSCRIPT | F_LOADING | F_STALE, 0, 0, 0, &["@admin", "@slow", "@dangerous"], &[], &[], Route::Keyless, Keys::Fixed, Exec::Proxy, Docs { summary: "A container for debugging commands", since: "1.0.0", group: "server", complexity: "Depends on subcommand." }, &[]),
    cmd(Cmd::Decr, "decr", 2, F_WRITE | F_DENYOOM | F_FAST, 1, 1, 1, &["@write", "@string", "@fast"], &[], &[ks("", K_RW | K_ACCESS | K_UPDATE, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Decrement the integer value of a key by one", since: "1.0.0", group: "string", complexity: "O(1)" }, &[]),
    cmd(Cmd::Decrby, "decrby", 3, F_WRITE | F_DENYOOM | F_FAST, 1, 1, 1, &["@write", "@string", "@fast"], &[], &[ks("", K_RW | K_ACCESS | K_UPDATE, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Decrement the integer value of a key by the given number", since: "1.0.0", group: "string", complexity: "O(1)" }, &[]),
    cmd(Cmd::Del, "del", -2, F_WRITE, 1, -1, 1, &["@keyspace", "@write", "@slow"], &["request_policy:multi_shard", "response_policy:agg_sum"], &[ks("", K_RM | K_DELETE, BeginSearch::Index(1), FindKeys::Range { lastkey: -1, keystep: 1, limit: 0 })], Route::MultiKeySplit, Keys::Fixed, Exec::Shard, Docs { summary: "Delete a key", since: "1.0.0", group: "generic", complexity: "O(N) where N is the number of keys that will be removed. When a key to remove holds a value other than a string, the individual complexity for this key is O(M) where M is the number of elements in the list, set, sorted set or hash. Removing a single key that holds a string value is O(1)." }, &[]),
    cmd(Cmd::Discard, "discard", 1, F_NOSCRIPT | F_LOADING | F_STALE | F_FAST | F_ALLOW_BUSY, 0, 0, 0, &["@fast", "@transaction"], &[], &[], Route::Connection, Keys::Fixed, Exec::Proxy, Docs { summary: "Discard all commands issued after MULTI", since: "2.0.0", group: "transactions", complexity: "O(N), when N is the number of queued commands" }, &[]),
    cmd(Cmd::Dump, "dump", 2, F_READONLY, 1, 1, 1, &["@keyspace", "@read", "@slow"], &["nondeterministic_output"], &[ks("", K_RO | K_ACCESS, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Return a serialized version of the value stored at the specified key.", since: "2.6.0", group: "generic", complexity: "O(1) to access the key and additional O(N*M) to serialize it, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1)." }, &[]),
    cmd(Cmd::Echo, "echo", 2, F_LOADING | F_STALE | F_FAST, 0, 0, 0, &["@fast", "@connection"], &[], &[], Route::Connection, Keys::Fixed, Exec::Proxy, Docs { summary: "Echo the given string", since: "1.0.0", group: "connection", complexity: "O(1)" }, &[]),
    cmd(Cmd::Eval, "eval", -3, F_NOSCRIPT | F_STALE | F_SKIP_MONITOR | F_NO_MANDATORY_KEYS | F_MOVABLEKEYS, 0, 0, 0, &["@slow", "@scripting"], &[], &[ks("We cannot tell how the keys will be used so we assume the worst, RW and UPDATE", K_RW | K_ACCESS | K_UPDATE, BeginSearch::Index(2), FindKeys::KeyNum { keynumidx: 0, firstkey: 1, keystep: 1 })], Route::Together, Keys::NumKeys { numkeys_index: 2, first_index: 3, store_index: 0 }, Exec::Proxy, Docs { summary: "Execute a Lua script server side", since: "2.6.0", group: "scripting", complexity: "Depends on the script that is executed." }, &[]),
    cmd(Cmd::EvalRo, "eval_ro", -3, F_READONLY | F_NOSCRIPT | F_STALE | F_SKIP_MONITOR | F_NO_MANDATORY_KEYS | F_MOVABLEKEYS, 0, 0, 0, &["@slow", "@scripting"], &[], &[ks("We cannot tell how the keys will be used so we assume the worst, RO and ACCESS", K_RO | K_ACCESS, BeginSearch::Index(2), FindKeys::KeyNum { keynumidx: 0, firstkey: 1, keystep: 1 })], Route::Together, Keys::NumKeys { numkeys_index: 2, first_index: 3, store_index: 0 }, Exec::Proxy, Docs { summary: "Execute a read-only Lua script server side", since: "7.0.0", group: "scripting", complexity: "Depends on the script that is executed." }, &[]),
    cmd(Cmd::Evalsha, "evalsha", -3, F_NOSCRIPT | F_STALE | F_SKIP_MONITOR | F_NO_MANDATORY_KEYS | F_MOVABLEKEYS, 0, 0, 0, &["@slow", "@scripting"], &[], &[ks("", K_RW | K_ACCESS | K_UPDATE, BeginSearch::Index(2), FindKeys::KeyNum { keynumidx: 0, firstkey: 1, keystep: 1 })], Route::Together, Keys::NumKeys { numkeys_index: 2, first_index: 3, store_index: 0 }, Exec::Proxy, Docs { summary: "Execute a Lua script server side", since: "2.6.0", group: "scripting", complexity: "Depends on the script that is executed." }, &[]),
    cmd(Cmd::EvalshaRo, "evalsha_ro", -3, F_READONLY | F_NOSCRIPT | F_STALE | F_SKIP_MONITOR | F_NO_MANDATORY_KEYS | F_MOVABLEKEYS, 0, 0, 0, &["@slow", "@scripting"], &[], &[ks("", K_RO | K_ACCESS, BeginSearch::Index(2), FindKeys::KeyNum { keynumidx: 0, firstkey: 1, keystep: 1 })], Route::Together, Keys::NumKeys { numkeys_index: 2, first_index: 3, store_index: 0 }, Exec::Proxy, Docs { summary: "Execute a read-only Lua script server side", since: "7.0.0", group: "scripting", complexity: "Depends on the script that is executed." }, &[]),
    cmd(Cmd::Exec, "exec", 1, F_NOSCRIPT | F_LOADING | F_STALE | F_SKIP_SLOWLOG, 0, 0, 0, &["@slow", "@transaction"], &[], &[], Route::Connection, Keys::Fixed, Exec::Proxy, Docs { summary: "Execute all commands issued after MULTI", since: "1.2.0", group: "transactions", complexity: "Depends on commands in the transaction" }, &[]),
    cmd(Cmd::Exists, "exists", -2, F_READONLY | F_FAST, 1, -1, 1, &["@keyspace", "@read", "@fast"], &["request_policy:multi_shard", "response_policy:agg_sum"], &[ks("", K_RO, BeginSearch::Index(1), FindKeys::Range { lastkey: -1, keystep: 1, limit: 0 })], Route::MultiKeySplit, Keys::Fixed, Exec::Shard, Docs { summary: "Determine if a key exists", since: "1.0.0", group: "generic", complexity: "O(N) where N is the number of keys to check." }, &[]),
    cmd(Cmd::Expire, "expire", -3, F_WRITE | F_FAST, 1, 1, 1, &["@keyspace", "@write", "@fast"], &[], &[ks("", K_RW | K_UPDATE, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Set a key's time to live in seconds", since: "1.0.0", group: "generic", complexity: "O(1)" }, &[]),
    cmd(Cmd::Expireat, "expireat", -3, F_WRITE | F_FAST, 1, 1, 1, &["@keyspace", "@write", "@fast"], &[], &[ks("", K_RW | K_UPDATE, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Set the expiration for a key as a UNIX timestamp", since: "1.2.0", group: "generic", complexity: "O(1)" }, &[]),
    cmd(Cmd::Expiretime, "expiretime", 2, F_READONLY | F_FAST, 1, 1, 1, &["@keyspace", "@read", "@fast"], &[], &[ks("", K_RO | K_ACCESS, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Get the expiration Unix timestamp for a key", since: "7.0.0", group: "generic", complexity: "O(1)" }, &[]),
    cmd(Cmd::Failover, "failover", -1, F_ADMIN | F_NOSCRIPT | F_STALE, 0, 0, 0, &["@admin", "@slow", "@dangerous"], &[], &[], Route::Keyless, Keys::Fixed, Exec::Missing, Docs { summary: "Start a coordinated failover between this server and one of its replicas.", since: "6.2.0", group: "server", complexity: "O(1)" }, &[]),
    cmd(Cmd::Fcall, "fcall", -3, F_NOSCRIPT | F_STALE | F_SKIP_MONITOR | F_NO_MANDATORY_KEYS | F_MOVABLEKEYS, 0, 0, 0, &["@slow", "@scripting"], &[], &[ks("We cannot tell how the keys will be used so we assume the worst, RW and UPDATE", K_RW | K_ACCESS | K_UPDATE, BeginSearch::Index(2), FindKeys::KeyNum { keynumidx: 0, firstkey: 1, keystep: 1 })], Route::Together, Keys::NumKeys { numkeys_index: 2, first_index: 3, store_index: 0 }, Exec::Proxy, Docs { summary: "Invoke a function", since: "7.0.0", group: "scripting", complexity: "Depends on the function that is executed." }, &[]),
    cmd(Cmd::FcallRo, "fcall_ro", -3, F_READONLY | F_NOSCRIPT | F_STALE | F_SKIP_MONITOR | F_NO_MANDATORY_KEYS | F_MOVABLEKEYS, 0, 0, 0, &["@slow", "@scripting"], &[], &[ks("We cannot tell how the keys will be used so we assume the worst, RO and ACCESS", K_RO | K_ACCESS, BeginSearch::Index(2), FindKeys::KeyNum { keynumidx: 0, firstkey: 1, keystep: 1 })], Route::Together, Keys::NumKeys { numkeys_index: 2, first_index: 3, store_index: 0 }, Exec::Proxy, Docs { summary: "Invoke a read-only function", since: "7.0.0", group: "scripting", complexity: "Depends on the function that is executed." }, &[]),
    cmd(Cmd::Flushall, "flushall", -1, F_WRITE, 0, 0, 0, &["@keyspace", "@write", "@slow", "@dangerous"], &["request_policy:all_shards", "response_policy:all_succeeded"], &[], Route::FanOut, Keys::Fixed, Exec::Shard, Docs { summary: "Remove all keys from all databases", since: "1.0.0", group: "server", complexity: "O(N) where N is the total number of keys in all databases" }, &[]),
    cmd(Cmd::Flushdb, "flushdb", -1, F_WRITE, 0, 0, 0, &["@keyspace", "@write", "@slow", "@dangerous"], &["request_policy:all_shards", "response_policy:all_succeeded"], &[], Route::FanOut, Keys::Fixed, Exec::Shard, Docs { summary: "Remove all keys from the current database", since: "1.0.0", group: "server", complexity: "O(N) where N is the number of keys in the selected database" }, &[]),
    cmd(Cmd::Function, "function", -2, 0, 0, 0, 0, &["@slow"], &[], &[], Route::FanOut, Keys::Fixed, Exec::Proxy, Docs { summary: "A container for function commands", since: "7.0.0", group: "scripting", complexity: "Depends on subcommand." }, FUNCTION_SUBCOMMANDS),
    cmd(Cmd::Geoadd, "geoadd", -5, F_WRITE | F_DENYOOM, 1, 1, 1, &["@write", "@geo", "@slow"], &[], &[ks("", K_RW | K_UPDATE, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Add one or more geospatial items in the geospatial index represented using a sorted set", since: "3.2.0", group: "geo", complexity: "O(log(N)) for each item added, where N is the number of elements in the sorted set." }, &[]),
    cmd(Cmd::Geodist, "geodist", -4, F_READONLY, 1, 1, 1, &["@read", "@geo", "@slow"], &[], &[ks("", K_RO | K_ACCESS, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Returns the distance between two members of a geospatial index", since: "3.2.0", group: "geo", complexity: "O(log(N))" }, &[]),
    cmd(Cmd::Geohash, "geohash", -2, F_READONLY, 1, 1, 1, &["@read", "@geo", "@slow"], &[], &[ks("", K_RO | K_ACCESS, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Returns members of a geospatial index as standard geohash strings", since: "3.2.0", group: "geo", complexity: "O(log(N)) for each member requested, where N is the number of elements in the sorted set." }, &[]),
    cmd(Cmd::Geopos, "geopos", -2, F_READONLY, 1, 1, 1, &["@read", "@geo", "@slow"], &[], &[ks("", K_RO | K_ACCESS, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Returns longitude and latitude of members of a geospatial index", since: "3.2.0", group: "geo", complexity: "O(N) where N is the number of members requested." }, &[]),
    cmd(Cmd::Georadius, "georadius", -6, F_WRITE | F_DENYOOM | F_MOVABLEKEYS, 1, 1, 1, &["@write", "@geo", "@slow"], &[], &[ks("", K_RO | K_ACCESS, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 }), ks("", K_OW | K_UPDATE, BeginSearch::Keyword { keyword: "STORE", startfrom: 6 }, FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 }), ks("", K_OW | K_UPDATE, BeginSearch::Keyword { keyword: "STOREDIST", startfrom: 6 }, FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Together, Keys::Georadius, Exec::Shard, Docs { summary: "Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a point", since: "3.2.0", group: "geo", complexity: "O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index." }, &[]),
    cmd(Cmd::GeoradiusRo, "georadius_ro", -6, F_READONLY, 1, 1, 1, &["@read", "@geo", "@slow"], &[], &[ks("", K_RO | K_ACCESS, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "A read-only variant for GEORADIUS", since: "3.2.10", group: "geo", complexity: "O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index." }, &[]),
    cmd(Cmd::Georadiusbymember, "georadiusbymember", -5, F_WRITE | F_DENYOOM | F_MOVABLEKEYS, 1, 1, 1, &["@write", "@geo", "@slow"], &[], &[ks("", K_RO | K_ACCESS, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 }), ks("", K_OW | K_UPDATE, BeginSearch::Keyword { keyword: "STORE", startfrom: 5 }, FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 }), ks("", K_OW | K_UPDATE, BeginSearch::Keyword { keyword: "STOREDIST", startfrom: 5 }, FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Together, Keys::Georadius, Exec::Shard, Docs { summary: "Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a member", since: "3.2.0", group: "geo", complexity: "O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index." }, &[]),
    cmd(Cmd::GeoradiusbymemberRo, "georadiusbymember_ro", -5, F_READONLY, 1, 1, 1, &["@read", "@geo", "@slow"], &[], &[ks("", K_RO | K_ACCESS, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "A read-only variant for GEORADIUSBYMEMBER", since: "3.2.10", group: "geo", complexity: "O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index." }, &[]),
    cmd(Cmd::Geosearch, "geosearch", -7, F_READONLY, 1, 1, 1, &["@read", "@geo", "@slow"], &[], &[ks("", K_RO | K_ACCESS, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle.", since: "6.2.0", group: "geo", complexity: "O(N+log(M)) where N is the number of elements in the grid-aligned bounding box area around the shape provided as the filter and M is the number of items inside the shape" }, &[]),
    cmd(Cmd::Geosearchstore, "geosearchstore", -8, F_WRITE | F_DENYOOM, 1, 2, 1, &["@write", "@geo", "@slow"], &[], &[ks("", K_OW | K_UPDATE, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 }), ks("", K_RO | K_ACCESS, BeginSearch::Index(2), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Together, Keys::Fixed, Exec::Shard, Docs { summary: "Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle, and store the result in another key.", since: "6.2.0", group: "geo", complexity: "O(N+log(M)) where N is the number of elements in the grid-aligned bounding box area around the shape provided as the filter and M is the number of items inside the shape" }, &[]),
    cmd(Cmd::Get, "get", 2, F_READONLY | F_FAST, 1, 1, 1, &["@read", "@string", "@fast"], &[], &[ks("", K_RO | K_ACCESS, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Get the value of a key", since: "1.0.0", group: "string", complexity: "O(1)" }, &[]),
    cmd(Cmd::Getbit, "getbit", 3, F_READONLY | F_FAST, 1, 1, 1, &["@read", "@bitmap", "@fast"], &[], &[ks("", K_RO | K_ACCESS, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Returns the bit value at offset in the string value stored at key", since: "2.2.0", group: "bitmap", complexity: "O(1)" }, &[]),
    cmd(Cmd::Getdel, "getdel", 2, F_WRITE | F_FAST, 1, 1, 1, &["@write", "@string", "@fast"], &[], &[ks("", K_RW | K_ACCESS | K_DELETE, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Get the value of a key and delete the key", since: "6.2.0", group: "string", complexity: "O(1)" }, &[]),
    cmd(Cmd::Getex, "getex", -2, F_WRITE | F_FAST, 1, 1, 1, &["@write", "@string", "@fast"], &[], &[ks("RW and UPDATE because it changes the TTL", K_RW | K_ACCESS | K_UPDATE, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Get the value of a key and optionally set its expiration", since: "6.2.0", group: "string", complexity: "O(1)" }, &[]),
    cmd(Cmd::Getrange, "getrange", 4, F_READONLY, 1, 1, 1, &["@read", "@string", "@slow"], &[], &[ks("", K_RO | K_ACCESS, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Get a substring of the string stored at a key", since: "2.4.0", group: "string", complexity: "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings." }, &[]),
    cmd(Cmd::Getset, "getset", 3, F_WRITE | F_DENYOOM | F_FAST, 1, 1, 1, &["@write", "@string", "@fast"], &[], &[ks("", K_RW | K_ACCESS | K_UPDATE, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Set the string value of a key and return its old value", since: "1.0.0", group: "string", complexity: "O(1)" }, &[]),
    cmd(Cmd::Hdel, "hdel", -3, F_WRITE | F_FAST, 1, 1, 1, &["@write", "@hash", "@fast"], &[], &[ks("", K_RW | K_DELETE, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Delete one or more hash fields", since: "2.0.0", group: "hash", complexity: "O(N) where N is the number of fields to be removed." }, &[]),
    cmd(Cmd::Hello, "hello", -1, F_NOSCRIPT | F_LOADING | F_STALE | F_FAST | F_NO_AUTH | F_ALLOW_BUSY, 0, 0, 0, &["@fast", "@connection"], &[], &[], Route::Connection, Keys::Fixed, Exec::Proxy, Docs { summary: "Handshake with Redis", since: "6.0.0", group: "connection", complexity: "O(1)" }, &[]),
    cmd(Cmd::Hexists, "hexists", 3, F_READONLY | F_FAST, 1, 1, 1, &["@read", "@hash", "@fast"], &[], &[ks("", K_RO, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Determine if a hash field exists", since: "2.0.0", group: "hash", complexity: "O(1)" }, &[]),
    cmd(Cmd::Hget, "hget", 3, F_READONLY | F_FAST, 1, 1, 1, &["@read", "@hash", "@fast"], &[], &[ks("", K_RO | K_ACCESS, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Get the value of a hash field", since: "2.0.0", group: "hash", complexity: "O(1)" }, &[]),
    cmd(Cmd::Hgetall, "hgetall", 2, F_READONLY, 1, 1, 1, &["@read", "@hash", "@slow"], &["nondeterministic_output_order"], &[ks("", K_RO | K_ACCESS, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Get all the fields and values in a hash", since: "2.0.0", group: "hash", complexity: "O(N) where N is the size of the hash." }, &[]),
    cmd(Cmd::Hincrby, "hincrby", 4, F_WRITE | F_DENYOOM | F_FAST, 1, 1, 1, &["@write", "@hash", "@fast"], &[], &[ks("", K_RW | K_ACCESS | K_UPDATE, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Increment the integer value of a hash field by the given number", since: "2.0.0", group: "hash", complexity: "O(1)" }, &[]),
    cmd(Cmd::Hincrbyfloat, "hincrbyfloat", 4, F_WRITE | F_DENYOOM | F_FAST, 1, 1, 1, &["@write", "@hash", "@fast"], &[], &[ks("", K_RW | K_ACCESS | K_UPDATE, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Increment the float value of a hash field by the given amount", since: "2.6.0", group: "hash", complexity: "O(1)" }, &[]),
    cmd(Cmd::Hkeys, "hkeys", 2, F_READONLY, 1, 1, 1, &["@read", "@hash", "@slow"], &["nondeterministic_output_order"], &[ks("", K_RO | K_ACCESS, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Get all the fields in a hash", since: "2.0.0", group: "hash", complexity: "O(N) where N is the size of the hash." }, &[]),
    cmd(Cmd::Hlen, "hlen", 2, F_READONLY | F_FAST, 1, 1, 1, &["@read", "@hash", "@fast"], &[], &[ks("", K_RO, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Get the number of fields in a hash", since: "2.0.0", group: "hash", complexity: "O(1)" }, &[]),
    cmd(Cmd::Hmget, "hmget", -3, F_READONLY | F_FAST, 1, 1, 1, &["@read", "@hash", "@fast"], &[], &[ks("", K_RO | K_ACCESS, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Get the values of all the given hash fields", since: "2.0.0", group: "hash", complexity: "O(N) where N is the number of fields being requested." }, &[]),
    cmd(Cmd::Hmset, "hmset", -4, F_WRITE | F_DENYOOM | F_FAST, 1, 1, 1, &["@write", "@hash", "@fast"], &[], &[ks("", K_RW | K_UPDATE, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Set multiple hash fields to multiple values", since: "2.0.0", group: "hash", complexity: "O(N) where N is the number of fields being set." }, &[]),
    cmd(Cmd::Hrandfield, "hrandfield", -2, F_READONLY, 1, 1, 1, &["@read", "@hash", "@slow"], &["nondeterministic_output"], &[ks("", K_RO | K_ACCESS, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Get one or multiple random fields from a hash", since: "6.2.0", group: "hash", complexity: "O(N) where N is the number of fields returned" }, &[]),
    cmd(Cmd::Hscan, "hscan", -3, F_READONLY, 1, 1, 1, &["@read", "@hash", "@slow"], &["nondeterministic_output"], &[ks("", K_RO | K_ACCESS, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Incrementally iterate hash fields and associated values", since: "2.8.0", group: "hash", complexity: "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.." }, &[]),
    cmd(Cmd::Hset, "hset", -4, F_WRITE | F_DENYOOM | F_FAST, 1, 1, 1, &["@write", "@hash", "@fast"], &[], &[ks("", K_RW | K_UPDATE, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Set the string value of a hash field", since: "2.0.0", group: "hash", complexity: "O(1) for each field/value pair added, so O(N) to add N field/value pairs when the command is called with multiple field/value pairs." }, &[]),
    cmd(Cmd::Hsetnx, "hsetnx", 4, F_WRITE | F_DENYOOM | F_FAST, 1, 1, 1, &["@write", "@hash", "@fast"], &[], &[ks("", K_RW | K_INSERT, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Set the value of a hash field, only if the field does not exist", since: "2.0.0", group: "hash", complexity: "O(1)" }, &[]),
    cmd(Cmd::Hstrlen, "hstrlen", 3, F_READONLY | F_FAST, 1, 1, 1, &["@read", "@hash", "@fast"], &[], &[ks("", K_RO, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Get the length of the value of a hash field", since: "3.2.0", group: "hash", complexity: "O(1)" }, &[]),
    cmd(Cmd::Hvals, "hvals", 2, F_READONLY, 1, 1, 1, &["@read", "@hash", "@slow"], &["nondeterministic_output_order"], &[ks("", K_RO | K_ACCESS, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Get all the values in a hash", since: "2.0.0", group: "hash", complexity: "O(N) where N is the size of the hash." }, &[]),
    cmd(Cmd::Incr, "incr", 2, F_WRITE | F_DENYOOM | F_FAST, 1, 1, 1, &["@write", "@string", "@fast"], &[], &[ks("", K_RW | K_ACCESS | K_UPDATE, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Increment the integer value of a key by one", since: "1.0.0", group: "string", complexity: "O(1)" }, &[]),
    cmd(Cmd::Incrby, "incrby", 3, F_WRITE | F_DENYOOM | F_FAST, 1, 1, 1, &["@write", "@string", "@fast"], &[], &[ks("", K_RW | K_ACCESS | K_UPDATE, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Increment the integer value of a key by the given amount", since: "1.0.0", group: "string", complexity: "O(1)" }, &[]),
    cmd(Cmd::Incrbyfloat, "incrbyfloat", 3, F_WRITE | F_DENYOOM | F_FAST, 1, 1, 1, &["@write", "@string", "@fast"], &[], &[ks("", K_RW | K_ACCESS | K_UPDATE, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Increment the float value of a key by the given amount", since: "2.6.0", group: "string", complexity: "O(1)" }, &[]),
    cmd(Cmd::Info, "info", -1, F_LOADING | F_STALE, 0, 0, 0, &["@slow", "@dangerous"], &["nondeterministic_output", "request_policy:all_shards", "response_policy:special"], &[], Route::FanOut, Keys::Fixed, Exec::Proxy, Docs { summary: "Get information and statistics about the server", since: "1.0.0", group: "server", complexity: "O(1)" }, &[]),
    cmd(Cmd::Keys, "keys", 2, F_READONLY, 0, 0, 0, &["@keyspace", "@read", "@slow", "@dangerous"], &["request_policy:all_shards", "nondeterministic_output_order"], &[], Route::FanOut, Keys::Fixed, Exec::Shard, Docs { summary: "Find all keys matching the given pattern", since: "1.0.0", group: "generic", complexity: "O(N) with N being the number of keys in the database, under the assumption that the key names in the database and the given pattern have limited length." }, &[]),
    cmd(Cmd::Lastsave, "lastsave", 1, F_LOADING | F_STALE | F_FAST, 0, 0, 0, &["@admin", "@fast", "@dangerous"], &["nondeterministic_output"], &[], Route::FanOut, Keys::Fixed, Exec::Shard, Docs { summary: "Get the UNIX time stamp of the last successful save to disk", since: "1.0.0", group: "server", complexity: "O(1)" }, &[]),
    cmd(Cmd::Latency, "latency", -2, 0, 0, 0, 0, &["@slow"], &[], &[], Route::Connection, Keys::Fixed, Exec::Proxy, Docs { summary: "A container for latency diagnostics commands", since: "2.8.13", group: "server", complexity: "Depends on subcommand." }, LATENCY_SUBCOMMANDS),
    cmd(Cmd::Lcs, "lcs", -3, F_READONLY, 1, 2, 1, &["@read", "@string", "@slow"], &[], &[ks("", K_RO | K_ACCESS, BeginSearch::Index(1), FindKeys::Range { lastkey: 1, keystep: 1, limit: 0 })], Route::Together, Keys::Fixed, Exec::Shard, Docs { summary: "Find longest common substring", since: "7.0.0", group: "string", complexity: "O(N*M) where N and M are the lengths of s1 and s2, respectively" }, &[]),
    cmd(Cmd::Lindex, "lindex", 3, F_READONLY, 1, 1, 1, &["@read", "@list", "@slow"], &[], &[ks("", K_RO | K_ACCESS, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Get an element from a list by its index", since: "1.0.0", group: "list", complexity: "O(N) where N is the number of elements to traverse to get to the element at index. This makes asking for the first or the last element of the list O(1)." }, &[]),
    cmd(Cmd::Linsert, "linsert", 5, F_WRITE | F_DENYOOM, 1, 1, 1, &["@write", "@list", "@slow"], &[], &[ks("", K_RW | K_INSERT, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Insert an element before or after another element in a list", since: "2.2.0", group: "list", complexity: "O(N) where N is the number of elements to traverse before seeing the value pivot. This means that inserting somewhere on the left end on the list (head) can be considered O(1) and inserting somewhere on the right end (tail) is O(N)." }, &[]),
    cmd(Cmd::Llen, "llen", 2, F_READONLY | F_FAST, 1, 1, 1, &["@read", "@list", "@fast"], &[], &[ks("", K_RO, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Get the length of a list", since: "1.0.0", group: "list", complexity: "O(1)" }, &[]),
    cmd(Cmd::Lmove, "lmove", 5, F_WRITE | F_DENYOOM, 1, 2, 1, &["@write", "@list", "@slow"], &[], &[ks("", K_RW | K_ACCESS | K_DELETE, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 }), ks("", K_RW | K_INSERT, BeginSearch::Index(2), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Together, Keys::Fixed, Exec::Shard, Docs { summary: "Pop an element from a list, push it to another list and return it", since: "6.2.0", group: "list", complexity: "O(1)" }, &[]),
    cmd(Cmd::Lmpop, "lmpop", -4, F_WRITE | F_MOVABLEKEYS, 0, 0, 0, &["@write", "@list", "@slow"], &[], &[ks("", K_RW | K_ACCESS | K_DELETE, BeginSearch::Index(1), FindKeys::KeyNum { keynumidx: 0, firstkey: 1, keystep: 1 })], Route::Together, Keys::NumKeys { numkeys_index: 1, first_index: 2, store_index: 0 }, Exec::Shard, Docs { summary: "Pop elements from a list", since: "7.0.0", group: "list", complexity: "O(N+M) where N is the number of provided keys and M is the number of elements returned." }, &[]),
    cmd(Cmd::Lolwut, "lolwut", -1, F_READONLY | F_FAST, 0, 0, 0, &["@read", "@fast"], &[], &[], Route::Keyless, Keys::Fixed, Exec::Proxy, Docs { summary: "Display some computer art and the Redis version", since: "5.0.0", group: "server", complexity: "" }, &[]),
    cmd(Cmd::Lpop, "lpop", -2, F_WRITE | F_FAST, 1, 1, 1, &["@write", "@list", "@fast"], &[], &[ks("", K_RW | K_ACCESS | K_DELETE, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Remove and get the first elements in a list", since: "1.0.0", group: "list", complexity: "O(N) where N is the number of elements returned" }, &[]),
    cmd(Cmd::Lpos, "lpos", -3, F_READONLY, 1, 1, 1, &["@read", "@list", "@slow"], &[], &[ks("", K_RO | K_ACCESS, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Return the index of matching elements on a list", since: "6.0.6", group: "list", complexity: "O(N) where N is the number of elements in the list, for the average case. When searching for elements near the head or the tail of the list, or when the MAXLEN option is provided, the command may run in constant time." }, &[]),
    cmd(Cmd::Lpush, "lpush", -3, F_WRITE | F_DENYOOM | F_FAST, 1, 1, 1, &["@write", "@list", "@fast"], &[], &[ks("", K_RW | K_INSERT, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Prepend one or multiple elements to a list", since: "1.0.0", group: "list", complexity: "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments." }, &[]),
    cmd(Cmd::Lpushx, "lpushx", -3, F_WRITE | F_DENYOOM | F_FAST, 1, 1, 1, &["@write", "@list", "@fast"], &[], &[ks("", K_RW | K_INSERT, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Prepend an element to a list, only if the list exists", since: "2.2.0", group: "list", complexity: "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments." }, &[]),
    cmd(Cmd::Lrange, "lrange", 4, F_READONLY, 1, 1, 1, &["@read", "@list", "@slow"], &[], &[ks("", K_RO | K_ACCESS, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Get a range of elements from a list", since: "1.0.0", group: "list", complexity: "O(S+N) where S is the distance of start offset from HEAD for small lists, from nearest end (HEAD or TAIL) for large lists; and N is the number of elements in the specified range." }, &[]),
    cmd(Cmd::Lrem, "lrem", 4, F_WRITE, 1, 1, 1, &["@write", "@list", "@slow"], &[], &[ks("", K_RW | K_DELETE, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Remove elements from a list", since: "1.0.0", group: "list", complexity: "O(N+M) where N is the length of the list and M is the number of elements removed." }, &[]),
    cmd(Cmd::Lset, "lset", 4, F_WRITE | F_DENYOOM, 1, 1, 1, &["@write", "@list", "@slow"], &[], &[ks("", K_RW | K_UPDATE, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Set the value of an element in a list by its index", since: "1.0.0", group: "list", complexity: "O(N) where N is the length of the list. Setting either the first or the last element of the list is O(1)." }, &[]),
    cmd(Cmd::Ltrim, "ltrim", 4, F_WRITE, 1, 1, 1, &["@write", "@list", "@slow"], &[], &[ks("", K_RW | K_DELETE, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Trim a list to the specified range", since: "1.0.0", group: "list", complexity: "O(N) where N is the number of elements to be removed by the operation." }, &[]),
    cmd(Cmd::Memory, "memory", -2, 0, 0, 0, 0, &["@slow"], &[], &[], Route::FanOut, Keys::Fixed, Exec::Proxy, Docs { summary: "A container for memory diagnostics commands", since: "4.0.0", group: "server", complexity: "Depends on subcommand." }, MEMORY_SUBCOMMANDS),
    cmd(Cmd::Mget, "mget", -2, F_READONLY | F_FAST, 1, -1, 1, &["@read", "@string", "@fast"], &["request_policy:multi_shard"], &[ks("", K_RO | K_ACCESS, BeginSearch::Index(1), FindKeys::Range { lastkey: -1, keystep: 1, limit: 0 })], Route::MultiKeySplit, Keys::Fixed, Exec::Shard, Docs { summary: "Get the values of all the given keys", since: "1.0.0", group: "string", complexity: "O(N) where N is the number of keys to retrieve." }, &[]),
    cmd(Cmd::Migrate, "migrate", -6, F_WRITE | F_MOVABLEKEYS, 3, 3, 1, &["@keyspace", "@write", "@slow", "@dangerous"], &["nondeterministic_output"], &[ks("", K_RW | K_ACCESS | K_DELETE, BeginSearch::Index(3), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 }), ks("", K_RW | K_ACCESS | K_DELETE | K_INCOMPLETE, BeginSearch::Keyword { keyword: "KEYS", startfrom: -2 }, FindKeys::Range { lastkey: -1, keystep: 1, limit: 0 })], Route::Single, Keys::Migrate, Exec::Proxy, Docs { summary: "Atomically transfer a key from a Redis instance to another one.", since: "2.6.0", group: "generic", complexity: "This command actually executes a DUMP+DEL in the source instance, and a RESTORE in the target instance. See the pages of these commands for time complexity. Also an O(N) data transfer between the two instances is performed." }, &[]),
    cmd(Cmd::Module, "module", -2, 0, 0, 0, 0, &["@slow"], &[], &[], Route::Connection, Keys::Fixed, Exec::Proxy, Docs { summary: "A container for module commands", since: "4.0.0", group: "server", complexity: "Depends on subcommand." }, MODULE_SUBCOMMANDS),
    cmd(Cmd::Monitor, "monitor", 1, F_ADMIN | F_NOSCRIPT | F_LOADING | F_STALE, 0, 0, 0, &["@admin", "@slow", "@dangerous"], &[], &[], Route::Keyless, Keys::Fixed, Exec::Proxy, Docs { summary: "Listen for all requests received by the server in real time", since: "1.0.0", group: "server", complexity: "" }, &[]),
    cmd(Cmd::Move, "move", 3, F_WRITE | F_FAST, 1, 1, 1, &["@keyspace", "@write", "@fast"], &[], &[ks("", K_RW | K_ACCESS | K_UPDATE, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Move a key to another database", since: "1.0.0", group: "generic", complexity: "O(1)" }, &[]),
    cmd(Cmd::Mset, "mset", -3, F_WRITE | F_DENYOOM, 1, -1, 2, &["@write", "@string", "@slow"], &["request_policy:multi_shard", "response_policy:all_succeeded"], &[ks("", K_OW | K_UPDATE, BeginSearch::Index(1), FindKeys::Range { lastkey: -1, keystep: 2, limit: 0 })], Route::MultiKeySplit, Keys::Fixed, Exec::Shard, Docs { summary: "Set multiple keys to multiple values", since: "1.0.1", group: "string", complexity: "O(N) where N is the number of keys to set." }, &[]),
    cmd(Cmd::Msetnx, "msetnx", -3, F_WRITE | F_DENYOOM, 1, -1, 2, &["@write", "@string", "@slow"], &["request_policy:multi_shard", "response_policy:agg_min"], &[ks("", K_OW | K_INSERT, BeginSearch::Index(1), FindKeys::Range { lastkey: -1, keystep: 2, limit: 0 })], Route::Together, Keys::Fixed, Exec::Shard, Docs { summary: "Set multiple keys to multiple values, only if none of the keys exist", since: "1.0.1", group: "string", complexity: "O(N) where N is the number of keys to set." }, &[]),
    cmd(Cmd::Multi, "multi", 1, F_NOSCRIPT | F_LOADING | F_STALE | F_FAST | F_ALLOW_BUSY, 0, 0, 0, &["@fast", "@transaction"], &[], &[], Route::Connection, Keys::Fixed, Exec::Proxy, Docs { summary: "Mark the start of a transaction block", since: "1.2.0", group: "transactions", complexity: "O(1)" }, &[]),
    cmd(Cmd::Object, "object", -2, 0, 0, 0, 0, &["@slow"], &[], &[], Route::Connection, Keys::Fixed, Exec::Shard, Docs { summary: "A container for object introspection commands", since: "2.2.3", group: "generic", complexity: "Depends on subcommand." }, OBJECT_SUBCOMMANDS),
    cmd(Cmd::Persist, "persist", 2, F_WRITE | F_FAST, 1, 1, 1, &["@keyspace", "@write", "@fast"], &[], &[ks("", K_RW | K_UPDATE, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Remove the expiration from a key", since: "2.2.0", group: "generic", complexity: "O(1)" }, &[]),
    cmd(Cmd::Pexpire, "pexpire", -3, F_WRITE | F_FAST, 1, 1, 1, &["@keyspace", "@write", "@fast"], &[], &[ks("", K_RW | K_UPDATE, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Set a key's time to live in milliseconds", since: "2.6.0", group: "generic", complexity: "O(1)" }, &[]),
    cmd(Cmd::Pexpireat, "pexpireat", -3, F_WRITE | F_FAST, 1, 1, 1, &["@keyspace", "@write", "@fast"], &[], &[ks("", K_RW | K_UPDATE, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Set the expiration for a key as a UNIX timestamp specified in milliseconds", since: "2.6.0", group: "generic", complexity: "O(1)" }, &[]),
    cmd(Cmd::Pexpiretime, "pexpiretime", 2, F_READONLY | F_FAST, 1, 1, 1, &["@keyspace", "@read", "@fast"], &[], &[ks("", K_RO | K_ACCESS, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Get the expiration Unix timestamp for a key in milliseconds", since: "7.0.0", group: "generic", complexity: "O(1)" }, &[]),
    cmd(Cmd::Pfadd, "pfadd", -2, F_WRITE | F_DENYOOM | F_FAST, 1, 1, 1, &["@write", "@hyperloglog", "@fast"], &[], &[ks("", K_RW | K_INSERT, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Adds the specified elements to the specified HyperLogLog.", since: "2.8.9", group: "hyperloglog", complexity: "O(1) to add every element." }, &[]),
    cmd(Cmd::Pfcount, "pfcount", -2, F_READONLY, 1, -1, 1, &["@read", "@hyperloglog", "@slow"], &[], &[ks("RW because it may change the internal representation of the key, and propagate to replicas", K_RW | K_ACCESS, BeginSearch::Index(1), FindKeys::Range { lastkey: -1, keystep: 1, limit: 0 })], Route::Together, Keys::Fixed, Exec::Shard, Docs { summary: "Return the approximated cardinality of the set(s) observed by the HyperLogLog at key(s).", since: "2.8.9", group: "hyperloglog", complexity: "O(1) with a very small average constant time when called with a single key. O(N) with N being the number of keys, and much bigger constant times, when called with multiple keys." }, &[]),
    cmd(Cmd::Pfdebug, "pfdebug", 3, F_WRITE | F_DENYOOM | F_ADMIN, 2, 2, 1, &["@write", "@hyperloglog", "@admin", "@slow", "@dangerous"], &[], &[ks("", K_RW | K_ACCESS, BeginSearch::Index(2), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Missing, Docs { summary: "Internal commands for debugging HyperLogLog values", since: "2.8.9", group: "hyperloglog", complexity: "N/A" }, &[]),
    cmd(Cmd::Pfmerge, "pfmerge", -2, F_WRITE | F_DENYOOM, 1, -1, 1, &["@write", "@hyperloglog", "@slow"], &[], &[ks("", K_RW | K_ACCESS | K_INSERT, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 }), ks("", K_RO | K_ACCESS, BeginSearch::Index(2), FindKeys::Range { lastkey: -1, keystep: 1, limit: 0 })], Route::Together, Keys::Fixed, Exec::Shard, Docs { summary: "Merge N different HyperLogLogs into a single one.", since: "2.8.9", group: "hyperloglog", complexity: "O(N) to merge N HyperLogLogs, but with high constant times." }, &[]),
    cmd(Cmd::Pfselftest, "pfselftest", 1, F_ADMIN, 0, 0, 0, &["@hyperloglog", "@admin", "@slow", "@dangerous"], &[], &[], Route::Keyless, Keys::Fixed, Exec::Missing, Docs { summary: "An internal command for testing HyperLogLog values", since: "2.8.9", group: "hyperloglog", complexity: "N/A" }, &[]),
    cmd(Cmd::Ping, "ping", -1, F_FAST, 0, 0, 0, &["@fast", "@connection"], &["request_policy:all_shards", "response_policy:all_succeeded"], &[], Route::Connection, Keys::Fixed, Exec::Proxy, Docs { summary: "Ping the server", since: "1.0.0", group: "connection", complexity: "O(1)" }, &[]),
    cmd(Cmd::Psetex, "psetex", 4, F_WRITE | F_DENYOOM, 1, 1, 1, &["@write", "@string", "@slow"], &[], &[ks("", K_OW | K_UPDATE, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Set the value and expiration in milliseconds of a key", since: "2.6.0", group: "string", complexity: "O(1)" }, &[]),
    cmd(Cmd::Psubscribe, "psubscribe", -2, F_PUBSUB | F_NOSCRIPT | F_LOADING | F_STALE, 0, 0, 0, &["@pubsub", "@slow"], &[], &[], Route::Keyless, Keys::Fixed, Exec::Proxy, Docs { summary: "Listen for messages published to channels matching the given patterns", since: "2.0.0", group: "pubsub", complexity: "O(N) where N is the number of patterns the client is already subscribed to." }, &[]),
    cmd(Cmd::Psync, "psync", -3, F_ADMIN | F_NOSCRIPT | F_NO_ASYNC_LOADING | F_NO_MULTI, 0, 0, 0, &["@admin", "@slow", "@dangerous"], &[], &[], Route::Keyless, Keys::Fixed, Exec::Missing, Docs { summary: "Internal command used for replication", since: "2.8.0", group: "server", complexity: "" }, &[]),
    cmd(Cmd::Pttl, "pttl", 2, F_READONLY | F_FAST, 1, 1, 1, &["@keyspace", "@read", "@fast"], &["nondeterministic_output"], &[ks("", K_RO | K_ACCESS, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Get the time to live for a key in milliseconds", since: "2.6.0", group: "generic", complexity: "O(1)" }, &[]),
    cmd(Cmd::Publish, "publish", 3, F_PUBSUB | F_LOADING | F_STALE | F_FAST, 0, 0, 0, &["@pubsub", "@fast"], &[], &[], Route::Keyless, Keys::Fixed, Exec::Proxy, Docs { summary: "Post a message to a channel", since: "2.0.0", group: "pubsub", complexity: "O(N+M) where N is the number of clients subscribed to the receiving channel and M is the total number of subscribed patterns (by any client)." }, &[]),
    cmd(Cmd::Pubsub, "pubsub", -2, 0, 0, 0, 0, &["@slow"], &[], &[], Route::Connection, Keys::Fixed, Exec::Proxy, Docs { summary: "A container for Pub/Sub commands", since: "2.8.0", group: "pubsub", complexity: "Depends on subcommand." }, PUBSUB_SUBCOMMANDS),
    cmd(Cmd::Punsubscribe, "punsubscribe", -1, F_PUBSUB | F_NOSCRIPT | F_LOADING | F_STALE, 0, 0, 0, &["@pubsub", "@slow"], &[], &[], Route::Keyless, Keys::Fixed, Exec::Proxy, Docs { summary: "Stop listening for messages posted to channels matching the given patterns", since: "2.0.0", group: "pubsub", complexity: "O(N+M) where N is the number of patterns the client is already subscribed and M is the number of total patterns subscribed in the system (by any client)." }, &[]),
    cmd(Cmd::Quit, "quit", -1, F_NOSCRIPT | F_LOADING | F_STALE | F_FAST | F_NO_AUTH | F_ALLOW_BUSY, 0, 0, 0, &["@fast", "@connection"], &[], &[], Route::Connection, Keys::Fixed, Exec::Proxy, Docs { summary: "Close the connection", since: "1.0.0", group: "connection", complexity: "O(1)" }, &[]),
    cmd(Cmd::Randomkey, "randomkey", 1, F_READONLY, 0, 0, 0, &["@keyspace", "@read", "@slow"], &["request_policy:all_shards", "nondeterministic_output"], &[], Route::FanOut, Keys::Fixed, Exec::Shard, Docs { summary: "Return a random key from the keyspace", since: "1.0.0", group: "generic", complexity: "O(1)" }, &[]),
    cmd(Cmd::Readonly, "readonly", 1, F_LOADING | F_STALE | F_FAST, 0, 0, 0, &["@fast", "@connection"], &[], &[], Route::Keyless, Keys::Fixed, Exec::Missing, Docs { summary: "Enables read queries for a connection to a cluster replica node", since: "3.0.0", group: "cluster", complexity: "O(1)" }, &[]),
    cmd(Cmd::Readwrite, "readwrite", 1, F_LOADING | F_STALE | F_FAST, 0, 0, 0, &["@fast", "@connection"], &[], &[], Route::Keyless, Keys::Fixed, Exec::Missing, Docs { summary: "Disables read queries for a connection to a cluster replica node", since: "3.0.0", group: "cluster", complexity: "O(1)" }, &[]),
    cmd(Cmd::Rename, "rename", 3, F_WRITE, 1, 2, 1, &["@keyspace", "@write", "@slow"], &[], &[ks("", K_RW | K_ACCESS | K_DELETE, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 }), ks("", K_OW | K_UPDATE, BeginSearch::Index(2), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Together, Keys::Fixed, Exec::Shard, Docs { summary: "Rename a key", since: "1.0.0", group: "generic", complexity: "O(1)" }, &[]),
    cmd(Cmd::Renamenx, "renamenx", 3, F_WRITE | F_FAST, 1, 2, 1, &["@keyspace", "@write", "@fast"], &[], &[ks("", K_RW | K_ACCESS | K_DELETE, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 }), ks("", K_OW | K_INSERT, BeginSearch::Index(2), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Together, Keys::Fixed, Exec::Shard, Docs { summary: "Rename a key, only if the new key does not exist", since: "1.0.0", group: "generic", complexity: "O(1)" }, &[]),
    cmd(Cmd::Replconf, "replconf", -1, F_ADMIN | F_NOSCRIPT | F_LOADING | F_STALE | F_ALLOW_BUSY, 0, 0, 0, &["@admin", "@slow", "@dangerous"], &[], &[], Route::Keyless, Keys::Fixed, Exec::Missing, Docs { summary: "An internal command for configuring the replication stream", since: "3.0.0", group: "server", complexity: "O(1)" }, &[]),
    cmd(Cmd::Replicaof, "replicaof", 3, F_ADMIN | F_NOSCRIPT | F_STALE | F_NO_ASYNC_LOADING, 0, 0, 0, &["@admin", "@slow", "@dangerous"], &[], &[], Route::Keyless, Keys::Fixed, Exec::Proxy, Docs { summary: "Make the server a replica of another instance, or promote it as master.", since: "5.0.0", group: "server", complexity: "O(1)" }, &[]),
    cmd(Cmd::Reset, "reset", 1, F_NOSCRIPT | F_LOADING | F_STALE | F_FAST | F_NO_AUTH | F_ALLOW_BUSY, 0, 0, 0, &["@fast", "@connection"], &[], &[], Route::Connection, Keys::Fixed, Exec::Proxy, Docs { summary: "Reset the connection", since: "6.2.0", group: "connection", complexity: "O(1)" }, &[]),
    cmd(Cmd::Restore, "restore", -4, F_WRITE | F_DENYOOM, 1, 1, 1, &["@keyspace", "@write", "@slow", "@dangerous"], &[], &[ks("", K_OW | K_UPDATE, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Create a key using the provided serialized value, previously obtained using DUMP.", since: "2.6.0", group: "generic", complexity: "O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1). However for sorted set values the complexity is O(N*M*log(N)) because inserting values into sorted sets is O(log(N))." }, &[]),
    cmd(Cmd::RestoreAsking, "restore-asking", -4, F_WRITE | F_DENYOOM | F_ASKING, 1, 1, 1, &["@keyspace", "@write", "@slow", "@dangerous"], &[], &[ks("", K_OW | K_UPDATE, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Missing, Docs { summary: "An internal command for migrating keys in a cluster", since: "3.0.0", group: "server", complexity: "O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1). However for sorted set values the complexity is O(N*M*log(N)) because inserting values into sorted sets is O(log(N))." }, &[]),
    cmd(Cmd::Role, "role", 1, F_NOSCRIPT | F_LOADING | F_STALE | F_FAST, 0, 0, 0, &["@admin", "@fast", "@dangerous"], &[], &[], Route::Keyless, Keys::Fixed, Exec::Proxy, Docs { summary: "Return the role of the instance in the context of replication", since: "2.8.12", group: "server", complexity: "O(1)" }, &[]),
    cmd(Cmd::Rpop, "rpop", -2, F_WRITE | F_FAST, 1, 1, 1, &["@write", "@list", "@fast"], &[], &[ks("", K_RW | K_ACCESS | K_DELETE, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Remove and get the last elements in a list", since: "1.0.0", group: "list", complexity: "O(N) where N is the number of elements returned" }, &[]),
    cmd(Cmd::Rpoplpush, "rpoplpush", 3, F_WRITE | F_DENYOOM, 1, 2, 1, &["@write", "@list", "@slow"], &[], &[ks("", K_RW | K_ACCESS | K_DELETE, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 }), ks("", K_RW | K_INSERT, BeginSearch::Index(2), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Together, Keys::Fixed, Exec::Shard, Docs { summary: "Remove the last element in a list, prepend it to another list and return it", since: "1.2.0", group: "list", complexity: "O(1)" }, &[]),
    cmd(Cmd::Rpush, "rpush", -3, F_WRITE | F_DENYOOM | F_FAST, 1, 1, 1, &["@write", "@list", "@fast"], &[], &[ks("", K_RW | K_INSERT, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Append one or multiple elements to a list", since: "1.0.0", group: "list", complexity: "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments." }, &[]),
    cmd(Cmd::Rpushx, "rpushx", -3, F_WRITE | F_DENYOOM | F_FAST, 1, 1, 1, &["@write", "@list", "@fast"], &[], &[ks("", K_RW | K_INSERT, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Append an element to a list, only if the list exists", since: "2.2.0", group: "list", complexity: "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments." }, &[]),
    cmd(Cmd::Sadd, "sadd", -3, F_WRITE | F_DENYOOM | F_FAST, 1, 1, 1, &["@write", "@set", "@fast"], &[], &[ks("", K_RW | K_INSERT, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Add one or more members to a set", since: "1.0.0", group: "set", complexity: "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments." }, &[]),
    cmd(Cmd::Save, "save", 1, F_ADMIN | F_NOSCRIPT | F_NO_ASYNC_LOADING | F_NO_MULTI, 0, 0, 0, &["@admin", "@slow", "@dangerous"], &[], &[], Route::FanOut, Keys::Fixed, Exec::Shard, Docs { summary: "Synchronously save the dataset to disk", since: "1.0.0", group: "server", complexity: "O(N) where N is the total number of keys in all databases" }, &[]),
    cmd(Cmd::Scan, "scan", -2, F_READONLY, 0, 0, 0, &["@keyspace", "@read", "@slow"], &["nondeterministic_output", "request_policy:special"], &[], Route::FanOut, Keys::Fixed, Exec::Shard, Docs { summary: "Incrementally iterate the keys space", since: "2.8.0", group: "generic", complexity: "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection." }, &[]),
    cmd(Cmd::Scard, "scard", 2, F_READONLY | F_FAST, 1, 1, 1, &["@read", "@set", "@fast"], &[], &[ks("", K_RO, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Get the number of members in a set", since: "1.0.0", group: "set", complexity: "O(1)" }, &[]),
    cmd(Cmd::Script, "script", -2, 0, 0, 0, 0, &["@slow"], &[], &[], Route::FanOut, Keys::Fixed, Exec::Proxy, Docs { summary: "A container for Lua scripts management commands", since: "2.6.0", group: "scripting", complexity: "Depends on subcommand." }, SCRIPT_SUBCOMMANDS),
    cmd(Cmd::Sdiff, "sdiff", -2, F_READONLY, 1, -1, 1, &["@read", "@set", "@slow"], &["nondeterministic_output_order"], &[ks("", K_RO | K_ACCESS, BeginSearch::Index(1), FindKeys::Range { lastkey: -1, keystep: 1, limit: 0 })], Route::Together, Keys::Fixed, Exec::Shard, Docs { summary: "Subtract multiple sets", since: "1.0.0", group: "set", complexity: "O(N) where N is the total number of elements in all given sets." }, &[]),
    cmd(Cmd::Sdiffstore, "sdiffstore", -3, F_WRITE | F_DENYOOM, 1, -1, 1, &["@write", "@set", "@slow"], &[], &[ks("", K_OW | K_UPDATE, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 }), ks("", K_RO | K_ACCESS, BeginSearch::Index(2), FindKeys::Range { lastkey: -1, keystep: 1, limit: 0 })], Route::Together, Keys::Fixed, Exec::Shard, Docs { summary: "Subtract multiple sets and store the resulting set in a key", since: "1.0.0", group: "set", complexity: "O(N) where N is the total number of elements in all given sets." }, &[]),
    cmd(Cmd::Select, "select", 2, F_LOADING | F_STALE | F_FAST, 0, 0, 0, &["@fast", "@connection"], &[], &[], Route::Connection, Keys::Fixed, Exec::Proxy, Docs { summary: "Change the selected database for the current connection", since: "1.0.0", group: "connection", complexity: "O(1)" }, &[]),
    cmd(Cmd::Set, "set", -3, F_WRITE | F_DENYOOM, 1, 1, 1, &["@write", "@string", "@slow"], &[], &[ks("RW and ACCESS due to the optional `GET` argument", K_RW | K_ACCESS | K_UPDATE | K_VARIABLE_FLAGS, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Set the string value of a key", since: "1.0.0", group: "string", complexity: "O(1)" }, &[]),
    cmd(Cmd::Setbit, "setbit", 4, F_WRITE | F_DENYOOM, 1, 1, 1, &["@write", "@bitmap", "@slow"], &[], &[ks("", K_RW | K_ACCESS | K_UPDATE, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Sets or clears the bit at offset in the string value stored at key", since: "2.2.0", group: "bitmap", complexity: "O(1)" }, &[]),
    cmd(Cmd::Setex, "setex", 4, F_WRITE | F_DENYOOM, 1, 1, 1, &["@write", "@string", "@slow"], &[], &[ks("", K_OW | K_UPDATE, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Set the value and expiration of a key", since: "2.0.0", group: "string", complexity: "O(1)" }, &[]),
    cmd(Cmd::Setnx, "setnx", 3, F_WRITE | F_DENYOOM | F_FAST, 1, 1, 1, &["@write", "@string", "@fast"], &[], &[ks("", K_OW | K_INSERT, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Set the value of a key, only if the key does not exist", since: "1.0.0", group: "string", complexity: "O(1)" }, &[]),
    cmd(Cmd::Setrange, "setrange", 4, F_WRITE | F_DENYOOM, 1, 1, 1, &["@write", "@string", "@slow"], &[], &[ks("", K_RW | K_UPDATE, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Overwrite part of a string at key starting at the specified offset", since: "2.2.0", group: "string", complexity: "O(1), not counting the time taken to copy the new string in place. Usually, this string is very small so the amortized complexity is O(1). Otherwise, complexity is O(M) with M being the length of the value argument." }, &[]),
    cmd(Cmd::Shardis, "shardis", -2, F_ADMIN | F_NOSCRIPT | F_LOADING | F_STALE, 0, 0, 0, &["@admin", "@slow", "@dangerous"], &[], &[], Route::Connection, Keys::Fixed, Exec::Proxy, Docs { summary: "A container for shardis's own administration commands", since: "", group: "server", complexity: "Depends on subcommand." }, SHARDIS_SUBCOMMANDS),
    cmd(Cmd::Shutdown, "shutdown", -1, F_ADMIN | F_NOSCRIPT | F_LOADING | F_STALE | F_NO_MULTI | F_ALLOW_BUSY, 0, 0, 0, &["@admin", "@slow", "@dangerous"], &[], &[], Route::Connection, Keys::Fixed, Exec::Proxy, Docs { summary: "Synchronously save the dataset to disk and then shut down the server", since: "1.0.0", group: "server", complexity: "O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)" }, &[]),
    cmd(Cmd::Sinter, "sinter", -2, F_READONLY, 1, -1, 1, &["@read", "@set", "@slow"], &["nondeterministic_output_order"], &[ks("", K_RO | K_ACCESS, BeginSearch::Index(1), FindKeys::Range { lastkey: -1, keystep: 1, limit: 0 })], Route::Together, Keys::Fixed, Exec::Shard, Docs { summary: "Intersect multiple sets", since: "1.0.0", group: "set", complexity: "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets." }, &[]),
    cmd(Cmd::Sintercard, "sintercard", -3, F_READONLY | F_MOVABLEKEYS, 0, 0, 0, &["@read", "@set", "@slow"], &[], &[ks("", K_RO | K_ACCESS, BeginSearch::Index(1), FindKeys::KeyNum { keynumidx: 0, firstkey: 1, keystep: 1 })], Route::Together, Keys::NumKeys { numkeys_index: 1, first_index: 2, store_index: 0 }, Exec::Shard, Docs { summary: "Intersect multiple sets and return the cardinality of the result", since: "7.0.0", group: "set", complexity: "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets." }, &[]),
    cmd(Cmd::Sinterstore, "sinterstore", -3, F_WRITE | F_DENYOOM, 1, -1, 1, &["@write", "@set", "@slow"], &[], &[ks("", K_RW | K_UPDATE, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 }), ks("", K_RO | K_ACCESS, BeginSearch::Index(2), FindKeys::Range { lastkey: -1, keystep: 1, limit: 0 })], Route::Together, Keys::Fixed, Exec::Shard, Docs { summary: "Intersect multiple sets and store the resulting set in a key", since: "1.0.0", group: "set", complexity: "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets." }, &[]),
    cmd(Cmd::Sismember, "sismember", 3, F_READONLY | F_FAST, 1, 1, 1, &["@read", "@set", "@fast"], &[], &[ks("", K_RO, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Determine if a given value is a member of a set", since: "1.0.0", group: "set", complexity: "O(1)" }, &[]),
    cmd(Cmd::Slaveof, "slaveof", 3, F_ADMIN | F_NOSCRIPT | F_STALE | F_NO_ASYNC_LOADING, 0, 0, 0, &["@admin", "@slow", "@dangerous"], &[], &[], Route::Keyless, Keys::Fixed, Exec::Proxy, Docs { summary: "Make the server a replica of another instance, or promote it as master.", since: "1.0.0", group: "server", complexity: "O(1)" }, &[]),
    cmd(Cmd::Slowlog, "slowlog", -2, 0, 0, 0, 0, &["@slow"], &[], &[], Route::Connection, Keys::Fixed, Exec::Proxy, Docs { summary: "A container for slow log commands", since: "2.2.12", group: "server", complexity: "Depends on subcommand." }, SLOWLOG_SUBCOMMANDS),
    cmd(Cmd::Smembers, "smembers", 2, F_READONLY, 1, 1, 1, &["@read", "@set", "@slow"], &["nondeterministic_output_order"], &[ks("", K_RO | K_ACCESS, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Get all the members in a set", since: "1.0.0", group: "set", complexity: "O(N) where N is the set cardinality." }, &[]),
    cmd(Cmd::Smismember, "smismember", -3, F_READONLY | F_FAST, 1, 1, 1, &["@read", "@set", "@fast"], &[], &[ks("", K_RO | K_ACCESS, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Returns the membership associated with the given elements for a set", since: "6.2.0", group: "set", complexity: "O(N) where N is the number of elements being checked for membership" }, &[]),
    cmd(Cmd::Smove, "smove", 4, F_WRITE | F_FAST, 1, 2, 1, &["@write", "@set", "@fast"], &[], &[ks("", K_RW | K_ACCESS | K_DELETE, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 }), ks("", K_RW | K_INSERT, BeginSearch::Index(2), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Together, Keys::Fixed, Exec::Shard, Docs { summary: "Move a member from one set to another", since: "1.0.0", group: "set", complexity: "O(1)" }, &[]),
    cmd(Cmd::Sort, "sort", -2, F_WRITE | F_DENYOOM | F_MOVABLEKEYS, 1, 1, 1, &["@write", "@set", "@sortedset", "@list", "@slow", "@dangerous"], &[], &[ks("", K_RO | K_ACCESS, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 }), ks("For the optional BY/GET keyword. It is marked 'unknown' because the key names derive from the content of the key we sort", K_RO | K_ACCESS, BeginSearch::Unknown, FindKeys::Unknown), ks("For the optional STORE keyword. It is marked 'unknown' because the keyword can appear anywhere in the argument array", K_OW | K_UPDATE, BeginSearch::Unknown, FindKeys::Unknown)], Route::Together, Keys::Sort, Exec::Shard, Docs { summary: "Sort the elements in a list, set or sorted set", since: "1.0.0", group: "generic", complexity: "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N)." }, &[]),
    cmd(Cmd::SortRo, "sort_ro", -2, F_READONLY | F_MOVABLEKEYS, 1, 1, 1, &["@read", "@set", "@sortedset", "@list", "@slow", "@dangerous"], &[], &[ks("", K_RO | K_ACCESS, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 }), ks("For the optional BY/GET keyword. It is marked 'unknown' because the key names derive from the content of the key we sort", K_RO | K_ACCESS, BeginSearch::Unknown, FindKeys::Unknown)], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Sort the elements in a list, set or sorted set. Read-only variant of SORT.", since: "7.0.0", group: "generic", complexity: "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N)." }, &[]),
    cmd(Cmd::Spop, "spop", -2, F_WRITE | F_FAST, 1, 1, 1, &["@write", "@set", "@fast"], &["nondeterministic_output"], &[ks("", K_RW | K_ACCESS | K_DELETE, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Remove and return one or multiple random members from a set", since: "1.0.0", group: "set", complexity: "Without the count argument O(1), otherwise O(N) where N is the value of the passed count." }, &[]),
    cmd(Cmd::Spublish, "spublish", 3, F_PUBSUB | F_LOADING | F_STALE | F_FAST, 1, 1, 1, &["@pubsub", "@fast"], &[], &[ks("", K_NOT_KEY, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Proxy, Docs { summary: "Post a message to a shard channel", since: "7.0.0", group: "pubsub", complexity: "O(N) where N is the number of clients subscribed to the receiving shard channel." }, &[]),
    cmd(Cmd::Srandmember, "srandmember", -2, F_READONLY, 1, 1, 1, &["@read", "@set", "@slow"], &["nondeterministic_output"], &[ks("", K_RO | K_ACCESS, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Get one or multiple random members from a set", since: "1.0.0", group: "set", complexity: "Without the count argument O(1), otherwise O(N) where N is the absolute value of the passed count." }, &[]),
    cmd(Cmd::Srem, "srem", -3, F_WRITE | F_FAST, 1, 1, 1, &["@write", "@set", "@fast"], &[], &[ks("", K_RW | K_DELETE, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Remove one or more members from a set", since: "1.0.0", group: "set", complexity: "O(N) where N is the number of members to be removed." }, &[]),
    cmd(Cmd::Sscan, "sscan", -3, F_READONLY, 1, 1, 1, &["@read", "@set", "@slow"], &["nondeterministic_output"], &[ks("", K_RO | K_ACCESS, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Incrementally iterate Set elements", since: "2.8.0", group: "set", complexity: "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.." }, &[]),
    cmd(Cmd::Ssubscribe, "ssubscribe", -2, F_PUBSUB | F_NOSCRIPT | F_LOADING | F_STALE, 1, -1, 1, &["@pubsub", "@slow"], &[], &[ks("", K_NOT_KEY, BeginSearch::Index(1), FindKeys::Range { lastkey: -1, keystep: 1, limit: 0 })], Route::Together, Keys::Fixed, Exec::Proxy, Docs { summary: "Listen for messages published to the given shard channels", since: "7.0.0", group: "pubsub", complexity: "O(N) where N is the number of shard channels to subscribe to." }, &[]),
    cmd(Cmd::Strlen, "strlen", 2, F_READONLY | F_FAST, 1, 1, 1, &["@read", "@string", "@fast"], &[], &[ks("", K_RO, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Get the length of the value stored in a key", since: "2.2.0", group: "string", complexity: "O(1)" }, &[]),
    cmd(Cmd::Subscribe, "subscribe", -2, F_PUBSUB | F_NOSCRIPT | F_LOADING | F_STALE, 0, 0, 0, &["@pubsub", "@slow"], &[], &[], Route::Keyless, Keys::Fixed, Exec::Proxy, Docs { summary: "Listen for messages published to the given channels", since: "2.0.0", group: "pubsub", complexity: "O(N) where N is the number of channels to subscribe to." }, &[]),
    cmd(Cmd::Substr, "substr", 4, F_READONLY, 1, 1, 1, &["@read", "@string", "@slow"], &[], &[ks("", K_RO | K_ACCESS, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Get a substring of the string stored at a key", since: "1.0.0", group: "string", complexity: "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings." }, &[]),
    cmd(Cmd::Sunion, "sunion", -2, F_READONLY, 1, -1, 1, &["@read", "@set", "@slow"], &["nondeterministic_output_order"], &[ks("", K_RO | K_ACCESS, BeginSearch::Index(1), FindKeys::Range { lastkey: -1, keystep: 1, limit: 0 })], Route::Together, Keys::Fixed, Exec::Shard, Docs { summary: "Add multiple sets", since: "1.0.0", group: "set", complexity: "O(N) where N is the total number of elements in all given sets." }, &[]),
    cmd(Cmd::Sunionstore, "sunionstore", -3, F_WRITE | F_DENYOOM, 1, -1, 1, &["@write", "@set", "@slow"], &[], &[ks("", K_OW | K_UPDATE, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 }), ks("", K_RO | K_ACCESS, BeginSearch::Index(2), FindKeys::Range { lastkey: -1, keystep: 1, limit: 0 })], Route::Together, Keys::Fixed, Exec::Shard, Docs { summary: "Add multiple sets and store the resulting set in a key", since: "1.0.0", group: "set", complexity: "O(N) where N is the total number of elements in all given sets." }, &[]),
    cmd(Cmd::Sunsubscribe, "sunsubscribe", -1, F_PUBSUB | F_NOSCRIPT | F_LOADING | F_STALE, 1, -1, 1, &["@pubsub", "@slow"], &[], &[ks("", K_NOT_KEY, BeginSearch::Index(1), FindKeys::Range { lastkey: -1, keystep: 1, limit: 0 })], Route::Together, Keys::Fixed, Exec::Proxy, Docs { summary: "Stop listening for messages posted to the given shard channels", since: "7.0.0", group: "pubsub", complexity: "O(N) where N is the number of clients already subscribed to a shard channel." }, &[]),
    cmd(Cmd::Swapdb, "swapdb", 3, F_WRITE | F_FAST, 0, 0, 0, &["@keyspace", "@write", "@fast", "@dangerous"], &[], &[], Route::FanOut, Keys::Fixed, Exec::Shard, Docs { summary: "Swaps two Redis databases", since: "4.0.0", group: "server", complexity: "O(N) where N is the count of clients watching or blocking on keys from both databases." }, &[]),
    cmd(Cmd::Sync, "sync", 1, F_ADMIN | F_NOSCRIPT | F_NO_ASYNC_LOADING | F_NO_MULTI, 0, 0, 0, &["@admin", "@slow", "@dangerous"], &[], &[], Route::Keyless, Keys::Fixed, Exec::Missing, Docs { summary: "Internal command used for replication", since: "1.0.0", group: "server", complexity: "" }, &[]),
    cmd(Cmd::Time, "time", 1, F_LOADING | F_STALE | F_FAST, 0, 0, 0, &["@fast"], &["nondeterministic_output"], &[], Route::Connection, Keys::Fixed, Exec::Proxy, Docs { summary: "Return the current server time", since: "2.6.0", group: "server", complexity: "O(1)" }, &[]),
    cmd(Cmd::Touch, "touch", -2, F_READONLY | F_FAST, 1, -1, 1, &["@keyspace", "@read", "@fast"], &["request_policy:multi_shard", "response_policy:agg_sum"], &[ks("", K_RO, BeginSearch::Index(1), FindKeys::Range { lastkey: -1, keystep: 1, limit: 0 })], Route::MultiKeySplit, Keys::Fixed, Exec::Shard, Docs { summary: "Alters the last access time of a key(s). Returns the number of existing keys specified.", since: "3.2.1", group: "generic", complexity: "O(N) where N is the number of keys that will be touched." }, &[]),
    cmd(Cmd::Ttl, "ttl", 2, F_READONLY | F_FAST, 1, 1, 1, &["@keyspace", "@read", "@fast"], &["nondeterministic_output"], &[ks("", K_RO | K_ACCESS, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Get the time to live for a key in seconds", since: "1.0.0", group: "generic", complexity: "O(1)" }, &[]),
    cmd(Cmd::Type, "type", 2, F_READONLY | F_FAST, 1, 1, 1, &["@keyspace", "@read", "@fast"], &[], &[ks("", K_RO, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Determine the type stored at key", since: "1.0.0", group: "generic", complexity: "O(1)" }, &[]),
    cmd(Cmd::Unlink, "unlink", -2, F_WRITE | F_FAST, 1, -1, 1, &["@keyspace", "@write", "@fast"], &["request_policy:multi_shard", "response_policy:agg_sum"], &[ks("", K_RM | K_DELETE, BeginSearch::Index(1), FindKeys::Range { lastkey: -1, keystep: 1, limit: 0 })], Route::MultiKeySplit, Keys::Fixed, Exec::Shard, Docs { summary: "Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non blocking.", since: "4.0.0", group: "generic", complexity: "O(1) for each key removed regardless of its size. Then the command does O(N) work in a different thread in order to reclaim memory, where N is the number of allocations the deleted objects where composed of." }, &[]),
    cmd(Cmd::Unsubscribe, "unsubscribe", -1, F_PUBSUB | F_NOSCRIPT | F_LOADING | F_STALE, 0, 0, 0, &["@pubsub", "@slow"], &[], &[], Route::Keyless, Keys::Fixed, Exec::Proxy, Docs { summary: "Stop listening for messages posted to the given channels", since: "2.0.0", group: "pubsub", complexity: "O(N) where N is the number of clients already subscribed to a channel." }, &[]),
    cmd(Cmd::Unwatch, "unwatch", 1, F_NOSCRIPT | F_LOADING | F_STALE | F_FAST | F_ALLOW_BUSY, 0, 0, 0, &["@fast", "@transaction"], &[], &[], Route::Connection, Keys::Fixed, Exec::Proxy, Docs { summary: "Forget about all watched keys", since: "2.2.0", group: "transactions", complexity: "O(1)" }, &[]),
    cmd(Cmd::Wait, "wait", 3, F_NOSCRIPT, 0, 0, 0, &["@slow", "@connection"], &["request_policy:all_shards", "response_policy:agg_min"], &[], Route::Connection, Keys::Fixed, Exec::Proxy, Docs { summary: "Wait for the synchronous replication of all the write commands sent in the context of the current connection", since: "3.0.0", group: "generic", complexity: "O(1)" }, &[]),
    cmd(Cmd::Watch, "watch", -2, F_NOSCRIPT | F_LOADING | F_STALE | F_FAST | F_ALLOW_BUSY, 1, -1, 1, &["@fast", "@transaction"], &[], &[ks("", K_RO, BeginSearch::Index(1), FindKeys::Range { lastkey: -1, keystep: 1, limit: 0 })], Route::Connection, Keys::Fixed, Exec::Proxy, Docs { summary: "Watch the given keys to determine execution of the MULTI/EXEC block", since: "2.2.0", group: "transactions", complexity: "O(1) for every key." }, &[]),
    cmd(Cmd::Xack, "xack", -4, F_WRITE | F_FAST, 1, 1, 1, &["@write", "@stream", "@fast"], &[], &[ks("", K_RW | K_UPDATE, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Marks a pending message as correctly processed, effectively removing it from the pending entries list of the consumer group. Return value of the command is the number of messages successfully acknowledged, that is, the IDs we were actually able to resolve in the PEL.", since: "5.0.0", group: "stream", complexity: "O(1) for each message ID processed." }, &[]),
    cmd(Cmd::Xadd, "xadd", -5, F_WRITE | F_DENYOOM | F_FAST, 1, 1, 1, &["@write", "@stream", "@fast"], &["nondeterministic_output"], &[ks("UPDATE instead of INSERT because of the optional trimming feature", K_RW | K_UPDATE, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Appends a new entry to a stream", since: "5.0.0", group: "stream", complexity: "O(1) when adding a new entry, O(N) when trimming where N being the number of entries evicted." }, &[]),
    cmd(Cmd::Xautoclaim, "xautoclaim", -6, F_WRITE | F_FAST, 1, 1, 1, &["@write", "@stream", "@fast"], &["nondeterministic_output"], &[ks("", K_RW | K_DELETE, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Changes (or acquires) ownership of messages in a consumer group, as if the messages were delivered to the specified consumer.", since: "6.2.0", group: "stream", complexity: "O(1) if COUNT is small." }, &[]),
    cmd(Cmd::Xclaim, "xclaim", -6, F_WRITE | F_FAST, 1, 1, 1, &["@write", "@stream", "@fast"], &["nondeterministic_output"], &[ks("", K_RW | K_UPDATE, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Changes (or acquires) ownership of a message in a consumer group, as if the message was delivered to the specified consumer.", since: "5.0.0", group: "stream", complexity: "O(log N) with N being the number of messages in the PEL of the consumer group." }, &[]),
    cmd(Cmd::Xdel, "xdel", -3, F_WRITE | F_FAST, 1, 1, 1, &["@write", "@stream", "@fast"], &[], &[ks("", K_RW | K_DELETE, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Removes the specified entries from the stream. Returns the number of items actually deleted, that may be different from the number of IDs passed in case certain IDs do not exist.", since: "5.0.0", group: "stream", complexity: "O(1) for each single item to delete in the stream, regardless of the stream size." }, &[]),
    cmd(Cmd::Xgroup, "xgroup", -2, 0, 0, 0, 0, &["@slow"], &[], &[], Route::Connection, Keys::Fixed, Exec::Shard, Docs { summary: "A container for consumer groups commands", since: "5.0.0", group: "stream", complexity: "Depends on subcommand." }, XGROUP_SUBCOMMANDS),
    cmd(Cmd::Xinfo, "xinfo", -2, 0, 0, 0, 0, &["@slow"], &[], &[], Route::Connection, Keys::Fixed, Exec::Shard, Docs { summary: "A container for stream introspection commands", since: "5.0.0", group: "stream", complexity: "Depends on subcommand." }, XINFO_SUBCOMMANDS),
    cmd(Cmd::Xlen, "xlen", 2, F_READONLY | F_FAST, 1, 1, 1, &["@read", "@stream", "@fast"], &[], &[ks("", K_RO, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Return the number of entries in a stream", since: "5.0.0", group: "stream", complexity: "O(1)" }, &[]),
    cmd(Cmd::Xpending, "xpending", -3, F_READONLY, 1, 1, 1, &["@read", "@stream", "@slow"], &["nondeterministic_output"], &[ks("", K_RO | K_ACCESS, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Return information and entries from a stream consumer group pending entries list, that are messages fetched but never acknowledged.", since: "5.0.0", group: "stream", complexity: "O(N) with N being the number of elements returned, so asking for a small fixed number of entries per call is O(1). O(M), where M is the total number of entries scanned when used with the IDLE filter. When the command returns just the summary and the list of consumers is small, it runs in O(1) time; otherwise, an additional O(N) time for iterating every consumer." }, &[]),
    cmd(Cmd::Xrange, "xrange", -4, F_READONLY, 1, 1, 1, &["@read", "@stream", "@slow"], &[], &[ks("", K_RO | K_ACCESS, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Return a range of elements in a stream, with IDs matching the specified IDs interval", since: "5.0.0", group: "stream", complexity: "O(N) with N being the number of elements being returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1)." }, &[]),
    cmd(Cmd::Xread, "xread", -4, F_READONLY | F_BLOCKING | F_MOVABLEKEYS, 0, 0, 0, &["@read", "@stream", "@slow", "@blocking"], &[], &[ks("", K_RO | K_ACCESS, BeginSearch::Keyword { keyword: "STREAMS", startfrom: 1 }, FindKeys::Range { lastkey: -1, keystep: 1, limit: 2 })], Route::Together, Keys::Streams, Exec::Shard, Docs { summary: "Return never seen elements in multiple streams, with IDs greater than the ones reported by the caller for each stream. Can block.", since: "5.0.0", group: "stream", complexity: "For each stream mentioned: O(N) with N being the number of elements being returned, it means that XREAD-ing with a fixed COUNT is O(1). Note that when the BLOCK option is used, XADD will pay O(M) time in order to serve the M clients blocked on the stream getting new data." }, &[]),
    cmd(Cmd::Xreadgroup, "xreadgroup", -7, F_WRITE | F_BLOCKING | F_MOVABLEKEYS, 0, 0, 0, &["@write", "@stream", "@slow", "@blocking"], &[], &[ks("", K_RO | K_ACCESS, BeginSearch::Keyword { keyword: "STREAMS", startfrom: 4 }, FindKeys::Range { lastkey: -1, keystep: 1, limit: 2 })], Route::Together, Keys::Streams, Exec::Shard, Docs { summary: "Return new entries from a stream using a consumer group, or access the history of the pending entries for a given consumer. Can block.", since: "5.0.0", group: "stream", complexity: "For each stream mentioned: O(M) with M being the number of elements returned. If M is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1). On the other side when XREADGROUP blocks, XADD will pay the O(N) time in order to serve the N clients blocked on the stream getting new data." }, &[]),
    cmd(Cmd::Xrevrange, "xrevrange", -4, F_READONLY, 1, 1, 1, &["@read", "@stream", "@slow"], &[], &[ks("", K_RO | K_ACCESS, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Return a range of elements in a stream, with IDs matching the specified IDs interval, in reverse order (from greater to smaller IDs) compared to XRANGE", since: "5.0.0", group: "stream", complexity: "O(N) with N being the number of elements returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1)." }, &[]),
    cmd(Cmd::Xsetid, "xsetid", -3, F_WRITE | F_DENYOOM | F_FAST, 1, 1, 1, &["@write", "@stream", "@fast"], &[], &[ks("", K_RW | K_UPDATE, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "An internal command for replicating stream values", since: "5.0.0", group: "stream", complexity: "O(1)" }, &[]),
    cmd(Cmd::Xtrim, "xtrim", -4, F_WRITE, 1, 1, 1, &["@write", "@stream", "@slow"], &["nondeterministic_output"], &[ks("", K_RW | K_DELETE, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Trims the stream to (approximately if '~' is passed) a certain size", since: "5.0.0", group: "stream", complexity: "O(N), with N being the number of evicted entries. Constant times are very small however, since entries are organized in macro nodes containing multiple entries that can be released with a single deallocation." }, &[]),
    cmd(Cmd::Zadd, "zadd", -4, F_WRITE | F_DENYOOM | F_FAST, 1, 1, 1, &["@write", "@sortedset", "@fast"], &[], &[ks("", K_RW | K_UPDATE, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Add one or more members to a sorted set, or update its score if it already exists", since: "1.2.0", group: "sorted-set", complexity: "O(log(N)) for each item added, where N is the number of elements in the sorted set." }, &[]),
    cmd(Cmd::Zcard, "zcard", 2, F_READONLY | F_FAST, 1, 1, 1, &["@read", "@sortedset", "@fast"], &[], &[ks("", K_RO, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Get the number of members in a sorted set", since: "1.2.0", group: "sorted-set", complexity: "O(1)" }, &[]),
    cmd(Cmd::Zcount, "zcount", 4, F_READONLY | F_FAST, 1, 1, 1, &["@read", "@sortedset", "@fast"], &[], &[ks("", K_RO | K_ACCESS, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Count the members in a sorted set with scores within the given values", since: "2.0.0", group: "sorted-set", complexity: "O(log(N)) with N being the number of elements in the sorted set." }, &[]),
    cmd(Cmd::Zdiff, "zdiff", -3, F_READONLY | F_MOVABLEKEYS, 0, 0, 0, &["@read", "@sortedset", "@slow"], &[], &[ks("", K_RO | K_ACCESS, BeginSearch::Index(1), FindKeys::KeyNum { keynumidx: 0, firstkey: 1, keystep: 1 })], Route::Together, Keys::NumKeys { numkeys_index: 1, first_index: 2, store_index: 0 }, Exec::Shard, Docs { summary: "Subtract multiple sorted sets", since: "6.2.0", group: "sorted-set", complexity: "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set." }, &[]),
    cmd(Cmd::Zdiffstore, "zdiffstore", -4, F_WRITE | F_DENYOOM | F_MOVABLEKEYS, 1, 1, 1, &["@write", "@sortedset", "@slow"], &[], &[ks("", K_OW | K_UPDATE, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 }), ks("", K_RO | K_ACCESS, BeginSearch::Index(2), FindKeys::KeyNum { keynumidx: 0, firstkey: 1, keystep: 1 })], Route::Together, Keys::NumKeys { numkeys_index: 2, first_index: 3, store_index: 1 }, Exec::Shard, Docs { summary: "Subtract multiple sorted sets and store the resulting sorted set in a new key", since: "6.2.0", group: "sorted-set", complexity: "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set." }, &[]),
    cmd(Cmd::Zincrby, "zincrby", 4, F_WRITE | F_DENYOOM | F_FAST, 1, 1, 1, &["@write", "@sortedset", "@fast"], &[], &[ks("", K_RW | K_ACCESS | K_UPDATE, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Increment the score of a member in a sorted set", since: "1.2.0", group: "sorted-set", complexity: "O(log(N)) where N is the number of elements in the sorted set." }, &[]),
    cmd(Cmd::Zinter, "zinter", -3, F_READONLY | F_MOVABLEKEYS, 0, 0, 0, &["@read", "@sortedset", "@slow"], &[], &[ks("", K_RO | K_ACCESS, BeginSearch::Index(1), FindKeys::KeyNum { keynumidx: 0, firstkey: 1, keystep: 1 })], Route::Together, Keys::NumKeys { numkeys_index: 1, first_index: 2, store_index: 0 }, Exec::Shard, Docs { summary: "Intersect multiple sorted sets", since: "6.2.0", group: "sorted-set", complexity: "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set." }, &[]),
    cmd(Cmd::Zintercard, "zintercard", -3, F_READONLY | F_MOVABLEKEYS, 0, 0, 0, &["@read", "@sortedset", "@slow"], &[], &[ks("", K_RO | K_ACCESS, BeginSearch::Index(1), FindKeys::KeyNum { keynumidx: 0, firstkey: 1, keystep: 1 })], Route::Together, Keys::NumKeys { numkeys_index: 1, first_index: 2, store_index: 0 }, Exec::Shard, Docs { summary: "Intersect multiple sorted sets and return the cardinality of the result", since: "7.0.0", group: "sorted-set", complexity: "O(N*K) worst case with N being the smallest input sorted set, K being the number of input sorted sets." }, &[]),
    cmd(Cmd::Zinterstore, "zinterstore", -4, F_WRITE | F_DENYOOM | F_MOVABLEKEYS, 1, 1, 1, &["@write", "@sortedset", "@slow"], &[], &[ks("", K_OW | K_UPDATE, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 }), ks("", K_RO | K_ACCESS, BeginSearch::Index(2), FindKeys::KeyNum { keynumidx: 0, firstkey: 1, keystep: 1 })], Route::Together, Keys::NumKeys { numkeys_index: 2, first_index: 3, store_index: 1 }, Exec::Shard, Docs { summary: "Intersect multiple sorted sets and store the resulting sorted set in a new key", since: "2.0.0", group: "sorted-set", complexity: "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set." }, &[]),
    cmd(Cmd::Zlexcount, "zlexcount", 4, F_READONLY | F_FAST, 1, 1, 1, &["@read", "@sortedset", "@fast"], &[], &[ks("", K_RO | K_ACCESS, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Count the number of members in a sorted set between a given lexicographical range", since: "2.8.9", group: "sorted-set", complexity: "O(log(N)) with N being the number of elements in the sorted set." }, &[]),
    cmd(Cmd::Zmpop, "zmpop", -4, F_WRITE | F_MOVABLEKEYS, 0, 0, 0, &["@write", "@sortedset", "@slow"], &[], &[ks("", K_RW | K_ACCESS | K_DELETE, BeginSearch::Index(1), FindKeys::KeyNum { keynumidx: 0, firstkey: 1, keystep: 1 })], Route::Together, Keys::NumKeys { numkeys_index: 1, first_index: 2, store_index: 0 }, Exec::Shard, Docs { summary: "Remove and return members with scores in a sorted set", since: "7.0.0", group: "sorted-set", complexity: "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped." }, &[]),
    cmd(Cmd::Zmscore, "zmscore", -3, F_READONLY | F_FAST, 1, 1, 1, &["@read", "@sortedset", "@fast"], &[], &[ks("", K_RO | K_ACCESS, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Get the score associated with the given members in a sorted set", since: "6.2.0", group: "sorted-set", complexity: "O(N) where N is the number of members being requested." }, &[]),
    cmd(Cmd::Zpopmax, "zpopmax", -2, F_WRITE | F_FAST, 1, 1, 1, &["@write", "@sortedset", "@fast"], &[], &[ks("", K_RW | K_ACCESS | K_DELETE, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Remove and return members with the highest scores in a sorted set", since: "5.0.0", group: "sorted-set", complexity: "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped." }, &[]),
    cmd(Cmd::Zpopmin, "zpopmin", -2, F_WRITE | F_FAST, 1, 1, 1, &["@write", "@sortedset", "@fast"], &[], &[ks("", K_RW | K_ACCESS | K_DELETE, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Remove and return members with the lowest scores in a sorted set", since: "5.0.0", group: "sorted-set", complexity: "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped." }, &[]),
    cmd(Cmd::Zrandmember, "zrandmember", -2, F_READONLY, 1, 1, 1, &["@read", "@sortedset", "@slow"], &["nondeterministic_output"], &[ks("", K_RO | K_ACCESS, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Get one or multiple random elements from a sorted set", since: "6.2.0", group: "sorted-set", complexity: "O(N) where N is the number of elements returned" }, &[]),
    cmd(Cmd::Zrange, "zrange", -4, F_READONLY, 1, 1, 1, &["@read", "@sortedset", "@slow"], &[], &[ks("", K_RO | K_ACCESS, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Return a range of members in a sorted set", since: "1.2.0", group: "sorted-set", complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned." }, &[]),
    cmd(Cmd::Zrangebylex, "zrangebylex", -4, F_READONLY, 1, 1, 1, &["@read", "@sortedset", "@slow"], &[], &[ks("", K_RO | K_ACCESS, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Return a range of members in a sorted set, by lexicographical range", since: "2.8.9", group: "sorted-set", complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N))." }, &[]),
    cmd(Cmd::Zrangebyscore, "zrangebyscore", -4, F_READONLY, 1, 1, 1, &["@read", "@sortedset", "@slow"], &[], &[ks("", K_RO | K_ACCESS, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Return a range of members in a sorted set, by score", since: "1.0.5", group: "sorted-set", complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N))." }, &[]),
    cmd(Cmd::Zrangestore, "zrangestore", -5, F_WRITE | F_DENYOOM, 1, 2, 1, &["@write", "@sortedset", "@slow"], &[], &[ks("", K_OW | K_UPDATE, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 }), ks("", K_RO | K_ACCESS, BeginSearch::Index(2), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Together, Keys::Fixed, Exec::Shard, Docs { summary: "Store a range of members from sorted set into another key", since: "6.2.0", group: "sorted-set", complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements stored into the destination key." }, &[]),
    cmd(Cmd::Zrank, "zrank", -3, F_READONLY | F_FAST, 1, 1, 1, &["@read", "@sortedset", "@fast"], &[], &[ks("", K_RO | K_ACCESS, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Determine the index of a member in a sorted set", since: "2.0.0", group: "sorted-set", complexity: "O(log(N))" }, &[]),
    cmd(Cmd::Zrem, "zrem", -3, F_WRITE | F_FAST, 1, 1, 1, &["@write", "@sortedset", "@fast"], &[], &[ks("", K_RW | K_DELETE, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Remove one or more members from a sorted set", since: "1.2.0", group: "sorted-set", complexity: "O(M*log(N)) with N being the number of elements in the sorted set and M the number of elements to be removed." }, &[]),
    cmd(Cmd::Zremrangebylex, "zremrangebylex", 4, F_WRITE, 1, 1, 1, &["@write", "@sortedset", "@slow"], &[], &[ks("", K_RW | K_DELETE, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Remove all members in a sorted set between the given lexicographical range", since: "2.8.9", group: "sorted-set", complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation." }, &[]),
    cmd(Cmd::Zremrangebyrank, "zremrangebyrank", 4, F_WRITE, 1, 1, 1, &["@write", "@sortedset", "@slow"], &[], &[ks("", K_RW | K_DELETE, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Remove all members in a sorted set within the given indexes", since: "2.0.0", group: "sorted-set", complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation." }, &[]),
    cmd(Cmd::Zremrangebyscore, "zremrangebyscore", 4, F_WRITE, 1, 1, 1, &["@write", "@sortedset", "@slow"], &[], &[ks("", K_RW | K_DELETE, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Remove all members in a sorted set within the given scores", since: "1.2.0", group: "sorted-set", complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation." }, &[]),
    cmd(Cmd::Zrevrange, "zrevrange", -4, F_READONLY, 1, 1, 1, &["@read", "@sortedset", "@slow"], &[], &[ks("", K_RO | K_ACCESS, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Return a range of members in a sorted set, by index, with scores ordered from high to low", since: "1.2.0", group: "sorted-set", complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned." }, &[]),
    cmd(Cmd::Zrevrangebylex, "zrevrangebylex", -4, F_READONLY, 1, 1, 1, &["@read", "@sortedset", "@slow"], &[], &[ks("", K_RO | K_ACCESS, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Return a range of members in a sorted set, by lexicographical range, ordered from higher to lower strings.", since: "2.8.9", group: "sorted-set", complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N))." }, &[]),
    cmd(Cmd::Zrevrangebyscore, "zrevrangebyscore", -4, F_READONLY, 1, 1, 1, &["@read", "@sortedset", "@slow"], &[], &[ks("", K_RO | K_ACCESS, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Return a range of members in a sorted set, by score, with scores ordered from high to low", since: "2.2.0", group: "sorted-set", complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N))." }, &[]),
    cmd(Cmd::Zrevrank, "zrevrank", -3, F_READONLY | F_FAST, 1, 1, 1, &["@read", "@sortedset", "@fast"], &[], &[ks("", K_RO | K_ACCESS, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Determine the index of a member in a sorted set, with scores ordered from high to low", since: "2.0.0", group: "sorted-set", complexity: "O(log(N))" }, &[]),
    cmd(Cmd::Zscan, "zscan", -3, F_READONLY, 1, 1, 1, &["@read", "@sortedset", "@slow"], &["nondeterministic_output"], &[ks("", K_RO | K_ACCESS, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Incrementally iterate sorted sets elements and associated scores", since: "2.8.0", group: "sorted-set", complexity: "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.." }, &[]),
    cmd(Cmd::Zscore, "zscore", 3, F_READONLY | F_FAST, 1, 1, 1, &["@read", "@sortedset", "@fast"], &[], &[ks("", K_RO | K_ACCESS, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Get the score associated with the given member in a sorted set", since: "1.2.0", group: "sorted-set", complexity: "O(1)" }, &[]),
    cmd(Cmd::Zunion, "zunion", -3, F_READONLY | F_MOVABLEKEYS, 0, 0, 0, &["@read", "@sortedset", "@slow"], &[], &[ks("", K_RO | K_ACCESS, BeginSearch::Index(1), FindKeys::KeyNum { keynumidx: 0, firstkey: 1, keystep: 1 })], Route::Together, Keys::NumKeys { numkeys_index: 1, first_index: 2, store_index: 0 }, Exec::Shard, Docs { summary: "Add multiple sorted sets", since: "6.2.0", group: "sorted-set", complexity: "O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set." }, &[]),
    cmd(Cmd::Zunionstore, "zunionstore", -4, F_WRITE | F_DENYOOM | F_MOVABLEKEYS, 1, 1, 1, &["@write", "@sortedset", "@slow"], &[], &[ks("", K_OW | K_UPDATE, BeginSearch::Index(1), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 }), ks("", K_RO | K_ACCESS, BeginSearch::Index(2), FindKeys::KeyNum { keynumidx: 0, firstkey: 1, keystep: 1 })], Route::Together, Keys::NumKeys { numkeys_index: 2, first_index: 3, store_index: 1 }, Exec::Shard, Docs { summary: "Add multiple sorted sets and store the resulting sorted set in a new key", since: "2.0.0", group: "sorted-set", complexity: "O(N)+O(M log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set." }, &[]),
];

/// Subcommands of `ACL`, sorted by name.
#[rustfmt::skip]
static ACL_SUBCOMMANDS: &[CommandSpec] = &[
    cmd(Cmd::AclCat, "acl|cat", -2, F_NOSCRIPT | F_LOADING | F_STALE, 0, 0, 0, &["@slow"], &[], &[], Route::Keyless, Keys::Fixed, Exec::Proxy, Docs { summary: "List the ACL categories or the commands inside a category", since: "6.0.0", group: "server", complexity: "O(1) since the categories and commands are a fixed set." }, &[]),
    cmd(Cmd::AclDeluser, "acl|deluser", -3, F_ADMIN | F_NOSCRIPT | F_LOADING | F_STALE, 0, 0, 0, &["@admin", "@slow", "@dangerous"], &[], &[], Route::Keyless, Keys::Fixed, Exec::Proxy, Docs { summary: "Remove the specified ACL users and the associated rules", since: "6.0.0", group: "server", complexity: "O(1) amortized time considering the typical user." }, &[]),
    cmd(Cmd::AclDryrun, "acl|dryrun", -4, F_ADMIN | F_NOSCRIPT | F_LOADING | F_STALE, 0, 0, 0, &["@admin", "@slow", "@dangerous"], &[], &[], Route::Keyless, Keys::Fixed, Exec::Proxy, Docs { summary: "Returns whether the user can execute the given command without executing the command.", since: "7.0.0", group: "server", complexity: "O(1)." }, &[]),
    cmd(Cmd::AclGenpass, "acl|genpass", -2, F_NOSCRIPT | F_LOADING | F_STALE, 0, 0, 0, &["@slow"], &[], &[], Route::Keyless, Keys::Fixed, Exec::Proxy, Docs { summary: "Generate a pseudorandom secure password to use for ACL users", since: "6.0.0", group: "server", complexity: "O(1)" }, &[]),
    cmd(Cmd::AclGetuser, "acl|getuser", 3, F_ADMIN | F_NOSCRIPT | F_LOADING | F_STALE, 0, 0, 0, &["@admin", "@slow", "@dangerous"], &[], &[], Route::Keyless, Keys::Fixed, Exec::Proxy, Docs { summary: "Get the rules for a specific ACL user", since: "6.0.0", group: "server", complexity: "O(N). Where N is the number of password, command and pattern rules that the user has." }, &[]),
    cmd(Cmd::AclHelp, "acl|help", 2, F_LOADING | F_STALE, 0, 0, 0, &["@slow"], &[], &[], Route::Connection, Keys::Fixed, Exec::Proxy, Docs { summary: "Show helpful text about the different subcommands", since: "6.0.0", group: "server", complexity: "O(1)" }, &[]),
    cmd(Cmd::AclList, "acl|list", 2, F_ADMIN | F_NOSCRIPT | F_LOADING | F_STALE, 0, 0, 0, &["@admin", "@slow", "@dangerous"], &[], &[], Route::Keyless, Keys::Fixed, Exec::Proxy, Docs { summary: "List the current ACL rules in ACL config file format", since: "6.0.0", group: "server", complexity: "O(N). Where N is the number of configured users." }, &[]),
    cmd(Cmd::AclLoad, "acl|load", 2, F_ADMIN | F_NOSCRIPT | F_LOADING | F_STALE, 0, 0, 0, &["@admin", "@slow", "@dangerous"], &[], &[], Route::Keyless, Keys::Fixed, Exec::Proxy, Docs { summary: "Reload the ACLs from the configured ACL file", since: "6.0.0", group: "server", complexity: "O(N). Where N is the number of configured users." }, &[]),
    cmd(Cmd::AclLog, "acl|log", -2, F_ADMIN | F_NOSCRIPT | F_LOADING | F_STALE, 0, 0, 0, &["@admin", "@slow", "@dangerous"], &[], &[], Route::Keyless, Keys::Fixed, Exec::Proxy, Docs { summary: "List latest events denied because of ACLs in place", since: "6.0.0", group: "server", complexity: "O(N) with N being the number of entries shown." }, &[]),
    cmd(Cmd::AclSave, "acl|save", 2, F_ADMIN | F_NOSCRIPT | F_LOADING | F_STALE, 0, 0, 0, &["@admin", "@slow", "@dangerous"], &[], &[], Route::Keyless, Keys::Fixed, Exec::Proxy, Docs { summary: "Save the current ACL rules in the configured ACL file", since: "6.0.0", group: "server", complexity: "O(N). Where N is the number of configured users." }, &[]),
    cmd(Cmd::AclSetuser, "acl|setuser", -3, F_ADMIN | F_NOSCRIPT | F_LOADING | F_STALE, 0, 0, 0, &["@admin", "@slow", "@dangerous"], &[], &[], Route::Keyless, Keys::Fixed, Exec::Proxy, Docs { summary: "Modify or create the rules for a specific ACL user", since: "6.0.0", group: "server", complexity: "O(N). Where N is the number of rules provided." }, &[]),
    cmd(Cmd::AclUsers, "acl|users", 2, F_ADMIN | F_NOSCRIPT | F_LOADING | F_STALE, 0, 0, 0, &["@admin", "@slow", "@dangerous"], &[], &[], Route::Keyless, Keys::Fixed, Exec::Proxy, Docs { summary: "List the username of all the configured ACL rules", since: "6.0.0", group: "server", complexity: "O(N). Where N is the number of configured users." }, &[]),
    cmd(Cmd::AclWhoami, "acl|whoami", 2, F_NOSCRIPT | F_LOADING | F_STALE, 0, 0, 0, &["@slow"], &[], &[], Route::Keyless, Keys::Fixed, Exec::Proxy, Docs { summary: "Return the name of the user associated to the current connection", since: "6.0.0", group: "server", complexity: "O(1)" }, &[]),
];

/// Subcommands of `CLIENT`, sorted by name.
#[rustfmt::skip]
static CLIENT_SUBCOMMANDS: &[CommandSpec] = &[
    cmd(Cmd::ClientCaching, "client|caching", 3, F_NOSCRIPT | F_LOADING | F_STALE, 0, 0, 0, &["@slow", "@connection"], &[], &[], Route::Connection, Keys::Fixed, Exec::Proxy, Docs { summary: "Instruct the server about tracking or not keys in the next request", since: "6.0.0", group: "connection", complexity: "O(1)" }, &[]),
    cmd(Cmd::ClientGetname, "client|getname", 2, F_NOSCRIPT | F_LOADING | F_STALE, 0, 0, 0, &["@slow", "@connection"], &[], &[], Route::Connection, Keys::Fixed, Exec::Proxy, Docs { summary: "Get the current connection name", since: "2.6.9", group: "connection", complexity: "O(1)" }, &[]),
    cmd(Cmd::ClientGetredir, "client|getredir", 2, F_NOSCRIPT | F_LOADING | F_STALE, 0, 0, 0, &["@slow", "@connection"], &[], &[], Route::Connection, Keys::Fixed, Exec::Proxy, Docs { summary: "Get tracking notifications redirection client ID if any", since: "6.0.0", group: "connection", complexity: "O(1)" }, &[]),
    cmd(Cmd::ClientHelp, "client|help", 2, F_LOADING | F_STALE, 0, 0, 0, &["@slow", "@connection"], &[], &[], Route::Connection, Keys::Fixed, Exec::Proxy, Docs { summary: "Show helpful text about the different subcommands", since: "5.0.0", group: "connection", complexity: "O(1)" }, &[]),
    cmd(Cmd::ClientId, "client|id", 2, F_NOSCRIPT | F_LOADING | F_STALE, 0, 0, 0, &["@slow", "@connection"], &[], &[], Route::Connection, Keys::Fixed, Exec::Proxy, Docs { summary: "Returns the client ID for the current connection", since: "5.0.0", group: "connection", complexity: "O(1)" }, &[]),
    cmd(Cmd::ClientInfo, "client|info", 2, F_NOSCRIPT | F_LOADING | F_STALE, 0, 0, 0, &["@slow", "@connection"], &["nondeterministic_output"], &[], Route::Connection, Keys::Fixed, Exec::Proxy, Docs { summary: "Returns information about the current client connection.", since: "6.2.0", group: "connection", complexity: "O(1)" }, &[]),
    cmd(Cmd::ClientKill, "client|kill", -3, F_ADMIN | F_NOSCRIPT | F_LOADING | F_STALE, 0, 0, 0, &["@admin", "@slow", "@dangerous", "@connection"], &[], &[], Route::Connection, Keys::Fixed, Exec::Proxy, Docs { summary: "Kill the connection of a client", since: "2.4.0", group: "connection", complexity: "O(N) where N is the number of client connections" }, &[]),
    cmd(Cmd::ClientList, "client|list", -2, F_ADMIN | F_NOSCRIPT | F_LOADING | F_STALE, 0, 0, 0, &["@admin", "@slow", "@dangerous", "@connection"], &["nondeterministic_output"], &[], Route::Connection, Keys::Fixed, Exec::Proxy, Docs { summary: "Get the list of client connections", since: "2.4.0", group: "connection", complexity: "O(N) where N is the number of client connections" }, &[]),
    cmd(Cmd::ClientNoEvict, "client|no-evict", 3, F_ADMIN | F_NOSCRIPT | F_LOADING | F_STALE, 0, 0, 0, &["@admin", "@slow", "@dangerous", "@connection"], &[], &[], Route::Connection, Keys::Fixed, Exec::Proxy, Docs { summary: "Set client eviction mode for the current connection", since: "7.0.0", group: "connection", complexity: "O(1)" }, &[]),
    cmd(Cmd::ClientPause, "client|pause", -3, F_ADMIN | F_NOSCRIPT | F_LOADING | F_STALE, 0, 0, 0, &["@admin", "@slow", "@dangerous", "@connection"], &[], &[], Route::Connection, Keys::Fixed, Exec::Proxy, Docs { summary: "Stop processing commands from clients for some time", since: "2.9.50", group: "connection", complexity: "O(1)" }, &[]),
    cmd(Cmd::ClientReply, "client|reply", 3, F_NOSCRIPT | F_LOADING | F_STALE, 0, 0, 0, &["@slow", "@connection"], &[], &[], Route::Connection, Keys::Fixed, Exec::Proxy, Docs { summary: "Instruct the server whether to reply to commands", since: "3.2.0", group: "connection", complexity: "O(1)" }, &[]),
    cmd(Cmd::ClientSetinfo, "client|setinfo", 4, F_NOSCRIPT | F_LOADING | F_STALE, 0, 0, 0, &["@slow", "@connection"], &[], &[], Route::Connection, Keys::Fixed, Exec::Proxy, Docs { summary: "Set client or connection specific info", since: "7.2.0", group: "connection", complexity: "O(1)" }, &[]),
    cmd(Cmd::ClientSetname, "client|setname", 3, F_NOSCRIPT | F_LOADING | F_STALE, 0, 0, 0, &["@slow", "@connection"], &[], &[], Route::Connection, Keys::Fixed, Exec::Proxy, Docs { summary: "Set the current connection name", since: "2.6.9", group: "connection", complexity: "O(1)" }, &[]),
    cmd(Cmd::ClientTracking, "client|tracking", -3, F_NOSCRIPT | F_LOADING | F_STALE, 0, 0, 0, &["@slow", "@connection"], &[], &[], Route::Connection, Keys::Fixed, Exec::Proxy, Docs { summary: "Enable or disable server assisted client side caching support", since: "6.0.0", group: "connection", complexity: "O(1). Some options may introduce additional complexity." }, &[]),
    cmd(Cmd::ClientTrackinginfo, "client|trackinginfo", 2, F_NOSCRIPT | F_LOADING | F_STALE, 0, 0, 0, &["@slow", "@connection"], &[], &[], Route::Connection, Keys::Fixed, Exec::Proxy, Docs { summary: "Return information about server assisted client side caching for the current connection", since: "6.2.0", group: "connection", complexity: "O(1)" }, &[]),
    cmd(Cmd::ClientUnblock, "client|unblock", -3, F_ADMIN | F_NOSCRIPT | F_LOADING | F_STALE, 0, 0, 0, &["@admin", "@slow", "@dangerous", "@connection"], &[], &[], Route::Connection, Keys::Fixed, Exec::Proxy, Docs { summary: "Unblock a client blocked in a blocking command from a different connection", since: "5.0.0", group: "connection", complexity: "O(log N) where N is the number of client connections" }, &[]),
    cmd(Cmd::ClientUnpause, "client|unpause", 2, F_ADMIN | F_NOSCRIPT | F_LOADING | F_STALE, 0, 0, 0, &["@admin", "@slow", "@dangerous", "@connection"], &[], &[], Route::Connection, Keys::Fixed, Exec::Proxy, Docs { summary: "Resume processing of clients that were paused", since: "6.2.0", group: "connection", complexity: "O(N) Where N is the number of paused clients" }, &[]),
];

/// Subcommands of `CLUSTER`, sorted by name.
#[rustfmt::skip]
static CLUSTER_SUBCOMMANDS: &[CommandSpec] = &[
    cmd(Cmd::ClusterAddslots, "cluster|addslots", -3, F_ADMIN | F_STALE | F_NO_ASYNC_LOADING, 0, 0, 0, &["@admin", "@slow", "@dangerous"], &[], &[], Route::Keyless, Keys::Fixed, Exec::Missing, Docs { summary: "Assign new hash slots to receiving node", since: "3.0.0", group: "cluster", complexity: "O(N) where N is the total number of hash slot arguments" }, &[]),
    cmd(Cmd::ClusterAddslotsrange, "cluster|addslotsrange", -4, F_ADMIN | F_STALE | F_NO_ASYNC_LOADING, 0, 0, 0, &["@admin", "@slow", "@dangerous"], &[], &[], Route::Keyless, Keys::Fixed, Exec::Missing, Docs { summary: "Assign new hash slots to receiving node", since: "7.0.0", group: "cluster", complexity: "O(N) where N is the total number of the slots between the start slot and end slot arguments." }, &[]),
    cmd(Cmd::ClusterBumpepoch, "cluster|bumpepoch", 2, F_ADMIN | F_STALE | F_NO_ASYNC_LOADING, 0, 0, 0, &["@admin", "@slow", "@dangerous"], &["nondeterministic_output"], &[], Route::Keyless, Keys::Fixed, Exec::Missing, Docs { summary: "Advance the cluster config epoch", since: "3.0.0", group: "cluster", complexity: "O(1)" }, &[]),
    cmd(Cmd::ClusterCountFailureReports, "cluster|count-failure-reports", 3, F_ADMIN | F_STALE, 0, 0, 0, &["@admin", "@slow", "@dangerous"], &["nondeterministic_output"], &[], Route::Keyless, Keys::Fixed, Exec::Missing, Docs { summary: "Return the number of failure reports active for a given node", since: "3.0.0", group: "cluster", complexity: "O(N) where N is the number of failure reports" }, &[]),
    cmd(Cmd::ClusterCountkeysinslot, "cluster|countkeysinslot", 3, F_STALE, 0, 0, 0, &["@slow"], &[], &[], Route::Keyless, Keys::Fixed, Exec::Missing, Docs { summary: "Return the number of local keys in the specified hash slot", since: "3.0.0", group: "cluster", complexity: "O(1)" }, &[]),
    cmd(Cmd::ClusterDelslots, "cluster|delslots", -3, F_ADMIN | F_STALE | F_NO_ASYNC_LOADING, 0, 0, 0, &["@admin", "@slow", "@dangerous"], &[], &[], Route::Keyless, Keys::Fixed, Exec::Missing, Docs { summary: "Set hash slots as unbound in receiving node", since: "3.0.0", group: "cluster", complexity: "O(N) where N is the total number of hash slot arguments" }, &[]),
    cmd(Cmd::ClusterDelslotsrange, "cluster|delslotsrange", -4, F_ADMIN | F_STALE | F_NO_ASYNC_LOADING, 0, 0, 0, &["@admin", "@slow", "@dangerous"], &[], &[], Route::Keyless, Keys::Fixed, Exec::Missing, Docs { summary: "Set hash slots as unbound in receiving node", since: "7.0.0", group: "cluster", complexity: "O(N) where N is the total number of the slots between the start slot and end slot arguments." }, &[]),
    cmd(Cmd::ClusterFailover, "cluster|failover", -2, F_ADMIN | F_STALE | F_NO_ASYNC_LOADING, 0, 0, 0, &["@admin", "@slow", "@dangerous"], &[], &[], Route::Keyless, Keys::Fixed, Exec::Missing, Docs { summary: "Forces a replica to perform a manual failover of its master.", since: "3.0.0", group: "cluster", complexity: "O(1)" }, &[]),
    cmd(Cmd::ClusterFlushslots, "cluster|flushslots", 2, F_ADMIN | F_STALE | F_NO_ASYNC_LOADING, 0, 0, 0, &["@admin", "@slow", "@dangerous"], &[], &[], Route::Keyless, Keys::Fixed, Exec::Missing, Docs { summary: "Delete a node's own slots information", since: "3.0.0", group: "cluster", complexity: "O(1)" }, &[]),
    cmd(Cmd::ClusterForget, "cluster|forget", 3, F_ADMIN | F_STALE | F_NO_ASYNC_LOADING, 0, 0, 0, &["@admin", "@slow", "@dangerous"], &[], &[], Route::Keyless, Keys::Fixed, Exec::Missing, Docs { summary: "Remove a node from the nodes table", since: "3.0.0", group: "cluster", complexity: "O(1)" }, &[]),
    cmd(Cmd::ClusterGetkeysinslot, "cluster|getkeysinslot", 4, F_STALE, 0, 0, 0, &["@slow"], &["nondeterministic_output"], &[], Route::Keyless, Keys::Fixed, Exec::Missing, Docs { summary: "Return local key names in the specified hash slot", since: "3.0.0", group: "cluster", complexity: "O(log(N)) where N is the number of requested keys" }, &[]),
    cmd(Cmd::ClusterHelp, "cluster|help", 2, F_LOADING | F_STALE, 0, 0, 0, &["@slow"], &[], &[], Route::Connection, Keys::Fixed, Exec::Proxy, Docs { summary: "Show helpful text about the different subcommands", since: "5.0.0", group: "cluster", complexity: "O(1)" }, &[]),
    cmd(Cmd::ClusterInfo, "cluster|info", 2, F_STALE, 0, 0, 0, &["@slow"], &["nondeterministic_output"], &[], Route::Keyless, Keys::Fixed, Exec::Proxy, Docs { summary: "Provides info about Redis Cluster node state", since: "3.0.0", group: "cluster", complexity: "O(1)" }, &[]),
    cmd(Cmd::ClusterKeyslot, "cluster|keyslot", 3, F_STALE, 0, 0, 0, &["@slow"], &[], &[], Route::Keyless, Keys::Fixed, Exec::Proxy, Docs { summary: "Returns the hash slot of the specified key", since: "3.0.0", group: "cluster", complexity: "O(N) where N is the number of bytes in the key" }, &[]),
    cmd(Cmd::ClusterLinks, "cluster|links", 2, F_STALE, 0, 0, 0, &["@slow"], &["nondeterministic_output"], &[], Route::Keyless, Keys::Fixed, Exec::Missing, Docs { summary: "Returns a list of all TCP links to and from peer nodes in cluster", since: "7.0.0", group: "cluster", complexity: "O(N) where N is the total number of Cluster nodes" }, &[]),
    cmd(Cmd::ClusterMeet, "cluster|meet", -4, F_ADMIN | F_STALE | F_NO_ASYNC_LOADING, 0, 0, 0, &["@admin", "@slow", "@dangerous"], &[], &[], Route::Keyless, Keys::Fixed, Exec::Missing, Docs { summary: "Force a node cluster to handshake with another node", since: "3.0.0", group: "cluster", complexity: "O(1)" }, &[]),
    cmd(Cmd::ClusterMyid, "cluster|myid", 2, F_STALE, 0, 0, 0, &["@slow"], &[], &[], Route::Keyless, Keys::Fixed, Exec::Proxy, Docs { summary: "Return the node id", since: "3.0.0", group: "cluster", complexity: "O(1)" }, &[]),
    cmd(Cmd::ClusterNodes, "cluster|nodes", 2, F_STALE, 0, 0, 0, &["@slow"], &["nondeterministic_output"], &[], Route::Keyless, Keys::Fixed, Exec::Proxy, Docs { summary: "Get Cluster config for the node", since: "3.0.0", group: "cluster", complexity: "O(N) where N is the total number of Cluster nodes" }, &[]),
    cmd(Cmd::ClusterReplicas, "cluster|replicas", 3, F_ADMIN | F_STALE, 0, 0, 0, &["@admin", "@slow", "@dangerous"], &["nondeterministic_output"], &[], Route::Keyless, Keys::Fixed, Exec::Missing, Docs { summary: "List replica nodes of the specified master node", since: "5.0.0", group: "cluster", complexity: "O(1)" }, &[]),
    cmd(Cmd::ClusterReplicate, "cluster|replicate", 3, F_ADMIN | F_STALE | F_NO_ASYNC_LOADING, 0, 0, 0, &["@admin", "@slow", "@dangerous"], &[], &[], Route::Keyless, Keys::Fixed, Exec::Missing, Docs { summary: "Reconfigure a node as a replica of the specified master node", since: "3.0.0", group: "cluster", complexity: "O(1)" }, &[]),
    cmd(Cmd::ClusterReset, "cluster|reset", -2, F_ADMIN | F_NOSCRIPT | F_STALE, 0, 0, 0, &["@admin", "@slow", "@dangerous"], &[], &[], Route::Keyless, Keys::Fixed, Exec::Missing, Docs { summary: "Reset a Redis Cluster node", since: "3.0.0", group: "cluster", complexity: "O(N) where N is the number of known nodes. The command may execute a FLUSHALL as a side effect." }, &[]),
    cmd(Cmd::ClusterSaveconfig, "cluster|saveconfig", 2, F_ADMIN | F_STALE | F_NO_ASYNC_LOADING, 0, 0, 0, &["@admin", "@slow", "@dangerous"], &[], &[], Route::Keyless, Keys::Fixed, Exec::Missing, Docs { summary: "Forces the node to save cluster state on disk", since: "3.0.0", group: "cluster", complexity: "O(1)" }, &[]),
    cmd(Cmd::ClusterSetConfigEpoch, "cluster|set-config-epoch", 3, F_ADMIN | F_STALE | F_NO_ASYNC_LOADING, 0, 0, 0, &["@admin", "@slow", "@dangerous"], &[], &[], Route::Keyless, Keys::Fixed, Exec::Missing, Docs { summary: "Set the configuration epoch in a new node", since: "3.0.0", group: "cluster", complexity: "O(1)" }, &[]),
    cmd(Cmd::ClusterSetslot, "cluster|setslot", -4, F_ADMIN | F_STALE | F_NO_ASYNC_LOADING, 0, 0, 0, &["@admin", "@slow", "@dangerous"], &[], &[], Route::Keyless, Keys::Fixed, Exec::Missing, Docs { summary: "Bind a hash slot to a specific node", since: "3.0.0", group: "cluster", complexity: "O(1)" }, &[]),
    cmd(Cmd::ClusterShards, "cluster|shards", 2, F_STALE, 0, 0, 0, &["@slow"], &["nondeterministic_output"], &[], Route::Keyless, Keys::Fixed, Exec::Proxy, Docs { summary: "Get array of cluster slots to node mappings", since: "7.0.0", group: "cluster", complexity: "O(N) where N is the total number of cluster nodes" }, &[]),
    cmd(Cmd::ClusterSlaves, "cluster|slaves", 3, F_ADMIN | F_STALE, 0, 0, 0, &["@admin", "@slow", "@dangerous"], &["nondeterministic_output"], &[], Route::Keyless, Keys::Fixed, Exec::Missing, Docs { summary: "List replica nodes of the specified master node", since: "3.0.0", group: "cluster", complexity: "O(1)" }, &[]),
    cmd(Cmd::ClusterSlots, "cluster|slots", 2, F_STALE, 0, 0, 0, &["@slow"], &["nondeterministic_output"], &[], Route::Keyless, Keys::Fixed, Exec::Proxy, Docs { summary: "Get array of Cluster slot to node mappings", since: "3.0.0", group: "cluster", complexity: "O(N) where N is the total number of Cluster nodes" }, &[]),
];

/// Subcommands of `COMMAND`, sorted by name.
#[rustfmt::skip]
static COMMAND_SUBCOMMANDS: &[CommandSpec] = &[
    cmd(Cmd::CommandCount, "command|count", 2, F_LOADING | F_STALE, 0, 0, 0, &["@slow", "@connection"], &[], &[], Route::Connection, Keys::Fixed, Exec::Proxy, Docs { summary: "Get total number of Redis commands", since: "2.8.13", group: "server", complexity: "O(1)" }, &[]),
    cmd(Cmd::CommandDocs, "command|docs", -2, F_LOADING | F_STALE, 0, 0, 0, &["@slow", "@connection"], &["nondeterministic_output_order"], &[], Route::Connection, Keys::Fixed, Exec::Proxy, Docs { summary: "Get array of specific Redis command documentation", since: "7.0.0", group: "server", complexity: "O(N) where N is the number of commands to look up" }, &[]),
    cmd(Cmd::CommandGetkeys, "command|getkeys", -4, F_LOADING | F_STALE, 0, 0, 0, &["@slow", "@connection"], &[], &[], Route::Connection, Keys::Fixed, Exec::Proxy, Docs { summary: "Extract keys given a full Redis command", since: "2.8.13", group: "server", complexity: "O(N) where N is the number of arguments to the command" }, &[]),
    cmd(Cmd::CommandGetkeysandflags, "command|getkeysandflags", -4, F_LOADING | F_STALE, 0, 0, 0, &["@slow", "@connection"], &[], &[], Route::Connection, Keys::Fixed, Exec::Proxy, Docs { summary: "Extract keys and access flags given a full Redis command", since: "7.0.0", group: "server", complexity: "O(N) where N is the number of arguments to the command" }, &[]),
    cmd(Cmd::CommandHelp, "command|help", 2, F_LOADING | F_STALE, 0, 0, 0, &["@slow", "@connection"], &[], &[], Route::Connection, Keys::Fixed, Exec::Proxy, Docs { summary: "Show helpful text about the different subcommands", since: "5.0.0", group: "server", complexity: "O(1)" }, &[]),
    cmd(Cmd::CommandInfo, "command|info", -2, F_LOADING | F_STALE, 0, 0, 0, &["@slow", "@connection"], &["nondeterministic_output_order"], &[], Route::Connection, Keys::Fixed, Exec::Proxy, Docs { summary: "Get array of specific Redis command details, or all when no argument is given.", since: "2.8.13", group: "server", complexity: "O(N) where N is the number of commands to look up" }, &[]),
    cmd(Cmd::CommandList, "command|list", -2, F_LOADING | F_STALE, 0, 0, 0, &["@slow", "@connection"], &["nondeterministic_output_order"], &[], Route::Connection, Keys::Fixed, Exec::Proxy, Docs { summary: "Get an array of Redis command names", since: "7.0.0", group: "server", complexity: "O(N) where N is the total number of Redis commands" }, &[]),
];

/// Subcommands of `CONFIG`, sorted by name.
#[rustfmt::skip]
static CONFIG_SUBCOMMANDS: &[CommandSpec] = &[
    cmd(Cmd::ConfigGet, "config|get", -3, F_ADMIN | F_NOSCRIPT | F_LOADING | F_STALE, 0, 0, 0, &["@admin", "@slow", "@dangerous"], &[], &[], Route::Connection, Keys::Fixed, Exec::Proxy, Docs { summary: "Get the values of configuration parameters", since: "2.0.0", group: "server", complexity: "O(N) when N is the number of configuration parameters provided" }, &[]),
    cmd(Cmd::ConfigHelp, "config|help", 2, F_LOADING | F_STALE, 0, 0, 0, &["@slow"], &[], &[], Route::Connection, Keys::Fixed, Exec::Proxy, Docs { summary: "Show helpful text about the different subcommands", since: "5.0.0", group: "server", complexity: "O(1)" }, &[]),
    cmd(Cmd::ConfigResetstat, "config|resetstat", 2, F_ADMIN | F_NOSCRIPT | F_LOADING | F_STALE, 0, 0, 0, &["@admin", "@slow", "@dangerous"], &[], &[], Route::Connection, Keys::Fixed, Exec::Proxy, Docs { summary: "Reset the stats returned by INFO", since: "2.0.0", group: "server", complexity: "O(1)" }, &[]),
    cmd(Cmd::ConfigRewrite, "config|rewrite", 2, F_ADMIN | F_NOSCRIPT | F_LOADING | F_STALE, 0, 0, 0, &["@admin", "@slow", "@dangerous"], &[], &[], Route::Connection, Keys::Fixed, Exec::Proxy, Docs { summary: "Rewrite the configuration file with the in memory configuration", since: "2.8.0", group: "server", complexity: "O(1)" }, &[]),
    cmd(Cmd::ConfigSet, "config|set", -4, F_ADMIN | F_NOSCRIPT | F_LOADING | F_STALE, 0, 0, 0, &["@admin", "@slow", "@dangerous"], &["request_policy:all_nodes", "response_policy:all_succeeded"], &[], Route::Connection, Keys::Fixed, Exec::Proxy, Docs { summary: "Set configuration parameters to the given values", since: "2.0.0", group: "server", complexity: "O(N) when N is the number of configuration parameters provided" }, &[]),
];

/// Subcommands of `FUNCTION`, sorted by name.
#[rustfmt::skip]
static FUNCTION_SUBCOMMANDS: &[CommandSpec] = &[
    cmd(Cmd::FunctionDelete, "function|delete", 3, F_WRITE | F_NOSCRIPT, 0, 0, 0, &["@write", "@slow", "@scripting"], &["request_policy:all_shards", "response_policy:all_succeeded"], &[], Route::FanOut, Keys::Fixed, Exec::Proxy, Docs { summary: "Delete a function by name", since: "7.0.0", group: "scripting", complexity: "O(1)" }, &[]),
    cmd(Cmd::FunctionDump, "function|dump", 2, F_NOSCRIPT, 0, 0, 0, &["@slow", "@scripting"], &[], &[], Route::FanOut, Keys::Fixed, Exec::Proxy, Docs { summary: "Dump all functions into a serialized binary payload", since: "7.0.0", group: "scripting", complexity: "O(N) where N is the number of functions" }, &[]),
    cmd(Cmd::FunctionFlush, "function|flush", -2, F_WRITE | F_NOSCRIPT, 0, 0, 0, &["@write", "@slow", "@scripting"], &["request_policy:all_shards", "response_policy:all_succeeded"], &[], Route::FanOut, Keys::Fixed, Exec::Proxy, Docs { summary: "Deleting all functions", since: "7.0.0", group: "scripting", complexity: "O(N) where N is the number of functions deleted" }, &[]),
    cmd(Cmd::FunctionHelp, "function|help", 2, F_LOADING | F_STALE, 0, 0, 0, &["@slow", "@scripting"], &[], &[], Route::Connection, Keys::Fixed, Exec::Proxy, Docs { summary: "Show helpful text about the different subcommands", since: "7.0.0", group: "scripting", complexity: "O(1)" }, &[]),
    cmd(Cmd::FunctionKill, "function|kill", 2, F_NOSCRIPT | F_ALLOW_BUSY, 0, 0, 0, &["@slow", "@scripting"], &["request_policy:all_shards", "response_policy:one_succeeded"], &[], Route::FanOut, Keys::Fixed, Exec::Proxy, Docs { summary: "Kill the function currently in execution.", since: "7.0.0", group: "scripting", complexity: "O(1)" }, &[]),
    cmd(Cmd::FunctionList, "function|list", -2, F_NOSCRIPT, 0, 0, 0, &["@slow", "@scripting"], &["nondeterministic_output_order"], &[], Route::FanOut, Keys::Fixed, Exec::Proxy, Docs { summary: "List information about all the functions", since: "7.0.0", group: "scripting", complexity: "O(N) where N is the number of functions" }, &[]),
    cmd(Cmd::FunctionLoad, "function|load", -3, F_WRITE | F_DENYOOM | F_NOSCRIPT, 0, 0, 0, &["@write", "@slow", "@scripting"], &["request_policy:all_shards", "response_policy:all_succeeded"], &[], Route::FanOut, Keys::Fixed, Exec::Proxy, Docs { summary: "Create a function with the given arguments (name, code, description)", since: "7.0.0", group: "scripting", complexity: "O(1) (considering compilation time is redundant)" }, &[]),
    cmd(Cmd::FunctionRestore, "function|restore", -3, F_WRITE | F_DENYOOM | F_NOSCRIPT, 0, 0, 0, &["@write", "@slow", "@scripting"], &["request_policy:all_shards", "response_policy:all_succeeded"], &[], Route::FanOut, Keys::Fixed, Exec::Proxy, Docs { summary: "Restore all the functions on the given payload", since: "7.0.0", group: "scripting", complexity: "O(N) where N is the number of functions on the payload" }, &[]),
    cmd(Cmd::FunctionStats, "function|stats", 2, F_NOSCRIPT | F_ALLOW_BUSY, 0, 0, 0, &["@slow", "@scripting"], &["nondeterministic_output", "request_policy:all_shards", "response_policy:special"], &[], Route::FanOut, Keys::Fixed, Exec::Proxy, Docs { summary: "Return information about the function currently running (name, description, duration)", since: "7.0.0", group: "scripting", complexity: "O(1)" }, &[]),
];

/// Subcommands of `LATENCY`, sorted by name.
#[rustfmt::skip]
static LATENCY_SUBCOMMANDS: &[CommandSpec] = &[
    cmd(Cmd::LatencyDoctor, "latency|doctor", 2, F_ADMIN | F_NOSCRIPT | F_LOADING | F_STALE, 0, 0, 0, &["@admin", "@slow", "@dangerous"], &["nondeterministic_output", "request_policy:all_nodes", "response_policy:special"], &[], Route::Keyless, Keys::Fixed, Exec::Proxy, Docs { summary: "Return a human readable latency analysis report.", since: "2.8.13", group: "server", complexity: "O(1)" }, &[]),
    cmd(Cmd::LatencyGraph, "latency|graph", 3, F_ADMIN | F_NOSCRIPT | F_LOADING | F_STALE, 0, 0, 0, &["@admin", "@slow", "@dangerous"], &["nondeterministic_output", "request_policy:all_nodes", "response_policy:special"], &[], Route::Keyless, Keys::Fixed, Exec::Proxy, Docs { summary: "Return a latency graph for the event.", since: "2.8.13", group: "server", complexity: "O(1)" }, &[]),
    cmd(Cmd::LatencyHelp, "latency|help", 2, F_LOADING | F_STALE, 0, 0, 0, &["@slow"], &[], &[], Route::Connection, Keys::Fixed, Exec::Proxy, Docs { summary: "Show helpful text about the different subcommands.", since: "2.8.13", group: "server", complexity: "O(1)" }, &[]),
    cmd(Cmd::LatencyHistogram, "latency|histogram", -2, F_ADMIN | F_NOSCRIPT | F_LOADING | F_STALE, 0, 0, 0, &["@admin", "@slow", "@dangerous"], &["nondeterministic_output", "request_policy:all_nodes", "response_policy:special"], &[], Route::Keyless, Keys::Fixed, Exec::Proxy, Docs { summary: "Return the cumulative distribution of latencies of a subset of commands or all.", since: "7.0.0", group: "server", complexity: "O(N) where N is the number of commands with latency information being retrieved." }, &[]),
    cmd(Cmd::LatencyHistory, "latency|history", 3, F_ADMIN | F_NOSCRIPT | F_LOADING | F_STALE, 0, 0, 0, &["@admin", "@slow", "@dangerous"], &["nondeterministic_output", "request_policy:all_nodes", "response_policy:special"], &[], Route::Keyless, Keys::Fixed, Exec::Proxy, Docs { summary: "Return timestamp-latency samples for the event.", since: "2.8.13", group: "server", complexity: "O(1)" }, &[]),
    cmd(Cmd::LatencyLatest, "latency|latest", 2, F_ADMIN | F_NOSCRIPT | F_LOADING | F_STALE, 0, 0, 0, &["@admin", "@slow", "@dangerous"], &["nondeterministic_output", "request_policy:all_nodes", "response_policy:special"], &[], Route::Keyless, Keys::Fixed, Exec::Proxy, Docs { summary: "Return the latest latency samples for all events.", since: "2.8.13", group: "server", complexity: "O(1)" }, &[]),
    cmd(Cmd::LatencyReset, "latency|reset", -2, F_ADMIN | F_NOSCRIPT | F_LOADING | F_STALE, 0, 0, 0, &["@admin", "@slow", "@dangerous"], &["request_policy:all_nodes", "response_policy:all_succeeded"], &[], Route::Keyless, Keys::Fixed, Exec::Proxy, Docs { summary: "Reset latency data for one or more events.", since: "2.8.13", group: "server", complexity: "O(1)" }, &[]),
];

/// Subcommands of `MEMORY`, sorted by name.
#[rustfmt::skip]
static MEMORY_SUBCOMMANDS: &[CommandSpec] = &[
    cmd(Cmd::MemoryDoctor, "memory|doctor", 2, 0, 0, 0, 0, &["@slow"], &["nondeterministic_output", "request_policy:all_shards", "response_policy:special"], &[], Route::FanOut, Keys::Fixed, Exec::Proxy, Docs { summary: "Outputs memory problems report", since: "4.0.0", group: "server", complexity: "O(1)" }, &[]),
    cmd(Cmd::MemoryHelp, "memory|help", 2, F_LOADING | F_STALE, 0, 0, 0, &["@slow"], &[], &[], Route::Connection, Keys::Fixed, Exec::Proxy, Docs { summary: "Show helpful text about the different subcommands", since: "4.0.0", group: "server", complexity: "O(1)" }, &[]),
    cmd(Cmd::MemoryMallocStats, "memory|malloc-stats", 2, 0, 0, 0, 0, &["@slow"], &["nondeterministic_output", "request_policy:all_shards", "response_policy:special"], &[], Route::FanOut, Keys::Fixed, Exec::Proxy, Docs { summary: "Show allocator internal stats", since: "4.0.0", group: "server", complexity: "Depends on how much memory is allocated, could be slow" }, &[]),
    cmd(Cmd::MemoryPurge, "memory|purge", 2, 0, 0, 0, 0, &["@slow"], &["request_policy:all_shards", "response_policy:all_succeeded"], &[], Route::FanOut, Keys::Fixed, Exec::Shard, Docs { summary: "Ask the allocator to release memory", since: "4.0.0", group: "server", complexity: "Depends on how much memory is allocated, could be slow" }, &[]),
    cmd(Cmd::MemoryStats, "memory|stats", 2, 0, 0, 0, 0, &["@slow"], &["nondeterministic_output", "request_policy:all_shards", "response_policy:special"], &[], Route::FanOut, Keys::Fixed, Exec::Proxy, Docs { summary: "Show memory usage details", since: "4.0.0", group: "server", complexity: "O(1)" }, &[]),
    cmd(Cmd::MemoryUsage, "memory|usage", -3, F_READONLY, 2, 2, 1, &["@read", "@slow"], &[], &[ks("", K_RO, BeginSearch::Index(2), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Estimate the memory usage of a key", since: "4.0.0", group: "server", complexity: "O(N) where N is the number of samples." }, &[]),
];

/// Subcommands of `MODULE`, sorted by name.
#[rustfmt::skip]
static MODULE_SUBCOMMANDS: &[CommandSpec] = &[
    cmd(Cmd::ModuleHelp, "module|help", 2, F_LOADING | F_STALE, 0, 0, 0, &["@slow"], &[], &[], Route::Connection, Keys::Fixed, Exec::Proxy, Docs { summary: "Show helpful text about the different subcommands", since: "5.0.0", group: "server", complexity: "O(1)" }, &[]),
    cmd(Cmd::ModuleList, "module|list", 2, F_ADMIN | F_NOSCRIPT, 0, 0, 0, &["@admin", "@slow", "@dangerous"], &["nondeterministic_output_order"], &[], Route::Keyless, Keys::Fixed, Exec::Proxy, Docs { summary: "List all modules loaded by the server", since: "4.0.0", group: "server", complexity: "O(N) where N is the number of loaded modules." }, &[]),
    cmd(Cmd::ModuleLoad, "module|load", -3, F_ADMIN | F_NOSCRIPT | F_NO_ASYNC_LOADING, 0, 0, 0, &["@admin", "@slow", "@dangerous"], &[], &[], Route::Keyless, Keys::Fixed, Exec::Missing, Docs { summary: "Load a module", since: "4.0.0", group: "server", complexity: "O(1)" }, &[]),
    cmd(Cmd::ModuleLoadex, "module|loadex", -3, F_ADMIN | F_NOSCRIPT | F_NO_ASYNC_LOADING, 0, 0, 0, &["@admin", "@slow", "@dangerous"], &[], &[], Route::Keyless, Keys::Fixed, Exec::Missing, Docs { summary: "Load a module with extended parameters", since: "7.0.0", group: "server", complexity: "O(1)" }, &[]),
    cmd(Cmd::ModuleUnload, "module|unload", 3, F_ADMIN | F_NOSCRIPT | F_NO_ASYNC_LOADING, 0, 0, 0, &["@admin", "@slow", "@dangerous"], &[], &[], Route::Keyless, Keys::Fixed, Exec::Missing, Docs { summary: "Unload a module", since: "4.0.0", group: "server", complexity: "O(1)" }, &[]),
];

/// Subcommands of `OBJECT`, sorted by name.
#[rustfmt::skip]
static OBJECT_SUBCOMMANDS: &[CommandSpec] = &[
    cmd(Cmd::ObjectEncoding, "object|encoding", 3, F_READONLY, 2, 2, 1, &["@keyspace", "@read", "@slow"], &["nondeterministic_output"], &[ks("", K_RO, BeginSearch::Index(2), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Inspect the internal encoding of a Redis object", since: "2.2.3", group: "generic", complexity: "O(1)" }, &[]),
    cmd(Cmd::ObjectFreq, "object|freq", 3, F_READONLY, 2, 2, 1, &["@keyspace", "@read", "@slow"], &["nondeterministic_output"], &[ks("", K_RO, BeginSearch::Index(2), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Get the logarithmic access frequency counter of a Redis object", since: "4.0.0", group: "generic", complexity: "O(1)" }, &[]),
    cmd(Cmd::ObjectHelp, "object|help", 2, F_LOADING | F_STALE, 0, 0, 0, &["@keyspace", "@slow"], &[], &[], Route::Connection, Keys::Fixed, Exec::Shard, Docs { summary: "Show helpful text about the different subcommands", since: "6.2.0", group: "generic", complexity: "O(1)" }, &[]),
    cmd(Cmd::ObjectIdletime, "object|idletime", 3, F_READONLY, 2, 2, 1, &["@keyspace", "@read", "@slow"], &["nondeterministic_output"], &[ks("", K_RO, BeginSearch::Index(2), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Get the time since a Redis object was last accessed", since: "2.2.3", group: "generic", complexity: "O(1)" }, &[]),
    cmd(Cmd::ObjectRefcount, "object|refcount", 3, F_READONLY, 2, 2, 1, &["@keyspace", "@read", "@slow"], &["nondeterministic_output"], &[ks("", K_RO, BeginSearch::Index(2), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Get the number of references to the value of the key", since: "2.2.3", group: "generic", complexity: "O(1)" }, &[]),
];

/// Subcommands of `PUBSUB`, sorted by name.
#[rustfmt::skip]
static PUBSUB_SUBCOMMANDS: &[CommandSpec] = &[
    cmd(Cmd::PubsubChannels, "pubsub|channels", -2, F_PUBSUB | F_LOADING | F_STALE, 0, 0, 0, &["@pubsub", "@slow"], &[], &[], Route::Keyless, Keys::Fixed, Exec::Proxy, Docs { summary: "List active channels", since: "2.8.0", group: "pubsub", complexity: "O(N) where N is the number of active channels, and assuming constant time pattern matching (relatively short channels and patterns)" }, &[]),
    cmd(Cmd::PubsubHelp, "pubsub|help", 2, F_LOADING | F_STALE, 0, 0, 0, &["@slow"], &[], &[], Route::Connection, Keys::Fixed, Exec::Proxy, Docs { summary: "Show helpful text about the different subcommands", since: "6.2.0", group: "pubsub", complexity: "O(1)" }, &[]),
    cmd(Cmd::PubsubNumpat, "pubsub|numpat", 2, F_PUBSUB | F_LOADING | F_STALE, 0, 0, 0, &["@pubsub", "@slow"], &[], &[], Route::Keyless, Keys::Fixed, Exec::Proxy, Docs { summary: "Get the count of unique patterns pattern subscriptions", since: "2.8.0", group: "pubsub", complexity: "O(1)" }, &[]),
    cmd(Cmd::PubsubNumsub, "pubsub|numsub", -2, F_PUBSUB | F_LOADING | F_STALE, 0, 0, 0, &["@pubsub", "@slow"], &[], &[], Route::Keyless, Keys::Fixed, Exec::Proxy, Docs { summary: "Get the count of subscribers for channels", since: "2.8.0", group: "pubsub", complexity: "O(N) for the NUMSUB subcommand, where N is the number of requested channels" }, &[]),
    cmd(Cmd::PubsubShardchannels, "pubsub|shardchannels", -2, F_PUBSUB | F_LOADING | F_STALE, 0, 0, 0, &["@pubsub", "@slow"], &[], &[], Route::Keyless, Keys::Fixed, Exec::Proxy, Docs { summary: "List active shard channels", since: "7.0.0", group: "pubsub", complexity: "O(N) where N is the number of active shard channels, and assuming constant time pattern matching (relatively short shard channels)." }, &[]),
    cmd(Cmd::PubsubShardnumsub, "pubsub|shardnumsub", -2, F_PUBSUB | F_LOADING | F_STALE, 0, 0, 0, &["@pubsub", "@slow"], &[], &[], Route::Keyless, Keys::Fixed, Exec::Proxy, Docs { summary: "Get the count of subscribers for shard channels", since: "7.0.0", group: "pubsub", complexity: "O(N) for the SHARDNUMSUB subcommand, where N is the number of requested shard channels" }, &[]),
];

/// Subcommands of `SCRIPT`, sorted by name.
#[rustfmt::skip]
static SCRIPT_SUBCOMMANDS: &[CommandSpec] = &[
    cmd(Cmd::ScriptDebug, "script|debug", 3, F_NOSCRIPT, 0, 0, 0, &["@slow", "@scripting"], &[], &[], Route::FanOut, Keys::Fixed, Exec::Missing, Docs { summary: "Set the debug mode for executed scripts.", since: "3.2.0", group: "scripting", complexity: "O(1)" }, &[]),
    cmd(Cmd::ScriptExists, "script|exists", -3, F_NOSCRIPT, 0, 0, 0, &["@slow", "@scripting"], &["request_policy:all_shards", "response_policy:agg_logical_and"], &[], Route::FanOut, Keys::Fixed, Exec::Proxy, Docs { summary: "Check existence of scripts in the script cache.", since: "2.6.0", group: "scripting", complexity: "O(N) with N being the number of scripts to check (so checking a single script is an O(1) operation)." }, &[]),
    cmd(Cmd::ScriptFlush, "script|flush", -2, F_NOSCRIPT, 0, 0, 0, &["@slow", "@scripting"], &["request_policy:all_nodes", "response_policy:all_succeeded"], &[], Route::FanOut, Keys::Fixed, Exec::Proxy, Docs { summary: "Remove all the scripts from the script cache.", since: "2.6.0", group: "scripting", complexity: "O(N) with N being the number of scripts in cache" }, &[]),
    cmd(Cmd::ScriptHelp, "script|help", 2, F_LOADING | F_STALE, 0, 0, 0, &["@slow", "@scripting"], &[], &[], Route::Connection, Keys::Fixed, Exec::Proxy, Docs { summary: "Show helpful text about the different subcommands", since: "5.0.0", group: "scripting", complexity: "O(1)" }, &[]),
    cmd(Cmd::ScriptKill, "script|kill", 2, F_NOSCRIPT | F_ALLOW_BUSY, 0, 0, 0, &["@slow", "@scripting"], &["request_policy:all_shards", "response_policy:one_succeeded"], &[], Route::FanOut, Keys::Fixed, Exec::Proxy, Docs { summary: "Kill the script currently in execution.", since: "2.6.0", group: "scripting", complexity: "O(1)" }, &[]),
    cmd(Cmd::ScriptLoad, "script|load", 3, F_NOSCRIPT | F_STALE, 0, 0, 0, &["@slow", "@scripting"], &["request_policy:all_nodes", "response_policy:all_succeeded"], &[], Route::FanOut, Keys::Fixed, Exec::Proxy, Docs { summary: "Load the specified Lua script into the script cache.", since: "2.6.0", group: "scripting", complexity: "O(N) with N being the length in bytes of the script body." }, &[]),
];

/// Subcommands of `SHARDIS`, sorted by name.
#[rustfmt::skip]
static SHARDIS_SUBCOMMANDS: &[CommandSpec] = &[
    cmd(Cmd::ShardisHelp, "shardis|help", 2, F_ADMIN | F_NOSCRIPT | F_LOADING | F_STALE, 0, 0, 0, &["@admin", "@slow", "@dangerous"], &[], &[], Route::Connection, Keys::Fixed, Exec::Proxy, Docs { summary: "Shows helpful text about the different subcommands", since: "", group: "server", complexity: "O(1)" }, &[]),
    cmd(Cmd::ShardisScale, "shardis|scale", -3, F_ADMIN | F_NOSCRIPT | F_LOADING | F_STALE, 0, 0, 0, &["@admin", "@slow", "@dangerous"], &[], &[], Route::Keyless, Keys::Fixed, Exec::Proxy, Docs { summary: "Grows or shrinks to n shard processes, moving slots in the background: SCALE n [BATCH slots] [DELAY ms], SCALE ABORT", since: "", group: "server", complexity: "O(1)" }, &[]),
    cmd(Cmd::ShardisSlots, "shardis|slots", 2, F_ADMIN | F_NOSCRIPT | F_LOADING | F_STALE, 0, 0, 0, &["@admin", "@slow", "@dangerous"], &[], &[], Route::Keyless, Keys::Fixed, Exec::Proxy, Docs { summary: "The slot map as its file holds it", since: "", group: "server", complexity: "O(1)" }, &[]),
    cmd(Cmd::ShardisStatus, "shardis|status", 2, F_ADMIN | F_NOSCRIPT | F_LOADING | F_STALE, 0, 0, 0, &["@admin", "@slow", "@dangerous"], &[], &[], Route::Keyless, Keys::Fixed, Exec::Proxy, Docs { summary: "The shards, their slots and the scale in progress", since: "", group: "server", complexity: "O(1)" }, &[]),
];

/// Subcommands of `SLOWLOG`, sorted by name.
#[rustfmt::skip]
static SLOWLOG_SUBCOMMANDS: &[CommandSpec] = &[
    cmd(Cmd::SlowlogGet, "slowlog|get", -2, F_ADMIN | F_LOADING | F_STALE, 0, 0, 0, &["@admin", "@slow", "@dangerous"], &["request_policy:all_nodes", "nondeterministic_output"], &[], Route::Keyless, Keys::Fixed, Exec::Proxy, Docs { summary: "Get the slow log's entries", since: "2.2.12", group: "server", complexity: "O(N) where N is the number of entries returned" }, &[]),
    cmd(Cmd::SlowlogHelp, "slowlog|help", 2, F_LOADING | F_STALE, 0, 0, 0, &["@slow"], &[], &[], Route::Connection, Keys::Fixed, Exec::Proxy, Docs { summary: "Show helpful text about the different subcommands", since: "6.2.0", group: "server", complexity: "O(1)" }, &[]),
    cmd(Cmd::SlowlogLen, "slowlog|len", 2, F_ADMIN | F_LOADING | F_STALE, 0, 0, 0, &["@admin", "@slow", "@dangerous"], &["request_policy:all_nodes", "response_policy:agg_sum", "nondeterministic_output"], &[], Route::Keyless, Keys::Fixed, Exec::Proxy, Docs { summary: "Get the slow log's length", since: "2.2.12", group: "server", complexity: "O(1)" }, &[]),
    cmd(Cmd::SlowlogReset, "slowlog|reset", 2, F_ADMIN | F_LOADING | F_STALE, 0, 0, 0, &["@admin", "@slow", "@dangerous"], &["request_policy:all_nodes", "response_policy:all_succeeded"], &[], Route::Keyless, Keys::Fixed, Exec::Proxy, Docs { summary: "Clear all entries from the slow log", since: "2.2.12", group: "server", complexity: "O(N) where N is the number of entries in the slowlog" }, &[]),
];

/// Subcommands of `XGROUP`, sorted by name.
#[rustfmt::skip]
static XGROUP_SUBCOMMANDS: &[CommandSpec] = &[
    cmd(Cmd::XgroupCreate, "xgroup|create", -5, F_WRITE | F_DENYOOM, 2, 2, 1, &["@write", "@stream", "@slow"], &[], &[ks("", K_RW | K_INSERT, BeginSearch::Index(2), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Create a consumer group.", since: "5.0.0", group: "stream", complexity: "O(1)" }, &[]),
    cmd(Cmd::XgroupCreateconsumer, "xgroup|createconsumer", 5, F_WRITE | F_DENYOOM, 2, 2, 1, &["@write", "@stream", "@slow"], &[], &[ks("", K_RW | K_INSERT, BeginSearch::Index(2), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Create a consumer in a consumer group.", since: "6.2.0", group: "stream", complexity: "O(1)" }, &[]),
    cmd(Cmd::XgroupDelconsumer, "xgroup|delconsumer", 5, F_WRITE, 2, 2, 1, &["@write", "@stream", "@slow"], &[], &[ks("", K_RW | K_DELETE, BeginSearch::Index(2), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Delete a consumer from a consumer group.", since: "5.0.0", group: "stream", complexity: "O(1)" }, &[]),
    cmd(Cmd::XgroupDestroy, "xgroup|destroy", 4, F_WRITE, 2, 2, 1, &["@write", "@stream", "@slow"], &[], &[ks("", K_RW | K_DELETE, BeginSearch::Index(2), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Destroy a consumer group.", since: "5.0.0", group: "stream", complexity: "O(N) where N is the number of entries in the group's pending entries list (PEL)." }, &[]),
    cmd(Cmd::XgroupHelp, "xgroup|help", 2, F_LOADING | F_STALE, 0, 0, 0, &["@stream", "@slow"], &[], &[], Route::Connection, Keys::Fixed, Exec::Shard, Docs { summary: "Show helpful text about the different subcommands", since: "5.0.0", group: "stream", complexity: "O(1)" }, &[]),
    cmd(Cmd::XgroupSetid, "xgroup|setid", -5, F_WRITE, 2, 2, 1, &["@write", "@stream", "@slow"], &[], &[ks("", K_RW | K_UPDATE, BeginSearch::Index(2), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Set a consumer group to an arbitrary last delivered ID value.", since: "5.0.0", group: "stream", complexity: "O(1)" }, &[]),
];

/// Subcommands of `XINFO`, sorted by name.
#[rustfmt::skip]
static XINFO_SUBCOMMANDS: &[CommandSpec] = &[
    cmd(Cmd::XinfoConsumers, "xinfo|consumers", 4, F_READONLY, 2, 2, 1, &["@read", "@stream", "@slow"], &["nondeterministic_output"], &[ks("", K_RO | K_ACCESS, BeginSearch::Index(2), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "List the consumers in a consumer group", since: "5.0.0", group: "stream", complexity: "O(1)" }, &[]),
    cmd(Cmd::XinfoGroups, "xinfo|groups", 3, F_READONLY, 2, 2, 1, &["@read", "@stream", "@slow"], &[], &[ks("", K_RO | K_ACCESS, BeginSearch::Index(2), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "List the consumer groups of a stream", since: "5.0.0", group: "stream", complexity: "O(1)" }, &[]),
    cmd(Cmd::XinfoHelp, "xinfo|help", 2, F_LOADING | F_STALE, 0, 0, 0, &["@stream", "@slow"], &[], &[], Route::Connection, Keys::Fixed, Exec::Shard, Docs { summary: "Show helpful text about the different subcommands", since: "5.0.0", group: "stream", complexity: "O(1)" }, &[]),
    cmd(Cmd::XinfoStream, "xinfo|stream", -3, F_READONLY, 2, 2, 1, &["@read", "@stream", "@slow"], &[], &[ks("", K_RO | K_ACCESS, BeginSearch::Index(2), FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 })], Route::Single, Keys::Fixed, Exec::Shard, Docs { summary: "Get information about a stream", since: "5.0.0", group: "stream", complexity: "O(1)" }, &[]),
];

/// The commands only the proxy sends (see `INTERNAL` in `gen_data.py`).
#[rustfmt::skip]
pub(super) static INTERNAL: &[CommandSpec] = &[
    cmd(Cmd::SharddInfo, "shardd.info", -1, F_ADMIN | F_LOADING | F_STALE, 0, 0, 0, &[], &[], &[], Route::FanOut, Keys::Fixed, Exec::Internal, Docs { summary: "One shard's part of INFO (and of MEMORY STATS); arguments ask for commandstats, latencystats", since: "", group: "server", complexity: "O(N) where N is the number of commands asked about" }, &[]),
    cmd(Cmd::SharddSlowlog, "shardd.slowlog", -2, F_ADMIN | F_LOADING | F_STALE, 0, 0, 0, &[], &[], &[], Route::FanOut, Keys::Fixed, Exec::Internal, Docs { summary: "One shard's slow log: GET count, LEN, RESET", since: "", group: "server", complexity: "O(N) where N is the number of entries returned" }, &[]),
    cmd(Cmd::SharddLatency, "shardd.latency", -2, F_ADMIN | F_LOADING | F_STALE, 0, 0, 0, &[], &[], &[], Route::FanOut, Keys::Fixed, Exec::Internal, Docs { summary: "One shard's latency monitor: EVENTS, RESET [event ...]", since: "", group: "server", complexity: "O(N) where N is the number of samples" }, &[]),
    cmd(Cmd::SharddAcllog, "shardd.acllog", 1, F_ADMIN | F_LOADING | F_STALE, 0, 0, 0, &[], &[], &[], Route::Keyless, Keys::Fixed, Exec::Internal, Docs { summary: "Hands over (and forgets) the ACL refusals of scripts this shard ran", since: "", group: "server", complexity: "O(N) where N is the number of refusals" }, &[]),
    cmd(Cmd::SharddResetstat, "shardd.resetstat", 1, F_ADMIN | F_LOADING | F_STALE, 0, 0, 0, &[], &[], &[], Route::FanOut, Keys::Fixed, Exec::Internal, Docs { summary: "Resets one shard's statistics (CONFIG RESETSTAT)", since: "", group: "server", complexity: "O(1)" }, &[]),
    cmd(Cmd::SharddConfig, "shardd.config", -3, F_ADMIN | F_LOADING | F_STALE, 0, 0, 0, &[], &[], &[], Route::FanOut, Keys::Fixed, Exec::Internal, Docs { summary: "Sets CONFIG parameters the shard applies: epoch seq name value [name value ...]", since: "", group: "server", complexity: "O(N) where N is the number of parameters" }, &[]),
    cmd(Cmd::SharddTx, "shardd.tx", -2, 0, 0, 0, 0, &[], &[], &[], Route::Keyless, Keys::Fixed, Exec::Internal, Docs { summary: "A transaction whose keys are all on one shard", since: "", group: "transactions", complexity: "Depends on the commands" }, &[]),
    cmd(Cmd::SharddWatch, "shardd.watch", -3, F_FAST, 0, 0, 0, &[], &[], &[], Route::Keyless, Keys::Fixed, Exec::Internal, Docs { summary: "Watches keys for a client", since: "", group: "transactions", complexity: "O(N)" }, &[]),
    cmd(Cmd::SharddUnwatch, "shardd.unwatch", 2, F_FAST, 0, 0, 0, &[], &[], &[], Route::Keyless, Keys::Fixed, Exec::Internal, Docs { summary: "Forgets a client's watched keys", since: "", group: "transactions", complexity: "O(N)" }, &[]),
    cmd(Cmd::SharddTxlock, "shardd.txlock", -4, F_FAST, 0, 0, 0, &[], &[], &[], Route::Keyless, Keys::Fixed, Exec::Internal, Docs { summary: "Locks keys for a transaction over several shards: txid watcher all key...", since: "", group: "transactions", complexity: "O(N)" }, &[]),
    cmd(Cmd::SharddTxprepare, "shardd.txprepare", 3, F_FAST, 0, 0, 0, &[], &[], &[], Route::Keyless, Keys::Fixed, Exec::Internal, Docs { summary: "Makes a transaction durable on a participant: txid decider", since: "", group: "transactions", complexity: "O(N)" }, &[]),
    cmd(Cmd::SharddTxcommit, "shardd.txcommit", 3, F_FAST, 0, 0, 0, &[], &[], &[], Route::Keyless, Keys::Fixed, Exec::Internal, Docs { summary: "Commits a transaction on a shard: txid remember", since: "", group: "transactions", complexity: "O(N)" }, &[]),
    cmd(Cmd::SharddTxabort, "shardd.txabort", -2, F_FAST, 0, 0, 0, &[], &[], &[], Route::Keyless, Keys::Fixed, Exec::Internal, Docs { summary: "Aborts a transaction on a shard and releases its locks: txid [KEEP] (KEEP: puts back its effects, keeps its locks)", since: "", group: "transactions", complexity: "O(N)" }, &[]),
    cmd(Cmd::SharddTxdecide, "shardd.txdecide", 2, F_FAST, 0, 0, 0, &[], &[], &[], Route::Keyless, Keys::Fixed, Exec::Internal, Docs { summary: "Asks a transaction's decider for its outcome (aborts it if undecided): txid", since: "", group: "transactions", complexity: "O(N)" }, &[]),
    cmd(Cmd::SharddTxresolve, "shardd.txresolve", 3, F_FAST, 0, 0, 0, &[], &[], &[], Route::Keyless, Keys::Fixed, Exec::Internal, Docs { summary: "Resolves an in-doubt transaction: txid commit|abort", since: "", group: "transactions", complexity: "O(N)" }, &[]),
    cmd(Cmd::SharddTxforget, "shardd.txforget", 2, F_FAST, 0, 0, 0, &[], &[], &[], Route::Keyless, Keys::Fixed, Exec::Internal, Docs { summary: "Forgets a decision every participant applied: txid", since: "", group: "transactions", complexity: "O(N)" }, &[]),
    cmd(Cmd::SharddDump, "shardd.dump", 2, F_READONLY | F_FAST, 0, 0, 0, &[], &[], &[], Route::Keyless, Keys::Fixed, Exec::Internal, Docs { summary: "A key's value, keeping its string encoding, and its absolute expiry (a transaction moving it)", since: "", group: "transactions", complexity: "O(N)" }, &[]),
    cmd(Cmd::SharddSort, "shardd.sort", -3, 0, 0, 0, 0, &[], &[], &[], Route::Keyless, Keys::Fixed, Exec::Internal, Docs { summary: "A SORT with BY or GET patterns: nlisted listed... SORT|SORT_RO args... runs it inside a transaction that holds the listed keys (copies of other shards' keys among them); outside one, answers the keys its patterns read", since: "", group: "transactions", complexity: "As SORT" }, &[]),
    cmd(Cmd::SharddTxindoubt, "shardd.txindoubt", 1, F_FAST, 0, 0, 0, &[], &[], &[], Route::Keyless, Keys::Fixed, Exec::Internal, Docs { summary: "Lists the shard's prepared transactions and their deciders", since: "", group: "transactions", complexity: "O(N)" }, &[]),
    cmd(Cmd::SharddEval, "shardd.eval", -9, 0, 0, 0, 0, &[], &[], &[], Route::Keyless, Keys::Fixed, Exec::Internal, Docs { summary: "Runs a Lua script on the shard: sha body flags shard nshards nlisted listed... numkeys key... arg...", since: "", group: "scripting", complexity: "Depends on the script" }, &[]),
    cmd(Cmd::SharddFunction, "shardd.function", -2, 0, 0, 0, 0, &[], &[], &[], Route::Keyless, Keys::Fixed, Exec::Internal, Docs { summary: "The shard's function libraries: LOAD, DELETE, FLUSH, RESTORE, LIST, DUMP, STATS as FUNCTION's", since: "", group: "scripting", complexity: "Depends on the subcommand" }, &[]),
    cmd(Cmd::SharddBwait, "shardd.bwait", -5, F_FAST, 0, 0, 0, &[], &[], &[], Route::Keyless, Keys::Fixed, Exec::Internal, Docs { summary: "Waits until one of the keys holds a value of the family (list, zset, stream), in the ticket's place among the waiters: client family ticket key...", since: "", group: "list", complexity: "O(N) where N is the number of keys" }, &[]),
    cmd(Cmd::SharddUnblock, "shardd.unblock", 3, F_FAST, 0, 0, 0, &[], &[], &[], Route::Keyless, Keys::Fixed, Exec::Internal, Docs { summary: "Ends a client's blocked command on this shard: client TIMEOUT|ERROR", since: "", group: "list", complexity: "O(N) where N is the number of keys it waits on" }, &[]),
    cmd(Cmd::SharddEvents, "shardd.events", 1, F_FAST, 0, 0, 0, &[], &[], &[], Route::Keyless, Keys::Fixed, Exec::Internal, Docs { summary: "Answered with the keyspace events no request caused (expired keys), when there are some", since: "", group: "pubsub", complexity: "O(N) where N is the number of events" }, &[]),
    cmd(Cmd::SharddTrack, "shardd.track", -3, F_FAST, 0, 0, 0, &[], &[], &[], Route::Keyless, Keys::Fixed, Exec::Internal, Docs { summary: "Remembers that a client may cache the keys (CLIENT TRACKING): client key...", since: "", group: "connection", complexity: "O(N) where N is the number of keys" }, &[]),
    cmd(Cmd::SharddScriptflush, "shardd.scriptflush", 1, 0, 0, 0, 0, &[], &[], &[], Route::Keyless, Keys::Fixed, Exec::Internal, Docs { summary: "Forgets the shard's compiled scripts", since: "", group: "scripting", complexity: "O(N)" }, &[]),
    cmd(Cmd::SharddSlots, "shardd.slots", -2, F_ADMIN | F_LOADING | F_STALE, 0, 0, 0, &[], &[], &[], Route::Keyless, Keys::Fixed, Exec::Internal, Docs { summary: "The slots the shard owns: GET, SET ranges (kept in its directory), DROP (deletes the keys of slots it does not own)", since: "", group: "cluster", complexity: "O(N) where N is the number of keys deleted" }, &[]),
    cmd(Cmd::SharddSlotdump, "shardd.slotdump", -2, F_ADMIN | F_LOADING | F_STALE, 0, 0, 0, &[], &[], &[], Route::Keyless, Keys::Fixed, Exec::Internal, Docs { summary: "Every key of the slots, in every database, as one blob, and stops owning them", since: "", group: "cluster", complexity: "O(N) where N is the number of keys in the slots" }, &[]),
    cmd(Cmd::SharddSlotload, "shardd.slotload", 2, F_ADMIN | F_LOADING | F_STALE | F_WRITE, 0, 0, 0, &[], &[], &[], Route::Keyless, Keys::Fixed, Exec::Internal, Docs { summary: "Puts every key of a SHARDD.SLOTDUMP blob in place", since: "", group: "cluster", complexity: "O(N) where N is the number of keys in the blob" }, &[]),
    cmd(Cmd::SharddSubs, "shardd.subs", -4, F_FAST, 0, 0, 0, &[], &[], &[], Route::Keyless, Keys::Fixed, Exec::Internal, Docs { summary: "Changes the shard's copy of one proxy worker's subscriptions: (+|-)(c|p|s) client name ...", since: "", group: "pubsub", complexity: "O(N) where N is the number of changes" }, &[]),
    cmd(Cmd::SharddUnfence, "shardd.unfence", 2, F_FAST, 0, 0, 0, &[], &[], &[], Route::Keyless, Keys::Fixed, Exec::Internal, Docs { summary: "Lets a client's requests held behind its script that strayed run, in order: client", since: "", group: "scripting", complexity: "O(N) where N is the number of requests held" }, &[]),
];
