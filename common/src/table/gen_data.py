#!/usr/bin/env python3
"""Regenerates data.rs (the command table's data) from a running redis-server 7.

Usage: start `redis-server --port PORT --bind 127.0.0.1 --save '' --appendonly no`,
then `python3 proxy/src/table/gen_data.py PORT`, stop the server, run
`cargo test -p proxy --lib table` and review the diff. Which commands are
served, their routes and numkeys layouts are chosen below (GROUPS, EXTRA,
CONNECTION, FANOUT, SPLIT, NUMKEYS); everything else comes from the server.
"""
import os
import re
import socket, json
import sys
s=socket.create_connection(("127.0.0.1",int(sys.argv[1]))); f=s.makefile('rb')
def enc(*a):
    o=b"*%d\r\n"%len(a)
    for x in a:
        x=x.encode() if isinstance(x,str) else x
        o+=b"$%d\r\n%s\r\n"%(len(x),x)
    return o
def read():
    line=f.readline()[:-2]; t=line[:1]; r=line[1:]
    if t in b"+": return r.decode()
    if t==b"-": return {"err":r.decode()}
    if t==b":": return int(r)
    if t==b"$":
        n=int(r)
        if n<0: return None
        d=f.read(n+2)[:-2]; return d.decode()
    if t==b"*":
        n=int(r)
        if n<0: return None
        return [read() for _ in range(n)]
    raise Exception(line)
def cmd(*a):
    s.sendall(enc(*a)); return read()
info=cmd("command")
docs=cmd("command","docs")
d = {"info": info, "docs": docs}

info = {c[0]: c for c in d['info']}
docs_l = d['docs']; docs = {docs_l[i]: docs_l[i+1] for i in range(0, len(docs_l), 2)}
def kv(l): return {l[i]: l[i+1] for i in range(0, len(l), 2)}

# Every command redis-server 7.0.15 has is in the table, so key positions,
# flags and docs are there for each; EXEC says who runs it. A command that
# nobody runs is unknown to clients and absent from COMMAND until a later
# change turns it on here.
# shardis's own commands (not Redis's), in Redis's COMMAND shapes.
ADMIN = ['admin', 'noscript', 'loading', 'stale']
ADMIN_CATS = ['@admin', '@slow', '@dangerous']
SHARDIS_SUBS = [
    ('shardis|scale', -3, "Grows or shrinks to n shard processes, moving slots in the background: SCALE n [BATCH slots] [DELAY ms], SCALE ABORT"),
    ('shardis|status', 2, "The shards, their slots and the scale in progress"),
    ('shardis|slots', 2, "The slot map as its file holds it"),
    ('shardis|help', 2, "Shows helpful text about the different subcommands"),
]
EXTRA_COMMANDS = {
    'shardis': (['shardis', -2, ADMIN, 0, 0, 0, ADMIN_CATS, [], [],
                 [[n, a, ADMIN, 0, 0, 0, ADMIN_CATS, [], [], []] for n, a, _ in SHARDIS_SUBS]],
                ['summary', "A container for shardis's own administration commands", 'since', '', 'group', 'server',
                 'complexity', 'Depends on subcommand.',
                 'subcommands', [x for n, _, s in SHARDIS_SUBS
                                 for x in (n, ['summary', s, 'since', '', 'group', 'server', 'complexity', 'O(1)'])]]),
}
for n, (c, dd) in EXTRA_COMMANDS.items():
    info[n] = c
    docs[n] = dd

names = sorted(info)

