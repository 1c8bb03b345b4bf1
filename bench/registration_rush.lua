-- wrk script of bench/registration_rush.py: exactly <total> registrations, each address unique.
--
--   wrk -t 2 -c 200 -d 600s --latency --timeout 60s -s bench/registration_rush.lua <url> \
--       -- <total> <threads> <workshop ids, comma-separated> <folder for the finish marks> \
--          <address prefix>
--
-- Each thread sends its share of <total> (the first thread takes the remainder). Before
-- every request wrk asks ``delay()``: it reserves one of the thread's requests and answers
-- 0, or, when the share is used up, an hour, so that the connection sends nothing more (wrk
-- has no other way to stop one connection). When the thread has every answer it writes
-- "<first request sent> <last answer received> <status=count ...>" (CLOCK_MONOTONIC seconds,
-- through LuaJIT's ffi) to <folder>/done-<thread> and stops; the runner then ends wrk with
-- SIGINT, which prints the summary with the latency distribution of exactly these requests.
-- A request is the JSON body of POST /api/v1/workshops/<id>/registrations; the workshops
-- take turns, so each gets the same share.

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } rush_timespec;
int clock_gettime(int clock_id, rush_timespec *tp);
]]
local CLOCK_MONOTONIC = 1
local timespec = ffi.new("rush_timespec")

local function now()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, timespec)
  return tonumber(timespec.tv_sec) + tonumber(timespec.tv_nsec) * 1e-9
end

local counter = 1
function setup(thread)
  thread:set("number", counter)
  counter = counter + 1
end

local number, share, threads, workshops, folder, prefix
local reserved, sent, answered = 0, 0, 0
local first_sent, last_answer
local statuses = {}

function init(args)
  local total, thread_count = tonumber(args[1]), tonumber(args[2])
  threads = thread_count
  number = wrk.thread:get("number")
  share = math.floor(total / thread_count)
  if number == 1 then
    share = share + total - share * thread_count
  end
  workshops = {}
  for id in string.gmatch(args[3], "%d+") do
    workshops[#workshops + 1] = id
  end
  folder = args[4]
  prefix = args[5] or "rush"
end

function delay()
  if reserved < share then
    reserved = reserved + 1
    return 0
  end
  return 3600 * 1000
end

function request()
  sent = sent + 1
  if first_sent == nil then
    first_sent = now()
  end
  -- the n-th request of all threads together, so that the workshops take turns
  local n = (sent - 1) * threads + number - 1
  local workshop = workshops[(n % #workshops) + 1]
  local body = string.format(
    '{"name": "Person %d-%d", "email": "%s-%d-%d@kommune.example", '
    .. '"municipality": "Stadt Köln", "role": "Integrationsbüro", "consent": true}',
    number, sent, prefix, number, sent)
  return wrk.format("POST", "/api/v1/workshops/" .. workshop .. "/registrations",
                    {["Content-Type"] = "application/json"}, body)
end

function response(status, headers, body)
  answered = answered + 1
  statuses[status] = (statuses[status] or 0) + 1
  if answered == share then
    last_answer = now()
    local parts = {}
    for code, count in pairs(statuses) do
      parts[#parts + 1] = string.format("%d=%d", code, count)
    end
    local mark = io.open(folder .. "/done-" .. number, "w")
    mark:write(string.format("%.6f %.6f %s\n", first_sent, last_answer, table.concat(parts, " ")))
    mark:close()
    wrk.thread:stop()
  end
end
