#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""gen_corpus.py: write the seed corpus of test/fuzz and its dictionary.

    test/fuzz/gen_corpus.py            (re)write corpus/<target>/seed-* and vhost_user.dict

Each seed is a well-formed input of its target's format (the comment at the
top of test/fuzz/fuzz_<target>.c): a QEMU-like vhost-user session, rings
with good chains, replies a backend would send, device arguments, IOTLB
operations. The request numbers and protocol feature bits are read from
lib/vhost/vhost_user_proto.h and vio_vhost_user.h, so the seeds follow the
tree. Regression inputs (corpus/<target>/regress-*) are the findings of the
fuzzers and are not written here.
"""

import os
import re
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))


def read(path):
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        return f.read()


REQ = {m.group(1): int(m.group(2))
       for m in re.finditer(r"X\((\w+), (\d+)\)", read("lib/vhost/vhost_user_proto.h"))}
PROTO = {m.group(1): int(m.group(2))
         for m in re.finditer(r"#define VIO_VHOST_USER_PROTOCOL_F_(\w+)\s+(\d+)",
                              read("lib/vhost/vio_vhost_user.h"))}
FEAT = {m.group(1): int(m.group(2))
        for m in re.finditer(r"#define VIO_(F_\w+|NET_F_\w+)\s+(\d+)",
                             read("lib/virtio/vio_virtio.h"))}


def bits(table, *names):
    v = 0
    for n in names:
        v |= 1 << table[n]
    return v


def u8(v):
    return struct.pack("<B", v)


def u16(v):
    return struct.pack("<H", v)


def u32(v):
    return struct.pack("<I", v)


def u64(v):
    return struct.pack("<Q", v)


seeds = {}


def seed(target, name, data):
    seeds.setdefault(target, []).append((name, data))


# ---- vhost_msg: u8 request, u8 flags, u16 size, u8 fds, payload ----------

VERSION, NEED_REPLY = 0x1, 0x8
MEMFD, EVENTFD, PIPE = 0x00, 0x10, 0x20


def msg(name, payload=b"", fds=0, flags=VERSION):
    return u8(REQ[name]) + u8(flags) + u16(len(payload)) + u8(fds) + payload


def region(gpa, size, uaddr, off=0):
    return u64(gpa) + u64(size) + u64(uaddr) + u64(off)


UADDR = 0x7F0000000000
MIB2 = 2 << 20
NET_FEATURES = bits(FEAT, "F_VERSION_1", "NET_F_MRG_RXBUF", "F_RING_INDIRECT_DESC",
                    "F_RING_EVENT_IDX", "NET_F_CSUM", "NET_F_GUEST_CSUM", "NET_F_MQ",
                    "NET_F_MTU", "NET_F_STATUS")
PROTOCOL_FEATURES = 1 << 30


def negotiate(features, proto):
    return (msg("GET_FEATURES") + msg("GET_PROTOCOL_FEATURES") +
            msg("SET_PROTOCOL_FEATURES", u64(proto)) + msg("SET_FEATURES", u64(features)) +
            msg("SET_OWNER"))


def mem_table(fill=b""):
    payload = u32(1) + u32(0) + region(0, MIB2, UADDR)
    if not fill:
        return msg("SET_MEM_TABLE", payload, fds=MEMFD | 1)
    # bit 6: the memfd starts with the bytes that follow (guest memory with rings)
    return msg("SET_MEM_TABLE", payload, fds=0x40 | MEMFD | 1) + u16(len(fill)) + fill


def guest_rings():
    """Vring 0 (guest receive): 4 writable buffers; vring 1 (guest transmit): one packet."""
    m = bytearray(0xC000)
    for i in range(4):
        m[16 * i:16 * i + 16] = u64(0x9000 + i * 0x800) + u32(0x800) + u16(2) + u16(0)
    m[0x1000:0x1000 + 12] = u16(0) + u16(4) + u16(0) + u16(1) + u16(2) + u16(3)
    m[0x4000:0x4010] = u64(0x8000) + u32(12 + 60) + u16(0) + u16(0)
    m[0x5000:0x5006] = u16(0) + u16(1) + u16(0)
    m[0x8000 + 12:0x8000 + 72] = bytes(range(60))
    return bytes(m)


def vring(idx, num, base=0, addr=UADDR):
    """The vring's parts at addr + idx * 0x4000: descriptors, avail (+0x1000), used (+0x2000)."""
    off = addr + idx * 0x4000
    return (msg("SET_VRING_NUM", u32(idx) + u32(num)) +
            msg("SET_VRING_ADDR", u32(idx) + u32(0) + u64(off) + u64(off + 0x2000) +
                u64(off + 0x1000) + u64(0)) +
            msg("SET_VRING_BASE", u32(idx) + u32(base)) +
            msg("SET_VRING_CALL", u64(idx), fds=EVENTFD | 1) +
            msg("SET_VRING_ERR", u64(idx), fds=EVENTFD | 1) +
            msg("SET_VRING_KICK", u64(idx), fds=EVENTFD | 1) +
            msg("SET_VRING_ENABLE", u32(idx) + u32(1)))


