#!/usr/bin/env python3
"""notify_listen.py SOCKET LOG: stands in for systemd's NOTIFY_SOCKET in the VM test; appends
every sd_notify datagram (one line per assignment, prefixed with the seconds since start) to LOG
until killed."""
import os
import socket
import sys
import time

path, log = sys.argv[1], sys.argv[2]
try:
    os.unlink(path)
except FileNotFoundError:
    pass
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
os.chmod(path, 0o777)
t0 = time.monotonic()
with open(log, "a", buffering=1) as f:
    f.write("listening\n")
    while True:
        msg = s.recv(4096).decode("utf-8", "replace")
        for line in msg.splitlines():
            f.write("%.2f %s\n" % (time.monotonic() - t0, line))
