//! `redis.call`, `redis.pcall`, `redis.setresp` and `redis.acl_check_cmd`
//! as C functions, and
//! how their arguments reach the shard's Rust side (`impl.f`).

use std::cell::RefCell;

use mlua::{Lua, MultiValue, Value};

use super::convert;

/// `redis.call`, `redis.pcall` and `redis.setresp` as C functions, so a
/// script's frame stays on the stack when it tail-calls them (`return
/// redis.call(...)`): errors then name the script's line, as Redis's do.
/// Each calls the running script's `impl.f(kind, args...)` (a Rust
/// function, `run_script`), which answers `(value, failed)`; a failure
/// is raised with the error table as the error object.
///
/// # Safety
/// Called by Lua with `l` its running state; uses only the stack.
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
            packed.blob.clear();
            packed.ends.clear();
            packed.bad = false;
            for i in 1..=n {
                match ffi::lua_type(l, i) {
                    ffi::LUA_TNUMBER => {
                        let text = convert::format_g(ffi::lua_tonumber(l, i), 17);
                        packed.blob.extend_from_slice(text.as_bytes());
                    }
                    ffi::LUA_TSTRING => {
                        let mut len = 0usize;
                        let ptr = ffi::lua_tolstring(l, i, &mut len);
                        packed
                            .blob
                            .extend_from_slice(std::slice::from_raw_parts(ptr as *const u8, len));
                    }
                    _ => packed.bad = true,
                }
                packed.ends.push(packed.blob.len());
            }
        });
        ffi::lua_settop(l, 0);
        n = 0;
        kind |= CALL_PACKED;
    }
    if ffi::lua_checkstack(l, 3) == 0 {
        ffi::luaL_error(l, c"too many arguments".as_ptr());
    }
    ffi::lua_getfield(l, ffi::LUA_REGISTRYINDEX, c"shardis.impl".as_ptr());
    ffi::lua_getfield(l, -1, c"f".as_ptr());
    ffi::lua_remove(l, -2);
    ffi::lua_insert(l, 1);
    ffi::lua_pushinteger(l, ffi::lua_Integer::from(kind));
    ffi::lua_insert(l, 2);
    ffi::lua_call(l, n + 1, 2);
    let failed = ffi::lua_toboolean(l, -1) != 0;
    ffi::lua_settop(l, -2);
    let kind = kind & !CALL_PACKED;
    if failed && kind != CALL_PCALL {
        ffi::lua_error(l);
    }
    if kind == CALL_SETRESP {
        return 0;
    }
    1
}

/// `impl.f`'s kind flag: the arguments are in [`PACKED_ARGS`].
pub(super) const CALL_PACKED: u8 = 0x80;

/// The arguments of the `redis.call` being made, back to back.
#[derive(Default)]
pub(super) struct Packed {
    pub blob: Vec<u8>,
    /// Where each argument ends in `blob`.
    pub ends: Vec<usize>,
    /// One was neither a string nor a number.
    pub bad: bool,
}

impl Packed {
    /// Each argument.
    pub fn args(&self) -> impl Iterator<Item = &[u8]> {
        let mut start = 0;
        self.ends.iter().map(move |&end| {
            let a = &self.blob[start..end];
            start = end;
            a
        })
    }
}

thread_local! {
    /// The arguments of the `redis.call` being made (taken by the shard
    /// while it runs the command, then handed back for the next).
    pub(super) static PACKED_ARGS: RefCell<Packed> = RefCell::new(Packed::default());
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
}

/// Binds `impl.f` to a script run's `redis.call` for as long as it lives
/// (one Lua function made once, rather than a scoped one per run).
pub(super) struct Bound;

impl Bound {
    pub(super) fn new<'a>(f: &'a mut CallFn<'a>) -> Bound {
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
    }
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
