-- Rejects requests without an API key.
function on_request(req)
  local key = req.header("X-Api-Key")
  if key == nil or key == "" then
    return req.respond(401, "missing api key")
  end
end
