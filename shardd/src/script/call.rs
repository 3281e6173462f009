//! `redis.call`, `redis.pcall`, `redis.setresp` and `redis.acl_check_cmd`
//! as C functions, how their arguments reach the shard's Rust side and
//! their replies come back, and the other C functions a run's hot path
//! uses instead of mlua's values (`impl.args`, `impl.put_reply`): each
//! mlua value is a registry reference and each of its table operations a
//! protected call, which cost more than the script itself.

use std::cell::RefCell;

use mlua::{Lua, MultiValue, Value};

use super::convert;

/// `redis.call`, `redis.pcall` and `redis.setresp` as C functions, so a
/// script's frame stays on the stack when it tail-calls them (`return
/// redis.call(...)`): errors then name the script's line, as Redis's do.
/// Each runs the running script's call (`run_script`'s closure, bound
/// by [`Bound`]): `redis.call` and `redis.pcall` straight from here on
/// the main thread ([`call_direct`]), otherwise (`redis.setresp`,
/// `redis.acl_check_cmd`, calls inside a coroutine) through
/// `impl.f(kind, args...)`, an mlua function. The call answers
/// `(value, failed)`; a failure is raised with the error table as the
/// error object.
///
/// # Safety
/// Called by Lua with `l` its running state, from a C function made by
/// [`closure`] over `"ok"`; uses only the stack.
pub(super) unsafe fn redis_generic_c(l: *mut mlua::ffi::lua_State, kind: u8) -> std::ffi::c_int {
    use mlua::ffi;
    let mut n = ffi::lua_gettop(l);
    let mut kind = kind;
    if kind != CALL_SETRESP {
        // The arguments are read here, as Redis reads them, into one
        // buffer reused from call to call, and leave the stack before the
        // call: no Lua value crosses into Rust for them, and `unpack` of
        // thousands fits (Lua's stack has no room for more than 8000).
        PACKED_ARGS.with(|p| {
            let mut p = p.borrow_mut();
            let packed = &mut *p;
            packed.list.clear();
            packed.bad = false;
            for i in 1..=n {
                match ffi::lua_type(l, i) {
                    ffi::LUA_TNUMBER => {
                        let text = convert::format_g(ffi::lua_tonumber(l, i), 17);
                        packed.list.push(text.as_bytes());
                    }
                    ffi::LUA_TSTRING => {
                        let mut len = 0usize;
                        let ptr = ffi::lua_tolstring(l, i, &mut len);
                        packed
                            .list
                            .push(std::slice::from_raw_parts(ptr as *const u8, len));
                    }
                    _ => {
                        packed.bad = true;
                        packed.list.push(&[]);
                    }
                }
            }
        });
        ffi::lua_settop(l, 0);
        n = 0;
        kind |= CALL_PACKED;
    }
    if ffi::lua_checkstack(l, 3) == 0 {
        ffi::luaL_error(l, c"too many arguments".as_ptr());
    }
    if matches!(kind & !CALL_PACKED, CALL_RAISE | CALL_PCALL) {
        match call_direct(l, kind) {
            Some(Direct::Reply { failed }) => {
                if failed && kind & !CALL_PACKED == CALL_RAISE {
                    ffi::lua_error(l);
                }
                return 1;
            }
            Some(Direct::Raise) => {
                ffi::lua_error(l);
            }
            None => {}
        }
    }
    ffi::lua_getfield(l, ffi::LUA_REGISTRYINDEX, c"shardis.impl".as_ptr());
    ffi::lua_getfield(l, -1, c"f".as_ptr());
    ffi::lua_remove(l, -2);
    ffi::lua_insert(l, 1);
    ffi::lua_pushinteger(l, ffi::lua_Integer::from(kind));
    ffi::lua_insert(l, 2);
    HANDED_OVER.with(|h| h.set(None));
    ffi::lua_call(l, n + 1, 2);
    let failed = ffi::lua_toboolean(l, -1) != 0;
    ffi::lua_settop(l, -2);
    if let Some(simple) = HANDED_OVER.with(|h| h.take()) {
        // `impl.f` answered nil and left the reply in `SIMPLE_REPLY`.
        ffi::lua_settop(l, -2);
        push_simple(l, simple, ffi::lua_upvalueindex(1));
    }
    let kind = kind & !CALL_PACKED;
    if failed && kind != CALL_PCALL {
        ffi::lua_error(l);
    }
    if kind == CALL_SETRESP {
        return 0;
    }
    1
}

