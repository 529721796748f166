-- Rejects requests without an API key.
local key = request.headers["x-api-key"]
if key == nil or key == "" then
  return respond(401, "missing api key")
end
