//! Function libraries (FUNCTION LOAD, FCALL), as Redis 7.0 has them.
//!
//! Every shard holds every library: the proxy sends FUNCTION LOAD, DELETE,
//! FLUSH and RESTORE to each shard (`SHARDD.FUNCTION`), so FCALL runs
//! wherever its keys are, as EVAL does. The libraries' codes live in the
//! keyspace ([`Keyspace::functions`]), which is what makes them durable:
//! each change is logged as one `SHARDD.FUNCTIONS code...` record holding
//! the whole new set, and snapshots carry them as meta records; a
//! restarted shard loads them again from its data. The Lua state compiles
//! them when it is made and again whenever the keyspace's set moved on
//! ([`Keyspace::functions_gen`]), so nothing of the compiled form needs
//! to persist.
//!
//! Loading runs the library's code in a global table that shows only
//! `redis.register_function`, `redis.log` and the version (the prelude's
//! `load_library`), with Redis's 500 ms load timeout; functions run with
//! the scripts' globals and get their keys and arguments as parameters.

use std::{
    collections::HashMap,
    time::{Duration, Instant},
};

use common::reply::Reply;
use mlua::{Function, Table, Value};

use super::{lua_message, Scripts};
use crate::{
    commands::Changes,
    dump::crc64,
    keyspace::Keyspace,
    persist::{txlog::FUNCTIONS, WriteLog},
    server::Engine,
};

/// How long FUNCTION LOAD may run a library's top level (Redis's
/// `LOAD_TIMEOUT_MS`); loading from the shard's own data has none.
const LOAD_TIMEOUT: Duration = Duration::from_millis(500);

/// Function flags, as bits and as Redis names them (its order).
pub(super) const FLAG_NAMES: [(u8, &str); 5] = [
    (1, "no-writes"),
    (2, "allow-oom"),
    (4, "allow-stale"),
    (8, "no-cluster"),
    (16, "allow-cross-slot-keys"),
];
/// The `no-writes` flag.
pub(super) const NO_WRITES: u8 = 1;
/// The `allow-oom` flag of a function.
pub(super) const ALLOW_OOM: u8 = 2;

/// The RDB version FUNCTION DUMP writes (Redis 7.0's), and the newest
/// FUNCTION RESTORE reads.
const RDB_VERSION: u16 = 10;
/// RDB's opcode before each library in a dump (`RDB_OPCODE_FUNCTION2`).
const OPCODE_FUNCTION2: u8 = 245;

const NAME_RULE: &str = "ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long";

/// One registered function.
pub(super) struct FnInfo {
    pub name: String,
    pub desc: Option<Vec<u8>>,
    pub flags: u8,
    pub f: Function,
}

/// One loaded library.
pub(super) struct Library {
    pub name: String,
    pub code: Vec<u8>,
    pub functions: Vec<FnInfo>,
}

/// The libraries compiled in the shard's Lua state.
#[derive(Default)]
pub(super) struct Libraries {
    libs: Vec<Library>,
    /// Function name (lower case) to (library, function) index.
    by_name: HashMap<String, (usize, usize)>,
    /// The keyspace generation compiled ([`Keyspace::functions_gen`]).
    gen: Option<u64>,
}

impl Libraries {
    fn reindex(&mut self) {
        self.by_name.clear();
        for (li, lib) in self.libs.iter().enumerate() {
            for (fi, f) in lib.functions.iter().enumerate() {
                self.by_name.insert(f.name.to_ascii_lowercase(), (li, fi));
            }
        }
    }

    /// The function `name` (any case).
    pub fn get(&self, name: &[u8]) -> Option<&FnInfo> {
        let key = std::str::from_utf8(name).ok()?.to_ascii_lowercase();
        let &(li, fi) = self.by_name.get(&key)?;
        self.libs.get(li)?.functions.get(fi)
    }

    fn position(&self, name: &str) -> Option<usize> {
        self.libs
            .iter()
            .position(|l| l.name.eq_ignore_ascii_case(name))
    }

