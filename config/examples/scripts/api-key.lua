-- API-key check. A request must carry a known key in X-Api-Key; otherwise the gateway answers 401 itself and
-- no backend sees the request. The backend gets the client's name in X-Api-Client instead of the key.
--
-- Route: { "id": "orders", "match": { "pathPrefix": "/api/orders" }, "service": "orders", "script": "api-key" }
-- Install: java -jar zk-schema/target/zkgate-ctl.jar scripts put api-key config/examples/scripts/api-key.lua
--
-- The table is built once per Lua state (one per gateway thread), not per request; a lookup is one table read.
-- Replace the keys with your own, or generate this file from your key store.

local clients = {
  ["k-7f3c9a12e4"] = "mobile-app",
  ["k-19be44d07a"] = "partner-acme",
  ["k-c0ffee0b5e"] = "internal-batch",
}

local UNAUTHORIZED = '{"status":401,"error":"unauthorized","message":"missing or unknown API key"}'
local HEADERS = { ["Content-Type"] = "application/json", ["WWW-Authenticate"] = 'ApiKey header="X-Api-Key"' }

function on_request(req)
  local key = req.header("X-Api-Key")
  local client = key and clients[key]
  if not client then
    return req.respond(401, HEADERS, UNAUTHORIZED)
  end
  req.remove_header("X-Api-Key")
  req.set_header("X-Api-Client", client)
end