# Who runs a (sub)command: the proxy answers it (P), a shard runs it (S:
# the shard owning its keys, or every shard for fan-outs, the proxy merging
# the parts). Everything else is Exec::Missing. Container names cover all
# their subcommands unless a subcommand is listed on its own.
PROXY_RUNS = {
    'auth', 'echo', 'hello', 'ping', 'quit', 'reset', 'select', 'time', 'wait', 'shutdown', 'info', 'debug',
    'client|getname', 'client|help', 'client|id', 'client|info', 'client|kill', 'client|list',
    'client|no-evict', 'client|reply', 'client|unblock', 'client|setinfo', 'client|setname',
    'client|pause', 'client|unpause', 'client|tracking', 'client|caching', 'client|getredir',
    'client|trackinginfo',
    'command', 'config|get', 'config|help', 'config|resetstat', 'config|set', 'config|rewrite',
    'function', 'fcall', 'fcall_ro', 'script|flush', 'script|load', 'script|exists', 'script|help', 'script|kill',
    'eval', 'evalsha', 'eval_ro', 'evalsha_ro',
    'memory', 'memory|doctor', 'memory|help', 'memory|malloc-stats', 'memory|stats', 'slowlog', 'latency',
    'multi', 'exec', 'discard', 'watch', 'unwatch',
    'publish', 'spublish', 'subscribe', 'psubscribe', 'ssubscribe', 'unsubscribe', 'punsubscribe', 'sunsubscribe',
    'pubsub', 'acl', 'shardis', 'monitor',
    'cluster|slots', 'cluster|shards', 'cluster|keyslot', 'cluster|info', 'cluster|myid', 'cluster|nodes',
    'cluster|help',
    'role', 'lolwut', 'replicaof', 'slaveof', 'module|list', 'module|help', 'migrate',
}
SHARD_RUNS = {
    'append', 'bitcount', 'bitfield', 'bitfield_ro', 'bitop', 'bitpos', 'copy', 'dbsize', 'decr', 'decrby', 'del',
    'dump', 'exists', 'expire', 'expireat', 'expiretime', 'flushall', 'flushdb', 'get', 'getbit', 'getdel', 'getex',
    'getrange', 'getset', 'hdel', 'hexists', 'hget', 'hgetall', 'hincrby', 'hincrbyfloat', 'hkeys', 'hlen', 'hmget',
    'hmset', 'hrandfield', 'hscan', 'hset', 'hsetnx', 'hstrlen', 'hvals', 'incr', 'incrby', 'incrbyfloat', 'keys',
    'lcs', 'lindex', 'linsert', 'llen', 'lmove', 'lmpop', 'lpop', 'lpos', 'lpush', 'lpushx', 'lrange', 'lrem',
    'lset', 'ltrim', 'mget', 'mset', 'msetnx', 'object', 'persist', 'pexpire', 'pexpireat', 'pexpiretime', 'pfadd',
    'pfcount', 'pfmerge', 'psetex', 'pttl', 'randomkey', 'rename', 'renamenx', 'restore', 'rpop', 'rpoplpush',
    'rpush', 'rpushx', 'sadd', 'scan', 'scard', 'sdiff', 'sdiffstore', 'set', 'setbit', 'setex', 'setnx',
    'setrange', 'sinter', 'sintercard', 'sinterstore', 'sismember', 'smembers', 'smismember', 'smove', 'sort',
    'sort_ro', 'spop', 'srandmember', 'srem', 'sscan', 'strlen', 'substr', 'sunion', 'sunionstore', 'touch', 'ttl',
    'type', 'unlink', 'zadd', 'zcard', 'zcount', 'zdiff', 'zdiffstore', 'zincrby', 'zinter', 'zintercard',
    'zinterstore', 'zlexcount', 'zmpop', 'zmscore', 'zpopmax', 'zpopmin', 'zrandmember', 'zrange', 'zrangebylex',
    'zrangebyscore', 'zrangestore', 'zrank', 'zrem', 'zremrangebylex', 'zremrangebyrank', 'zremrangebyscore',
    'zrevrange', 'zrevrangebylex', 'zrevrangebyscore', 'zrevrank', 'zscan', 'zscore', 'zunion', 'zunionstore',
    'save', 'bgsave', 'bgrewriteaof', 'lastsave', 'memory|usage', 'memory|purge',
    'blpop', 'brpop', 'brpoplpush', 'blmove', 'blmpop', 'bzpopmin', 'bzpopmax', 'bzmpop',
    'geoadd', 'geodist', 'geohash', 'geopos', 'georadius', 'georadius_ro', 'georadiusbymember',
    'georadiusbymember_ro', 'geosearch', 'geosearchstore',
    'xadd', 'xrange', 'xrevrange', 'xlen', 'xdel', 'xtrim', 'xread', 'xreadgroup', 'xgroup', 'xack', 'xpending',
    'xclaim', 'xautoclaim', 'xinfo', 'xsetid', 'move', 'swapdb',
}