    fn codes(&self) -> Vec<Vec<u8>> {
        self.libs.iter().map(|l| l.code.clone()).collect()
    }

    /// (libraries, functions).
    fn counts(&self) -> (usize, usize) {
        (
            self.libs.len(),
            self.libs.iter().map(|l| l.functions.len()).sum(),
        )
    }
}

/// `#!<engine> name=<name>`: the engine and the library name.
fn metadata(code: &[u8]) -> Result<(String, String), String> {
    if !code.starts_with(b"#!") {
        return Err("ERR Missing library metadata".into());
    }
    let Some(end) = memchr::memchr(b'\n', code) else {
        return Err("ERR Invalid library metadata".into());
    };
    let parts = split_args(&code[..end]).ok_or("ERR Invalid library metadata")?;
    let Some((first, rest)) = parts.split_first() else {
        return Err("ERR Invalid library metadata".into());
    };
    let engine = String::from_utf8_lossy(first.get(2..).unwrap_or(b"")).into_owned();
    let mut name: Option<String> = None;
    for p in rest {
        if p.len() >= 5 && p[..5].eq_ignore_ascii_case(b"name=") {
            if name.is_some() {
                return Err(
                    "ERR Invalid metadata value, name argument was given multiple times".into(),
                );
            }
            name = Some(String::from_utf8_lossy(&p[5..]).into_owned());
            continue;
        }
        return Err(format!(
            "ERR Invalid metadata value given: {}",
            String::from_utf8_lossy(p)
        ));
    }
    let name = name.ok_or("ERR Library name was not given")?;
    Ok((engine, name))
}

/// Splits a line into arguments as Redis's `sdssplitargs` does (spaces
/// between them; "double quotes" with backslash escapes and 'single
/// quotes' anywhere in one); `None` for unbalanced quotes.
fn split_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    let mut i = 0;
    loop {
        while i < line.len() && line[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= line.len() {
            return Some(out);
        }
        let mut cur = Vec::new();
        let (mut dq, mut sq) = (false, false);
        loop {
            let c = line.get(i).copied();
            if dq {
                match c {
                    None => return None,
                    Some(b'\\') if i + 3 < line.len() && line[i + 1] == b'x' => {
                        let hex = std::str::from_utf8(&line[i + 2..i + 4]).ok();
                        match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                            Some(b) => {
                                cur.push(b);
                                i += 3;
                            }
                            None => cur.push(b'\\'),
                        }
                    }
                    Some(b'\\') if i + 1 < line.len() => {
                        i += 1;
                        cur.push(match line[i] {
                            b'n' => b'\n',
                            b'r' => b'\r',
                            b't' => b'\t',
                            b'b' => 8,
                            b'a' => 7,
                            other => other,
                        });
                    }
                    Some(b'"') => {
                        // The closing quote must end the argument.
                        if line.get(i + 1).is_some_and(|c| !c.is_ascii_whitespace()) {
                            return None;
                        }
                        i += 1;
                        break;
                    }
                    Some(c) => cur.push(c),
                }
            } else if sq {
                match c {
                    None => return None,
                    Some(b'\\') if line.get(i + 1) == Some(&b'\'') => {
                        i += 1;
                        cur.push(b'\'');
                    }
                    Some(b'\'') => {
                        if line.get(i + 1).is_some_and(|c| !c.is_ascii_whitespace()) {
                            return None;
                        }
                        i += 1;
                        break;
                    }
                    Some(c) => cur.push(c),
                }
            } else {
                match c {
                    None => break,
                    Some(c) if c.is_ascii_whitespace() => break,
                    Some(b'"') => dq = true,
                    Some(b'\'') => sq = true,
                    Some(c) => cur.push(c),
                }
            }
            i += 1;
        }
        out.push(cur);
    }
}

fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_')
}