ack = bits(PROTO, "REPLY_ACK")
all_proto = bits(PROTO, "MQ", "LOG_SHMFD", "RARP", "REPLY_ACK", "NET_MTU", "BACKEND_REQ",
                 "CONFIG", "INFLIGHT_SHMFD", "RESET_DEVICE", "CONFIGURE_MEM_SLOTS", "STATUS",
                 "DEVICE_STATE")
seed("vhost_msg", "split-session",
     negotiate(NET_FEATURES | PROTOCOL_FEATURES, all_proto) + mem_table() + vring(0, 256) +
     vring(1, 256) + msg("NET_SET_MTU", u64(1500)) + msg("SEND_RARP", u64(0x010000005452)) +
     msg("GET_CONFIG", u32(0) + u32(12) + u32(0) + bytes(12)) +
     msg("SET_CONFIG", u32(0) + u32(6) + u32(0) + bytes.fromhex("020000000001")) +
     msg("SET_STATUS", u64(15)) + msg("GET_STATUS") + msg("GET_VRING_BASE", u32(0) + u32(0)) +
     msg("GET_VRING_BASE", u32(1) + u32(0)) + msg("SET_STATUS", u64(0)))
seed("vhost_msg", "split-traffic",
     negotiate(NET_FEATURES | PROTOCOL_FEATURES, ack) + mem_table(guest_rings()) +
     vring(0, 4) + vring(1, 4) + msg("SET_MEM_TABLE", u32(1) + u32(0) + region(0, MIB2, UADDR),
                                     fds=0x40 | MEMFD | 1) + u16(len(guest_rings())) +
     guest_rings() + msg("GET_VRING_BASE", u32(1) + u32(0)))
seed("vhost_msg", "packed-session",
     negotiate(NET_FEATURES | bits(FEAT, "F_RING_PACKED", "F_IN_ORDER") | PROTOCOL_FEATURES,
               ack) + mem_table() + vring(0, 255, 0x8000) + vring(1, 100, 0x8003) +
     msg("SET_VRING_NUM", u32(0) + u32(128), flags=VERSION | NEED_REPLY) +
     msg("GET_VRING_BASE", u32(0) + u32(0)) + msg("RESET_OWNER"))
seed("vhost_msg", "legacy-no-protocol",
     msg("GET_FEATURES") + msg("SET_FEATURES", u64(bits(FEAT, "F_VERSION_1"))) + mem_table() +
     vring(0, 64) + vring(1, 64) + msg("GET_VRING_BASE", u32(1) + u32(0)))
seed("vhost_msg", "iommu",
     negotiate(NET_FEATURES | bits(FEAT, "F_ACCESS_PLATFORM") | PROTOCOL_FEATURES,
               bits(PROTO, "REPLY_ACK", "BACKEND_REQ")) +
     msg("SET_BACKEND_REQ_FD", fds=PIPE | 1) + mem_table() +
     msg("IOTLB_MSG", u64(0x1000) + u64(0x10000) + u64(UADDR) + u8(3) + u8(2) + bytes(6),
         flags=VERSION | NEED_REPLY) + vring(0, 256) +
     msg("IOTLB_MSG", u64(0x2000) + u64(0x1000) + u64(0) + u8(0) + u8(3) + bytes(6)) +
     msg("IOTLB_MSG", u64(0) + u64(0x100) + u64(UADDR + MIB2 - 0x80) + u8(1) + u8(2) +
         bytes(6)))
