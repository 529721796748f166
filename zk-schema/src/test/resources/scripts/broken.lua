-- The 'if' is never closed.
local key = request.headers["x-api-key"]
if key == nil then
  return respond(401, "missing api key")
