/**
 * What a device's turn does to its adapters, as bytes: no model is trained (docs/model.md
 * §1.4 costs the turn, not the learning), but the adapters it returns must differ from the
 * ones it received and from every other device's, so that the hub's hand-over and FedAvg
 * (docs/model.md §1.6) are observable. Deterministic: byte i gains a per-device offset plus
 * 7·i, modulo 256.
 */
export function trainedAdapters(received: Uint8Array, device: string): Uint8Array {
  let offset = 0x811c9dc5;
  for (let i = 0; i < device.length; i++) offset = Math.imul(offset ^ device.charCodeAt(i), 0x01000193);
  offset = (offset >>> 0) & 0xff;
  const out = new Uint8Array(received.length);
  for (let i = 0; i < received.length; i++) out[i] = ((received[i] as number) + offset + 7 * i) & 0xff;
  return out;
}