/// A reply `redis.call` gives as a plain Lua value, made here with Lua's
/// C API rather than through mlua's values (a table, a string and a
/// protected call each, and a registry reference to hand back): where a
/// one-call script spent a tenth of its instructions. Any other reply
/// (errors, arrays, RESP3's doubles, maps...) goes through
/// [`convert::reply_to_lua`], the one place that knows them all.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Simple {
    /// `+text`: `{ok=text}`; `$len`: the string; both at `(start, len)`
    /// in [`SIMPLE_REPLY`].
    Status(usize, usize),
    Bulk(usize, usize),
    /// `:n`: a number.
    Number(f64),
    /// `$-1` under RESP2: false; `#t`/`#f`: a boolean.
    Boolean(bool),
    /// `_` (RESP3's null): nil.
    Nil,
}

/// What `reply` (one whole reply) is, if [`Simple`]; as
/// [`convert::reply_to_lua`] converts it.
pub(super) fn simple(reply: &[u8]) -> Option<Simple> {
    let end = memchr::memchr(b'\r', reply)?;
    if reply.get(end + 1) != Some(&b'\n') {
        return None;
    }
    let body = reply.get(1..end)?;
    let whole = |len: usize| reply.len() == len;
    match reply.first()? {
        b'+' if whole(end + 2) => Some(Simple::Status(1, body.len())),
        b':' if whole(end + 2) => common::num::parse_i64(body).map(|n| Simple::Number(n as f64)),
        b'_' if whole(end + 2) && body.is_empty() => Some(Simple::Nil),
        b'#' if whole(end + 2) && body.len() == 1 => Some(Simple::Boolean(body == b"t")),
        b'$' => match common::num::parse_i64(body)? {
            n if n < 0 => whole(end + 2).then_some(Simple::Boolean(false)),
            n => {
                let len = usize::try_from(n).ok()?;
                let start = end + 2;
                (whole(start.checked_add(len)?.checked_add(2)?)
                    && reply.get(start + len..) == Some(b"\r\n".as_slice()))
                .then_some(Simple::Bulk(start, len))
            }
        },
        _ => None,
    }
}

/// Hands a simple reply over to [`redis_generic_c`], which pushes it
/// itself: swaps `reply` with the buffer kept for it (both stay
/// allocated from call to call). `false` (and nothing moved) for any
/// other reply.
pub(super) fn hand_over(reply: &mut Vec<u8>) -> bool {
    let Some(s) = simple(reply) else {
        return false;
    };
    SIMPLE_REPLY.with(|b| std::mem::swap(&mut *b.borrow_mut(), reply));
    HANDED_OVER.with(|h| h.set(Some(s)));
    true
}

/// Notes `msg` to be pushed as a string by [`push_simple`].
fn note_message(msg: &[u8]) -> Simple {
    SIMPLE_REPLY.with(|b| {
        let mut b = b.borrow_mut();
        b.clear();
        b.extend_from_slice(msg);
    });
    Simple::Bulk(0, msg.len())
}

/// Pushes the handed-over reply.
///
/// # Safety
/// `l` is the running state with room for three values. A memory error
/// raised here crosses only this frame and the caller's, which hold no
/// value that needs dropping (the buffer is read through a raw pointer).
unsafe fn push_simple(l: *mut mlua::ffi::lua_State, s: Simple, ok: std::ffi::c_int) {
    use mlua::ffi;
    let base = SIMPLE_REPLY.with(|b| b.borrow().as_ptr());
    match s {
        Simple::Status(start, len) => {
            ffi::lua_createtable(l, 0, 1);
            ffi::lua_pushvalue(l, ok);
            ffi::lua_pushlstring_(l, base.add(start).cast(), len);
            ffi::lua_rawset(l, -3);
        }
        Simple::Bulk(start, len) => ffi::lua_pushlstring_(l, base.add(start).cast(), len),
        Simple::Number(n) => ffi::lua_pushnumber(l, n),
        Simple::Boolean(b) => ffi::lua_pushboolean(l, std::ffi::c_int::from(b)),
        Simple::Nil => ffi::lua_pushnil(l),
    }
}

