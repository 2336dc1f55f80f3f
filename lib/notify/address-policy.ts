/**
 * Which IP addresses a webhook may be delivered to: global unicast only. Refused is anything that
 * reaches the runner itself, its private network or the cloud's metadata services, and every other
 * range of the IANA special-purpose registries that is not globally reachable (documentation,
 * benchmarking, protocol assignments). Pure, so the submit-time check on literal hosts and the
 * send-time check on resolved addresses share one answer.
 *
 * IPv6 is allowed only inside 2000::/3. Two translation prefixes outside or inside it forward to
 * an IPv4 address and are judged as that address: NAT64 `64:ff9b::a.b.c.d` (what DNS64 answers on
 * an IPv6-only network) and 6to4 `2002:aabb:ccdd::`. The forms a host would hand to its own IPv4
 * stack (mapped `::ffff:a.b.c.d`, translated `::ffff:0:a.b.c.d`, compatible `::a.b.c.d`), local-use
 * NAT64 `64:ff9b:1::/48` and Teredo `2001::/32` are refused whatever they carry: a public IPv4
 * address is reached by its own name. node:net's BlockList does not match these forms reliably, so
 * the parsing is our own.
 */
import { isIP } from 'node:net';

interface Ipv4Range {
  base: number;
  prefixLength: number;
  description: string;
}

const IPV4_RANGES: readonly Ipv4Range[] = [
  { base: ipv4Number(0, 0, 0, 0), prefixLength: 8, description: 'an unspecified address' },
  { base: ipv4Number(10, 0, 0, 0), prefixLength: 8, description: 'a private address' },
  { base: ipv4Number(100, 64, 0, 0), prefixLength: 10, description: 'a carrier-grade NAT address' },
  { base: ipv4Number(127, 0, 0, 0), prefixLength: 8, description: 'a loopback address' },
  { base: ipv4Number(169, 254, 0, 0), prefixLength: 16, description: 'a link-local address' },
  { base: ipv4Number(172, 16, 0, 0), prefixLength: 12, description: 'a private address' },
  { base: ipv4Number(192, 0, 0, 0), prefixLength: 24, description: 'an IETF protocol assignment' },
  { base: ipv4Number(192, 0, 2, 0), prefixLength: 24, description: 'a documentation address' },
  { base: ipv4Number(192, 88, 99, 0), prefixLength: 24, description: 'a 6to4 relay address' },
  { base: ipv4Number(192, 168, 0, 0), prefixLength: 16, description: 'a private address' },
  { base: ipv4Number(198, 18, 0, 0), prefixLength: 15, description: 'a benchmarking address' },
  { base: ipv4Number(198, 51, 100, 0), prefixLength: 24, description: 'a documentation address' },
  { base: ipv4Number(203, 0, 113, 0), prefixLength: 24, description: 'a documentation address' },
  { base: ipv4Number(224, 0, 0, 0), prefixLength: 4, description: 'a multicast address' },
  { base: ipv4Number(255, 255, 255, 255), prefixLength: 32, description: 'a broadcast address' },
  { base: ipv4Number(240, 0, 0, 0), prefixLength: 4, description: 'a reserved address' },
];

// EC2 instance metadata and the ECS task metadata/credentials endpoint: the classic SSRF targets.
const IPV4_METADATA = new Set([ipv4Number(169, 254, 169, 254), ipv4Number(169, 254, 170, 2)]);
const IPV6_METADATA = 'fd00:ec2:0:0:0:0:0:254';

/**
 * Why a webhook must not be sent to `ip`, or undefined when it may. Anything that is not an IP
 * address is refused too, so a caller that passes a hostname by mistake fails closed.
 */
export function forbiddenAddressReason(ip: string): string | undefined {
  const version = isIP(ip);
  if (version === 4) {
    return ipv4Reason(ip, parseIpv4(ip), undefined);
  }
  if (version === 6) {
    return ipv6Reason(ip, parseIpv6(ip));
  }
  return `'${ip}' is not an IP address`;
}

function ipv4Reason(ip: string, address: number, unwrappedFrom: string | undefined): string | undefined {
  const range = IPV4_RANGES.find((candidate) => inIpv4Range(address, candidate));
  if (range === undefined) {
    return undefined;
  }
  const notes = [
    IPV4_METADATA.has(address) ? 'cloud metadata' : undefined,
    unwrappedFrom === undefined ? undefined : `${unwrappedFrom} ${formatIpv4(address)}`,
  ].filter((note) => note !== undefined);
  return `${ip} is ${range.description}${notes.length > 0 ? ` (${notes.join('; ')})` : ''}`;
}

