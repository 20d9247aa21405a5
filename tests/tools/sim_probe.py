#!/usr/bin/env python3
"""Tiny independent BcUdp/Baichuan client for testing cam-sim (stdlib only, XOR encryption).

  sim_probe.py disc  --port P --uid UID [--host H] [--timeout S]
      one C2D_C; prints "reply src_port=.. cid=.. did=.. rsp=.." or "no reply" (exit 3)
  sim_probe.py tcp   --port TCPPORT ... (same as login, over TCP)
  sim_probe.py login --port P --uid UID --user U --password PW [--video main|sub --seconds S]
      discovery, BcUdp session (in-order, cumulative acks like camera_proxy), legacy login
      offering XOR (dc01), modern login; prints "login rc=N" and with --video the BcMedia
      packets seen ("frames I=.. P=.. aac=.. info=WxH@fps")
Written from ../shared/protocol/BAICHUAN.md; independent of the C code under test.
"""
import argparse
import hashlib
import random
import socket
import struct
import sys
import time
import xml.etree.ElementTree as ET

UDP_KEY = [0x1f2d3c4b, 0x5a6c7f8d, 0x38172e4b, 0x8271635a,
           0x863f1a2b, 0xa5c6f7d8, 0x8371e1b4, 0x17f2d3a5]
BC_KEY = [0x1F, 0x2D, 0x3C, 0x4B, 0x5A, 0x69, 0x78, 0xFF]
M_DISC, M_ACK, M_DATA = 0x2a87cf3a, 0x2a87cf20, 0x2a87cf10


def udp_xor(data, tid):
    ks = b''.join(struct.pack('<I', (k + tid) & 0xffffffff) for k in UDP_KEY)
    return bytes(b ^ ks[i % 32] for i, b in enumerate(data))


def crc(data):
    import zlib
    return zlib.crc32(data, 0xffffffff) ^ 0xffffffff


def disc_pkt(xml, tid):
    enc = udp_xor(xml.encode(), tid)
    return struct.pack('<IIIII', M_DISC, len(enc), 1, tid, crc(enc)) + enc


def parse_disc(d):
    magic, size, _, tid, c = struct.unpack_from('<IIIII', d)
    if magic != M_DISC:
        return None
    enc = d[20:20 + size]
    if crc(enc) != c:
        raise ValueError('bad discovery crc')
    return tid, udp_xor(enc, tid).decode()


def bc_xor(data, off):
    return bytes(b ^ BC_KEY[(off + i) % 8] ^ (off & 0xff) for i, b in enumerate(data))


def md5(s):
    return hashlib.md5(s.encode()).hexdigest().upper()[:31]


def c2d_c(uid, port, cid, tid):
    xml = ('<P2P>\n<C2D_C>\n<uid>%s</uid>\n<cli>\n<port>%d</port>\n</cli>\n<cid>%d</cid>\n'
           '<mtu>1350</mtu>\n<debug>0</debug>\n<p>WIN</p>\n</C2D_C>\n</P2P>\n' % (uid, port, cid))
    return disc_pkt(xml, tid)


def c2d_disc(sock, cam, cid, did):
    """Polite goodbye (the official client sends it after logout): the camera frees the slot."""
    xml = '<P2P>\n<C2D_DISC>\n<cid>%d</cid>\n<did>%d</did>\n</C2D_DISC>\n</P2P>\n' % (cid, did)
    for _ in range(2):
        sock.sendto(disc_pkt(xml, random.randint(0, 4000)), cam)


def discover(sock, host, port, uid, cid, timeout):
    tid = random.randint(0, 4000)
    end = time.time() + timeout
    while time.time() < end:
        sock.sendto(c2d_c(uid, sock.getsockname()[1], cid, tid), (host, port))
        sock.settimeout(0.3)
        try:
            d, src = sock.recvfrom(4096)
        except socket.timeout:
            continue
        r = parse_disc(d)
        if not r:
            continue
        root = ET.fromstring(r[1])
        e = root.find('D2C_C_R')
        if e is None or int(e.findtext('cid')) != cid:
            continue
        return src, int(e.findtext('did')), int(e.findtext('rsp')), r[0], r[1]
    return None


