/**
 * Names one contract: its injection token (for tsyringe) and a phantom type so that discovery
 * can only pair a contract with implementations of it.
 */
export interface ContractKey<T> {
  readonly id: string;
  readonly token: symbol;
  /** Never set; carries T for the type checker. */
  readonly _type?: T;
}

export function contractKey<T>(id: string): ContractKey<T> {
  return { id, token: Symbol.for(`koker.contract.${id}`) };
}
