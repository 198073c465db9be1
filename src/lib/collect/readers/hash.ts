/**
 * FNV-1a 64-bit over a string's UTF-8 bytes, in plain JavaScript (16-bit limbs, no BigInt, no node:crypto), so
 * the readers that derive ids from it load unchanged under Bun in the OpenCode plugin. Not cryptographic: it
 * names an agent's call whose log gives it no id of its own (Codex), where the input already identifies the call.
 */

const encoder = new TextEncoder()

/** The FNV-1a 64 hash of `text` (UTF-8), as 16 lowercase hex digits. */
export function fnv1a64(text: string): string {
  // offset basis 0xcbf29ce484222325, as four 16-bit limbs, least significant first
  let h0 = 0x2325
  let h1 = 0x8422
  let h2 = 0x9ce4
  let h3 = 0xcbf2
  for (const byte of encoder.encode(text)) {
    h0 ^= byte
    // multiply by the prime 0x100000001b3 = 2^40 + 0x1b3, modulo 2^64
    const t0 = h0 * 0x1b3
    let t1 = h1 * 0x1b3
    let t2 = h2 * 0x1b3 + h0 * 0x100
    let t3 = h3 * 0x1b3 + h1 * 0x100
    t1 += t0 >>> 16
    h0 = t0 & 0xffff
    t2 += t1 >>> 16
    h1 = t1 & 0xffff
    t3 += t2 >>> 16
    h2 = t2 & 0xffff
    h3 = t3 & 0xffff
  }
  return [h3, h2, h1, h0].map((limb) => limb.toString(16).padStart(4, "0")).join("")
}