def exec_of(name):
    top = name.split('|')[0]
    for n in (name, top):
        if n in PROXY_RUNS: return 'Exec::Proxy'
        if n in SHARD_RUNS: return 'Exec::Shard'
    return 'Exec::Missing'

# Options newer than 7.0.15 that shardis has: Redis 7.2's arity for them.
ARITY = {'zrank': -3, 'zrevrank': -3}  # ZRANK/ZREVRANK key member [WITHSCORE]
for n, a in ARITY.items(): info[n][1] = a

# Commands newer than 7.0.15 that shardis has, as Redis 7.2 describes them.
EXTRA_SUBCOMMANDS = {
    'client': [(['client|setinfo', 4, ['noscript', 'loading', 'stale'], 0, 0, 0, ['@slow', '@connection'], [], [], []],
                ['summary', 'Set client or connection specific info', 'since', '7.2.0', 'group', 'connection',
                 'complexity', 'O(1)'])],
}

# Commands the proxy sends to shards on its own; clients cannot name them.
INTERNAL = [
    (['shardd.info', -1, ['admin', 'loading', 'stale'], 0, 0, 0, [], [], [], []],
     ['summary', "One shard's part of INFO (and of MEMORY STATS); arguments ask for commandstats, latencystats",
      'since', '', 'group', 'server', 'complexity', 'O(N) where N is the number of commands asked about']),
    (['shardd.slowlog', -2, ['admin', 'loading', 'stale'], 0, 0, 0, [], [], [], []],
     ['summary', "One shard's slow log: GET count, LEN, RESET", 'since', '', 'group', 'server',
      'complexity', 'O(N) where N is the number of entries returned']),
    (['shardd.latency', -2, ['admin', 'loading', 'stale'], 0, 0, 0, [], [], [], []],
     ['summary', "One shard's latency monitor: EVENTS, RESET [event ...]", 'since', '', 'group', 'server',
      'complexity', 'O(N) where N is the number of samples']),
    (['shardd.acllog', 1, ['admin', 'loading', 'stale'], 0, 0, 0, [], [], [], []],
     ['summary', "Hands over (and forgets) the ACL refusals of scripts this shard ran", 'since', '', 'group', 'server',
      'complexity', 'O(N) where N is the number of refusals']),
    (['shardd.resetstat', 1, ['admin', 'loading', 'stale'], 0, 0, 0, [], [], [], []],
     ['summary', "Resets one shard's statistics (CONFIG RESETSTAT)", 'since', '', 'group', 'server',
      'complexity', 'O(1)']),
    (['shardd.config', -3, ['admin', 'loading', 'stale'], 0, 0, 0, [], [], [], []],
     ['summary', "Sets CONFIG parameters the shard applies: epoch seq name value [name value ...]",
      'since', '', 'group', 'server', 'complexity', 'O(N) where N is the number of parameters']),
    (['shardd.tx', -2, [], 0, 0, 0, [], [], [], []],
     ['summary', 'A transaction whose keys are all on one shard', 'since', '', 'group', 'transactions',
      'complexity', 'Depends on the commands']),
    (['shardd.watch', -3, ['fast'], 0, 0, 0, [], [], [], []],
     ['summary', 'Watches keys for a client', 'since', '', 'group', 'transactions', 'complexity', 'O(N)']),
    (['shardd.unwatch', 2, ['fast'], 0, 0, 0, [], [], [], []],
     ['summary', "Forgets a client's watched keys", 'since', '', 'group', 'transactions', 'complexity', 'O(N)']),
    (['shardd.txlock', -4, ['fast'], 0, 0, 0, [], [], [], []],
     ['summary', "Locks keys for a transaction over several shards: txid watcher all key...", 'since', '', 'group', 'transactions', 'complexity', 'O(N)']),
    (['shardd.txprepare', 3, ['fast'], 0, 0, 0, [], [], [], []],
     ['summary', "Makes a transaction durable on a participant: txid decider", 'since', '', 'group', 'transactions', 'complexity', 'O(N)']),
    (['shardd.txcommit', 3, ['fast'], 0, 0, 0, [], [], [], []],
     ['summary', "Commits a transaction on a shard: txid remember", 'since', '', 'group', 'transactions', 'complexity', 'O(N)']),
    (['shardd.txabort', -2, ['fast'], 0, 0, 0, [], [], [], []],
     ['summary', "Aborts a transaction on a shard and releases its locks: txid [KEEP] (KEEP: puts back its effects, keeps its locks)", 'since', '', 'group', 'transactions', 'complexity', 'O(N)']),
    (['shardd.txdecide', 2, ['fast'], 0, 0, 0, [], [], [], []],
     ['summary', "Asks a transaction's decider for its outcome (aborts it if undecided): txid", 'since', '', 'group', 'transactions', 'complexity', 'O(N)']),
    (['shardd.txresolve', 3, ['fast'], 0, 0, 0, [], [], [], []],
     ['summary', "Resolves an in-doubt transaction: txid commit|abort", 'since', '', 'group', 'transactions', 'complexity', 'O(N)']),
    (['shardd.txforget', 2, ['fast'], 0, 0, 0, [], [], [], []],
     ['summary', "Forgets a decision every participant applied: txid", 'since', '', 'group', 'transactions', 'complexity', 'O(N)']),
    (['shardd.dump', 2, ['readonly', 'fast'], 0, 0, 0, [], [], [], []],
     ['summary', "A key's value, keeping its string encoding, and its absolute expiry (a transaction moving it)", 'since', '', 'group', 'transactions', 'complexity', 'O(N)']),
    (['shardd.sort', -3, [], 0, 0, 0, [], [], [], []],
     ['summary', "A SORT with BY or GET patterns: nlisted listed... SORT|SORT_RO args... runs it inside a transaction that holds the listed keys (copies of other shards' keys among them); outside one, answers the keys its patterns read",
      'since', '', 'group', 'transactions', 'complexity', 'As SORT']),
    (['shardd.txindoubt', 1, ['fast'], 0, 0, 0, [], [], [], []],
     ['summary', "Lists the shard's prepared transactions and their deciders", 'since', '', 'group', 'transactions', 'complexity', 'O(N)']),
    (['shardd.eval', -9, [], 0, 0, 0, [], [], [], []],
     ['summary', "Runs a Lua script on the shard: sha body flags shard nshards nlisted listed... numkeys key... arg...",
      'since', '', 'group', 'scripting', 'complexity', 'Depends on the script']),
    (['shardd.function', -2, [], 0, 0, 0, [], [], [], []],
     ['summary', "The shard's function libraries: LOAD, DELETE, FLUSH, RESTORE, LIST, DUMP, STATS as FUNCTION's",
      'since', '', 'group', 'scripting', 'complexity', 'Depends on the subcommand']),
    (['shardd.bwait', -5, ['fast'], 0, 0, 0, [], [], [], []],
     ['summary', "Waits until one of the keys holds a value of the family (list, zset, stream), in the ticket's place among the waiters: client family ticket key...",
      'since', '', 'group', 'list', 'complexity', 'O(N) where N is the number of keys']),
    (['shardd.unblock', 3, ['fast'], 0, 0, 0, [], [], [], []],
     ['summary', "Ends a client's blocked command on this shard: client TIMEOUT|ERROR",
      'since', '', 'group', 'list', 'complexity', 'O(N) where N is the number of keys it waits on']),
    (['shardd.events', 1, ['fast'], 0, 0, 0, [], [], [], []],
     ['summary', "Answered with the keyspace events no request caused (expired keys), when there are some",
      'since', '', 'group', 'pubsub', 'complexity', 'O(N) where N is the number of events']),
    (['shardd.track', -3, ['fast'], 0, 0, 0, [], [], [], []],
     ['summary', "Remembers that a client may cache the keys (CLIENT TRACKING): client key...",
      'since', '', 'group', 'connection', 'complexity', 'O(N) where N is the number of keys']),
    (['shardd.scriptflush', 1, [], 0, 0, 0, [], [], [], []],
     ['summary', "Forgets the shard's compiled scripts", 'since', '', 'group', 'scripting', 'complexity', 'O(N)']),
    (['shardd.slots', -2, ['admin', 'loading', 'stale'], 0, 0, 0, [], [], [], []],
     ['summary', "The slots the shard owns: GET, SET ranges (kept in its directory), DROP (deletes the keys of slots it does not own)",
      'since', '', 'group', 'cluster', 'complexity', 'O(N) where N is the number of keys deleted']),
    (['shardd.slotdump', -2, ['admin', 'loading', 'stale'], 0, 0, 0, [], [], [], []],
     ['summary', "Every key of the slots, in every database, as one blob, and stops owning them",
      'since', '', 'group', 'cluster', 'complexity', 'O(N) where N is the number of keys in the slots']),
    (['shardd.slotload', 2, ['admin', 'loading', 'stale', 'write'], 0, 0, 0, [], [], [], []],
     ['summary', "Puts every key of a SHARDD.SLOTDUMP blob in place",
      'since', '', 'group', 'cluster', 'complexity', 'O(N) where N is the number of keys in the blob']),
    (['shardd.subs', -4, ['fast'], 0, 0, 0, [], [], [], []],
     ['summary', "Changes the shard's copy of one proxy worker's subscriptions: (+|-)(c|p|s) client name ...",
      'since', '', 'group', 'pubsub', 'complexity', 'O(N) where N is the number of changes']),
    (['shardd.unfence', 2, ['fast'], 0, 0, 0, [], [], [], []],
     ['summary', "Lets a client's requests held behind its script that strayed run, in order: client",
      'since', '', 'group', 'scripting', 'complexity', 'O(N) where N is the number of requests held']),
]

