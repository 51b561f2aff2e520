-- wrk script for bench/enqueue.sh: PUT /enqueue with a 1 KiB body, as a client of Swell sends it.
-- No response() hook: wrk counts answers other than 2xx itself, and a Lua call per answer would
-- slow the load generator on a machine it shares with the server.
wrk.method = "PUT"
wrk.body = string.rep("swell-bench-body", 64)
wrk.headers["Content-Type"] = "application/octet-stream"
