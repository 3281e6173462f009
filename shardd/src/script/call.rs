//! `redis.call`, `redis.pcall` and `redis.setresp` as C functions, and
//! how their arguments reach the shard's Rust side (`impl.f`).

use std::cell::RefCell;

use mlua::MultiValue;

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
    if n > PACKED_ARGS_ABOVE {
        // Many arguments (`unpack` of thousands) are read here, as Redis
        // reads them, and leave the stack before the call: Lua's stack has
        // no room for more (8000 slots), nor for each held in Rust.
        let mut owned = Vec::with_capacity(n as usize);
        let mut bad = false;
        for i in 1..=n {
            match ffi::lua_type(l, i) {
                ffi::LUA_TNUMBER => {
                    owned.push(convert::format_g(ffi::lua_tonumber(l, i), 17).into_bytes())
                }
                ffi::LUA_TSTRING => {
                    let mut len = 0usize;
                    let p = ffi::lua_tolstring(l, i, &mut len);
                    owned.push(std::slice::from_raw_parts(p as *const u8, len).to_vec());
                }
                _ => bad = true,
            }
        }
        PACKED_ARGS.with(|p| *p.borrow_mut() = Some(if bad { Err(()) } else { Ok(owned) }));
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

/// Above this many arguments `redis.call` reads them itself and passes
/// them aside ([`PACKED_ARGS`]).
const PACKED_ARGS_ABOVE: std::ffi::c_int = 32;
/// `impl.f`'s kind flag: the arguments are in [`PACKED_ARGS`].
pub(super) const CALL_PACKED: u8 = 0x80;

thread_local! {
    /// The arguments of a `redis.call` with many (`Err`: one was neither
    /// a string nor a number).
    pub(super) static PACKED_ARGS: RefCell<Option<Result<Vec<Vec<u8>>, ()>>> = const { RefCell::new(None) };
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

pub(super) unsafe extern "C-unwind" fn redis_setresp_c(
    l: *mut mlua::ffi::lua_State,
) -> std::ffi::c_int {
    redis_generic_c(l, CALL_SETRESP)
}

/// The arguments of one `redis.call`: as Lua passed them, or read by the
/// C function when there are many.
pub(super) enum Args {
    Values(MultiValue),
    Packed(Result<Vec<Vec<u8>>, ()>),
}

impl Args {
    pub(super) fn is_empty(&self) -> bool {
        match self {
            Args::Values(v) => v.is_empty(),
            Args::Packed(p) => p.as_ref().is_ok_and(Vec::is_empty),
        }
    }

    /// Each argument as bytes (a number as `%.17g`); `None` if one is
    /// neither a string nor a number.
    pub(super) fn bytes(self) -> Option<Vec<Vec<u8>>> {
        match self {
            Args::Values(v) => v.iter().map(convert::argument).collect(),
            Args::Packed(p) => p.ok(),
        }
    }
}

/// `impl.f`'s first argument: `redis.pcall`.
pub(super) const CALL_PCALL: u8 = 0;
/// `redis.call`.
pub(super) const CALL_RAISE: u8 = 1;
/// `redis.setresp`.
pub(super) const CALL_SETRESP: u8 = 2;