FLAGS = ['write', 'readonly', 'denyoom', 'module', 'admin', 'pubsub', 'noscript', 'blocking', 'loading', 'stale',
         'skip_monitor', 'skip_slowlog', 'asking', 'fast', 'no_auth', 'no_mandatory_keys', 'no_async_loading',
         'no_multi', 'movablekeys', 'allow_busy']
CONNECTION = {'ping', 'echo', 'quit', 'reset', 'select', 'auth', 'hello', 'client', 'command', 'config', 'shutdown',
              'time', 'wait', 'multi', 'exec', 'discard', 'watch', 'unwatch'}
FANOUT = {'dbsize', 'keys', 'scan', 'randomkey', 'flushall', 'flushdb', 'swapdb', 'info', 'lastsave', 'save', 'bgsave',
          'bgrewriteaof', 'function', 'script', 'memory', 'shardd.info', 'shardd.slowlog', 'shardd.latency',
          'shardd.resetstat', 'shardd.config'}
KEYLESS = {'debug'}
SPLIT = {'mget', 'mset', 'del', 'unlink', 'exists', 'touch'}
NUMKEYS = {  # name: (numkeys index, first key index, store key index or 0)
    'lmpop': (1, 2, 0), 'zmpop': (1, 2, 0), 'sintercard': (1, 2, 0), 'zintercard': (1, 2, 0),
    'zunion': (1, 2, 0), 'zinter': (1, 2, 0), 'zdiff': (1, 2, 0),
    'blmpop': (2, 3, 0), 'bzmpop': (2, 3, 0),
    'eval': (2, 3, 0), 'evalsha': (2, 3, 0), 'eval_ro': (2, 3, 0), 'evalsha_ro': (2, 3, 0),
    'fcall': (2, 3, 0), 'fcall_ro': (2, 3, 0),
    'zunionstore': (2, 3, 1), 'zinterstore': (2, 3, 1), 'zdiffstore': (2, 3, 1),
}