impl Scripts {
    /// Compiles and runs a library's code; the library, or Redis's error.
    /// `timeout`: FUNCTION LOAD's limit (none when loading from disk).
    fn load_library(&self, code: &[u8], timeout: bool) -> Result<Library, String> {
        let (engine, name) = metadata(code)?;
        if !valid_name(&name) {
            return Err(NAME_RULE.into());
        }
        if !engine.eq_ignore_ascii_case("lua") {
            return Err(format!("ERR Engine '{engine}' not found"));
        }
        // The shebang line is blanked, not removed, so line numbers hold.
        let end = memchr::memchr(b'\n', code).unwrap_or(code.len());
        let chunk = self
            .lua
            .load(&code[end..])
            .set_name("@user_function")
            .set_environment(self.fenv.clone())
            .into_function()
            .map_err(|e| format!("ERR Error compiling function: {}", lua_message(&e)))?;
        if timeout {
            self.watch
                .set_load_deadline(Some(Instant::now() + LOAD_TIMEOUT));
        }
        let out = self.load_fn.call::<(bool, Value)>(chunk);
        self.watch.set_load_deadline(None);
        let (ok, got) =
            out.map_err(|e| format!("ERR Error registering functions: ERR {}", lua_message(&e)))?;
        let list = match (ok, got) {
            (true, Value::Table(t)) => t,
            (_, Value::Table(t)) => {
                let msg = t
                    .raw_get::<Option<mlua::LuaString>>("err")
                    .ok()
                    .flatten()
                    .map(|m| String::from_utf8_lossy(&m.as_bytes()).into_owned())
                    .unwrap_or_default();
                return Err(format!("ERR Error registering functions: {msg}"));
            }
            _ => return Err("ERR Error registering functions: execution failure".into()),
        };
        let mut functions = Vec::new();
        for entry in list.sequence_values::<Table>() {
            let e = entry.map_err(|e| format!("ERR {e}"))?;
            let name: String = e.raw_get(1).map_err(|e| format!("ERR {e}"))?;
            let f: Function = e.raw_get(2).map_err(|e| format!("ERR {e}"))?;
            let desc = match e.raw_get::<Value>(3) {
                Ok(Value::String(s)) => Some(s.as_bytes().to_vec()),
                _ => None,
            };
            let flags: i64 = e.raw_get(4).unwrap_or(0);
            functions.push(FnInfo {
                name,
                desc,
                flags: flags as u8,
                f,
            });
        }
        if functions.is_empty() {
            return Err("ERR No functions registered".into());
        }
        Ok(Library {
            name,
            code: code.to_vec(),
            functions,
        })
    }

    /// Compiles the keyspace's libraries if they changed since the last
    /// look (a restart, a replayed log, SCRIPT FLUSH's new state).
    pub(super) fn sync_functions(&mut self, ks: &Keyspace) {
        if self.libraries.gen == Some(ks.functions_gen()) {
            return;
        }
        let mut libs = Libraries::default();
        for code in ks.functions() {
            match self.load_library(code, false) {
                Ok(l) => libs.libs.push(l),
                Err(e) => tracing::error!("a stored function library does not load: {e}"),
            }
        }
        libs.reindex();
        libs.gen = Some(ks.functions_gen());
        self.libraries = libs;
    }

    /// The function `name` (any case), compiled.
    pub(super) fn function(&self, name: &[u8]) -> Option<(Function, u8, String)> {
        self.libraries
            .get(name)
            .map(|f| (f.f.clone(), f.flags, f.name.clone()))
    }
}

/// A FUNCTION RESTORE policy.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Policy {
    Append,
    Replace,
    Flush,
}