# With a vIOMMU the ring addresses are IOVAs: one update maps IOVA 0 onto the memory, then
# traffic, an invalidation under the running rings, and traffic again.
IOTLB_ALL = u64(0) + u64(MIB2) + u64(UADDR) + u8(3) + u8(2) + bytes(6)
seed("vhost_msg", "iommu-traffic",
     negotiate(NET_FEATURES | bits(FEAT, "F_ACCESS_PLATFORM") | PROTOCOL_FEATURES, ack) +
     mem_table(guest_rings()) + msg("IOTLB_MSG", IOTLB_ALL) + vring(0, 4, addr=0) +
     vring(1, 4, addr=0) + msg("IOTLB_MSG", u64(0x8000) + u64(0x1000) + u64(0) + u8(0) + u8(3) +
                               bytes(6)) + msg("IOTLB_MSG", IOTLB_ALL) +
     msg("GET_VRING_BASE", u32(1) + u32(0)))
seed("vhost_msg", "inflight-state",
     negotiate(NET_FEATURES | PROTOCOL_FEATURES,
               bits(PROTO, "REPLY_ACK", "INFLIGHT_SHMFD", "DEVICE_STATE", "LOG_SHMFD")) +
     msg("GET_INFLIGHT_FD", u64(0) + u64(0) + u16(2) + u16(256) + bytes(4)) +
     msg("SET_INFLIGHT_FD", u64(0x10000) + u64(0) + u16(2) + u16(256) + bytes(4),
         fds=MEMFD | 1) + mem_table() +
     msg("SET_LOG_BASE", u64(0x1000) + u64(0), fds=MEMFD | 1) + vring(0, 256) +
     msg("SET_DEVICE_STATE_FD", u32(0) + u32(0), fds=PIPE | 1) + msg("CHECK_DEVICE_STATE") +
     msg("SET_DEVICE_STATE_FD", u32(1) + u32(0), fds=PIPE | 1) + msg("CHECK_DEVICE_STATE"))
seed("vhost_msg", "mem-slots",
     negotiate(NET_FEATURES | PROTOCOL_FEATURES,
               bits(PROTO, "REPLY_ACK", "CONFIGURE_MEM_SLOTS", "MQ", "RESET_DEVICE")) +
     msg("GET_MAX_MEM_SLOTS") + msg("GET_QUEUE_NUM") +
     msg("ADD_MEM_REG", u64(0) + region(0, MIB2, UADDR), fds=MEMFD | 1) +
     msg("ADD_MEM_REG", u64(0) + region(MIB2, 0x100000, UADDR + MIB2, 0x100000),
         fds=MEMFD | 1) +
     msg("ADD_MEM_REG", u64(0) + region(0, MIB2, UADDR), fds=MEMFD | 1) + vring(2, 256) +
     vring(3, 256) + msg("REM_MEM_REG", u64(0) + region(MIB2, 0x100000, UADDR + MIB2)) +
     msg("REM_MEM_REG", u64(0) + region(0, MIB2, UADDR)) + msg("RESET_DEVICE"))
seed("vhost_msg", "two-regions-table",
     negotiate(NET_FEATURES | PROTOCOL_FEATURES, ack) +
     msg("SET_MEM_TABLE", u32(2) + u32(0) + region(0, 0x100000, UADDR) +
         region(0x100000, 0x100000, UADDR + 0x100000, 0x100000), fds=MEMFD | 2) +
     vring(0, 256) + msg("SET_MEM_TABLE", u32(1) + u32(0) + region(0, MIB2, UADDR),
                         fds=MEMFD | 1))

# ---- engine ----------------------------------------------------------------

F_NEXT, F_WRITE, F_INDIRECT = 1, 2, 4
P_AVAIL, P_USED = 1 << 7, 1 << 15
CFG_PACKED, CFG_ENQUEUE, CFG_TAME, CFG_INFLIGHT, CFG_OFFLOADS = 1, 2, 4, 8, 16
E_INDIRECT, E_MRG, E_EVENT, E_INORDER, E_CSUM, E_GTSO, E_HTSO, E_V1 = (1 << i for i in range(8))
DRIVER, DEVICE = 0x800, 0xC00
NET_HDR = 12


class Image:
    def __init__(self):
        self.b = bytearray(0x1000)

    def put(self, off, data):
        if len(self.b) < off + len(data):
            self.b.extend(bytes(off + len(data) - len(self.b)))
        self.b[off:off + len(data)] = data


