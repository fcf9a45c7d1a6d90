/** Transfer tags: which payload of which turn a stream of chunks carries. */
export interface TurnRef {
  round: number;
  device: string;
}

export const tags = {
  adaptersDown: (t: TurnRef) => `adapters-down/${t.round}/${t.device}`,
  smashed: (t: TurnRef, i: number) => `smashed/${t.round}/${t.device}/${i}`,
  gradient: (t: TurnRef, i: number) => `gradient/${t.round}/${t.device}/${i}`,
  adaptersUp: (t: TurnRef) => `adapters-up/${t.round}/${t.device}`,
};
