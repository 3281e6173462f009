//! The Lua state a shard's scripts run in: Redis's libraries, the
//! sandbox, the `redis` table and its C functions, the prelude, and the
//! hook that lets a busy script be stopped ([`Scripts::new`]).

use super::*;

impl Scripts {
    /// A fresh Lua state with Redis's libraries and sandbox; `watch`
    /// carries kill requests to its hook.
    pub fn new(watch: Rc<Watch>) -> mlua::Result<Scripts> {
        let hook_watch = watch.clone();
        // SAFETY: the debug library is loaded only for the prelude's error
        // handler, which keeps `debug.getinfo` in a local and removes the
        // global before any script runs.
        let lua = unsafe {
            Lua::unsafe_new_with(
                StdLib::TABLE | StdLib::STRING | StdLib::MATH | StdLib::DEBUG,
                LuaOptions::default(),
            )
        };
        let g = lua.globals();
        for name in ["dofile", "loadfile", "print"] {
            g.raw_set(name, Value::Nil)?;
        }
        libs::register(&lua)?;
        let redis = lua.create_table()?;
        redis.raw_set("REDIS_VERSION", "7.0.15")?;
        redis.raw_set("REDIS_VERSION_NUM", 0x07000f)?;
        for (name, level) in [
            ("LOG_DEBUG", 0),
            ("LOG_VERBOSE", 1),
            ("LOG_NOTICE", 2),
            ("LOG_WARNING", 3),
        ] {
            redis.raw_set(name, level)?;
        }
        for (name, v) in [
            ("REPL_NONE", 0),
            ("REPL_AOF", 1),
            ("REPL_SLAVE", 2),
            ("REPL_REPLICA", 2),
            ("REPL_ALL", 3),
        ] {
            redis.raw_set(name, v)?;
        }
        redis.raw_set(
            "sha1hex",
            lua.create_function(|lua, args: MultiValue| {
                if args.len() != 1 {
                    return failed(lua, b"wrong number of arguments");
                }
                let s = args.front().and_then(convert::as_text).unwrap_or_default();
                let hex = lua.create_string(common::script::sha1_hex(&s))?;
                Ok((Value::String(hex), false))
            })?,
        )?;
        redis.raw_set(
            "error_reply",
            lua.create_function(|lua, args: MultiValue| match (args.len(), args.front()) {
                (1, Some(Value::String(s))) => {
                    let b = s.as_bytes();
                    let msg = b.strip_prefix(b"-").unwrap_or(&b);
                    convert::error_table(lua, msg, true)
                }
                _ => convert::error_table(lua, b"wrong number or type of arguments", false),
            })?,
        )?;
        redis.raw_set(
            "status_reply",
            lua.create_function(|lua, args: MultiValue| match (args.len(), args.front()) {
                (1, Some(Value::String(s))) => {
                    let t = lua.create_table()?;
                    t.raw_set("ok", s.clone())?;
                    Ok(t)
                }
                _ => convert::error_table(lua, b"wrong number or type of arguments", false),
            })?,
        )?;
        redis.raw_set(
            "log",
            lua.create_function(|lua, args: MultiValue| {
                if args.len() < 2 {
                    return failed(lua, b"redis.log() requires two arguments or more.");
                }
                let level = match args.front() {
                    Some(Value::Integer(n)) => *n as f64,
                    Some(Value::Number(n)) => *n,
                    _ => return failed(lua, b"First argument must be a number (log level)."),
                };
                if !(0.0..=3.0).contains(&level) {
                    return failed(lua, b"Invalid debug level.");
                }
                let text: Vec<String> = args
                    .iter()
                    .skip(1)
                    .filter_map(convert::as_text)
                    .map(|t| String::from_utf8_lossy(&t).into_owned())
                    .collect();
                tracing::info!(target: "script", "{}", text.join(" "));
                Ok((Value::Nil, false))
            })?,
        )?;
        // Effects are always what is replicated and logged (Redis 7.0's
        // only mode): these are accepted and change nothing.
        redis.raw_set(
            "replicate_commands",
            lua.create_function(|_, _: MultiValue| Ok(true))?,
        )?;
        redis.raw_set(
            "set_repl",
            lua.create_function(|lua, args: MultiValue| {
                if args.len() != 1 {
                    return failed(lua, b"redis.set_repl() requires two arguments.");
                }
                match args.front() {
                    Some(Value::Integer(0..=3)) => Ok((Value::Nil, false)),
                    Some(Value::Number(n)) if (0.0..=3.0).contains(n) => Ok((Value::Nil, false)),
                    _ => failed(
                        lua,
                        b"Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.",
                    ),
                }
            })?,
        )?;
        redis.raw_set(
            "breakpoint",
            lua.create_function(|_, _: MultiValue| Ok(false))?,
        )?;
        redis.raw_set("debug", lua.create_function(|_, _: MultiValue| Ok(()))?)?;
        g.raw_set("redis", redis)?;
        lua.set_hook(
            HookTriggers::new().every_nth_instruction(HOOK_INSTRUCTIONS),
            move |_, _| {
                if STOP.load(std::sync::atomic::Ordering::Relaxed) {
                    return Err(mlua::Error::runtime("shardis: the shard is stopping"));
                }
                if hook_watch.load_timed_out() {
                    return Err(mlua::Error::runtime("FUNCTION LOAD timeout"));
                }
                if hook_watch.kill_requested() {
                    return Err(mlua::Error::runtime(
                        "Script killed by user with SCRIPT KILL...",
                    ));
                }
                Ok(VmState::Continue)
            },
        )?;
        let imp = lua.create_table()?;
        imp.raw_set("f", lua.create_function(impl_f)?)?;
        lua.set_named_registry_value("shardis.impl", imp.clone())?;
        // SAFETY: the functions follow the Lua C API's stack discipline
        // (see `redis_call_c`) and own nothing that needs dropping.
        unsafe {
            let redis_t: Table = g.raw_get("redis")?;
            let ok: &[&std::ffi::CStr] = &[c"ok"];
            redis_t.raw_set("call", call::closure(&lua, redis_call_c, ok)?)?;
            redis_t.raw_set("pcall", call::closure(&lua, redis_pcall_c, ok)?)?;
            redis_t.raw_set("setresp", call::closure(&lua, redis_setresp_c, ok)?)?;
            redis_t.raw_set("acl_check_cmd", call::closure(&lua, redis_acl_check_c, ok)?)?;
            let names: &[&std::ffi::CStr] = &[c"KEYS", c"ARGV"];
            imp.raw_set("args", call::closure(&lua, call::run_args_c, names)?)?;
            let names: &[&std::ffi::CStr] = &[c"err", c"ok"];
            imp.raw_set("put_reply", call::closure(&lua, call::put_reply_c, names)?)?;
        }
        let vars = lua.create_table()?;
        // `impl.killed()`: the running script was killed (the prelude's
        // pcall and xpcall pass that on rather than catch it).
        let kill_watch = watch.clone();
        imp.raw_set(
            "killed",
            lua.create_function(move |_, ()| Ok(kill_watch.kill_requested()))?,
        )?;
        let (run, env, load_fn, fenv, call_fn): (Function, Table, Function, Table, Function) = lua
            .load(include_str!("prelude.lua"))
            .set_name("=[shardis]")
            .call((imp.clone(), vars))?;
        // The prelude's chunk and temporaries go before the first run.
        // From then on Lua's incremental collector paces itself (a cycle
        // as the heap doubles: about 130 kB per shard under a 1-call
        // EVALSHA load). Redis adds an explicit step every 50 runs; here
        // that cost 1,486 instructions per 1-call run for under 100 kB
        // saved, and is not made.
        lua.gc_collect()?;
        Ok(Scripts {
            lua,
            run,
            env,
            load_fn,
            fenv,
            call_fn,
            libraries: functions::Libraries::default(),
            watch,
            compiled: HashMap::default(),
            users: HashMap::default(),
            runs: 0,
            run_buf: Vec::with_capacity(256),
            run_record: group::InDbs::new(0),
            run_undo: Vec::new(),
            run_undeclared: Default::default(),
        })
    }
}
