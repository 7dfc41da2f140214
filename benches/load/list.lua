-- wrk script of the tile load tests: cycles through the request paths in the file named by
-- WRK_PATHS (one per line), asking for gzip, with WRK_TOKEN as the bearer token when set.
local paths = {}
for line in io.lines(os.getenv("WRK_PATHS")) do paths[#paths + 1] = line end
local headers = { ["Accept-Encoding"] = "gzip" }
local token = os.getenv("WRK_TOKEN")
if token and token ~= "" then headers["Authorization"] = "Bearer " .. token end
local i = 0
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i], headers)
end
