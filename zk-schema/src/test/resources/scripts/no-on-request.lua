-- Compiles, but defines no on_request: the gateway could never run it.
function on_requets(req)
end