/// The KEYS and ARGV of the run that is starting, for [`run_args_c`]
/// (set by [`RunArgs::new`] for as long as it lives).
type ArgLists = (*const [&'static [u8]], *const [&'static [u8]]);

thread_local! {
    static RUN_ARGS: std::cell::Cell<Option<ArgLists>> = const { std::cell::Cell::new(None) };
}

/// Hands a run's KEYS and ARGV to [`run_args_c`] while it lives.
pub(super) struct RunArgs;

impl RunArgs {
    pub(super) fn new(keys: &[&[u8]], argv: &[&[u8]]) -> RunArgs {
        // SAFETY: only the lifetime is erased; the pointers are cleared
        // when `RunArgs` drops, before the lists go away.
        let erase = |a: &[&[u8]]| unsafe {
            std::mem::transmute::<*const [&[u8]], *const [&'static [u8]]>(a)
        };
        RUN_ARGS.with(|r| r.set(Some((erase(keys), erase(argv)))));
        RunArgs
    }
}

impl Drop for RunArgs {
    fn drop(&mut self) {
        RUN_ARGS.with(|r| r.set(None));
    }
}

/// `impl.args([vars])`, which the prelude calls as a run starts: KEYS and
/// ARGV as two arrays of strings, stored in `vars` (a script's globals)
/// when given, else returned (a function's parameters). Made with Lua's
/// C API from inside the run: mlua's tables cost a protected call per
/// element, and its raw entry point a closure per call.
///
/// A script's KEYS and ARGV are the previous run's tables refilled when
/// that run left them plain lists (no metatable, no other keys; see
/// [`refill`]): two tables fewer to make and collect per run. No script
/// can see the reuse: a script's globals and every library are read-only,
/// so nothing a run leaves reaches the next run but through `vars`. A
/// function's tables are always new (a library's locals outlive a call).
///
/// # Safety
/// Called by Lua, made by [`closure`] over `"KEYS"` and `"ARGV"`. The
/// lists are read through the pointers [`RunArgs`] set, alive while the
/// run is; a memory error raised here crosses only this frame, which
/// holds nothing that needs dropping.
pub(super) unsafe extern "C-unwind" fn run_args_c(l: *mut mlua::ffi::lua_State) -> std::ffi::c_int {
    use mlua::ffi;
    let Some((keys, argv)) = RUN_ARGS.with(|r| r.get()) else {
        return 0;
    };
    let into_vars = ffi::lua_type(l, 1) == ffi::LUA_TTABLE;
    if ffi::lua_checkstack(l, 6) == 0 {
        ffi::luaL_error(l, c"stack overflow".as_ptr());
    }
    for (name, list) in [(1, keys), (2, argv)] {
        let list: &[&[u8]] = &*list;
        if into_vars {
            ffi::lua_pushvalue(l, ffi::lua_upvalueindex(name));
            ffi::lua_pushvalue(l, -1);
            ffi::lua_rawget(l, 1);
            if refill(l, list) {
                // `vars` already holds it: drop the table and the name.
                ffi::lua_settop(l, -3);
                continue;
            }
            ffi::lua_settop(l, -2);
        }
        ffi::lua_createtable(l, c_int(list.len()), 0);
        for (i, item) in list.iter().enumerate() {
            ffi::lua_pushlstring_(l, item.as_ptr().cast(), item.len());
            ffi::lua_rawseti_(l, -2, c_int(i + 1));
        }
        if into_vars {
            ffi::lua_rawset(l, 1);
        }
    }
    if into_vars {
        0
    } else {
        2
    }
}

/// Refills the table on top of the stack with `list` as a Lua array
/// (`t[1]` to `t[n]`), when it is a table with no metatable: afterwards
/// it must hold exactly those entries, else `false` (the caller makes a
/// new one; what was written to this one no longer matters). Leaves the
/// stack as it was.
///
/// # Safety
/// As [`run_args_c`]'s, with room for three more values.
unsafe fn refill(l: *mut mlua::ffi::lua_State, list: &[&[u8]]) -> bool {
    use mlua::ffi;
    if ffi::lua_type(l, -1) != ffi::LUA_TTABLE {
        return false;
    }
    if ffi::lua_getmetatable(l, -1) != 0 {
        ffi::lua_settop(l, -2);
        return false;
    }
    let old = ffi::lua_objlen(l, -1);
    for (i, item) in list.iter().enumerate() {
        ffi::lua_pushlstring_(l, item.as_ptr().cast(), item.len());
        ffi::lua_rawseti_(l, -2, c_int(i + 1));
    }
    for i in list.len() + 1..=old {
        ffi::lua_pushnil(l);
        ffi::lua_rawseti_(l, -2, c_int(i));
    }
    // Anything after the last entry (a hole past `old`, a named field)?
    if list.is_empty() {
        ffi::lua_pushnil(l);
    } else {
        ffi::lua_pushinteger(l, ffi::lua_Integer::try_from(list.len()).unwrap_or(0));
    }
    if ffi::lua_next(l, -2) != 0 {
        ffi::lua_settop(l, -3);
        return false;
    }
    true
}

/// A script's return value when plain, noted by [`put_reply_c`] for the
/// shard to write (the bytes of a string in [`RETURNED_BYTES`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Returned {
    /// A string: a bulk reply.
    Bulk,
    /// `{ok=s}` (no `err` field): a status reply.
    Status,
    Number(f64),
    Boolean(bool),
    Nil,
}