def engine_input(cfg0, feats, ring_cfg, base, image, burst=3, offl=0, mss=0, sizes=None,
                 pokes=b""):
    cfg = bytes([cfg0, feats, ring_cfg]) + u16(base) + bytes([burst, offl, mss])
    pokes = pokes.ljust(48, b"\0")
    sizes = sizes or bytes([4, 10, 60, 2, 0, 30, 1, 5] + [0] * 8)
    return cfg + pokes + sizes + bytes(image.b)


def split_desc(img, i, addr, length, flags, nxt=0):
    img.put(16 * i, u64(addr) + u32(length) + u16(flags) + u16(nxt))


def split_avail(img, heads, size):
    img.put(DRIVER, u16(0) + u16(len(heads)) + b"".join(u16(h) for h in heads))
    img.put(DRIVER + 4 + 2 * size, u16(0))  # used_event


def packed_desc(img, i, addr, length, bid, flags, wrap=1):
    avail = P_AVAIL if wrap else P_USED
    img.put(16 * i, u64(addr) + u32(length) + u16(bid) + u16(flags | avail))


def tx_packet(img, off, length):
    img.put(off, bytes(NET_HDR) + bytes((i * 7) & 0xFF for i in range(length)))
    return off


# split transmit: a 2-descriptor chain (header, then data) and a 1-descriptor packet
img = Image()
split_desc(img, 0, 0x1000, NET_HDR, F_NEXT, 1)
split_desc(img, 1, 0x1100, 100, 0)
tx_packet(img, 0x1200, 60)
split_desc(img, 2, 0x1200, NET_HDR + 60, 0)
split_avail(img, [0, 2], 8)
img.put(0x1100, bytes(range(100)))
seed("engine", "split-tx", engine_input(0, E_V1 | E_INDIRECT, 3, 0, img))
seed("engine", "split-tx-event-idx", engine_input(0, E_V1 | E_EVENT | E_CSUM, 3, 0, img,
                                                  offl=1, pokes=u16(DRIVER + 2) + u8(3)))

# split transmit through an indirect table, and a net header asking for a checksum
img = Image()
split_desc(img, 0, 0x2000, 48, F_INDIRECT)
img.put(0x2000, u64(0x3000) + u32(NET_HDR) + u16(F_NEXT) + u16(1) +
        u64(0x3100) + u32(40) + u16(F_NEXT) + u16(2) + u64(0x3200) + u32(200) + u16(0) + u16(0))
img.put(0x3000, u8(1) + u8(0) + u16(0) + u16(0) + u16(34) + u16(16) + u16(1))
img.put(0x3100, bytes.fromhex("ffffffffffff020000000001" "0800" "45000100000040004006" +
                              "0000" "0a000001" "0a000002") + bytes(6))
img.put(0x3200, bytes(200))
split_avail(img, [0], 4)
seed("engine", "split-tx-indirect-csum", engine_input(0, E_V1 | E_INDIRECT | E_CSUM, 2, 0, img))

# split receive: 4 writable buffers, mergeable or not
img = Image()
for i in range(4):
    split_desc(img, i, 0x1000 + i * 0x800, 0x800, F_WRITE)
split_avail(img, [0, 1, 2, 3], 8)
seed("engine", "split-rx-mrg", engine_input(CFG_ENQUEUE, E_V1 | E_MRG, 3, 0, img,
                                            sizes=bytes([60, 80, 3, 200] + [0] * 12)))
seed("engine", "split-rx", engine_input(CFG_ENQUEUE, E_V1, 3, 0, img))
seed("engine", "split-rx-offloads", engine_input(CFG_ENQUEUE | CFG_OFFLOADS,
                                                 E_V1 | E_MRG | E_CSUM | E_GTSO, 3, 0, img,
                                                 mss=100, sizes=bytes([90, 5] + [0] * 14)))
seed("engine", "split-rx-inflight", engine_input(CFG_ENQUEUE | CFG_INFLIGHT, E_V1, 3, 0, img,
                                                 burst=1))

# a buffer that runs from the first region into the hole
img = Image()
split_desc(img, 0, 0x7F00, 0x200, 0)
split_avail(img, [0], 2)
seed("engine", "split-tx-hole", engine_input(0, E_V1, 1, 0, img))

# packed transmit (wrap counter 1): a 2-descriptor chain and an indirect one
img = Image()
packed_desc(img, 0, 0x1000, NET_HDR, 0, F_NEXT)
packed_desc(img, 1, 0x1100, 64, 0, 0)
packed_desc(img, 2, 0x2000, 32, 1, F_INDIRECT)
img.put(0x2000, u64(0x3000) + u32(NET_HDR) + u16(0) + u16(0) + u64(0x3100) + u32(80) + u16(0) +
        u16(0))