impl<L: WriteLog> Engine<L> {
    /// The libraries, their functions and their code's bytes (`INFO`).
    /// Libraries a restart or a replayed log brought are compiled first,
    /// as the next FCALL would.
    pub(crate) fn function_figures(&mut self) -> (usize, usize, usize) {
        let code: usize = self.ks.functions().iter().map(Vec::len).sum();
        if self.ks.functions().is_empty() {
            return (0, 0, 0);
        }
        let mut ignored = Vec::new();
        let mut reply = Reply::new(&mut ignored, common::reply::Proto::Resp2);
        let Some(mut scripts) = self.take_scripts(true, &mut reply) else {
            return (self.ks.functions().len(), 0, code);
        };
        scripts.sync_functions(&self.ks);
        let (libs, fns) = scripts.libraries.counts();
        self.put_scripts(true, scripts);
        (libs, fns, code)
    }

    /// `SHARDD.FUNCTION sub args...`: FUNCTION's subcommands on this
    /// shard's libraries (STATS answers `[libraries, functions]`; the
    /// proxy adds the running script), and `FLAGS name`, the proxy's own:
    /// the function's flags as the prelude numbers them (`no-writes` 1,
    /// `allow-oom` 2, `allow-stale` 4, `no-cluster` 8,
    /// `allow-cross-slot-keys` 16), -1 for no such function.
    pub(super) fn serve_function(&mut self, args: &[&[u8]], reply: &mut Reply) {
        let Some(mut scripts) = self.take_scripts(true, reply) else {
            return;
        };
        scripts.sync_functions(&self.ks);
        let sub = args
            .get(1)
            .map(|s| s.to_ascii_lowercase())
            .unwrap_or_default();
        let rest = args.get(2..).unwrap_or(&[]);
        let changed = match sub.as_slice() {
            b"load" => function_load(&scripts, rest, reply),
            b"delete" => match rest {
                [name] => {
                    let name = String::from_utf8_lossy(name);
                    match scripts.libraries.position(&name) {
                        Some(i) => {
                            let mut libs = std::mem::take(&mut scripts.libraries.libs);
                            libs.remove(i);
                            reply.ok();
                            Some(libs)
                        }
                        None => {
                            reply.error("ERR Library not found");
                            None
                        }
                    }
                }
                _ => {
                    reply.error("ERR wrong number of arguments for 'function|delete' command");
                    None
                }
            },
            b"flush" => {
                reply.ok();
                Some(Vec::new())
            }
            b"restore" => function_restore(&scripts, rest, reply),
            b"list" => {
                function_list(&scripts.libraries, rest, reply);
                None
            }
            b"dump" => {
                reply.bulk(&dump_payload(&scripts.libraries));
                None
            }
            b"flags" => {
                match rest {
                    [name] => match scripts.function(name) {
                        Some((_, flags, _)) => reply.int(i64::from(flags)),
                        None => reply.int(-1),
                    },
                    _ => reply.error("ERR wrong number of arguments for 'function|flags' command"),
                }
                None
            }
            b"stats" => {
                let (libs, fns) = scripts.libraries.counts();
                reply.array(2);
                reply.int(libs as i64);
                reply.int(fns as i64);
                None
            }
            _ => {
                reply.error("ERR unknown FUNCTION subcommand");
                None
            }
        };
        if let Some(libs) = changed {
            // What other libraries were before a failed change is kept:
            // `function_load` and `function_restore` hand back the whole
            // new set only on success.
            scripts.libraries.libs = libs;
            scripts.libraries.reindex();
            let codes = scripts.libraries.codes();
            let mut record: Vec<&[u8]> = Vec::with_capacity(codes.len() + 1);
            record.push(FUNCTIONS);
            record.extend(codes.iter().map(Vec::as_slice));
            self.log.append(
                self.ks.selected(),
                &record,
                b"+OK\r\n",
                self.ks.now_ms(),
                Changes(1),
            );
            self.ks.set_functions(codes);
            scripts.libraries.gen = Some(self.ks.functions_gen());
            // What the old libraries held goes now, not at some later
            // step (INFO's Lua memory stays the live set's).
            let _ = scripts.lua.gc_collect();
        }
        self.put_scripts(true, scripts);
    }
}

