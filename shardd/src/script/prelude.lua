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

-- The tables scripts must not change (read-only views, their metatables).
local protected = setmetatable({}, {__mode = 'k'})

local function view(t)
  local mt = {__index = t, __newindex = readonly}
  local shown = {}
  setmetatable(shown, {__index = mt, __newindex = readonly})
  protected[shown] = true
  mt.__metatable = shown
  local v = setmetatable({}, mt)
  protected[v] = true
  return v
end

-- Library tables scripts see are read-only views of the real ones.
local protect = view

-- What scripts see as globals: the allowed names, then KEYS and ARGV;
-- anything else is an error to read, and nothing can be written.
local visible = {}
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
  visible[name] = v
end
local real_setmetatable, real_rawset, real_loadstring, real_load, setfenv =
  setmetatable, rawset, loadstring, load, setfenv
local env
visible.setmetatable = function(t, mt)
  if protected[t] then
    error('Attempt to modify a readonly table', 2)
  end
  return real_setmetatable(t, mt)
end
visible.rawset = function(t, k, v)
  if protected[t] then
    error('Attempt to modify a readonly table', 2)
  end
  return real_rawset(t, k, v)
end
-- Source only (Redis's Lua refuses binary chunks), and what it loads
-- sees the scripts' globals.
visible.loadstring = function(s, name)
  if type(s) == 'string' and s:byte(1) == 27 then
    return nil, 'binary chunks are not allowed'
  end
  local f, err = real_loadstring(s, name)
  if f then
    setfenv(f, env)
  end
  return f, err
end
visible.load = function(fn, name)
  local f, err = real_load(fn, name)
  if f then
    setfenv(f, env)
  end
  return f, err
end
setmetatable(vars, {__index = visible})
setmetatable(visible, {__index = function(_, k)
  error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2)
end})
local env_mt = {__index = vars, __newindex = readonly}
local env_shown = real_setmetatable({}, {__index = env_mt, __newindex = readonly})
protected[env_shown] = true
env_mt.__metatable = env_shown
env = real_setmetatable({}, env_mt)
protected[env] = true
vars._G = env

local function run(f)
  return xpcall(f, handler)
end

return run, env
