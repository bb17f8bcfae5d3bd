"""The running process: assembling a bot from settings, its roles and lifecycle, its own HTTP
server and the queue of inbound work."""