/// `LOAD [REPLACE] code`: the new set of libraries, or `None` after
/// writing the error.
fn function_load(s: &Scripts, args: &[&[u8]], reply: &mut Reply) -> Option<Vec<Library>> {
    let mut replace = false;
    let mut pos = 0;
    while pos + 1 < args.len() {
        if args[pos].eq_ignore_ascii_case(b"replace") {
            replace = true;
            pos += 1;
            continue;
        }
        reply.error(&format!(
            "ERR Unknown option given: {}",
            String::from_utf8_lossy(args[pos])
        ));
        return None;
    }
    let Some(code) = args.get(pos) else {
        reply.error("ERR Function code is missing");
        return None;
    };
    // The name is checked before the code runs, as Redis does.
    if let Ok((engine, name)) = metadata(code) {
        let known = valid_name(&name) && engine.eq_ignore_ascii_case("lua");
        if known && !replace && s.libraries.position(&name).is_some() {
            reply.error(&format!("ERR Library '{name}' already exists"));
            return None;
        }
    }
    let lib = match s.load_library(code, true) {
        Ok(l) => l,
        Err(e) => {
            reply.error(&e);
            return None;
        }
    };
    let name = lib.name.clone();
    match join(&s.libraries.libs, vec![lib], Policy::Replace) {
        Ok(libs) => {
            reply.bulk(name.as_bytes());
            Some(libs)
        }
        Err(e) => {
            reply.error(&e);
            None
        }
    }
}

/// The libraries `old` joined with `new` under `policy` (FLUSH: `new`
/// alone; APPEND: a library name in both is an error; REPLACE: `new`'s
/// win), or Redis's error; a function name in two libraries is an error.
fn join(old: &[Library], new: Vec<Library>, policy: Policy) -> Result<Vec<Library>, String> {
    let kept: Vec<&Library> = match policy {
        Policy::Flush => Vec::new(),
        Policy::Append => {
            if let Some(l) = new
                .iter()
                .find(|n| old.iter().any(|o| o.name.eq_ignore_ascii_case(&n.name)))
            {
                return Err(format!("ERR Library {} already exists", l.name));
            }
            old.iter().collect()
        }
        Policy::Replace => old
            .iter()
            .filter(|o| !new.iter().any(|n| n.name.eq_ignore_ascii_case(&o.name)))
            .collect(),
    };
    for n in &new {
        for f in &n.functions {
            if kept
                .iter()
                .flat_map(|l| l.functions.iter())
                .any(|g| g.name.eq_ignore_ascii_case(&f.name))
            {
                return Err(format!("ERR Function {} already exists", f.name));
            }
        }
    }
    // The libraries kept are compiled already: they move over as they
    // are (their code and compiled functions), in their order.
    let mut out: Vec<Library> = kept
        .into_iter()
        .map(|l| Library {
            name: l.name.clone(),
            code: l.code.clone(),
            functions: l
                .functions
                .iter()
                .map(|f| FnInfo {
                    name: f.name.clone(),
                    desc: f.desc.clone(),
                    flags: f.flags,
                    f: f.f.clone(),
                })
                .collect(),
        })
        .collect();
    out.extend(new);
    Ok(out)
}

