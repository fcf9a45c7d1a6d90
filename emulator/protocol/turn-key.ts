/** A turn's key in maps and sets: round and device, the pair that names a turn everywhere. */
export function turnKey(t: { readonly round: number; readonly device: string }): string {
  return `${t.round}/${t.device}`;
}