class Session:
    """Camera_proxy-style: strict in-order receive, cumulative acks, go-back-N resends."""

    def __init__(self, sock, cam, cid, did):
        self.s, self.cam, self.cid, self.did = sock, cam, cid, did
        self.tx_id, self.rx_next, self.buf = 0, 0, b''
        self.unacked = {}
        self.max_dgram = 0
        self.split_header = False

    def send(self, data):
        for i in range(0, len(data), 1330):
            chunk = data[i:i + 1330]
            p = struct.pack('<IiIII', M_DATA, self.did, 0, self.tx_id, len(chunk)) + chunk
            self.unacked[self.tx_id] = p
            self.s.sendto(p, self.cam)
            self.tx_id += 1

    def ack(self):
        self.s.sendto(struct.pack('<IiIIIII', M_ACK, self.did, 0, 0, self.rx_next - 1 & 0xffffffff,
                                  0, 0), self.cam)

    def pump(self, timeout):
        self.s.settimeout(timeout)
        try:
            d, src = self.s.recvfrom(65536)
        except socket.timeout:
            for p in self.unacked.values():
                self.s.sendto(p, self.cam)
            return
        self.max_dgram = max(self.max_dgram, len(d))
        magic, conn = struct.unpack_from('<Ii', d)
        if magic == M_DATA and conn == self.cid:
            _, _, _, pid, size = struct.unpack_from('<IiIII', d)
            if pid == self.rx_next:
                self.rx_next += 1
                self.buf += d[20:20 + size]
            self.ack()
        elif magic == M_ACK and conn == self.cid and len(d) >= 28:
            pid = struct.unpack_from('<I', d, 16)[0]
            if pid != 0xffffffff:
                for k in [k for k in self.unacked if k <= pid]:
                    del self.unacked[k]

    def next_msg(self, deadline):
        while time.time() < deadline:
            if len(self.buf) >= 20:
                cls = struct.unpack_from('<H', self.buf, 18)[0]
                hl = 24 if cls in (0x6414, 0x0000) else 20
                blen = struct.unpack_from('<I', self.buf, 8)[0]
                if len(self.buf) >= hl + blen:
                    m = self.buf[:hl + blen]
                    self.buf = self.buf[hl + blen:]
                    return m
            self.pump(0.05)
        return None


class TcpSession:
    def __init__(self, host, port):
        self.s = socket.create_connection((host, port), timeout=5)
        self.buf = b''
        self.max_dgram = 0

    def send(self, data):
        self.s.sendall(data)

    def next_msg(self, deadline):
        while time.time() < deadline:
            if len(self.buf) >= 20:
                cls = struct.unpack_from('<H', self.buf, 18)[0]
                hl = 24 if cls in (0x6414, 0x0000) else 20
                blen = struct.unpack_from('<I', self.buf, 8)[0]
                if len(self.buf) >= hl + blen:
                    m = self.buf[:hl + blen]
                    self.buf = self.buf[hl + blen:]
                    return m
            self.s.settimeout(max(0.01, min(0.2, deadline - time.time())))
            try:
                d = self.s.recv(1 << 20)
            except socket.timeout:
                continue
            if not d:
                return None
            self.buf += d
        return None


def hdr(msg_id, body_len, msg_num=0, rc=0, cls=0x6414, po=0, stream=0):
    h = struct.pack('<IIIBBHHH', 0x0abcdef0, msg_id, body_len, 0, stream, msg_num, rc, cls)
    return h + (struct.pack('<I', po) if cls in (0x6414, 0) else b'')