thread_local! {
    static RETURNED: std::cell::Cell<Option<Returned>> = const { std::cell::Cell::new(None) };
    static RETURNED_BYTES: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Writes the plain return value [`put_reply_c`] noted as the client's
/// reply, as [`convert::lua_to_reply`] would (clearing it); `false` when
/// none was noted.
pub(super) fn write_returned(resp3: bool, reply: &mut common::reply::Reply) -> bool {
    let Some(r) = RETURNED.with(|r| r.take()) else {
        return false;
    };
    RETURNED_BYTES.with(|b| {
        let bytes = b.borrow();
        match r {
            Returned::Bulk => reply.bulk(&bytes),
            Returned::Status => convert::status(&bytes, reply),
            Returned::Number(n) => convert::lua_to_reply(&Value::Number(n), resp3, reply),
            Returned::Boolean(b) => convert::lua_to_reply(&Value::Boolean(b), resp3, reply),
            Returned::Nil => convert::lua_to_reply(&Value::Nil, resp3, reply),
        }
    });
    true
}

/// Clears a noted return value (a run that stopped before its reply).
pub(super) fn forget_returned() {
    RETURNED.with(|r| r.set(None));
}

/// `impl.put_reply(v)`, which the prelude's runners call with a run's
/// return value: notes it and answers true when it is plain (a string, a
/// number, a boolean, nil, `{ok=string}` without `err`), so the value
/// never becomes an mlua value (a registry reference, a protected call
/// per field read); anything else answers false and goes back to the
/// shard through [`convert::lua_to_reply`].
///
/// # Safety
/// Called by Lua, made by [`closure`] over `"err"` and `"ok"`. The
/// buffer's borrow ends before any call that may raise; a memory error
/// raised here crosses only this frame.
pub(super) unsafe extern "C-unwind" fn put_reply_c(
    l: *mut mlua::ffi::lua_State,
) -> std::ffi::c_int {
    use mlua::ffi;
    let copy = |l: *mut ffi::lua_State, idx: std::ffi::c_int| {
        let mut len = 0usize;
        let ptr = ffi::lua_tolstring(l, idx, &mut len);
        RETURNED_BYTES.with(|b| {
            let mut b = b.borrow_mut();
            b.clear();
            b.extend_from_slice(std::slice::from_raw_parts(ptr.cast::<u8>(), len));
        });
    };
    let noted = match ffi::lua_type(l, 1) {
        ffi::LUA_TSTRING => {
            copy(l, 1);
            Some(Returned::Bulk)
        }
        ffi::LUA_TNUMBER => Some(Returned::Number(ffi::lua_tonumber(l, 1))),
        ffi::LUA_TBOOLEAN => Some(Returned::Boolean(ffi::lua_toboolean(l, 1) != 0)),
        ffi::LUA_TNIL | ffi::LUA_TNONE => Some(Returned::Nil),
        ffi::LUA_TTABLE => {
            ffi::lua_settop(l, 1);
            ffi::lua_pushvalue(l, ffi::lua_upvalueindex(1));
            ffi::lua_rawget(l, 1);
            ffi::lua_pushvalue(l, ffi::lua_upvalueindex(2));
            ffi::lua_rawget(l, 1);
            let plain =
                ffi::lua_type(l, 2) == ffi::LUA_TNIL && ffi::lua_type(l, 3) == ffi::LUA_TSTRING;
            if plain {
                copy(l, 3);
            }
            plain.then_some(Returned::Status)
        }
        _ => None,
    };
    RETURNED.with(|r| r.set(noted));
    ffi::lua_pushboolean(l, std::ffi::c_int::from(noted.is_some()));
    1
}

/// The C function `f` as a Lua closure over the strings `names` (its
/// upvalues 1, 2, ...): the names it reads or writes fields by, pushed
/// with `lua_pushvalue` instead of hashed into Lua's string table on
/// every call (`lua_pushlstring`, about 150 instructions each).
/// `redis.call`, `redis.pcall`, `redis.setresp` and `redis.acl_check_cmd`
/// are made over `"ok"` (a status reply's field), [`run_args_c`] over
/// `"KEYS"` and `"ARGV"`, [`put_reply_c`] over `"err"` and `"ok"`.
///
/// # Safety
/// `f` follows the C API's stack discipline and reads its upvalues as
/// named above.
pub(super) unsafe fn closure(
    lua: &Lua,
    f: mlua::ffi::lua_CFunction,
    names: &[&std::ffi::CStr],
) -> mlua::Result<mlua::Function> {
    use mlua::ffi;
    lua.exec_raw::<mlua::Function>((), |l| {
        for name in names {
            ffi::lua_pushstring(l, name.as_ptr());
        }
        ffi::lua_pushcclosure(l, f, c_int(names.len()));
    })
}

/// A length or an index as Lua's C API takes it (saturating: a request
/// never holds `i32::MAX` arguments).
fn c_int(n: usize) -> std::ffi::c_int {
    std::ffi::c_int::try_from(n).unwrap_or(std::ffi::c_int::MAX)
}

/// `impl.f`'s kind flag: the arguments are in [`PACKED_ARGS`].
pub(super) const CALL_PACKED: u8 = 0x80;

/// The arguments of the `redis.call` being made, back to back.
#[derive(Default)]
pub(super) struct Packed {
    pub list: crate::args::ArgBlob,
    /// One was neither a string nor a number.
    pub bad: bool,
}

impl Packed {
    /// Each argument.
    pub fn args(&self) -> impl Iterator<Item = &[u8]> {
        self.list.iter()
    }

    /// Whether there was none.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}

thread_local! {
    /// The arguments of the `redis.call` being made (taken by the shard
    /// while it runs the command, then handed back for the next).
    pub(super) static PACKED_ARGS: RefCell<Packed> = RefCell::new(Packed::default());
    /// The reply of the last `redis.call` when it was [`Simple`].
    static SIMPLE_REPLY: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    /// Set by [`hand_over`] for [`redis_generic_c`].
    static HANDED_OVER: std::cell::Cell<Option<Simple>> = const { std::cell::Cell::new(None) };
}

pub(super) unsafe extern "C-unwind" fn redis_call_c(
    l: *mut mlua::ffi::lua_State,
) -> std::ffi::c_int {
    redis_generic_c(l, CALL_RAISE)
}

pub(super) unsafe extern "C-unwind" fn redis_pcall_c(
    l: *mut mlua::ffi::lua_State,
) -> std::ffi::c_int {
    redis_generic_c(l, CALL_PCALL)
}

pub(super) unsafe extern "C-unwind" fn redis_acl_check_c(
    l: *mut mlua::ffi::lua_State,
) -> std::ffi::c_int {
    redis_generic_c(l, CALL_ACL_CHECK)
}

pub(super) unsafe extern "C-unwind" fn redis_setresp_c(
    l: *mut mlua::ffi::lua_State,
) -> std::ffi::c_int {
    redis_generic_c(l, CALL_SETRESP)
}

/// `impl.f`'s first argument: `redis.pcall`.
pub(super) const CALL_PCALL: u8 = 0;
/// `redis.call`.
pub(super) const CALL_RAISE: u8 = 1;
/// `redis.setresp`.
pub(super) const CALL_SETRESP: u8 = 2;
/// `redis.acl_check_cmd` (raises its errors, as `redis.call`).
pub(super) const CALL_ACL_CHECK: u8 = 3;

/// What `impl.f` calls: the running script's `redis.call`.
pub(super) type CallFn<'a> = dyn FnMut(&Lua, u8, MultiValue) -> mlua::Result<(Value, bool)> + 'a;

thread_local! {
    /// The running script's `redis.call` ([`Bound`]), taken out while it
    /// runs (a call from inside it finds none).
    static CALL: std::cell::Cell<Option<std::ptr::NonNull<CallFn<'static>>>> =
        const { std::cell::Cell::new(None) };
    /// The Lua state the bound run belongs to ([`Bound`]), for
    /// [`call_direct`].
    static BOUND_LUA: std::cell::Cell<Option<std::ptr::NonNull<Lua>>> =
        const { std::cell::Cell::new(None) };
}

/// Binds `impl.f` to a script run's `redis.call` for as long as it lives
/// (one Lua function made once, rather than a scoped one per run).
pub(super) struct Bound;

impl Bound {
    pub(super) fn new<'a>(lua: &'a Lua, f: &'a mut CallFn<'a>) -> Bound {
        BOUND_LUA.with(|c| c.set(Some(std::ptr::NonNull::from(lua))));
        let ptr = std::ptr::NonNull::from(f);
        // SAFETY: only the lifetime is erased; the pointer is cleared when
        // `Bound` drops, before the closure it points to goes away, and
        // is only used (by `impl_f`) while the script runs inside it.
        let ptr: std::ptr::NonNull<CallFn<'static>> = unsafe { std::mem::transmute(ptr) };
        CALL.with(|c| c.set(Some(ptr)));
        Bound
    }
}

impl Drop for Bound {
    fn drop(&mut self) {
        CALL.with(|c| c.set(None));
        BOUND_LUA.with(|c| c.set(None));
    }
}

/// Runs the bound `redis.call` straight from [`redis_generic_c`], without
/// going through `impl.f` (mlua's callback wrapper and two table
/// lookups: about 1,200 instructions per call). Only on the main thread:
/// mlua's API, which the call may use (error tables, replies that are
/// not [`Simple`]), works on that thread's stack, which is then `l`'s; a
/// `redis.call` inside a coroutine takes `impl.f`. Leaves the reply on
/// the stack and answers what to do with it, or `None` (nothing done)
/// when it cannot run here.
///
/// # Safety
/// Called from [`redis_generic_c`] with `l` the running state and room
/// for three values. The only Lua error raised here is a memory error
/// in the last push, when no Rust value is left to drop; the call's own
/// errors are raised by the caller.
unsafe fn call_direct(l: *mut mlua::ffi::lua_State, kind: u8) -> Option<Direct> {
    use mlua::ffi;
    let main = ffi::lua_pushthread(l) == 1;
    ffi::lua_settop(l, -2);
    if !main {
        return None;
    }
    let lua = BOUND_LUA.with(|c| c.get())?;
    let mut f = CALL.with(|c| c.take())?;
    HANDED_OVER.with(|h| h.set(None));
    // SAFETY: `Bound` keeps the closure and the Lua handle alive while
    // the pointers are set; the closure was taken out of its cell, so
    // this is its only user now.
    let lua: &Lua = lua.as_ref();
    let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        f.as_mut()(lua, kind, MultiValue::new())
    }));
    CALL.with(|c| {
        if c.get().is_none() {
            c.set(Some(f));
        }
    });
    // Every Rust value is dropped before anything that may raise (a
    // memory error in `push_simple`): what to push is plain data.
    let (push, outcome) = match out {
        Ok(Ok((value, failed))) => match HANDED_OVER.with(|h| h.take()) {
            Some(simple) => (Some(simple), Direct::Reply { failed }),
            None => {
                // SAFETY: `l` is the main thread, mlua's state here; a
                // push from mlua's reference thread allocates nothing.
                if lua.exec_raw_lua(|raw| raw.push_value(&value)).is_err() {
                    ffi::lua_pushnil(l);
                }
                (None, Direct::Reply { failed })
            }
        },
        Ok(Err(e)) => (Some(note_message(e.to_string().as_bytes())), Direct::Raise),
        Err(_) => (
            Some(note_message(b"shardis: redis.call failed inside the shard")),
            Direct::Raise,
        ),
    };
    if let Some(simple) = push {
        push_simple(l, simple, ffi::lua_upvalueindex(1));
    }
    Some(outcome)
}

