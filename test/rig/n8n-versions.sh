# The n8n versions the suites run on; one line to change for the next bump.
# `npm run n8n:versions` tells which versions install from the registry reachable here.
MAIN_N8N_VERSION=2.41.1   # the newest that installs: e2e, browser, queue mode
SMOKE_N8N_VERSION=2.38.7  # the last 2.x before 2.41's egress-filter change: a smoke pass
OLDEST_N8N_VERSION=1.123.81 # the last 1.x, the oldest supported: the credential-store suites