def rs(s):
    out = ''
    for ch in s:
        if ch == '\\': out += '\\\\'
        elif ch == '"': out += '\\"'
        elif ord(ch) < 32 or ord(ch) > 126: out += '\\u{%x}' % ord(ch)
        else: out += ch
    return '"' + out + '"'

def strs(l): return '&[' + ', '.join(rs(x) for x in l) + ']'

def keys_of(name, c):
    base = name.split('|')[-1] if '|' not in name else name
    if name in NUMKEYS: return 'Keys::NumKeys { numkeys_index: %d, first_index: %d, store_index: %d }' % NUMKEYS[name]
    if name == 'sort': return 'Keys::Sort'
    if name in ('georadius', 'georadiusbymember'): return 'Keys::Georadius'
    if name in ('xread', 'xreadgroup'): return 'Keys::Streams'
    if name == 'migrate': return 'Keys::Migrate'
    if 'movablekeys' in c[2] and name != 'sort_ro':
        # Keys behind keywords (GEORADIUS ... STORE, XREAD ... STREAMS,
        # MIGRATE ... KEYS): found from the key specs once implemented.
        if exec_of(name) != 'Exec::Missing': raise Exception('movable ' + name)
        return 'Keys::Unsupported'
    return 'Keys::Fixed'

def route_of(name, c):
    top = name.split('|')[0]
    sub = name.split('|')[1] if '|' in name else None
    if sub == 'help': return 'Route::Connection'
    if top in CONNECTION: return 'Route::Connection'
    if top in KEYLESS: return 'Route::Keyless'
    if name in SPLIT: return 'Route::MultiKeySplit'
    if name in ('georadius', 'georadiusbymember', 'xread', 'xreadgroup'): return 'Route::Together'
    if c[3] != 0 or name in NUMKEYS or name == 'sort':
        if name in NUMKEYS or name == 'sort' or c[4] != c[3]: return 'Route::Together'
        return 'Route::Single'
    if top in FANOUT: return 'Route::FanOut'
    if c[9]: return 'Route::Connection'
    return 'Route::Keyless'

