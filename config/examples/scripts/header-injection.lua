-- Header injection. Tells the backend which gateway route a request came through, and tells the client which
-- route served it; hides a header the backends send that clients should not see.
--
-- Route: { "id": "shop", "match": { "pathPrefix": "/shop" }, "service": "shop", "script": "header-injection" }

function on_request(req)
  req.set_header("X-Gateway", "zkgate")
  req.set_header("X-Gateway-Route", req.route)
end

function on_response(req, res)
  res.set_header("X-Served-By", req.route)
  res.remove_header("X-Upstream-Secret")
end