/// What [`call_direct`] left on the stack.
enum Direct {
    /// The call's reply; `failed`: an error `redis.call` raises.
    Reply { failed: bool },
    /// An error to raise whatever the kind (the shard's own failure, as
    /// `impl.f`'s errors are raised by mlua).
    Raise,
}

/// `impl.f(kind, args...)`: the bound run's `redis.call`.
pub(super) fn impl_f(lua: &Lua, (kind, rest): (u8, MultiValue)) -> mlua::Result<(Value, bool)> {
    let Some(mut f) = CALL.with(|c| c.take()) else {
        return Err(mlua::Error::runtime(
            "redis.call can only be called while a script runs",
        ));
    };
    // SAFETY: `Bound` keeps the closure alive while the pointer is set;
    // it was taken out of the cell, so this is its only user now.
    let out = unsafe { f.as_mut()(lua, kind, rest) };
    CALL.with(|c| {
        if c.get().is_none() {
            c.set(Some(f));
        }
    });
    out
}

#[cfg(test)]
mod tests {
    use mlua::{Lua, Table, Value};

    use common::reply::{Proto, Reply};

    use super::{
        closure, forget_returned, hand_over, push_simple, put_reply_c, run_args_c, simple,
        write_returned, RunArgs, Simple, HANDED_OVER,
    };
    use crate::script::convert::{lua_to_reply, reply_to_lua};

