-- Single-row OIP inference (../shared/spec/serving.md §7.1). Both servers return the same two outputs
-- (label, probabilities); the token, if any, comes from $MV_TOKEN.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local token = os.getenv("MV_TOKEN")
if token and token ~= "" then wrk.headers["Authorization"] = "Bearer " .. token end
wrk.body = '{"id":"1","inputs":[{"name":"input-0","shape":[1,4],"datatype":"FP32","data":[5.1,3.5,1.4,0.2]}],"outputs":[{"name":"label"},{"name":"probabilities"}]}'
