#!/usr/bin/env python3
"""page_server.py PORT PAGE RESULT: serves PAGE at / on 127.0.0.1:PORT (a secure context for
getUserMedia: localhost) and writes the body of the first POST /result to RESULT, for the VM
test's Chromium run (tests/vm/guest-long.sh).  Runs until killed."""
import http.server
import os
import sys

PORT, PAGE, RESULT = int(sys.argv[1]), sys.argv[2], sys.argv[3]
MAX_RESULT = 1 << 20


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path.split("?")[0] != "/":
            self.send_error(404)
            return
        with open(PAGE, "rb") as f:
            body = f.read()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        if self.path != "/result" or not 0 < n <= MAX_RESULT:
            self.send_error(400)
            return
        body = self.rfile.read(n)
        with open(RESULT + ".tmp", "wb") as f:
            f.write(body)

        os.replace(RESULT + ".tmp", RESULT)
        self.send_response(204)
        self.end_headers()

    def log_message(self, fmt, *args):
        sys.stderr.write("page_server: " + (fmt % args) + "\n")


http.server.HTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