def cmd_disc(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    s.bind((a.bind, 0))
    cid = random.randint(1, 2**31 - 1)
    r = discover(s, a.host, a.port, a.uid, cid, a.timeout)
    if not r:
        print('no reply')
        return 3
    src, did, rsp, tid, xml = r
    print('reply src_port=%d cid=%d did=%d rsp=%d tid=%d' % (src[1], cid, did, rsp, tid))
    if rsp == 0 and not a.keep:
        c2d_disc(s, src, cid, did)
    if a.show_xml:
        sys.stdout.write(xml)
    return 0


def cmd_login(a):
    if a.cmd == 'tcp':
        return session_login(a, TcpSession(a.host, a.port))
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.bind((a.bind, 0))
    cid = random.randint(1, 2**31 - 1)
    r = discover(s, a.host, a.port, a.uid, cid, a.timeout)
    if not r:
        print('no reply')
        return 3
    src, did, rsp, tid, _ = r
    if rsp != 0:
        print('refused rsp=%d' % rsp)
        return 4
    try:
        return session_login(a, Session(s, src, cid, did))
    finally:
        if not a.keep:
            c2d_disc(s, src, cid, did)


def session_login(a, ss):
    ss.send(hdr(1, 0, rc=0xdc01, cls=0x6514))
    m = ss.next_msg(time.time() + 5)
    if not m:
        print('no nonce reply')
        return 5
    rc, cls = struct.unpack_from('<HH', m, 16)
    nonce = ET.fromstring(bc_xor(m[20:], m[12])).find('.//nonce').text
    print('nonce rc=0x%04x class=0x%04x nonce=%s' % (rc, cls, nonce))
    body = ('<?xml version="1.0" encoding="UTF-8" ?>\n<body>\n<LoginUser version="1.1">\n'
            '<userName>%s</userName>\n<password>%s</password>\n<userVer>1</userVer>\n'
            '</LoginUser>\n<LoginNet version="1.1">\n<type>LAN</type>\n<udpPort>0</udpPort>\n'
            '</LoginNet>\n</body>\n') % (md5(a.user + nonce), md5(a.password + nonce))
    ss.send(hdr(1, len(body), msg_num=1) + bc_xor(body.encode(), 0))
    m = ss.next_msg(time.time() + 5)
    rc = struct.unpack_from('<H', m, 16)[0]
    print('login rc=%d len=%d' % (rc, len(m)))
    if rc != 200:
        return 0 if a.expect_fail else 6
    seen = {}
    if a.video:
        stype = 1 if a.video == 'sub' else 0
        xml = ('<?xml version="1.0" encoding="UTF-8" ?>\n<body>\n<Preview version="1.1">\n'
               '<channelId>0</channelId>\n<handle>%d</handle>\n<streamType>%s</streamType>\n'
               '</Preview>\n</body>\n') % (256 if stype else 0, a.video + 'Stream')
        ss.send(hdr(3, len(xml), msg_num=7, stream=stype) + bc_xor(xml.encode(), 0))
    media = b''
    counts = {'I': 0, 'P': 0, 'aac': 0}
    info = None
    chunks = set()
    end = time.time() + a.seconds
    while time.time() < end:
        m = ss.next_msg(end)
        if not m:
            break
        mid = struct.unpack_from('<I', m, 4)[0]
        seen[mid] = seen.get(mid, 0) + 1
        if mid == 234:   # answer the keep-alive
            ss.send(m[:12] + bytes([m[12], m[13]]) + m[14:16] + struct.pack('<HH', 200, 0x6414) +
                    b'\0\0\0\0')
        if mid == 3:
            blen, po = struct.unpack_from('<I', m, 8)[0], struct.unpack_from('<I', m, 20)[0]
            if po:
                info = m[24 + po:]
            else:
                chunks.add(blen)
                media += m[24:]
            while len(media) >= 8:
                mg = media[:4]
                if mg in (b'00dc', b'01dc'):
                    if len(media) < 24:
                        break
                    size, ahs = struct.unpack_from('<II', media, 8)
                    tot = 24 + ahs + size + (8 - size % 8) % 8
                    if len(media) < tot:
                        break
                    counts['I' if mg == b'00dc' else 'P'] += 1
                    media = media[tot:]
                elif mg == b'05wb':
                    size = struct.unpack_from('<H', media, 4)[0]
                    tot = 8 + size + (8 - size % 8) % 8
                    if len(media) < tot:
                        break
                    counts['aac'] += 1
                    media = media[tot:]
                else:
                    print('garbage in media stream: %r' % media[:8])
                    return 7
    print('messages %s' % ' '.join('%d:%d' % kv for kv in sorted(seen.items())))
    if a.video:
        w, h, fps = struct.unpack_from('<IIxB', info, 8) if info else (0, 0, 0)
        print('frames I=%d P=%d aac=%d info=%dx%d@%d chunk_max=%d dgram_max=%d' % (
            counts['I'], counts['P'], counts['aac'], w, h, fps, max(chunks or [0]), ss.max_dgram))
    return 0


def main():
    p = argparse.ArgumentParser()
    p.add_argument('cmd', choices=['disc', 'login', 'tcp'])
    p.add_argument('--host', default='127.0.0.1')
    p.add_argument('--bind', default='127.0.0.1')
    p.add_argument('--port', type=int, required=True)
    p.add_argument('--uid', required=True)
    p.add_argument('--user', default='admin')
    p.add_argument('--password', default='')
    p.add_argument('--timeout', type=float, default=3)
    p.add_argument('--video', choices=['main', 'sub'])
    p.add_argument('--seconds', type=float, default=0)
    p.add_argument('--expect-fail', action='store_true')
    p.add_argument('--show-xml', action='store_true')
    p.add_argument('--keep', action='store_true', help='leave without C2D_DISC')
    a = p.parse_args()
    return cmd_disc(a) if a.cmd == 'disc' else cmd_login(a)


if __name__ == '__main__':
    sys.exit(main())
