-- The Lua side of the script engine (`crate::script`), run once when a
-- shard makes its Lua state. It receives the table `impl`, whose field `f`
-- the shard sets to its `redis.call` for the length of one script run, and
-- the table `vars`, where each run's KEYS and ARGV go. It returns the
-- runner and the environment scripts run in.
local impl, vars = ...
local G = _G
local dbg = debug
debug = nil
local error, type, tostring, xpcall, setmetatable = error, type, tostring, xpcall, setmetatable

local redis = G.redis

-- redis.call, redis.pcall and redis.setresp are C functions calling
-- impl.f (`redis_generic_c` in script.rs).

-- The helpers written in Rust answer (value, failed): a failure raises
-- Redis's error table from here.
local function raising(f)
  return function(...)
    local r, failed = f(...)
    if failed then
      error(r)
    end
    return r
  end
end
redis.sha1hex = raising(redis.sha1hex)
redis.log = raising(redis.log)
redis.set_repl = raising(redis.set_repl)

-- The error handler: as Redis 7.0's, a table {err=, source=, line=} whose
-- position is the script's line (C frames and this file's are skipped).
local function handler(err)
  local level = 2
  local i = dbg.getinfo(level, 'nSl')
  while i and (i.what == 'C' or i.source == '=[shardis]') do
    level = level + 1
    i = dbg.getinfo(level, 'nSl')
  end
  if type(err) ~= 'table' then
    err = {err = 'ERR ' .. string.gsub(tostring(err), '^runtime error: ', '')}
  end
  -- A tail call (`return redis.call(...)`) left no frame of the script's
  -- own: no position then.
  if i and i.what ~= 'tail' then
    err['source'] = i.source
    err['line'] = i.currentline
  end
  return err
end

local function readonly()
  error('Attempt to modify a readonly table', 2)
end