    /// The value `push_simple` makes from `reply`, if it is simple.
    fn pushed(lua: &Lua, reply: &[u8]) -> Option<Value> {
        let mut buf = reply.to_vec();
        if !hand_over(&mut buf) {
            return None;
        }
        let s = HANDED_OVER.with(|h| h.take())?;
        // SAFETY: the key and then the value pushed onto the protected
        // call's stack; the key is taken off again.
        unsafe {
            lua.exec_raw::<Value>((), |l| {
                mlua::ffi::lua_pushstring(l, c"ok".as_ptr());
                let ok = mlua::ffi::lua_gettop(l);
                push_simple(l, s, ok);
                mlua::ffi::lua_remove(l, ok);
            })
        }
        .ok()
    }

    fn same(a: &Value, b: &Value) -> bool {
        match (a, b) {
            (Value::Table(x), Value::Table(y)) => {
                let x: Vec<(String, String)> = x.pairs().flatten().collect();
                let y: Vec<(String, String)> = y.pairs().flatten().collect();
                x == y
            }
            (Value::String(x), Value::String(y)) => x.as_bytes() == y.as_bytes(),
            _ => a == b,
        }
    }

    #[test]
    fn simple_replies_become_what_the_general_conversion_makes() {
        let lua = Lua::new();
        let simple_ones: [&[u8]; 11] = [
            b"+OK\r\n",
            b"+\r\n",
            b":42\r\n",
            b":-9223372036854775808\r\n",
            b"$5\r\nhello\r\n",
            b"$0\r\n\r\n",
            b"$4\r\na\r\nb\r\n",
            b"$-1\r\n",
            b"_\r\n",
            b"#t\r\n",
            b"#f\r\n",
        ];
        for reply in simple_ones {
            let fast = pushed(&lua, reply).unwrap_or_else(|| panic!("{reply:?} not simple"));
            let general = reply_to_lua(&lua, reply).unwrap().unwrap_or(Value::Nil);
            assert!(same(&fast, &general), "{reply:?}: {fast:?} vs {general:?}");
        }
        // Anything else takes the general conversion.
        for reply in [
            &b"-ERR no\r\n"[..],
            b"*1\r\n:1\r\n",
            b",1.5\r\n",
            b"(12\r\n",
            b"%0\r\n",
            b"$5\r\nhell\r\n",
            b"$3\r\nabcde",
            b":1\r\n:2\r\n",
            b":x\r\n",
            b"+OK\n",
        ] {
            assert_eq!(simple(reply), None, "{reply:?}");
        }
        assert_eq!(simple(b"$2\r\nab\r\n"), Some(Simple::Bulk(4, 2)));
    }