def flags_of(c):
    for f in c[2]: assert f in FLAGS, f
    return ' | '.join('F_' + f.upper() for f in c[2]) or '0'

KEY_FLAGS = ['RO', 'RW', 'OW', 'RM', 'access', 'update', 'insert', 'delete', 'not_key', 'incomplete',
             'variable_flags']

def key_spec(sp):
    x = kv(sp)
    for f in x['flags']: assert f in KEY_FLAGS, f
    flags = ' | '.join('K_' + f.upper() for f in x['flags']) or '0'
    bs, fk = kv(x['begin_search']), kv(x['find_keys'])
    bss, fks = kv(bs['spec']), kv(fk['spec'])
    if bs['type'] == 'index': b = 'BeginSearch::Index(%d)' % bss['index']
    elif bs['type'] == 'keyword': b = 'BeginSearch::Keyword { keyword: %s, startfrom: %d }' % (rs(bss['keyword']), bss['startfrom'])
    else: b = 'BeginSearch::Unknown'
    if fk['type'] == 'range': f = 'FindKeys::Range { lastkey: %d, keystep: %d, limit: %d }' % (fks['lastkey'], fks['keystep'], fks['limit'])
    elif fk['type'] == 'keynum': f = 'FindKeys::KeyNum { keynumidx: %d, firstkey: %d, keystep: %d }' % (fks['keynumidx'], fks['firstkey'], fks['keystep'])
    else: f = 'FindKeys::Unknown'
    return 'ks(%s, %s, %s, %s)' % (rs(x.get('notes', '')), flags, b, f)

def key_specs(c):
    return '&[' + ', '.join(key_spec(sp) for sp in c[8]) + ']'

def docs_of(name, dd):
    x = kv(dd)
    return 'Docs { summary: %s, since: %s, group: %s, complexity: %s }' % (
        rs(x.get('summary', '')), rs(x.get('since', '')), rs(x.get('group', '')), rs(x.get('complexity', '')))

def ident(name):
    return ''.join(w[:1].upper() + w[1:] for w in re.split(r'[|._-]', name))