-- The tables scripts must not change. A table a script can reach (the
-- globals, a library's view) is empty and reads through its metatable's
-- `__index` (a table, so lookups stay in Lua's fast path); writes are
-- refused, and `getmetatable` shows a stand-in whose `__index` is a
-- read-only view, so the real tables behind stay out of reach.
local protected = setmetatable({}, {__mode = 'k'})
local real_setmetatable, real_rawset, real_loadstring, real_load, setfenv, rawget =
  setmetatable, rawset, loadstring, load, setfenv, rawget

local hide

-- A read-only view of what `index` (a table or a function) gives.
local function view_of(index)
  local read = index
  if type(index) == 'table' then
    read = function(_, k) return index[k] end
  end
  local mt = {__index = read}
  hide(mt)
  local v = real_setmetatable({}, mt)
  protected[v] = true
  return v
end

-- Makes `mt` refuse writes and show `getmetatable` a stand-in.
hide = function(mt)
  local inner, seen = mt.__index, nil
  local shown = real_setmetatable({}, {
    __index = function(_, k)
      if k == '__index' then
        if type(inner) ~= 'table' then
          return inner
        end
        seen = seen or view_of(inner)
        return seen
      elseif k == '__newindex' then
        return readonly
      end
    end,
    __newindex = readonly,
    __metatable = false,
  })
  protected[shown] = true
  mt.__newindex = readonly
  mt.__metatable = shown
end

-- An empty, protected table reading through `index`.
local function proxy(index)
  local mt = {__index = index}
  hide(mt)
  local p = real_setmetatable({}, mt)
  protected[p] = true
  return p
end

local function nonexistent(k)
  error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 3)
end

-- Library tables scripts see are read-only views of the real ones.
local protect = proxy

-- What scripts see as globals: the allowed names (library tables as
-- views); anything else is an error to read, and nothing can be written.
local lib = {}
local allowed = {
  'string', 'cjson', 'bit', 'cmsgpack', 'math', 'table', 'struct', 'redis',
  'xpcall', 'tostring', 'getfenv', 'setmetatable', 'next', 'assert', 'tonumber',
  'rawequal', 'collectgarbage', 'getmetatable', 'rawset', 'pcall', 'coroutine',
  'type', 'select', 'unpack', 'gcinfo', 'pairs', 'rawget', 'loadstring', 'ipairs',
  '_VERSION', 'setfenv', 'load', 'error', 'newproxy',
}
for _, name in ipairs(allowed) do
  local v = G[name]
  if type(v) == 'table' then
    v = protect(v)
  end
  lib[name] = v
end
-- Strings' metatable is shared by every string, and its `__index` is the
-- real string library: scripts reading it (`getmetatable('')`) get a
-- read-only stand-in whose `__index` is their own `string`, as on Redis,
-- so no script can change the library (or leave anything) for the next.
local string_shown = real_setmetatable({}, {
  __index = {__index = lib.string},
  __newindex = readonly,
  __metatable = false,
})
protected[string_shown] = true
G.getmetatable('').__metatable = string_shown
local env, current
local real_getfenv = getfenv
-- The real globals stay out of reach (`getfenv(0)` names them).
lib.getfenv = function(f)
  if f == nil then
    f = 1
  end
  if type(f) == 'number' and f > 0 then
    f = f + 1
  end
  local e = real_getfenv(f)
  if e == G then
    return current
  end
  return e
end
-- As Redis's C functions raise it: no position in the message.
lib.setmetatable = function(t, mt)
  if protected[t] then
    error('Attempt to modify a readonly table', 0)
  end
  return real_setmetatable(t, mt)
end
lib.rawset = function(t, k, v)
  if protected[t] then
    error('Attempt to modify a readonly table', 0)
  end
  return real_rawset(t, k, v)
end
-- A killed script stops even inside pcall: what pcall or xpcall caught
-- is raised again as the kill once the script was killed.
local real_pcall, real_xpcall, killed = pcall, xpcall, impl.killed
local function unless_killed(ok, ...)
  if not ok and killed() then
    error({err = 'ERR Script killed by user with SCRIPT KILL...'}, 0)
  end
  return ok, ...
end
lib.pcall = function(...)
  return unless_killed(real_pcall(...))
end
lib.xpcall = function(f, h)
  return unless_killed(real_xpcall(f, h))
end
-- Source only (Redis's Lua refuses binary chunks), and what it loads
-- sees the globals of the running script or function.
lib.loadstring = function(s, name)
  if type(s) == 'string' and s:byte(1) == 27 then
    return nil, 'binary chunks are not allowed'
  end
  local f, err = real_loadstring(s, name)
  if f then
    setfenv(f, current)
  end
  return f, err
end
lib.load = function(fn, name)
  local f, err = real_load(fn, name)
  if f then
    setfenv(f, current)
  end
  return f, err
end

-- EVAL's globals: KEYS and ARGV (set in `vars` by the shard for each
-- run), `_G`, and the allowed names.
-- `vars` (KEYS and ARGV, set by the shard for each run, and `_G`) reads
-- on into the allowed names, and those into the error for the rest.
local lib_mt = {__index = function(_, k) nonexistent(k) end}
hide(lib_mt)
real_setmetatable(lib, lib_mt)
protected[lib] = true
local vars_mt = {__index = lib}
hide(vars_mt)
real_setmetatable(vars, vars_mt)
protected[vars] = true
env = proxy(vars)
real_rawset(vars, '_G', env)

-- Functions (FUNCTION LOAD, FCALL). One global table for every library,
-- as Redis has: while a library loads it shows only `redis` with
-- register_function, log and the version (`load_api`); while a function
-- runs, the allowed names and `_G` (no KEYS or ARGV: a function gets its
-- keys and arguments as parameters).
local registering = nil
local flag_bits = {
  ['no-writes'] = 1, ['allow-oom'] = 2, ['allow-stale'] = 4, ['no-cluster'] = 8,
  ['allow-cross-slot-keys'] = 16,
}
local lower, find, tostring_ = string.lower, string.find, tostring

local function fail(msg)
  error({err = 'ERR ' .. msg})
end

local function is_text(v)
  local t = type(v)
  return t == 'string' or t == 'number'
end

local function read_flags(t)
  local seen, mask, i = {}, 0, 1
  while true do
    local v = t[i]
    if v == nil then
      return mask
    end
    if not is_text(v) then
      return nil
    end
    local b = flag_bits[lower(tostring_(v))]
    if not b then
      return nil
    end
    if not seen[b] then
      seen[b] = true
      mask = mask + b
    end
    i = i + 1
  end
end

local function register_function(...)
  if not registering then
    fail('redis.register_function can only be called on FUNCTION LOAD command')
  end
  local n = select('#', ...)
  if n < 1 or n > 2 then
    fail('wrong number of arguments to redis.register_function')
  end
  local name, callback, desc, flags
  if n == 1 then
    local t = ...
    if type(t) ~= 'table' then
      fail('calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).')
    end
    for k, v in next, t do
      if not is_text(k) then
        fail('named argument key given to redis.register_function is not a string')
      end
      local key = lower(tostring_(k))
      if key == 'function_name' then
        if not is_text(v) then
          fail('function_name argument given to redis.register_function must be a string')
        end
        name = tostring_(v)
      elseif key == 'description' then
        if not is_text(v) then
          fail('description argument given to redis.register_function must be a string')
        end
        desc = tostring_(v)
      elseif key == 'callback' then
        if type(v) ~= 'function' then
          fail('callback argument given to redis.register_function must be a function')
        end
        callback = v
      elseif key == 'flags' then
        if type(v) ~= 'table' then
          fail('flags argument to redis.register_function must be a table representing function flags')
        end
        flags = read_flags(v)
        if not flags then
          fail('unknown flag given')
        end
      else
        fail('unknown argument given to redis.register_function')
      end
    end
    if not name then
      fail('redis.register_function must get a function name argument')
    end
    if not callback then
      fail('redis.register_function must get a callback argument')
    end
  else
    local a, b = ...
    if not is_text(a) then
      fail('first argument to redis.register_function must be a string')
    end
    if type(b) ~= 'function' then
      fail('second argument to redis.register_function must be a function')
    end
    name, callback = tostring_(a), b
  end
  if not find(name, '^[%w_]+$') then
    fail('Library names can only contain letters, numbers, or underscores(_) and must be at least one character long')
  end
  local key = lower(name)
  if registering.seen[key] then
    fail('Function already exists in the library')
  end
  registering.seen[key] = true
  local list = registering.list
  list[#list + 1] = {name, callback, desc or false, flags or 0}
end

local lib_redis_real = {register_function = register_function, log = redis.log}
for _, k in ipairs({'LOG_DEBUG', 'LOG_VERBOSE', 'LOG_NOTICE', 'LOG_WARNING', 'REDIS_VERSION', 'REDIS_VERSION_NUM'}) do
  lib_redis_real[k] = redis[k]
end
local lib_redis = proxy(function(_, k)
  local v = lib_redis_real[k]
  if v == nil then
    nonexistent(k)
  end
  return v
end)

local loading = false
local fenv
fenv = proxy(function(_, k)
  if loading then
    if k == 'redis' then
      return lib_redis
    end
    nonexistent(k)
  end
  if k == '_G' then
    return fenv
  end
  local v = rawget(lib, k)
  if v == nil then
    nonexistent(k)
  end
  return v
end)

-- Runs a library's compiled chunk; the functions it registered as a list
-- of {name, callback, description or false, flags}, or raises.
local function load_library(chunk)
  registering = {list = {}, seen = {}}
  loading = true
  local ok, err = xpcall(chunk, handler)
  loading = false
  local got = registering.list
  registering = nil
  if not ok then
    return false, err
  end
  return true, got
end

-- `impl.args(vars)` sets the run's KEYS and ARGV in `vars`;
-- `impl.args()` returns them. `impl.put_reply(v)` takes a plain return
-- value for the shard to answer with (true), else the shard converts it
-- (`run_args_c` and `put_reply_c` in script/call.rs).
local run_args, put_reply = impl.args, impl.put_reply

local function finish(ok, v)
  if ok and put_reply(v) then
    return true
  end
  return ok, v
end

local function run(f)
  current = env
  run_args(vars)
  return finish(xpcall(f, handler))
end

-- A function's run: its callback with the keys and arguments tables.
local function call(f)
  current = fenv
  local keys, args = run_args()
  return finish(xpcall(function() return f(keys, args) end, handler))
end

return run, env, load_library, fenv, call