/// `RESTORE payload [FLUSH|APPEND|REPLACE]`.
fn function_restore(s: &Scripts, args: &[&[u8]], reply: &mut Reply) -> Option<Vec<Library>> {
    let policy = match args {
        [_] => Policy::Append,
        [_, p] if p.eq_ignore_ascii_case(b"append") => Policy::Append,
        [_, p] if p.eq_ignore_ascii_case(b"replace") => Policy::Replace,
        [_, p] if p.eq_ignore_ascii_case(b"flush") => Policy::Flush,
        [_, _] => {
            reply.error(
                "ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.",
            );
            return None;
        }
        _ => {
            reply.error("ERR unknown subcommand or wrong number of arguments for 'restore'. Try FUNCTION HELP.");
            return None;
        }
    };
    let codes = match parse_payload(args[0]) {
        Ok(c) => c,
        Err(e) => {
            reply.error(e);
            return None;
        }
    };
    let mut new: Vec<Library> = Vec::new();
    for code in codes {
        let lib = match s.load_library(&code, false) {
            Ok(l) => l,
            Err(e) => {
                reply.error(&e);
                return None;
            }
        };
        if new.iter().any(|n| n.name.eq_ignore_ascii_case(&lib.name)) {
            reply.error(&format!("ERR Library '{}' already exists", lib.name));
            return None;
        }
        new.push(lib);
    }
    // Function names repeated inside the payload.
    let mut seen = std::collections::HashSet::new();
    for f in new.iter().flat_map(|l| l.functions.iter()) {
        if !seen.insert(f.name.to_ascii_lowercase()) {
            reply.error(&format!("ERR Function {} already exists", f.name));
            return None;
        }
    }
    match join(&s.libraries.libs, new, policy) {
        Ok(libs) => {
            reply.ok();
            Some(libs)
        }
        Err(e) => {
            reply.error(&e);
            None
        }
    }
}

/// `LIST [WITHCODE] [LIBRARYNAME pattern]`.
fn function_list(libs: &Libraries, args: &[&[u8]], reply: &mut Reply) {
    let mut with_code = false;
    let mut pattern: Option<&[u8]> = None;
    let mut i = 0;
    while i < args.len() {
        let a = args[i];
        if !with_code && a.eq_ignore_ascii_case(b"withcode") {
            with_code = true;
        } else if pattern.is_none() && a.eq_ignore_ascii_case(b"libraryname") {
            let Some(p) = args.get(i + 1) else {
                return reply.error("ERR library name argument was not given");
            };
            pattern = Some(p);
            i += 1;
        } else {
            return reply.error(&format!(
                "ERR Unknown argument {}",
                String::from_utf8_lossy(a)
            ));
        }
        i += 1;
    }
    let shown: Vec<&Library> = libs
        .libs
        .iter()
        .filter(|l| pattern.is_none_or(|p| common::glob::matches_nocase(p, l.name.as_bytes())))
        .collect();
    reply.array(shown.len());
    for l in shown {
        reply.map(if with_code { 4 } else { 3 });
        reply.bulk(b"library_name");
        reply.bulk(l.name.as_bytes());
        reply.bulk(b"engine");
        reply.bulk(b"LUA");
        reply.bulk(b"functions");
        reply.array(l.functions.len());
        for f in &l.functions {
            reply.map(3);
            reply.bulk(b"name");
            reply.bulk(f.name.as_bytes());
            reply.bulk(b"description");
            match &f.desc {
                Some(d) => reply.bulk(d),
                None => reply.null(),
            }
            reply.bulk(b"flags");
            let names: Vec<&str> = FLAG_NAMES
                .iter()
                .filter(|(bit, _)| f.flags & bit != 0)
                .map(|(_, n)| *n)
                .collect();
            reply.set(names.len());
            for n in names {
                reply.simple(n);
            }
        }
        if with_code {
            reply.bulk(b"library_code");
            reply.bulk(&l.code);
        }
    }
}

