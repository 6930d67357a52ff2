-- SPDX-License-Identifier: BSD-3-Clause
-- HEP v3 (Homer's encapsulation, "HEP3_rev12") for Wireshark and tshark
-- that have no HEP dissector of their own (Debian 12's 4.0 has none:
-- `tshark -G protocols` lists no HEP). Reads what siplb-dp's capture sends
-- (docs/capture.md), Kamailio's siptrace and heplify too, and hands a SIP
-- payload (protocol type 1) to Wireshark's SIP dissector.
--
--   tshark -X lua_script:/usr/share/siplb/hep.lua -r hep.pcap -Y sip
--   tshark -X lua_script:/usr/share/siplb/hep.lua -i eth1 -f 'udp port 9060'
--
-- UDP port 9060 (HEP's usual) is registered; another: -d udp.port==N,hep3.

local hep = Proto("hep3", "Homer Encapsulation Protocol v3")

local f = {
    length = ProtoField.uint16("hep3.length", "Total length"),
    chunk_vendor = ProtoField.uint16("hep3.chunk.vendor", "Chunk vendor"),
    chunk_type = ProtoField.uint16("hep3.chunk.type", "Chunk type"),
    chunk_length = ProtoField.uint16("hep3.chunk.length", "Chunk length"),
    family = ProtoField.uint8("hep3.ip_family", "IP family",
                              base.DEC, { [2] = "IPv4", [10] = "IPv6" }),
    proto = ProtoField.uint8("hep3.ip_proto", "IP protocol",
                             base.DEC, { [6] = "TCP", [17] = "UDP", [132] = "SCTP" }),
    src4 = ProtoField.ipv4("hep3.src_ip", "Source address"),
    dst4 = ProtoField.ipv4("hep3.dst_ip", "Destination address"),
    src6 = ProtoField.ipv6("hep3.src_ip6", "Source address"),
    dst6 = ProtoField.ipv6("hep3.dst_ip6", "Destination address"),
    sport = ProtoField.uint16("hep3.src_port", "Source port"),
    dport = ProtoField.uint16("hep3.dst_port", "Destination port"),
    ts_sec = ProtoField.uint32("hep3.ts_sec", "Time (s)"),
    ts_usec = ProtoField.uint32("hep3.ts_usec", "Time (us)"),
    proto_type = ProtoField.uint8("hep3.proto_type", "Protocol type",
                                  base.DEC, { [1] = "SIP", [5] = "RTCP", [100] = "Log" }),
    agent = ProtoField.uint32("hep3.agent_id", "Capture agent id"),
    keepalive = ProtoField.uint16("hep3.keepalive", "Keep-alive timer"),
    auth = ProtoField.string("hep3.auth_key", "Auth key"),
    payload = ProtoField.bytes("hep3.payload", "Payload"),
    correlation = ProtoField.string("hep3.correlation_id", "Correlation id"),
    vlan = ProtoField.uint16("hep3.vlan", "VLAN id"),
    unknown = ProtoField.bytes("hep3.unknown", "Value"),
}
hep.fields = f

local e_bad = ProtoExpert.new("hep3.bad", "Malformed HEP3", expert.group.MALFORMED,
                              expert.severity.ERROR)
hep.experts = { e_bad }

-- chunk type -> field, for the generic (vendor 0) chunks of a fixed form
local by_type = {
    [1] = f.family, [2] = f.proto, [3] = f.src4, [4] = f.dst4, [5] = f.src6, [6] = f.dst6,
    [7] = f.sport, [8] = f.dport, [9] = f.ts_sec, [10] = f.ts_usec, [11] = f.proto_type,
    [12] = f.agent, [13] = f.keepalive, [14] = f.auth, [15] = f.payload,
    [17] = f.correlation, [18] = f.vlan,
}

local sip = Dissector.get("sip")

-- The chunks from off to the end; the payload's range and protocol type.
local function chunks(buf, tree, off, total)
    local payload, ptype
    while off < total do
        if total - off < 6 then
            tree:add_proto_expert_info(e_bad, "a chunk header cut short")
            return nil
        end
        local vendor, ctype, clen = buf(off, 2):uint(), buf(off + 2, 2):uint(),
                                    buf(off + 4, 2):uint()
        if clen < 6 or off + clen > total then
            tree:add_proto_expert_info(e_bad, "chunk length " .. clen .. " at " .. off)
            return nil
        end
        local value = buf(off + 6, clen - 6)
        local field = vendor == 0 and by_type[ctype] or f.unknown
        local item = tree:add(field, value)
        item:prepend_text("[" .. vendor .. "/" .. ctype .. "] ")
        if vendor == 0 and ctype == 15 then payload = value end
        if vendor == 0 and ctype == 11 and clen == 7 then ptype = value:uint() end
        off = off + clen
    end
    return payload, ptype
end

function hep.dissector(buf, pinfo, root)
    if buf:len() < 6 or buf(0, 4):string() ~= "HEP3" then
        return 0
    end
    local total = buf(4, 2):uint()
    local tree = root:add(hep, buf(0, math.min(total, buf:len())))
    tree:add(f.length, buf(4, 2))
    pinfo.cols.protocol = "HEP3"
    if total > buf:len() or total < 6 then
        tree:add_proto_expert_info(e_bad, "total length " .. total .. " of " .. buf:len())
        return buf:len()
    end
    local payload, ptype = chunks(buf, tree, 6, total)
    if payload and ptype == 1 then
        sip:call(payload:tvb(), pinfo, root)
    end
    return total
end

DissectorTable.get("udp.port"):add(9060, hep)