    #[test]
    fn plain_return_values_reply_as_the_general_conversion() {
        let lua = Lua::new();
        // SAFETY: `put_reply_c` follows the C API's stack discipline.
        let put = unsafe { closure(&lua, put_reply_c, &[c"err", c"ok"]) }.unwrap();
        let cases = [
            ("'abc'", true),
            ("''", true),
            ("42", true),
            ("3.7", true),
            ("-2.5", true),
            ("1e300", true),
            ("true", true),
            ("false", true),
            ("nil", true),
            ("{ok='fine'}", true),
            ("{ok='a\\r\\nb'}", true),
            ("{err='x', ok='y'}", false),
            ("{err=1, ok='y'}", false),
            ("{ok=5}", false),
            ("{1, 2}", false),
            ("{double=1.5}", false),
            ("print", false),
        ];
        for (expr, plain) in cases {
            let v: Value = lua.load(format!("return {expr}")).eval().unwrap();
            for resp3 in [false, true] {
                forget_returned();
                assert_eq!(put.call::<bool>(&v).unwrap(), plain, "{expr}");
                let mut fast = Vec::new();
                let noted = write_returned(resp3, &mut Reply::new(&mut fast, proto(resp3)));
                assert_eq!(noted, plain, "{expr}");
                let mut general = Vec::new();
                lua_to_reply(&v, resp3, &mut Reply::new(&mut general, proto(resp3)));
                if plain {
                    assert_eq!(fast, general, "{expr} resp3={resp3}");
                }
            }
        }
    }