def entry(name, c, dd, indent, subs_ident):
    ex = exec_of(name) if '.' not in name else 'Exec::Internal'
    if ex == 'Exec::Missing':
        # A container exists as soon as one of its subcommands does.
        ex = next((e for e in (exec_of(s[0]) for s in c[9]) if e != 'Exec::Missing'), ex)
    return '%scmd(Cmd::%s, %s, %d, %s, %d, %d, %d, %s, %s, %s, %s, %s, %s, %s, %s),' % (
        indent, ident(name), rs(name), c[1], flags_of(c), c[3], c[4], c[5], strs(c[6]), strs(c[7]), key_specs(c),
        route_of(name, c), keys_of(name, c), ex, docs_of(name, dd), subs_ident)

ids = []
subtables = []
main = []
for n in names:
    c = info[n]
    ids.append(n)
    subs = sorted(c[9] + [e[0] for e in EXTRA_SUBCOMMANDS.get(n, [])], key=lambda s: s[0])
    subs_ident = '&[]'
    if subs:
        subs_ident = n.upper() + '_SUBCOMMANDS'
        sd = kv(kv(docs[n])['subcommands'])
        for e in EXTRA_SUBCOMMANDS.get(n, []): sd[e[0][0]] = e[1]
        lines = [entry(s[0], s, sd[s[0]], '    ', '&[]') for s in subs]
        ids.extend(s[0] for s in subs)
        subtables.append('/// Subcommands of `%s`, sorted by name.\n#[rustfmt::skip]\nstatic %s: &[CommandSpec] = &[\n%s\n];\n' % (n.upper(), subs_ident, '\n'.join(lines)))
    main.append(entry(n, c, docs[n], '    ', subs_ident))
internal = [entry(c[0], c, dd, '    ', '&[]') for c, dd in INTERNAL]
ids.extend(c[0] for c, _ in INTERNAL)

# FNV-1a over the names in id order: a proxy and a shard built from
# different tables refuse to talk (ids would mean different commands).
fp = 0xcbf29ce484222325
for n in ids:
    for b in (n + '\n').encode():
        fp = ((fp ^ b) * 0x100000001b3) & 0xffffffffffffffff

enum = ('/// A command\'s (or subcommand\'s) id: its index in [`Cmd::ALL`]. The proxy\n'
        '/// puts it in each request record and the shard dispatches on it.\n'
        '#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]\n#[repr(u16)]\npub enum Cmd {\n' +
        ''.join('    /// `%s`\n    %s,\n' % (n, ident(n)) for n in ids) + '}\n\n'
        'impl Cmd {\n    /// Every id, in order (`Cmd::ALL[id as usize] == id`).\n    pub const ALL: [Cmd; %d] = [\n' % len(ids) +
        ''.join('        Cmd::%s,\n' % ident(n) for n in ids) + '    ];\n}\n\n'
        '/// Fingerprint of the names in id order (FNV-1a): both sides of a ring\n'
        '/// check that they were built with the same table.\n'
        'pub const TABLE_FINGERPRINT: u64 = 0x%016x;\n' % fp)

hdr = '''//! The command table's data, generated from `COMMAND` and `COMMAND DOCS`
//! of redis-server 7.0.15 (arity, flags, legacy key positions, ACL
//! categories, tips, key specs, summary, since, group, complexity). Ids,
//! routes, numkeys layouts, who runs each command and the internal commands
//! are ours. Do not edit by hand: regenerate with `gen_data.py` (next to
//! this file) and review the diff.

use super::{
    cmd, flags::*,
    keyspec::{key_flags::*, ks, BeginSearch, FindKeys},
    CommandSpec, Docs, Exec, Keys, Route,
};

'''
body = (hdr + enum + '\n/// Every command, sorted by name (lookups binary-search it).\n#[rustfmt::skip]\npub(super) static COMMANDS: &[CommandSpec] = &[\n' +
        '\n'.join(main) + '\n];\n\n' + '\n'.join(subtables) +
        '\n/// The commands only the proxy sends (see `INTERNAL` in `gen_data.py`).\n#[rustfmt::skip]\npub(super) static INTERNAL: &[CommandSpec] = &[\n' +
        '\n'.join(internal) + '\n];\n')
open(os.path.join(os.path.dirname(os.path.abspath(__file__)), 'data.rs'), 'w').write(body)
print(len(names), 'commands,', len(ids), 'ids written')