/// FUNCTION DUMP's payload, as Redis writes it: per library the opcode
/// and its code as an RDB string, then the RDB version (2 bytes, little
/// endian) and a CRC64 of everything before it (8 bytes, little endian).
fn dump_payload(libs: &Libraries) -> Vec<u8> {
    let mut out = Vec::new();
    for l in &libs.libs {
        out.push(OPCODE_FUNCTION2);
        put_len(&mut out, l.code.len() as u64);
        out.extend_from_slice(&l.code);
    }
    out.extend_from_slice(&RDB_VERSION.to_le_bytes());
    let crc = crc64(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// RDB's length encoding.
fn put_len(out: &mut Vec<u8>, n: u64) {
    if n < 64 {
        out.push(n as u8);
    } else if n < 16384 {
        out.push(0x40 | (n >> 8) as u8);
        out.push(n as u8);
    } else if n <= u64::from(u32::MAX) {
        out.push(0x80);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    } else {
        out.push(0x81);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

const BAD_PAYLOAD: &str = "ERR DUMP payload version or checksum are wrong";

/// The library codes in a FUNCTION DUMP payload (ours or Redis's,
/// whose long codes may be LZF-compressed).
fn parse_payload(p: &[u8]) -> Result<Vec<Vec<u8>>, &'static str> {
    if p.len() < 10 {
        return Err(BAD_PAYLOAD);
    }
    let (body, crc) = p.split_at(p.len() - 8);
    let crc = u64::from_le_bytes(crc.try_into().map_err(|_| BAD_PAYLOAD)?);
    let version = u16::from_le_bytes([body[body.len() - 2], body[body.len() - 1]]);
    if version > RDB_VERSION || crc64(body) != crc {
        return Err(BAD_PAYLOAD);
    }
    let mut r = Cursor {
        data: &body[..body.len() - 2],
        at: 0,
    };
    let mut codes = Vec::new();
    while r.at < r.data.len() {
        let t = r.byte().ok_or("ERR can not read data type")?;
        if t != OPCODE_FUNCTION2 {
            return Err("ERR given type is not a function");
        }
        let code = r
            .string()
            .ok_or("ERR failed loading the given functions payload")?;
        codes.push(code);
    }
    Ok(codes)
}

struct Cursor<'a> {
    data: &'a [u8],
    at: usize,
}

/// An RDB length, or a special encoding (`Err(kind)`).
enum Len {
    Plain(u64),
    Encoded(u8),
}

impl Cursor<'_> {
    fn byte(&mut self) -> Option<u8> {
        let b = *self.data.get(self.at)?;
        self.at += 1;
        Some(b)
    }

    fn take(&mut self, n: usize) -> Option<&[u8]> {
        let end = self.at.checked_add(n)?;
        let s = self.data.get(self.at..end)?;
        self.at = end;
        Some(s)
    }

    fn len(&mut self) -> Option<Len> {
        let b = self.byte()?;
        Some(match b >> 6 {
            0 => Len::Plain(u64::from(b & 0x3f)),
            1 => Len::Plain((u64::from(b & 0x3f) << 8) | u64::from(self.byte()?)),
            2 if b == 0x80 => Len::Plain(u64::from(u32::from_be_bytes(
                self.take(4)?.try_into().ok()?,
            ))),
            2 if b == 0x81 => Len::Plain(u64::from_be_bytes(self.take(8)?.try_into().ok()?)),
            2 => return None,
            _ => Len::Encoded(b & 0x3f),
        })
    }

    fn plain_len(&mut self) -> Option<usize> {
        match self.len()? {
            Len::Plain(n) => usize::try_from(n).ok(),
            Len::Encoded(_) => None,
        }
    }

    /// An RDB string: plain, an integer, or LZF-compressed.
    fn string(&mut self) -> Option<Vec<u8>> {
        match self.len()? {
            Len::Plain(n) => Some(self.take(usize::try_from(n).ok()?)?.to_vec()),
            Len::Encoded(0) => Some((self.byte()? as i8).to_string().into_bytes()),
            Len::Encoded(1) => Some(
                i16::from_le_bytes(self.take(2)?.try_into().ok()?)
                    .to_string()
                    .into_bytes(),
            ),
            Len::Encoded(2) => Some(
                i32::from_le_bytes(self.take(4)?.try_into().ok()?)
                    .to_string()
                    .into_bytes(),
            ),
            Len::Encoded(3) => {
                let clen = self.plain_len()?;
                let len = self.plain_len()?;
                let packed = self.take(clen)?;
                lzf_decompress(packed, len)
            }
            Len::Encoded(_) => None,
        }
    }
}

/// LZF decompression (the format Redis compresses RDB strings with) to
/// exactly `len` bytes; `None` for damaged input.
fn lzf_decompress(input: &[u8], len: usize) -> Option<Vec<u8>> {
    // The output never exceeds `len`: a damaged length cannot make it
    // allocate more than the payload could describe.
    let mut out: Vec<u8> = Vec::with_capacity(len.min(input.len().saturating_mul(256)));
    let mut i = 0;
    while i < input.len() {
        let ctrl = usize::from(input[i]);
        i += 1;
        if ctrl < 32 {
            let run = ctrl + 1;
            let lit = input.get(i..i + run)?;
            if out.len() + run > len {
                return None;
            }
            out.extend_from_slice(lit);
            i += run;
        } else {
            let mut n = ctrl >> 5;
            if n == 7 {
                n += usize::from(*input.get(i)?);
                i += 1;
            }
            let back = ((ctrl & 0x1f) << 8) + usize::from(*input.get(i)?) + 1;
            i += 1;
            n += 2;
            let from = out.len().checked_sub(back)?;
            if out.len() + n > len {
                return None;
            }
            for k in 0..n {
                let b = out[from + k];
                out.push(b);
            }
        }
    }
    (out.len() == len).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_is_read_as_redis_reads_it() {
        assert_eq!(
            metadata(b"#!lua name=lib\nx").unwrap(),
            ("lua".into(), "lib".into())
        );
        assert_eq!(
            metadata(b"#!LUA name=\"foo\"\n").unwrap(),
            ("LUA".into(), "foo".into())
        );
        assert_eq!(metadata(b"#! name=t\n").unwrap().0, "");
        assert_eq!(
            metadata(b"#!lua\n").unwrap_err(),
            "ERR Library name was not given"
        );
        assert_eq!(
            metadata(b"#!lua name=a name=b\n").unwrap_err(),
            "ERR Invalid metadata value, name argument was given multiple times"
        );
        assert_eq!(
            metadata(b"#!lua name=t foo=bar\n").unwrap_err(),
            "ERR Invalid metadata value given: foo=bar"
        );
        assert_eq!(
            metadata(b"return 1").unwrap_err(),
            "ERR Missing library metadata"
        );
        assert_eq!(
            metadata(b"#!lua name=x").unwrap_err(),
            "ERR Invalid library metadata"
        );
        assert_eq!(
            metadata(b"#!lua name=\"x\n").unwrap_err(),
            "ERR Invalid library metadata"
        );
        assert!(!valid_name("bad\0name"));
        assert!(valid_name("ok_1"));
    }

    #[test]
    fn redis_dump_payloads_read_back() {
        // FUNCTION DUMP of redis-server 7.0.15 after loading this library.
        let code = b"#!lua name=lib1\nredis.register_function(\"f1\", function(k,a) return k[1] .. a[1] + nil end)";
        let mut p = vec![0xf5, 0x40, 0x5a];
        p.extend_from_slice(code);
        p.extend_from_slice(&[0x0a, 0x00, 0x7c, 0x44, 0x10, 0xd3, 0x6d, 0x29, 0xfd, 0xaa]);
        assert_eq!(parse_payload(&p).unwrap(), vec![code.to_vec()]);
        let mut bad = p.clone();
        bad[5] ^= 1;
        assert_eq!(parse_payload(&bad).unwrap_err(), BAD_PAYLOAD);
        assert_eq!(parse_payload(b"bad_payload").unwrap_err(), BAD_PAYLOAD);
    }

    #[test]
    fn lzf_strings_decompress() {
        // "aaaaaaaaaa" + "abc": a literal 'a', a back reference of 9 at
        // distance 1, then the literal "abc".
        let packed = [0x00, b'a', 0xe0, 0x00, 0x00, 0x02, b'a', b'b', b'c'];
        let mut want = vec![b'a'; 10];
        want.extend_from_slice(b"abc");
        assert_eq!(lzf_decompress(&packed, 13).unwrap(), want);
        assert!(lzf_decompress(&packed, 5).is_none());
        assert!(lzf_decompress(&[0x20, 0x05], 10).is_none());
    }
}