    fn proto(resp3: bool) -> Proto {
        if resp3 {
            Proto::Resp3
        } else {
            Proto::Resp2
        }
    }

    #[test]
    fn keys_and_argv_are_arrays_of_the_arguments() {
        let lua = Lua::new();
        // SAFETY: `run_args_c` follows the C API's stack discipline.
        let f = unsafe { closure(&lua, run_args_c, &[c"KEYS", c"ARGV"]) }.unwrap();
        let vars = lua.create_table().unwrap();
        let (k, a): (&[&[u8]], &[&[u8]]) = (&[b"k1", b"", b"k\0x"], &[b"v"]);
        {
            let _args = RunArgs::new(k, a);
            f.call::<()>(&vars).unwrap();
        }
        let keys: Table = vars.raw_get("KEYS").unwrap();
        let got: Vec<mlua::LuaString> = keys.sequence_values().flatten().collect();
        assert_eq!(got.len(), 3);
        assert_eq!(got[2].as_bytes().as_ref(), b"k\0x");
        let argv: Table = vars.raw_get("ARGV").unwrap();
        assert_eq!(argv.raw_len(), 1);
        let (k2, a2): (Table, Table) = {
            let _args = RunArgs::new(&[], &[b"x", b"y"]);
            f.call(()).unwrap()
        };
        assert_eq!((k2.raw_len(), a2.raw_len()), (0, 2));
        // Outside a run: nothing.
        assert_eq!(f.call::<mlua::MultiValue>(()).unwrap().len(), 0);
    }
}
