#!/usr/bin/python3
# A minimal direct-access client in another language and another process, written from
# docs/direct-access.md alone: the lease server tests run it as another user (the peer check)
# and as a holder that never answers a recall (fencing).
#   direct_peer.py SOCKET hello          -> prints "errno=N fd=F eof=E"
#   direct_peer.py SOCKET hold PATH      -> HELLO, LAYOUT_GET (read) of PATH, prints "ready ID",
#                                           then reads (and ignores) recalls until killed
import socket
import struct
import sys

s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
s.send(struct.pack('<HHIII', 1, 0, 7, 1, 0))
msg, anc, flags, addr = s.recvmsg(65536, socket.CMSG_SPACE(4))
op, fl, tag, err = struct.unpack_from('<HHIi', msg)
assert op == 0x8001 and tag == 7, (op, tag)
fds = []
for level, typ, data in anc:
    if level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
        fds += list(struct.unpack('<%di' % (len(data) // 4), data))
if sys.argv[2] == 'hello':
    # refused: the server closes the connection (eof=1); let in: it stays open (eof=0)
    eof = 1 if err != 0 and len(s.recv(65536)) == 0 else 0
    print('errno=%d fd=%d eof=%d' % (err, len(fds), eof), flush=True)
    sys.exit(0)
assert err == 0, err
path = sys.argv[3].encode()
s.send(struct.pack('<HHIQQIIII', 2, 0, 8, 0, 4096, 1, 0, 0, len(path)) + path)
reply = s.recv(65536)
op, fl, tag, err = struct.unpack_from('<HHIi', reply)
assert op == 0x8002 and tag == 8 and err == 0, (op, tag, err)
(layout,) = struct.unpack_from('<Q', reply, 12)
print('ready %d' % layout, flush=True)
while True:
    if len(s.recv(65536)) == 0:
        break