seed("engine", "packed-tx", engine_input(CFG_PACKED, E_V1 | E_INDIRECT, 7, 0x8000, img))
seed("engine", "packed-tx-inorder", engine_input(CFG_PACKED | (1 << 5), E_V1 | E_INDIRECT |
                                                 E_INORDER, 7, 0x8000, img,
                                                 pokes=u16(14) + u8(0x80)))

# packed receive: 4 writable slots
img = Image()
for i in range(4):
    packed_desc(img, i, 0x1000 + i * 0x800, 0x800, i, F_WRITE)
seed("engine", "packed-rx-mrg", engine_input(CFG_PACKED | CFG_ENQUEUE, E_V1 | E_MRG | E_EVENT,
                                             7, 0x8000, img))
seed("engine", "packed-rx-inflight", engine_input(CFG_PACKED | CFG_ENQUEUE | CFG_INFLIGHT,
                                                  E_V1, 3, 0x8000, img))
seed("engine", "packed-rx-tame", engine_input(CFG_PACKED | CFG_ENQUEUE | CFG_TAME | (3 << 5),
                                              E_V1 | E_MRG, 3, 0x8000, img))

# ---- frontend_reply ----------------------------------------------------------

FE_ACK, FE_MQ, FE_CONFIG, FE_REQ, FE_INFLIGHT, FE_STATE, FE_STATUS, FE_SLOTS = (1 << i
                                                                               for i in range(8))
REPLY = 0x5


def reply(name, payload, where=0, nfds=0):
    data = u32(REQ[name]) + u32(REPLY) + u32(len(payload)) + payload
    return u8(where | nfds << 4) + u16(len(data)) + data


def frontend(proto, flags, calls, records):
    return (u8(proto) + u8(flags) + u8(len(calls)) + b"".join(u8(c) + u8(a) for c, a in calls) +
            b"".join(records))


seed("frontend_reply", "negotiate",
     frontend(FE_ACK | FE_MQ | FE_SLOTS, 0, [(0, 0), (2, 0), (1, 0), (6, 0), (7, 0), (4, 0)],
              [reply("GET_FEATURES", u64(NET_FEATURES | PROTOCOL_FEATURES)),
               reply("GET_PROTOCOL_FEATURES", u64(all_proto)),
               reply("SET_FEATURES", u64(0)), reply("GET_QUEUE_NUM", u64(2)),
               reply("GET_MAX_MEM_SLOTS", u64(8)), reply("SET_OWNER", u64(0))]))
seed("frontend_reply", "config-status-vring",
     frontend(FE_CONFIG | FE_STATUS, 0, [(19, 0xB0), (21, 7), (13, 1), (8, 0), (11, 1)],
              [reply("GET_CONFIG", u32(0) + u32(12) + u32(0) + bytes(range(12))),
               reply("GET_STATUS", u64(7)), reply("GET_VRING_BASE", u32(1) + u32(5))]))
seed("frontend_reply", "inflight",
     frontend(FE_ACK | FE_INFLIGHT, 0, [(22, 4)],
              [reply("GET_INFLIGHT_FD", u64(0x10000) + u64(0) + u16(1) + u16(256) + bytes(4),
                     nfds=1), reply("SET_INFLIGHT_FD", u64(0))]))
seed("frontend_reply", "device-state",
     frontend(FE_ACK | FE_STATE, 0, [(23, 0), (24, 0), (23, 1), (24, 0)],
              [reply("SET_DEVICE_STATE_FD", u64(1 << 8)), reply("CHECK_DEVICE_STATE", u64(0)),
               reply("SET_DEVICE_STATE_FD", u64(0), nfds=1),
               reply("CHECK_DEVICE_STATE", u64(1))]))
IOTLB_MISS = (u64(UADDR + 0x10) + u64(0x100) + u64(0) + u8(3) + u8(1) + bytes(6))
seed("frontend_reply", "backend-req-iotlb",
     frontend(FE_ACK | FE_REQ | FE_CONFIG, 1 | 2 | 4, [(25, 0), (25, 0)],
              [u8(1) + u16(12 + 32) + u32(1) + u32(VERSION | NEED_REPLY) + u32(32) + IOTLB_MISS,
               reply("IOTLB_MSG", u64(0)),
               u8(1) + u16(12) + u32(2) + u32(VERSION | NEED_REPLY) + u32(0),
               u8(1) + u16(12 + 24) + u32(3) + u32(VERSION) + u32(24) + bytes(24)]))

