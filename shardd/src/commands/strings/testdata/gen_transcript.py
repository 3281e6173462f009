#!/usr/bin/env python3
"""Records a transcript of random string, bit and HLL commands and the
replies of a real redis-server, for the replay test in
strings/tests/transcript.rs.

It runs FLUSHALL first: point it only at a scratch server.
    REDIS_PORT=17001 python3 gen_transcript.py 21 1200 > redis-7.0-transcript.txt
Line format: args separated by spaces, ' => ', the raw RESP2 reply.
Escapes: \\s space, \\r, \\n, \\\\ backslash, \\xNN other bytes, \\e empty.
"""
import os, random, socket, sys
random.seed(int(sys.argv[1]) if len(sys.argv)>1 else 1)
s=socket.create_connection(('127.0.0.1',int(os.environ.get('REDIS_PORT', '6379')))); f=s.makefile('rb')
def read_reply():
    l=f.readline(); out=l; t=l[:1]
    if t==b'$':
        n=int(l[1:])
        if n>=0: out+=f.read(n+2)
    elif t==b'*':
        n=int(l[1:])
        for _ in range(max(n,0)): out+=read_reply()
    return out
def cmd(a):
    s.sendall(b'*%d\r\n'%len(a)+b''.join(b'$%d\r\n%s\r\n'%(len(x),x) for x in a))
    return read_reply()
keys=[b'a',b'b',b'c']
def esc(b):
    if not b: return '\\e'
    m={32:'\\s',13:'\\r',10:'\\n',92:'\\\\'}
    return ''.join(m[c] if c in m else chr(c) if 33<=c<127 else '\\x%02x'%c for c in b)
def val():
    return random.choice([b'',b'0',b'1',b'-1',b'10',b'foobar',b'\x00\xff\x0f',b'9223372036854775807',b'-9223372036854775808',b'3.5',b'hello world',bytes(random.randrange(256) for _ in range(random.randint(0,12)))])
def num():
    return random.choice([b'0',b'1',b'-1',b'2',b'5',b'7',b'8',b'-3',b'-100',b'100',b'63',b'64',b'x',b'9223372036854775807',b'-9223372036854775808',str(random.randint(-30,30)).encode()])
def bftype(): return random.choice([b'u1',b'u8',b'i8',b'u63',b'i64',b'i5',b'u4',b'i13',b'u64',b'x8'])
def bfoff(): return random.choice([b'0',b'3',b'8',b'17',b'#1',b'#2',b'100',b'-1'])
def bitfield():
    a=[random.choice([b'bitfield',b'bitfield_ro']),random.choice(keys)]
    for _ in range(random.randint(0,4)):
        k=random.random()
        if k<0.3: a+= [b'get',bftype(),bfoff()]
        elif k<0.55: a+=[b'set',bftype(),bfoff(),num()]
        elif k<0.8: a+=[b'incrby',bftype(),bfoff(),num()]
        else: a+=[b'overflow',random.choice([b'wrap',b'sat',b'fail',b'bad'])]
    return a
gens=[
 lambda:[b'set',random.choice(keys),val()],
 lambda:[b'get',random.choice(keys)],
 lambda:[b'append',random.choice(keys),val()],
 lambda:[b'strlen',random.choice(keys)],
 lambda:[b'incr',random.choice(keys)],
 lambda:[b'decrby',random.choice(keys),num()],
 lambda:[b'incrby',random.choice(keys),num()],
 lambda:[b'incrbyfloat',random.choice(keys),random.choice([b'1.5',b'-0.1',b'1e3',b'x',b'0'])],
 lambda:[b'getrange',random.choice(keys),num(),num()],
 lambda:[b'setrange',random.choice(keys),random.choice([b'0',b'1',b'5',b'-1',b'20']),val()],
 lambda:[b'setbit',random.choice(keys),random.choice([b'0',b'7',b'9',b'30',b'-1']),random.choice([b'0',b'1',b'2'])],
 lambda:[b'getbit',random.choice(keys),random.choice([b'0',b'7',b'9',b'30',b'1000'])],
 lambda:[b'bitcount',random.choice(keys)]+random.choice([[],[num(),num()],[num(),num(),random.choice([b'bit',b'byte',b'BIT'])],[num()]]),
 lambda:[b'bitpos',random.choice(keys),random.choice([b'0',b'1',b'2'])]+random.choice([[],[num()],[num(),num()],[num(),num(),random.choice([b'bit',b'byte'])]]),
 lambda:[b'bitop',random.choice([b'and',b'or',b'xor',b'not']),random.choice(keys)]+random.sample(keys,random.randint(1,3)),
 bitfield,
 lambda:[b'lcs',random.choice(keys),random.choice(keys)]+random.choice([[],[b'len'],[b'idx'],[b'idx',b'withmatchlen'],[b'idx',b'minmatchlen',num()]]),
 lambda:[b'mget']+random.sample(keys,random.randint(1,3)),
 lambda:[b'msetnx',random.choice(keys),val()],
 lambda:[b'getset',random.choice(keys),val()],
 lambda:[b'getdel',random.choice(keys)],
 lambda:[b'setnx',random.choice(keys),val()],
 lambda:[b'pfadd',random.choice(keys)]+[val() for _ in range(random.randint(0,3))],
 lambda:[b'pfcount']+random.sample(keys,random.randint(1,3)),
 lambda:[b'pfmerge']+random.sample(keys,random.randint(1,3)),
 lambda:[b'set',random.choice(keys),val()]+random.choice([[b'nx'],[b'xx'],[b'get'],[b'nx',b'get'],[b'keepttl']]),

 lambda:[b'set',random.choice(keys),val()]+random.sample([b'nx',b'xx',b'get',b'keepttl',b'ex',b'px',b'exat',b'pxat',b'persist',num(),b'100',b'0',b'-5'],random.randint(0,4)),
 lambda:[b'getex',random.choice(keys)]+random.sample([b'ex',b'px',b'exat',b'pxat',b'persist',b'100',b'0',b'x',b'nx'],random.randint(0,3)),
 lambda:[random.choice([b'setex',b'psetex']),random.choice(keys),random.choice([b'100',b'0',b'-1',b'x',b'9223372036854775807']),val()],
 lambda:[b'lcs',random.choice(keys),random.choice(keys)]+random.sample([b'len',b'idx',b'withmatchlen',b'minmatchlen',num(),b'foo'],random.randint(0,3)),
 lambda:[b'append',random.choice(keys),bytes(random.choice(b'abc') for _ in range(random.randint(0,30)))],
 lambda:[b'bitfield',random.choice(keys)]+[x for _ in range(random.randint(1,6)) for x in random.choice([[b'incrby',bftype(),bfoff(),num()],[b'overflow',random.choice([b'wrap',b'sat',b'fail'])],[b'set',bftype(),bfoff(),num()]])],
 lambda:[b'mset']+[x for k in random.sample(keys,random.randint(1,3)) for x in (k,val())],
 lambda:[b'lpush',random.choice(keys),b'x'],
]
cmd([b'flushall'])
out=sys.stdout
for i in range(int(sys.argv[2]) if len(sys.argv)>2 else 4000):
    a=random.choice(gens)()
    r=cmd(a)
    out.write(' '.join(esc(x) for x in a)+' => '+esc(r)+'\n')
