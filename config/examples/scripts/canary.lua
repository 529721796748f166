-- Canary. (When the canary is its own service, a route's "backends" weighted split does this without a script;
-- this example is for custom logic.) Sends 10% of users to the canary build, always the same users. A user is the X-User-Id header, or the
-- client address when there is none; a stable hash of it picks one of 100 buckets, and buckets 0-9 are the canary.
-- Canary requests go to the backend's /canary tree (the backend or an upstream proxy serves the new build there)
-- and carry X-Canary: 1. Every request's consistent-hash key is its user, so a route with
-- "lb": { "policy": "consistent_hash" } keeps each user on one backend.
--
-- Route: { "id": "app", "match": { "pathPrefix": "/app" }, "service": "app", "script": "canary",
--          "lb": { "policy": "consistent_hash" } }

local PERCENT = 10

-- Polynomial string hash modulo 2^32; the arithmetic stays exact in Lua's doubles.
local function bucket(s)
  local h = 0
  for i = 1, #s do
    h = (h * 31 + s:byte(i)) % 4294967296
  end
  return h % 100
end

function on_request(req)
  local user = req.header("X-User-Id") or req.client_ip
  req.set_hash_key(user)
  if bucket(user) < PERCENT then
    req.set_header("X-Canary", "1")
    req.set_path("/canary" .. req.path)
  end
end