# ---- port_args -------------------------------------------------------------

for i, a in enumerate([
        "iface=/tmp/vio0.sock",
        "iface=/tmp/vio0.sock,queues=4,client=1,iommu-support=1,tso=1,linear-buffer=1",
        "iface=/tmp/v,postcopy-support=0,ext-buffer=0,legacy-ol-flags=0,driver=local",
        "path=/tmp/vio0.sock,queues=2,queue_size=512,mrg_rxbuf=0,packed_vq=1,in_order=1",
        "path=/tmp/v,mac=02:00:00:00:00:01,speed=25000,cq=1,vectorized=0,server=1",
        "path=/dev/vhost-net,iface=tap0,driver=kernel",
        "path=/dev/vhost-vdpa-0,driver=vdpa",
        "path=/tmp/v,driver=local",
        "iface=/tmp/v,driver=remote",
        "iface=/tmp/v,queues=17",
]):
    seed("port_args", "args-%02d" % i, a.encode())

# ---- iotlb -----------------------------------------------------------------


def small(v):  # pick_iova / pick_uaddr mode 0
    return u8(0) + u16(v)


def pages(n):  # pick_size mode 2
    return u8(2) + u8(n)


def update(iova, size, uaddr, perm):
    return u8(0) + iova + size + uaddr + u8(perm)


def lookup(iova, size, access):
    return u8(3) + iova + size + u8(access)


seed("iotlb", "update-lookup-invalidate",
     u8(3) + update(small(0x40), pages(2), small(0), 3) + lookup(small(0x40), pages(1), 1) +
     lookup(small(0x41), pages(2), 2) + u8(2) + small(0x41) + u8(1) + u16(100) +
     lookup(small(0x40), pages(2), 1) + u8(4) + lookup(small(0x40), pages(1), 1))
seed("iotlb", "evict-remap",
     u8(1) + update(small(0x100), pages(1), small(0), 1) +
     update(small(0x200), pages(1), small(0x400), 2) +
     update(small(0x300), pages(3), small(0x1000), 3) + lookup(small(0x300), pages(3), 3) +
     u8(11) + lookup(small(0x300), pages(1), 1) + u8(5) + lookup(small(0x200), pages(1), 2))
seed("iotlb", "pieces-holes",
     u8(15) + update(small(0), pages(18), small(0), 3) +
     update(small(0), pages(16), small(0), 3) + lookup(small(0x10), pages(16), 3) +
     update(u8(1) + u16(0x40), pages(1), u8(1) + u16(0), 3) +
     update(small(0x800), pages(4), u8(1) + u16(0), 3) +
     update(u8(3) + u64(2**64 - 0x1000), u8(3) + u64(0x1000), small(0), 3) +
     u8(2) + u8(3) + u64(2**64 - 0x800) + u8(3) + u64(0x1000))


def main():
    for target, items in seeds.items():
        d = os.path.join(HERE, "corpus", target)
        os.makedirs(d, exist_ok=True)
        for f in os.listdir(d):
            if f.startswith("seed-"):
                os.remove(os.path.join(d, f))
        for name, data in items:
            with open(os.path.join(d, "seed-" + name), "wb") as f:
                f.write(data)
    with open(os.path.join(HERE, "vhost_user.dict"), "w", encoding="utf-8") as f:
        f.write("# vhost-user request codes, written by gen_corpus.py from vhost_user_proto.h.\n"
                "# req_*: the request byte and flags of fuzz_vhost_msg's messages;\n"
                "# reply_*: the header of a reply as fuzz_frontend_reply's backend sends it.\n")
        for name, num in sorted(REQ.items(), key=lambda kv: kv[1]):
            f.write('req_%s="\\x%02x\\x01"\n' % (name, num))
            f.write('reply_%s="\\x%02x\\x00\\x00\\x00\\x05\\x00\\x00\\x00"\n' % (name, num))
        for name, num in sorted(PROTO.items(), key=lambda kv: kv[1]):
            f.write('proto_%s="%s"\n' % (name, "".join("\\x%02x" % b for b in u64(1 << num))))
    n = sum(len(v) for v in seeds.values())
    print("gen_corpus.py: %d seeds in %d targets, vhost_user.dict" % (n, len(seeds)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