function ipv6Reason(ip: string, groups: readonly number[]): string | undefined {
  const [first = 0, second = 0, third = 0, , , sixth = 0, seventh = 0, eighth = 0] = groups;
  const embeddedIpv4 = ((seventh << 16) | eighth) >>> 0;
  if (startsWithZeros(groups, 5)) {
    return ipv4CarrierReason(ip, groups, embeddedIpv4);
  }
  if (startsWithZeros(groups.slice(0, 4), 4) && groups[4] === 0xffff && sixth === 0) {
    return ipv4Reason(ip, embeddedIpv4, 'IPv4-translated') ?? `${ip} is an IPv4-translated address`;
  }
  if (first === 0x64 && second === 0xff9b && startsWithZeros(groups.slice(2, 6), 4)) {
    // A NAT64 gateway forwards these to the embedded IPv4 address, private ones included.
    return ipv4Reason(ip, embeddedIpv4, 'NAT64');
  }
  if (first === 0x64 && second === 0xff9b && third === 1) {
    return `${ip} is a local-use NAT64 address`;
  }
  if (first === 0x2002) {
    // A 6to4 router decapsulates towards the IPv4 address in the second and third groups.
    return ipv4Reason(ip, ((second << 16) | third) >>> 0, '6to4');
  }
  return otherIpv6Reason(ip, groups);
}

/** `::`, `::1` and the forms in ::/96 and ::ffff:0:0/96 that a host hands to its IPv4 stack. */
function ipv4CarrierReason(ip: string, groups: readonly number[], embeddedIpv4: number): string {
  const sixth = groups[5] ?? 0;
  if (sixth === 0 && embeddedIpv4 <= 1) {
    return `${ip} is ${embeddedIpv4 === 0 ? 'an unspecified' : 'a loopback'} address`;
  }
  if (sixth === 0xffff) {
    return ipv4Reason(ip, embeddedIpv4, 'IPv4-mapped') ?? `${ip} is an IPv4-mapped address`;
  }
  if (sixth === 0) {
    return ipv4Reason(ip, embeddedIpv4, 'IPv4-compatible') ?? `${ip} is an IPv4-compatible address`;
  }
  return `${ip} is not a global unicast address`;
}

function otherIpv6Reason(ip: string, groups: readonly number[]): string | undefined {
  const [first = 0, second = 0] = groups;
  if ((first & 0xfe00) === 0xfc00) {
    const metadata = groups.map((group) => group.toString(16)).join(':') === IPV6_METADATA;
    return `${ip} is a private address${metadata ? ' (cloud metadata)' : ''}`;
  }
  if ((first & 0xffc0) === 0xfe80) {
    return `${ip} is a link-local address`;
  }
  if ((first & 0xffc0) === 0xfec0) {
    return `${ip} is a site-local address`;
  }
  if ((first & 0xff00) === 0xff00) {
    return `${ip} is a multicast address`;
  }
  if ((first & 0xe000) !== 0x2000) {
    return `${ip} is not a global unicast address`;
  }
  if (first === 0x2001 && second === 0) {
    return `${ip} is a Teredo address`;
  }
  if (first === 0x2001 && second < 0x200) {
    return `${ip} is an IETF protocol assignment`;
  }
  if ((first === 0x2001 && second === 0xdb8) || (first === 0x3fff && (second & 0xf000) === 0)) {
    return `${ip} is a documentation address`;
  }
  return undefined;
}

function startsWithZeros(groups: readonly number[], count: number): boolean {
  return groups.slice(0, count).every((group) => group === 0);
}

function inIpv4Range(address: number, range: Ipv4Range): boolean {
  const mask = range.prefixLength === 0 ? 0 : (~0 << (32 - range.prefixLength)) >>> 0;
  return ((address & mask) >>> 0) === ((range.base & mask) >>> 0);
}

function ipv4Number(a: number, b: number, c: number, d: number): number {
  return ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
}

/** Only called once isIP has said the text is a dotted quad. */
function parseIpv4(text: string): number {
  const [a = 0, b = 0, c = 0, d = 0] = text.split('.').map(Number);
  return ipv4Number(a, b, c, d);
}

function formatIpv4(address: number): string {
  return [24, 16, 8, 0].map((shift) => (address >>> shift) & 0xff).join('.');
}

/** The eight 16-bit groups of an address isIP has accepted; a zone (`%eth0`) is dropped. */
function parseIpv6(text: string): number[] {
  const withoutZone = text.split('%')[0] ?? '';
  const [head = '', tail] = withoutZone.split('::');
  const headGroups = groupsOf(head);
  const tailGroups = tail === undefined ? [] : groupsOf(tail);
  const zeros = new Array<number>(8 - headGroups.length - tailGroups.length).fill(0);
  return [...headGroups, ...(tail === undefined ? [] : zeros), ...tailGroups];
}

function groupsOf(part: string): number[] {
  if (part === '') {
    return [];
  }
  return part.split(':').flatMap((group) => {
    if (!group.includes('.')) {
      return [Number.parseInt(group, 16)];
    }
    const embedded = parseIpv4(group);
    return [embedded >>> 16, embedded & 0xffff];
  });
}
