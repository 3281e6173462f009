#!/usr/bin/env python3
"""Regenerates data.rs (the command table's data) from a running redis-server 7.

Usage: start `redis-server --port PORT --bind 127.0.0.1 --save '' --appendonly no`,
then `python3 proxy/src/table/gen_data.py PORT`, stop the server, run
`cargo test -p proxy --lib table` and review the diff. Which commands are
served, their routes and numkeys layouts are chosen below (GROUPS, EXTRA,
CONNECTION, FANOUT, SPLIT, NUMKEYS); everything else comes from the server.
"""
import os
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

GROUPS = {'string', 'bitmap', 'hyperloglog', 'generic', 'hash', 'list', 'set', 'sorted-set', 'transactions', 'connection'}
EXCLUDE = {'pfdebug', 'pfselftest', 'migrate', 'move'}
EXTRA = {'bgrewriteaof', 'bgsave', 'command', 'config', 'dbsize', 'debug', 'flushall', 'flushdb', 'info', 'lastsave',
         'memory', 'save', 'shutdown', 'time', 'function', 'script'}
names = sorted(n for n in info if (kv(docs[n])['group'] in GROUPS or n in EXTRA) and n not in EXCLUDE)

FLAGS = ['write', 'readonly', 'denyoom', 'module', 'admin', 'pubsub', 'noscript', 'blocking', 'loading', 'stale',
         'skip_monitor', 'skip_slowlog', 'asking', 'fast', 'no_auth', 'no_mandatory_keys', 'no_async_loading',
         'no_multi', 'movablekeys', 'allow_busy']
CONNECTION = {'ping', 'echo', 'quit', 'reset', 'select', 'auth', 'hello', 'client', 'command', 'config', 'shutdown',
              'time', 'wait', 'multi', 'exec', 'discard', 'watch', 'unwatch'}
FANOUT = {'dbsize', 'keys', 'scan', 'randomkey', 'flushall', 'flushdb', 'info', 'lastsave', 'save', 'bgsave',
          'bgrewriteaof', 'function', 'script', 'memory'}
KEYLESS = {'debug'}
SPLIT = {'mget', 'mset', 'del', 'unlink', 'exists', 'touch'}
NUMKEYS = {  # name: (numkeys index, first key index, store key index or 0)
    'lmpop': (1, 2, 0), 'zmpop': (1, 2, 0), 'sintercard': (1, 2, 0), 'zintercard': (1, 2, 0),
    'zunion': (1, 2, 0), 'zinter': (1, 2, 0), 'zdiff': (1, 2, 0),
    'blmpop': (2, 3, 0), 'bzmpop': (2, 3, 0),
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
    if 'movablekeys' in c[2] and name != 'sort_ro': raise Exception('movable ' + name)
    return 'Keys::Fixed'

def route_of(name, c):
    top = name.split('|')[0]
    sub = name.split('|')[1] if '|' in name else None
    if sub == 'help': return 'Route::Connection'
    if top in CONNECTION: return 'Route::Connection'
    if top in KEYLESS: return 'Route::Keyless'
    if name in SPLIT: return 'Route::MultiKeySplit'
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

out = []
def entry(name, c, dd, indent, subs_ident):
    return '%scmd(%s, %d, %s, %d, %d, %d, %s, %s, %s, %s, %s, %s, %s),' % (
        indent, rs(name), c[1], flags_of(c), c[3], c[4], c[5], strs(c[6]), strs(c[7]), key_specs(c),
        route_of(name, c), keys_of(name, c), docs_of(name, dd), subs_ident)

subtables = []
main = []
for n in names:
    c = info[n]
    subs = sorted(c[9], key=lambda s: s[0])
    ident = '&[]'
    if subs:
        ident = n.upper() + '_SUBCOMMANDS'
        sd = kv(kv(docs[n])['subcommands'])
        lines = [entry(s[0], s, sd[s[0]], '    ', '&[]') for s in subs]
        subtables.append('/// Subcommands of `%s`, sorted by name.\n#[rustfmt::skip]\nstatic %s: &[CommandSpec] = &[\n%s\n];\n' % (n.upper(), ident, '\n'.join(lines)))
    main.append(entry(n, c, docs[n], '    ', ident))

hdr = '''//! The command table's data, generated from `COMMAND` and `COMMAND DOCS`
//! of redis-server 7.0.15 (arity, flags, legacy key positions, ACL
//! categories, tips, key specs, summary, since, group, complexity). Routes and
//! numkeys layouts are ours. Do not edit by hand: regenerate with
//! `gen_data.py` (next to this file) and review the diff.

use super::{
    cmd, flags::*,
    keyspec::{key_flags::*, ks, BeginSearch, FindKeys},
    CommandSpec, Docs, Keys, Route,
};

/// Every command, sorted by name (lookups binary-search it).
#[rustfmt::skip]
pub(super) static COMMANDS: &[CommandSpec] = &[
'''
open(os.path.join(os.path.dirname(os.path.abspath(__file__)), 'data.rs'), 'w').write(hdr + '\n'.join(main) + '\n];\n\n' + '\n'.join(subtables))
print(len(names), 'commands written')
