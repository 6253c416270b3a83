-- POST /bench/floor (bench/floor_app.py): the requests of scan.lua, to the cheapest
-- authenticated write, the floor a scan cannot go below.
-- wrk -s floor.lua URL -- RUN ORDER_ID TOKEN MATERIAL [MATERIAL ...]
path = "/bench/floor"
dofile("scan.lua")
